"""Targets of a calibration: published or measured figures, each with its own uncertainty, and
the likelihood of a computed value given the figure.

A target is a :class:`~lca.resolve.PublishedValue` (read and checked with the inventory's
published figures): an absolute value or a share of the life-cycle total, exact ("=") or a
bound ("<1 %"), with the half-width of its uncertainty (a rounded total: half its last
digit; a share stated to 0.5 point: 0.5 point...). The likelihood works on the log scale,
so that a 10 % miss weighs the same on 20 kt as on 1 g:

- "=": ln(computed / published) ~ Normal(0, s), s^2 = (h / 1.96 / published)^2 + d^2, where
  h is the stated half-width (read as a 95 % half-width; the standard deviation of a rounding
  interval, h / sqrt(3), is within 12 % of h / 1.96) and d the model discrepancy (Kennedy and
  O'Hagan 2001): how far this inventory's structure may sit from the study's, as a relative
  standard deviation;
- "<" b (or ">" b): the probability that the computed value lies below (above) b, with the
  same log-normal spread d: Phi(ln(b / computed) / d).

Per target the prior- and posterior-predictive probabilities (Box 1980) are exact mixtures of
these normals over the draws, not noisy counts: F(obs) = mean Phi((ln obs - ln c_i) / s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from lca.boundary import Split
from lca.calibrate.spec import figure_label
from lca.resolve import PublishedValue
from lca.schema import INDICATOR_UNITS

Z95 = 1.959964


@dataclass(frozen=True)
class Target:
    """One figure a calibration is fitted on."""

    label: str  # "total gwp", "marginal per unit water", "hardware-manufacturing adp"
    scope: str
    per_unit: bool
    indicator: str
    op: str  # "=", "<", ">"
    value: float  # in the indicator's unit, or percent for a share
    share: bool
    half_width: float | None
    discrepancy: float
    text: str
    source: str
    unit_scale: float = 1.0  # per-unit figures: published tokens per response / ours

    @property
    def unit(self) -> str:
        return "%" if self.share else INDICATOR_UNITS[self.indicator]

    @property
    def sigma(self) -> float:
        """Standard deviation of ln(computed / published) for an "=" figure; the edge width
        of a bound."""
        if self.op != "=":
            return self.discrepancy
        own = (self.half_width or 0.0) / Z95 / abs(self.value) if self.value else 0.0
        return float(np.hypot(own, self.discrepancy))

    def with_scope(self, scope: str) -> Target:
        return Target(f"{self.label} [as {scope}]", scope, self.per_unit, self.indicator,
                      self.op, self.value, self.share, self.half_width, self.discrepancy,
                      self.text, self.source, self.unit_scale)


def target_label(figure: PublishedValue) -> str:
    return figure_label(figure)


def from_published(figure: PublishedValue, discrepancy: float, unit_scale: float) -> Target:
    if figure.share is not None:
        op, value = figure.share
        share = True
    else:
        op, value, share = "=", float(figure.value), False
    return Target(target_label(figure), figure.scope, figure.per_unit, figure.indicator, op,
                  float(value), share, figure.uncertainty, discrepancy, figure.text,
                  figure.source, unit_scale if figure.per_unit else 1.0)


def computed(targets: list[Target], split: Split, indicators: tuple[str, ...]) -> np.ndarray:
    """(n, T): each target's computed value for every iteration of ``split``."""
    n = split.stages.shape[0]
    out = np.empty((n, len(targets)))
    totals = split.total
    scopes = {("total", False): totals}
    for j, t in enumerate(targets):
        k = indicators.index(t.indicator)
        key = (t.scope, t.per_unit)
        if key not in scopes:
            scopes[key] = split.scope(t.scope, t.per_unit)
        value = scopes[key][:, k] * t.unit_scale
        if t.share:
            with np.errstate(divide="ignore", invalid="ignore"):
                value = 100.0 * value / totals[:, k]
        out[:, j] = value
    return out


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), -np.inf)


def standardised(targets: list[Target], values: np.ndarray) -> np.ndarray:
    """(n, T): ln(computed / published) / s for "=" targets; for a bound, how far inside
    (positive) or outside (negative) it the value lies, in units of its edge width."""
    published = np.log([t.value for t in targets])
    sigma = np.array([t.sigma for t in targets])
    sign = np.array([-1.0 if t.op == "<" else 1.0 for t in targets])
    with np.errstate(invalid="ignore"):
        return (_log(values) - published) * (sign / sigma)


def log_likelihood(targets: list[Target], values: np.ndarray, z=None) -> np.ndarray:
    """(n, T): each target's log-likelihood for each iteration (``z``: the standardised
    values, when already computed)."""
    z = standardised(targets, values) if z is None else z
    equal = np.array([t.op == "=" for t in targets])
    sigma = np.array([t.sigma for t in targets])
    out = np.empty_like(z)
    with np.errstate(invalid="ignore", over="ignore"):
        out[:, equal] = -0.5 * z[:, equal] ** 2 - np.log(sigma[equal]) - 0.5 * np.log(2 * np.pi)
    bound = z[:, ~equal]
    out[:, ~equal] = special.log_ndtr(np.where(np.isnan(bound), -np.inf, bound))
    return np.where(np.isnan(out), -np.inf, out)


def predictive_cdf(targets: list[Target], values: np.ndarray, weights=None, z=None) -> np.ndarray:
    """(T,): for "=", the predictive probability that a new figure would fall below the
    published one; for a bound, the predictive probability of meeting it."""
    z = standardised(targets, values) if z is None else z
    p = np.empty(len(targets))
    for j, t in enumerate(targets):
        column = np.where(np.isnan(z[:, j]), -np.inf, z[:, j])
        prob = special.ndtr(-column) if t.op == "=" else special.ndtr(column)
        p[j] = np.average(prob, weights=weights)
    return p


def p_value(target: Target, cdf: float) -> float:
    """Two-sided predictive p-value of an "=" figure; the probability of meeting a bound."""
    if target.op == "=":
        return float(2 * min(cdf, 1 - cdf))
    return float(cdf)
