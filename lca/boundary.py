"""The boundary rules of an assessment, written once.

Every row of a model's ``stages.csv`` demands an amount of one activity over the period; its
impacts (one score per indicator) are split here, by the same code whether there is one value
(``lca assess``) or one per Monte Carlo iteration:

- a row's impacts go to its life-cycle stage and to the part of the service it serves
  (development, training, inference, users);
- *marginal* = the rows flagged ``marginal`` (Mistral's boundary for its 1.14 g: inference with
  its share of hardware and data center, no user devices);
- *allocated* = the whole life-cycle total;
- functional units served = output tokens served / tokens per response for a text response,
  else the units the model card counts (images...); per-unit figures divide by it;
- headline indicators (Mistral's proposed disclosure): the training *service* (training runs
  with their hardware and data-center share, counted once), the marginal impact per unit, and
  the inference *service* share of the life-cycle total. They are named apart from the stages
  "training" and "inference" (runs and serving electricity and water only), which are smaller;
- per request (``lca allocate``): token equivalents = output tokens + w x input tokens, and the
  marginal and life-cycle totals are shared over the equivalents served.

Arrays are shaped ``(iterations, indicators, ...)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lca.errors import BadArgument
from lca.schema import INDICATORS, SERVES, STAGES

MAX_MONTHS = 1200
PER_UNIT = ("marginal", "allocated")
# What the Monte Carlo summarises, per indicator: the stages, then these.
OUTPUTS = (*STAGES, "total", "per_response_marginal", "per_response_allocated")
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
    """The usage period and the size of a response, checked once for every command."""

    months: float
    tokens_per_response: int = 400

    def __post_init__(self):
        months, tokens = self.months, self.tokens_per_response
        if isinstance(months, bool) or not isinstance(months, int | float) or not (
            math.isfinite(months) and 0 < months <= MAX_MONTHS
        ):
            raise BadArgument(f"--months must be a number of months above 0 and at most "
                              f"{MAX_MONTHS} (got {months})")
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0:
            raise BadArgument(f"--tokens must be a whole number above 0 (got {tokens})")
        object.__setattr__(self, "months", float(months))


def units_served(served, functional_unit: str, tokens_per_response: int):
    """Functional units served: output tokens / tokens per response for a text response;
    otherwise ``served`` already counts the units (images, inferences)."""
    if functional_unit == "response":
        return served / tokens_per_response
    return served


@dataclass(frozen=True)
class Split:
    """One assessment split by the boundary rules; every array is (iterations, indicators, ...)."""

    stages: np.ndarray  # (n, k, len(STAGES))
    by_service: np.ndarray  # (n, k, len(SERVES))
    marginal: np.ndarray  # (n, k): sum of the marginal rows
    units: np.ndarray  # (n,): functional units served
    served: np.ndarray  # (n,): the amount served as the card counts it (tokens for a response)

    @property
    def total(self) -> np.ndarray:
        return self.stages.sum(axis=2)

    @property
    def per_unit_marginal(self) -> np.ndarray:
        return self.marginal / self.units[:, None]

    @property
    def per_unit_allocated(self) -> np.ndarray:
        return self.total / self.units[:, None]

    def service(self, part: str) -> np.ndarray:
        return self.by_service[:, :, SERVES.index(part)]

    def headlines(self) -> dict[str, np.ndarray]:
        """The three headline indicators, (n, k) each (see :data:`HEADLINES`)."""
        total = self.total
        inference = self.service("inference")
        share = np.divide(100.0 * inference, total, out=np.zeros_like(total), where=total != 0)
        return {
            "training_service": self.service("training"),
            "marginal_per_unit": self.per_unit_marginal,
            "inference_service_share_percent": share,
        }

    def outputs(self) -> np.ndarray:
        """(n, k, len(OUTPUTS)): the stages, total and per-unit figures, in OUTPUTS order."""
        return np.concatenate([self.stages, self.total[:, :, None],
                               self.per_unit_marginal[:, :, None],
                               self.per_unit_allocated[:, :, None]], axis=2)


@dataclass(frozen=True)
class Boundary:
    """The rules of one inventory: for each stage row, its stage, the part of the service it
    serves and whether it is marginal."""

    stages: tuple[str, ...]
    serves: tuple[str, ...]
    marginal: tuple[bool, ...]
    functional_unit: str = "response"

    @classmethod
    def of(cls, rows, functional_unit: str = "response") -> Boundary:
        """From stage rows (anything with ``stage``, ``serves`` and ``marginal``)."""
        rows = list(rows)
        return cls(tuple(r.stage for r in rows), tuple(r.serves for r in rows),
                   tuple(bool(r.marginal) for r in rows), functional_unit or "response")

    def _membership(self, names: tuple[str, ...], labels: tuple[str, ...]) -> np.ndarray:
        matrix = np.zeros((len(names), len(labels)))
        for i, name in enumerate(names):
            matrix[i, labels.index(name)] = 1.0
        return matrix

    def split(self, row_scores: np.ndarray, served, period: Period) -> Split:
        """``row_scores`` (n, k, rows): each row's score per indicator; ``served``: the amount
        served over the period (n,) or a number, in tokens for a response."""
        scores = np.asarray(row_scores, dtype=float)
        n = scores.shape[0]
        served = np.broadcast_to(np.asarray(served, dtype=float), (n,))
        units = units_served(served, self.functional_unit, period.tokens_per_response)
        stages = scores @ self._membership(self.stages, STAGES)
        by_service = scores @ self._membership(self.serves, SERVES)
        marginal = scores @ np.asarray(self.marginal, dtype=float)
        return Split(stages, by_service, marginal, np.asarray(units, dtype=float), served)


def token_equivalents(output_tokens, input_tokens, input_weight: float):
    """Output tokens plus ``input_weight`` x input tokens (prefill counted in output tokens)."""
    return output_tokens + input_weight * input_tokens


def rates_per_token_equivalent(split: Split, served_output_tokens: float,
                               served_input_tokens: float, input_weight: float) -> dict:
    """{"marginal" | "allocated": (k,) impacts per output-token equivalent} of a one-value
    split: its marginal and life-cycle totals shared over the equivalents served."""
    equivalents = token_equivalents(served_output_tokens, served_input_tokens, input_weight)
    return {"marginal": split.marginal[0] / equivalents,
            "allocated": split.total[0] / equivalents}


__all__ = ["Boundary", "HEADLINES", "INDICATORS", "OUTPUTS", "PER_UNIT", "Period", "Split",
           "rates_per_token_equivalent", "token_equivalents", "units_served"]
