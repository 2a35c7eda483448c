"""The boundary rules of an assessment, written once.

Every row of a model's ``stages.csv`` demands an amount of one activity over the period; its
impacts (one score per indicator) are split here, by the same code whether there is one value
(``lca assess``) or one per Monte Carlo iteration:

- a row's impacts go to its life-cycle stage, to its sub-stage when it names one (a study's own
  split: final run and development runs, accelerator and host...), and to the part of the
  service it serves (development, training, inference, users);
- an indicator the study does not assess for a stage (``not_assessed``, or a stage declared
  ``excluded``, or an indicator outside ``indicators``) is *n.a.* (NaN here, null in JSON),
  never 0; totals add up the stages assessed and say which (:meth:`Split.coverage`);
- *marginal* = the rows flagged ``marginal`` (Mistral's boundary for its 1.14 g: inference with
  its share of hardware and data center, no user devices);
- *allocated* = the whole life-cycle total;
- functional units served = output tokens served / tokens per response for a text response,
  else the amount served / the functional unit ("image", "1000 token", "run"); with none
  served (``--months 0``: training only) the per-unit figures are n.a.;
- headline indicators (Mistral's proposed disclosure): the training *service* (training runs
  with their hardware and data-center share, counted once), the marginal impact per unit, and
  the inference *service* share of the life-cycle total. They are named apart from the stages
  "training" and "inference" (runs and serving electricity and water only), which are smaller;
- a published figure's scope ("total", "marginal", a stage, "stage/substage", sums with "+",
  per unit or not) is computed by :meth:`Split.scope`;
- per request (``lca allocate``): token equivalents = output tokens + the weighted other kinds
  of tokens, and the marginal and life-cycle totals are shared over the equivalents served.

Arrays are shaped ``(iterations, indicators, ...)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lca.errors import BadArgument, BadValue
from lca.schema import INDICATORS, SERVES, STAGES

MAX_MONTHS = 1200
PER_UNIT = ("marginal", "allocated")
# What the Monte Carlo summarises, per indicator: the stages, then these.
OUTPUTS = (*STAGES, "total", "per_response_marginal", "per_response_allocated")
MARGINAL, TOTAL = "marginal", "total"
HEADLINES = {
    "training_service": "Training service, absolute: the training runs plus the hardware and "
                        "data-center share of training (rows serving 'training'), counted once. "
                        "Larger than the stage 'training', which is the runs' electricity and "
                        "water only.",
    "marginal_per_unit": "Marginal impact per functional unit: the stage rows flagged marginal "
                         "(inference with its hardware and data-center share; no network, no "
                         "user devices) over the units served.",
    "inference_service_share_percent": "Inference service share of the life-cycle total: the "
                                       "rows serving inference (serving with its hardware and "
                                       "data-center share) over the total. Larger than the "
                                       "stage 'inference' share, which is serving electricity "
                                       "and water only; user devices are reported apart.",
}


@dataclass(frozen=True)
class Period:
    """The usage period and the size of a response, checked once for every command. A period
    of 0 months assesses what is counted once (training, development, construction)."""

    months: float
    tokens_per_response: int = 400

    def __post_init__(self):
        months, tokens = self.months, self.tokens_per_response
        if isinstance(months, bool) or not isinstance(months, int | float) or not (
            math.isfinite(months) and 0 <= months <= MAX_MONTHS
        ):
            raise BadArgument(f"--months must be a number of months from 0 (training only) to "
                              f"{MAX_MONTHS} (got {months})")
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0:
            raise BadArgument(f"--tokens must be a whole number above 0 (got {tokens})")
        object.__setattr__(self, "months", float(months))


def units_served(served, functional_unit: str, tokens_per_response: int, unit_size=1.0):
    """Functional units served: output tokens / tokens per response for a text response;
    otherwise the amount served over the size of one unit ("1000 token": 1000)."""
    if functional_unit == "response":
        return served / tokens_per_response
    return served / unit_size


def _divide(a, b):
    """a / b, n.a. (NaN) where b is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1.0), np.nan)


def _sum_assessed(parts: np.ndarray, axis: int) -> np.ndarray:
    """Sum of the parts that are assessed; n.a. when none is."""
    total = np.nansum(parts, axis=axis)
    return np.where(np.all(np.isnan(parts), axis=axis), np.nan, total)


@dataclass(frozen=True)
class Split:
    """One assessment split by the boundary rules; every array is (iterations, indicators, ...).
    NaN marks what the study does not assess."""

    stages: np.ndarray  # (n, k, len(STAGES))
    by_service: np.ndarray  # (n, k, len(SERVES))
    marginal: np.ndarray  # (n, k): sum of the marginal rows
    units: np.ndarray  # (n,): functional units served
    served: np.ndarray  # (n,): the amount served as the card counts it (tokens for a response)
    substages: np.ndarray | None = None  # (n, k, len(substage_labels))
    substage_labels: tuple[str, ...] = ()  # "stage/substage"

    @property
    def total(self) -> np.ndarray:
        return _sum_assessed(self.stages, axis=2)

    @property
    def shares(self) -> np.ndarray:
        """Each stage's percent of its indicator's total (n, k, stages)."""
        return 100.0 * _divide(self.stages, self.total[:, :, None])

    @property
    def per_unit_marginal(self) -> np.ndarray:
        return _divide(self.marginal, self.units[:, None])

    @property
    def per_unit_allocated(self) -> np.ndarray:
        return _divide(self.total, self.units[:, None])

    def service(self, part: str) -> np.ndarray:
        return self.by_service[:, :, SERVES.index(part)]

    def headlines(self) -> dict[str, np.ndarray]:
        """The three headline indicators, (n, k) each (see :data:`HEADLINES`)."""
        return {
            "training_service": self.service("training"),
            "marginal_per_unit": self.per_unit_marginal,
            "inference_service_share_percent": 100.0 * _divide(self.service("inference"),
                                                               self.total),
        }

    def outputs(self) -> np.ndarray:
        """(n, k, len(OUTPUTS)): the stages, total and per-unit figures, in OUTPUTS order."""
        return np.concatenate([self.stages, self.total[:, :, None],
                               self.per_unit_marginal[:, :, None],
                               self.per_unit_allocated[:, :, None]], axis=2)

    def coverage(self) -> np.ndarray:
        """(k, stages): True where the stage is assessed for the indicator."""
        return ~np.all(np.isnan(self.stages), axis=0)

    def scope(self, scope: str, per_unit: bool = False) -> np.ndarray:
        """(n, k): the computed value of a published figure's scope: "total", "marginal", a
        stage, "stage/substage", or several joined by "+"; per functional unit or not."""
        parts = [p.strip() for p in scope.split("+")]
        values = [self._part(p) for p in parts]
        value = values[0] if len(values) == 1 else _sum_assessed(np.stack(values, axis=2), 2)
        return _divide(value, self.units[:, None]) if per_unit else value

    def _part(self, part: str) -> np.ndarray:
        if part == TOTAL:
            return self.total
        if part == MARGINAL:
            return self.marginal
        if part in STAGES:
            return self.stages[:, :, STAGES.index(part)]
        if part in self.substage_labels:
            return self.substages[:, :, self.substage_labels.index(part)]
        raise BadValue(f"unknown scope {part!r}: use total, marginal, a stage "
                       f"({', '.join(STAGES)}), a sub-stage written stage/substage, or several "
                       "joined by '+'")


@dataclass(frozen=True)
class Boundary:
    """The rules of one inventory: for each stage row its stage, sub-stage, the part of the
    service it serves and whether it is marginal; which indicators each stage assesses; the
    functional unit."""

    stages: tuple[str, ...]
    serves: tuple[str, ...]
    marginal: tuple[bool, ...]
    functional_unit: str = "response"
    substages: tuple[str, ...] = ()  # per row: "" or the sub-stage name
    assessed: tuple[tuple[bool, ...], ...] = ()  # (indicators, STAGES); empty: all assessed
    indicators: tuple[str, ...] = INDICATORS
    unit_size: float = 1.0  # the amount of one functional unit ("1000 token": 1000)

    @classmethod
    def of(cls, rows, card=None, indicators: tuple[str, ...] = INDICATORS,
           unit_size: float = 1.0) -> Boundary:
        """From stage rows (anything with ``stage``, ``serves``, ``marginal`` and optionally
        ``substage``) and the model card (functional unit, indicators, exclusions)."""
        rows = list(rows)
        assessed = ()
        unit = "response"
        if card is not None:
            unit = card.functional_unit or "response"
            assessed = tuple(
                tuple(ind in card.indicators and stage not in card.excluded
                      and ind not in not_assessed(card, stage) for stage in STAGES)
                for ind in indicators)
        return cls(tuple(r.stage for r in rows), tuple(r.serves for r in rows),
                   tuple(bool(r.marginal) for r in rows), unit,
                   tuple(getattr(r, "substage", "") or "" for r in rows), assessed,
                   tuple(indicators), unit_size)

    @classmethod
    def of_model(cls, resolved, indicators: tuple[str, ...] = INDICATORS) -> Boundary:
        """The rules of a resolved model (:class:`lca.resolve.ResolvedModel`)."""
        return cls.of([s.row for s in resolved.stages], resolved.inventory.card, indicators,
                      resolved.unit_size)

    @property
    def substage_labels(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f"{st}/{sub}" for st, sub in zip(self.stages, self.substages,
                                                                      strict=True) if sub))

    def _membership(self, names: tuple[str, ...], labels: tuple[str, ...]) -> np.ndarray:
        matrix = np.zeros((len(names), len(labels)))
        for i, name in enumerate(names):
            if name in labels:
                matrix[i, labels.index(name)] = 1.0
        return matrix

    def row_assessed(self) -> np.ndarray:
        """(k, rows): whether each row's score counts for each indicator."""
        if not self.assessed:
            return np.ones((len(self.indicators), len(self.stages)), dtype=bool)
        table = np.array(self.assessed, dtype=bool)
        return table[:, [STAGES.index(s) for s in self.stages]]

    def split(self, row_scores: np.ndarray, served, period: Period) -> Split:
        """``row_scores`` (n, k, rows): each row's score per indicator; ``served``: the amount
        served over the period (n,) or a number, in tokens for a response."""
        scores = np.where(self.row_assessed()[None], np.asarray(row_scores, dtype=float), 0.0)
        n = scores.shape[0]
        served = np.broadcast_to(np.asarray(served, dtype=float), (n,))
        units = units_served(served, self.functional_unit, period.tokens_per_response,
                             self.unit_size)
        stages = scores @ self._membership(self.stages, STAGES)
        if self.assessed:
            stages = np.where(np.array(self.assessed, dtype=bool)[None], stages, np.nan)
        by_service = scores @ self._membership(self.serves, SERVES)
        marginal = scores @ np.asarray(self.marginal, dtype=float)
        if self.assessed:
            none = ~np.array(self.assessed, dtype=bool).any(axis=1)  # indicator not assessed
            by_service = np.where(none[None, :, None], np.nan, by_service)
            marginal = np.where(none[None, :], np.nan, marginal)
        labels = self.substage_labels
        substages = None
        if labels:
            rows = tuple(f"{st}/{sub}" if sub else "" for st, sub in zip(self.stages,
                                                                        self.substages,
                                                                        strict=True))
            substages = scores @ self._membership(rows, labels)
            if self.assessed:
                table = np.array(self.assessed, dtype=bool)
                cols = [STAGES.index(label.split("/")[0]) for label in labels]
                substages = np.where(table[None][:, :, cols], substages, np.nan)
        return Split(stages, by_service, marginal, np.asarray(units, dtype=float), served,
                     substages, labels)


def not_assessed(card, stage: str) -> set[str]:
    """The indicators a model card declares not assessed for ``stage`` ("water, adp")."""
    return {part.strip() for part in card.not_assessed.get(stage, "").split(",") if part.strip()}


def token_equivalents(output_tokens, input_tokens, input_weight, reasoning_tokens=0.0,
                      reasoning_weight=1.0, cached_tokens=0.0, cached_weight=0.0):
    """Output tokens plus each other kind of token times its weight (the energy of one such
    token as a share of one output token's)."""
    return (output_tokens + input_weight * input_tokens + reasoning_weight * reasoning_tokens
            + cached_weight * cached_tokens)


def rates_per_token_equivalent(split: Split, equivalents: float) -> dict:
    """{"marginal" | "allocated": (k,) impacts per output-token equivalent} of a one-value
    split: its marginal and life-cycle totals shared over the equivalents served."""
    return {"marginal": split.marginal[0] / equivalents,
            "allocated": split.total[0] / equivalents}


__all__ = ["Boundary", "HEADLINES", "INDICATORS", "OUTPUTS", "PER_UNIT", "Period", "Split",
           "rates_per_token_equivalent", "token_equivalents", "units_served"]
