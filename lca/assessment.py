"""``assess`` and its result.

``assess`` prepares the model (read, check, build or find its Brightway project), solves one
demand per stage row with bw2calc, and splits the scores by the boundary rules
(:mod:`lca.boundary`) into stages, services and per-response figures. The result holds them
as tables (pandas) for notebooks, and the JSON contract the CLI prints. Values are in the
units of :data:`lca.schema.INDICATOR_UNITS`, per-response ones too; nothing here adds the
numbers up another way than the boundary split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from lca import __version__, engine
from lca.boundary import Period, Split
from lca.errors import InventoryError, Problem
from lca.schema import INDICATOR_UNITS, INDICATORS, SERVES, STAGES, PublishedFigures
from lca.text_inventory import Inventory
from lca.units import magnitude_in, quantity


def assess(
    model: str | None = "large-2",
    months: float = 18,
    tokens_per_response: int = 400,
    inventory: str | Path | None = None,
    inv: Inventory | None = None,
) -> AssessmentResult:
    """Life-cycle impacts of a model over ``months`` of use, by stage and per response.
    ``inv``: an inventory already in memory (an edited copy) instead of reading one."""
    period = Period(months, tokens_per_response)
    prepared = engine.prepare(model, inventory, inv)
    split, values = prepared.solve(period)
    if not split.units[0] > 0:
        unit = prepared.inventory.card.functional_unit
        what = "output tokens" if unit == "response" else f"{unit}s"
        raise InventoryError([Problem(prepared.served_location(),
                                      f"no {what} served in the period")])
    served_input = 0.0
    if prepared.resolved.served_input is not None:
        served_input = float(prepared.resolved.served_input.magnitude(values))
    return AssessmentResult.from_split(
        prepared, period, split, values, served_input,
        provenance={
            "engine_version": __version__,
            "project_key": prepared.key,
            "inventory_hash": engine.content_hash(prepared.inventory.files),
            "base_data_hash": engine.content_hash(prepared.base_text.files),
            "computed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "brightway": {"bw2data": prepared.manifest.get("bw2data", "")},
        },
    )


MERGED_USE_STAGE = "training+inference"  # how Mistral reported training and inference


@dataclass
class AssessmentResult:
    model: str
    display_name: str
    months: float
    tokens_per_response: int
    served_output_tokens: float
    stages: pd.DataFrame  # index: stages; columns: indicators
    by_service: pd.DataFrame  # index: development, training, inference, users
    per_response: pd.DataFrame  # index: marginal, allocated
    published: PublishedFigures | None = None
    provenance: dict = field(default_factory=dict)
    # "response" (tokens_per_response output tokens) or a counted unit such as "image"; for
    # the latter, per_response holds the figures per unit and units_served counts them.
    functional_unit: str = "response"
    units_served: float = 0.0
    served_input_tokens: float = 0.0
    split: Split | None = None  # the boundary split the tables come from (one iteration)
    prepared: object = None  # the PreparedModel (inventory, resolved model, base data)
    values: dict = field(default_factory=dict)  # every parameter value used (quantities)

    units = INDICATOR_UNITS

    @classmethod
    def from_split(cls, prepared, period: Period, split: Split, values: dict,
                   served_input_tokens: float, provenance: dict) -> AssessmentResult:
        """Tables of a one-iteration split (indicators in the order of ``prepared``)."""
        inv = prepared.inventory
        indicators = list(prepared.indicators)

        def frame(array, index) -> pd.DataFrame:
            out = pd.DataFrame(array.T, index=list(index), columns=indicators)
            out = out.reindex(columns=list(INDICATORS), fill_value=0.0)
            out.attrs["units"] = dict(INDICATOR_UNITS)
            return out

        per_response = frame(np.stack([split.per_unit_marginal[0], split.per_unit_allocated[0]],
                                      axis=1), ["marginal", "allocated"])
        unit = inv.card.functional_unit
        return cls(
            model=inv.name,
            display_name=inv.card.display_name,
            months=period.months,
            tokens_per_response=period.tokens_per_response,
            served_output_tokens=float(split.served[0]) if unit == "response" else 0.0,
            stages=frame(split.stages[0], STAGES),
            by_service=frame(split.by_service[0], SERVES),
            per_response=per_response,
            published=inv.published,
            provenance=provenance,
            functional_unit=unit,
            units_served=float(split.units[0]),
            served_input_tokens=served_input_tokens,
            split=split,
            prepared=prepared,
            values=values,
        )

    @property
    def responses(self) -> float:
        """Functional units served in the period (see :func:`lca.boundary.units_served`)."""
        return self.units_served

    @property
    def total(self) -> pd.Series:
        return self.stages.sum(axis=0)

    @property
    def shares(self) -> pd.DataFrame:
        """Each stage's share of the life-cycle total, in percent."""
        return self.stages.div(self.total, axis=1) * 100.0

    def published_dict(self) -> dict | None:
        """Published figures in the JSON contract's shape (absolute values in our units)."""
        p = self.published
        if p is None:
            return None
        total = {i: magnitude_in(quantity(v), INDICATOR_UNITS[i]) for i, v in p.total.items()}
        marginal = {
            i: magnitude_in(quantity(v), INDICATOR_UNITS[i])
            for i, v in p.per_response_marginal.items()
        }
        shares, stages = {}, {}
        for stage, by_indicator in p.stage_shares.items():
            shares[stage] = {i: parse_share(v)[1] for i, v in by_indicator.items()}
            exact = {i: parse_share(v) for i, v in by_indicator.items()}
            if all(op == "=" for op, _ in exact.values()) and set(exact) <= set(total):
                stages[stage] = {i: total[i] * value / 100.0 for i, (_, value) in exact.items()}
        return {
            "source": p.source,
            "months": p.months,
            "tokens_per_response": p.tokens_per_response,
            "total": total,
            "stages": stages,
            "stage_shares_percent": {
                s: {i: v for i, v in by.items()} for s, by in _share_texts(p).items()
            },
            "per_response": {"marginal": marginal},
        }

    def computed_share(self, stage: str) -> pd.Series:
        """Computed share (%) of a stage, or of training and inference together."""
        if stage == MERGED_USE_STAGE:
            return self.shares.loc["training"] + self.shares.loc["inference"]
        return self.shares.loc[stage]

    def comparison(self) -> pd.DataFrame:
        """Published next to computed: totals, marginal per response and stage shares."""
        pub = self.published_dict()
        if pub is None:
            return pd.DataFrame(columns=["figure", "indicator", "unit", "published", "computed"])
        rows = []
        for i in INDICATORS:
            if i in pub["total"]:
                rows.append(("total", i, INDICATOR_UNITS[i], pub["total"][i], self.total[i]))
        for i in INDICATORS:
            if i in pub["per_response"]["marginal"]:
                rows.append(
                    (
                        f"per {self.tokens_per_response}-token response (marginal)",
                        i,
                        INDICATOR_UNITS[i],
                        pub["per_response"]["marginal"][i],
                        self.per_response.loc["marginal", i],
                    )
                )
        for stage, by in _share_texts(self.published).items():
            computed = self.computed_share(stage)
            for i, text in by.items():
                rows.append((f"share: {stage}", i, "%", text, computed[i]))
        return pd.DataFrame(rows, columns=["figure", "indicator", "unit", "published", "computed"])

    def to_dict(self) -> dict:
        """The documented JSON contract of ``lca assess --format json``."""

        def row(series) -> dict:
            return {i: float(series[i]) for i in INDICATORS}

        return {
            "model": self.model,
            "months": self.months,
            "tokens_per_response": self.tokens_per_response,
            "units": dict(INDICATOR_UNITS),
            "total": row(self.total),
            "stages": {s: row(self.stages.loc[s]) for s in self.stages.index},
            "per_response": {
                "marginal": row(self.per_response.loc["marginal"]),
                "allocated": row(self.per_response.loc["allocated"]),
            },
            "responses": self.responses,
            "served_output_tokens": self.served_output_tokens,
            "published": self.published_dict(),
            "provenance": dict(self.provenance),
        } | self._functional_unit_dict()

    def _functional_unit_dict(self) -> dict:
        """Extra keys for a functional unit other than a text response (absent otherwise, so
        the response contract stays as documented): per_response is then per unit."""
        if self.functional_unit == "response":
            return {}
        per_1000 = {
            k: {i: 1000.0 * float(self.per_response.loc[k, i]) for i in INDICATORS}
            for k in ("marginal", "allocated")
        }
        return {
            "functional_unit": self.functional_unit,
            "units_served": self.responses,
            f"per_1000_{self.functional_unit}s": per_1000,
        }


def parse_share(text: str) -> tuple[str, float]:
    """'85.5 %' -> ('=', 85.5); '<1 %' -> ('<', 1.0)."""
    match = re.fullmatch(r"\s*(<|>)?\s*([0-9.eE+-]+)\s*%?\s*", str(text))
    if not match:
        raise ValueError(f"cannot read share {text!r}; write it like '85.5 %' or '<1 %'")
    return (match.group(1) or "="), float(match.group(2))


def _share_texts(p: PublishedFigures | None) -> dict:
    if p is None:
        return {}
    return {
        s: {i: str(v).replace(" ", "") for i, v in by.items()} for s, by in p.stage_shares.items()
    }


