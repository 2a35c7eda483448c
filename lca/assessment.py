"""``assess`` and its result.

``assess`` prepares the model (read, check, build or find its Brightway project), solves one
demand per stage row with bw2calc, and splits the scores by the boundary rules
(:mod:`lca.boundary`) into stages, services and per-response figures. The result holds them
as tables (pandas) for notebooks, and the JSON contract the CLI prints. Values are in the
units of :data:`lca.schema.INDICATOR_UNITS`, per-response ones too; nothing here adds the
numbers up another way than the boundary split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from lca import __version__, engine, implied
from lca.boundary import PER_UNIT, Period, Split
from lca.calibrate.spec import figure_label, fitted_labels
from lca.contributions import Contributions
from lca.contributions import contributions as analyse_contributions
from lca.errors import InventoryError, Problem
from lca.schema import INDICATOR_UNITS, INDICATORS, SERVES, STAGES, PublishedFigures
from lca.text_inventory import Inventory


def assess(
    model: str | None = "large-2",
    months: float = 18,
    tokens_per_response: int = 400,
    inventory: str | Path | None = None,
    inv: Inventory | None = None,
    background: str | None = None,
    link: str | Path | None = None,
    brightway_dir: str | Path | None = None,
) -> AssessmentResult:
    """Life-cycle impacts of a model over ``months`` of use, by stage and per response.
    ``inv``: an inventory already in memory (an edited copy) instead of reading one.
    ``background`` ("PROJECT" or "PROJECT:DATABASE") and ``link`` (a TOML link file): a
    Brightway project of yours, read and never written, whose activities stand for our
    background codes (see :mod:`lca.engine.background`); ``brightway_dir``: its folder
    (default: BRIGHTWAY2_DIR, else Brightway's own default)."""
    period = Period(months, tokens_per_response)
    spec = engine.BackgroundSpec.parse(background, link, brightway_dir)
    prepared = engine.prepare(model, inventory, inv, spec)
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


def _number(value) -> float | None:
    """A float for JSON, None for n.a. (NaN)."""
    value = float(value)
    return None if np.isnan(value) else value


@dataclass
class AssessmentResult:
    model: str
    display_name: str
    months: float
    tokens_per_response: int
    served_output_tokens: float
    stages: pd.DataFrame  # index: stages; columns: indicators (NaN: not assessed)
    by_service: pd.DataFrame  # index: development, training, inference, users
    per_response: pd.DataFrame  # index: marginal, allocated (NaN when nothing is served)
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
        per_response = np.stack([split.per_unit_marginal[0], split.per_unit_allocated[0]],
                                axis=1)
        unit = inv.card.functional_unit
        return cls(
            model=inv.name,
            display_name=inv.card.display_name,
            months=period.months,
            tokens_per_response=period.tokens_per_response,
            served_output_tokens=float(split.served[0]) if unit == "response" else 0.0,
            stages=_frame(split.stages[0], STAGES, prepared.indicators),
            by_service=_frame(split.by_service[0], SERVES, prepared.indicators),
            per_response=_frame(per_response, PER_UNIT, prepared.indicators),
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
    def indicators(self) -> tuple[str, ...]:
        return tuple(self.prepared.indicators)

    @property
    def responses(self) -> float:
        """Functional units served in the period (see :func:`lca.boundary.units_served`)."""
        return self.units_served

    @property
    def total(self) -> pd.Series:
        """The life-cycle total of the stages assessed (NaN where none is)."""
        return pd.Series(self.split.total[0], index=list(self.indicators)).reindex(
            list(INDICATORS))

    @property
    def shares(self) -> pd.DataFrame:
        """Each stage's share of the life-cycle total, in percent."""
        return _frame(self.split.shares[0], STAGES, self.indicators)

    @property
    def substages(self) -> pd.DataFrame:
        """The study's own parts of stages ("training/development-runs"), when it has any."""
        labels = self.split.substage_labels
        if not labels:
            return pd.DataFrame(columns=list(INDICATORS))
        return _frame(self.split.substages[0], labels, self.indicators)

    def coverage(self) -> dict:
        """What each indicator's total covers: the stages assessed, and whether that is all."""
        covered = self.split.coverage()
        out = {}
        for k, ind in enumerate(self.indicators):
            stages = [s for j, s in enumerate(STAGES) if covered[k, j]]
            out[ind] = {"stages": stages, "complete": len(stages) == len(STAGES)}
        return out

    def contributions(self) -> Contributions:
        """Contribution analysis (:mod:`lca.contributions`): every process's and every
        elementary flow's part of each indicator, by stage and for the life cycle, as
        DataFrames (``.processes``, ``.flows``, ``.totals``; ``.top(...)`` for the largest)."""
        return analyse_contributions(self)

    def comparison(self) -> pd.DataFrame:
        """Published figures next to computed ones, numbers only: ``published`` and
        ``computed`` in the indicator's unit (percent for shares), ``ratio`` computed /
        published (NaN for a bound such as "<1 %"), ``within`` whether the computed value
        meets the published one within its stated uncertainty or bound (None when the figure
        states neither); ``role``: "fit residual" when a calibration of the inventory was
        fitted on the figure (calibration.toml), else "independent check"; the published
        text, boundary and source in their own columns."""
        figures = self.prepared.resolved.published
        fitted = fitted_labels(self.prepared.inventory.directory, figures)
        rows = [[*self._compare(figure),
                 FIT_RESIDUAL if figure_label(figure) in fitted else INDEPENDENT]
                for figure in figures]
        return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)

    def _compare(self, figure) -> list:
        k = list(self.indicators).index(figure.indicator)
        computed = float(self.split.scope(figure.scope, figure.per_unit)[0, k])
        if figure.statistic:  # a statistic of a distribution: a Monte Carlo computes it
            computed = float("nan")
        p = self.published
        if figure.per_unit and self.functional_unit == "response" and p is not None and (
                p.tokens_per_response):
            computed *= p.tokens_per_response / self.tokens_per_response
        if figure.share is not None:
            op, published = figure.share
            total = float(self.split.total[0, k])
            computed = 100.0 * computed / total if total else float("nan")
            unit = "%"
        else:
            op, published, unit = "=", figure.value, INDICATOR_UNITS[figure.indicator]
        return [figure.label, figure.indicator, unit, published, computed,
                *_agreement(op, published, computed, figure.uncertainty),
                figure.text, figure.boundary, figure.source]

    def implied(self) -> dict:
        """The physical quantities this result implies, next to public references (see
        :mod:`lca.implied`): the ``implied`` block of the JSON contract."""
        return implied.implied_dict(self)

    def published_dict(self) -> dict | None:
        """Published figures in the JSON contract's shape (absolute values in our units),
        and every figure next to its computed value (``figures``)."""
        p = self.published
        figures = self.prepared.resolved.published
        if p is None and not figures:
            return None
        absolute = [f for f in figures if f.value is not None]
        total = {f.indicator: f.value for f in absolute
                 if f.scope == "total" and not f.per_unit and not f.statistic}
        marginal = {f.indicator: f.value for f in absolute
                    if f.scope == "marginal" and f.per_unit and not f.statistic}
        shares: dict = {}
        stages: dict = {}
        for f in figures:
            if f.share is None:
                continue
            shares.setdefault(f.scope, {})[f.indicator] = f.text.replace(" ", "")
            op, value = f.share
            if op == "=" and f.indicator in total:
                stages.setdefault(f.scope, {})[f.indicator] = total[f.indicator] * value / 100.0
        stages = {s: by for s, by in stages.items() if set(by) == set(shares[s])}
        table = self.comparison()
        return {
            "source": p.source if p is not None else None,
            "months": p.months if p is not None else None,
            "tokens_per_response": p.tokens_per_response if p is not None else None,
            "total": total,
            "stages": stages,
            "stage_shares_percent": shares,
            "per_response": {"marginal": marginal},
            "figures": [{k: (_number(v) if isinstance(v, float) else v) for k, v in row.items()}
                        for row in table.to_dict(orient="records")],
        }

    def to_dict(self) -> dict:
        """The documented JSON contract of ``lca assess --format json`` (n.a.: null)."""

        def row(series) -> dict:
            return {i: _number(series[i]) for i in INDICATORS}

        out = {
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
            "coverage": self.coverage(),
            "published": self.published_dict(),
            "implied": self.implied(),
            "provenance": dict(self.provenance),
        }
        if len(self.substages):
            out["substages"] = {s: row(self.substages.loc[s]) for s in self.substages.index}
        if self.background is not None:
            out["background"] = self.background
        return out | self._functional_unit_dict()

    @property
    def background(self) -> dict | None:
        """With a linked background: the project, each link (our code, the activity, the
        unit factor, the activity's scores in the user's project per unit of our node), the
        codes left to our background, and each indicator's methods (the project's on its
        flows, ours on ours). None otherwise."""
        linked = self.prepared.manifest.get("linked") if self.prepared is not None else None
        if not linked:
            return None
        return {key: linked[key] for key in ("project", "brightway_dir", "links", "unlinked",
                                             "methods")}

    def _functional_unit_dict(self) -> dict:
        """Extra keys for a functional unit other than a text response (absent otherwise, so
        the response contract stays as documented): per_response is then per unit."""
        if self.functional_unit == "response":
            return {}
        out = {"functional_unit": self.functional_unit, "units_served": self.responses}
        if self.functional_unit.isidentifier():
            out[f"per_1000_{self.functional_unit}s"] = {
                k: {i: _number(1000.0 * self.per_response.loc[k, i]) for i in INDICATORS}
                for k in PER_UNIT
            }
        return out


COMPARISON_COLUMNS = ["figure", "indicator", "unit", "published", "computed", "ratio", "within",
                      "published_text", "boundary", "source", "role"]
FIT_RESIDUAL, INDEPENDENT = "fit residual", "independent check"


def _agreement(op: str, published: float, computed: float, half_width: float | None):
    """(ratio, within) of a computed value against a published value, bound or range."""
    if computed != computed:  # not computed here (NaN)
        return float("nan"), None
    if op == "<":
        return float("nan"), bool(computed < published)
    if op == ">":
        return float("nan"), bool(computed > published)
    ratio = computed / published if published else float("nan")
    within = None if half_width is None else bool(abs(computed - published) <= half_width)
    return ratio, within


def _frame(array, index, indicators) -> pd.DataFrame:
    """(indicators, rows) values as a DataFrame rows x INDICATORS, units in ``attrs``."""
    out = pd.DataFrame(np.asarray(array).T, index=list(index), columns=list(indicators))
    out = out.reindex(columns=list(INDICATORS))
    out.attrs["units"] = dict(INDICATOR_UNITS)
    return out
