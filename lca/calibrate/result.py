"""What a calibration gives: per parameter its prior and posterior (2.5, 50, 97.5
percentiles) and the value shipped (the posterior mode); per target the residual; and the
tension, in sentences with numbers: targets the priors cannot reach, parameters pushed
beyond their prior's 95 % interval, figures still missed. One dict (:meth:`to_dict`) is the
JSON of ``lca calibrate --format json``, of ``calibration.json`` and of the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lca.display import fmt, fmt_percent, fmt_response, fmt_total, stored
from lca.units import quantity

# A prior-predictive probability below this: the priors cannot reach the figure.
UNREACHABLE_P = 0.01
# A standardised residual beyond this at the shipped values: the figure is missed.
MISSED_Z = 2.0


def format_number(value: float, digits: int) -> str:
    """``digits`` significant digits, as an inventory writes numbers: 3.15e7, 0.0235, 52."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    return text


def compact(value) -> str:
    """Three significant digits for tables, powers of ten written short (1.31e13)."""
    if value is None or not math.isfinite(float(value)):
        return "n.a."
    value = float(value)
    if value != 0 and not 1e-3 <= abs(value) < 1e5:
        return format_number(value, 3)
    return fmt(value)


def format_value(value: float, unit: str, digits: int, quantity_unit: str = "") -> str:
    """A parameter value as written in parameters.csv: the number in the written unit."""
    if unit and quantity_unit:  # "1 kWh/(1000*image)": a unit with a factor is read as text
        value = float((quantity(value, quantity_unit) / quantity(f"1 {unit}")).to(
            "dimensionless").magnitude)
    return f"{format_number(value, digits)} {unit}".strip()


def num(value) -> float | None:
    """A number for JSON: six significant digits; None for n.a., NaN or an infinity."""
    if value is None or not math.isfinite(float(value)):
        return None
    return stored(value)


def _q(values) -> list:
    return [num(v) for v in values]


@dataclass
class Posterior:
    x: np.ndarray
    loglik: np.ndarray
    values: dict
    computed: np.ndarray
    watched: np.ndarray
    mode: dict
    mode_computed: np.ndarray
    mode_watched: np.ndarray
    mode_log_posterior: float
    diagnostics: dict


@dataclass
class ParameterRow:
    name: str
    unit: str
    prior: str
    prior_source: str
    prior_quantiles: tuple
    posterior_quantiles: tuple
    mode: float
    shipped: str
    prior_percentile: float  # the prior's percentile at the posterior median
    z: float  # posterior mean - prior mean, in prior standard deviations (unbounded scale)
    contraction: float  # 1 - posterior variance / prior variance (unbounded scale)
    family: str = ""

    @property
    def beyond(self) -> bool:
        """The posterior median outside the prior's central 95 % (never for a uniform prior:
        it says every value of its range is as plausible as any other)."""
        return beyond_prior(self.family, self.prior_percentile)

    def statement(self) -> str:
        lo, mid, hi = self.posterior_quantiles
        plo, _, phi = self.prior_quantiles
        unit = f" {self.unit}" if self.unit else ""
        side = "below" if self.prior_percentile < 2.5 else "above"
        pct = _percentile_text(self.prior_percentile)
        return (f"{self.name}: posterior median {fmt(mid)}{unit} (95 %: {fmt(lo)} to "
                f"{fmt(hi)}) lies {side} its prior's 95 % interval ({fmt(plo)} to {fmt(phi)}"
                f"{unit}), at the prior's {pct} percentile; prior: {self.prior}")

    def to_dict(self) -> dict:
        return {"name": self.name, "unit": self.unit, "prior": self.prior,
                "prior_source": self.prior_source,
                "prior_p2_5": num(self.prior_quantiles[0]),
                "prior_p50": num(self.prior_quantiles[1]),
                "prior_p97_5": num(self.prior_quantiles[2]),
                "posterior_p2_5": num(self.posterior_quantiles[0]),
                "posterior_p50": num(self.posterior_quantiles[1]),
                "posterior_p97_5": num(self.posterior_quantiles[2]),
                "mode": num(self.mode), "shipped": self.shipped,
                "prior_percentile_of_posterior_median": num(self.prior_percentile),
                "z": num(self.z), "contraction": num(self.contraction),
                "beyond_prior_95": self.beyond}


def beyond_prior(family: str, percentile: float) -> bool:
    """Whether a value at this percentile of its prior lies outside the prior's central 95 %
    in a way that means something: not for a uniform prior, flat over its range."""
    return family != "uniform" and not (2.5 <= percentile <= 97.5)


def _percentile_text(p: float) -> str:
    if p < 0.01:
        return f"{p:.1e}th"
    if p > 99.99:
        return f"{p:.4f}th"
    return f"{p:.3g}th"


@dataclass
class TargetRow:
    label: str
    indicator: str
    unit: str
    op: str
    published: float
    text: str
    half_width: float | None
    sigma: float
    source: str
    prior_quantiles: tuple
    prior_p: float
    posterior_quantiles: tuple
    posterior_p: float
    shipped: float  # computed at the shipped values
    z: float  # standardised residual at the shipped values
    per_unit: bool = False

    @property
    def residual(self) -> float | None:
        """computed / published - 1 at the shipped values (None for a bound)."""
        return self.shipped / self.published - 1 if self.op == "=" else None

    @property
    def met(self) -> bool:
        if self.op == "=":
            return abs(self.z) <= MISSED_Z
        return self.z >= 0

    @property
    def unreachable(self) -> bool:
        return self.prior_p < UNREACHABLE_P

    def _show(self, v: float) -> str:
        if self.unit == "%":
            return fmt_percent(v)
        return fmt_response(self.indicator, v) if self.per_unit else fmt_total(self.indicator, v)

    def statement(self) -> str:
        lo, mid, hi = self.prior_quantiles
        what = "p" if self.op == "=" else "probability of meeting it"
        return (f"{self.label} = {self.text}: the priors give {self._show(mid)} (95 %: "
                f"{self._show(lo)} to {self._show(hi)}); prior-predictive {what} = "
                f"{self.prior_p:.2g}")

    def missed_statement(self) -> str:
        how = (f"{self.residual * 100:+.0f} % ({self.z:+.1f} standard deviations)"
               if self.op == "=" else f"{self._show(self.shipped)} against {self.text}")
        return f"{self.label} = {self.text}: computed {self._show(self.shipped)}, {how}"

    def to_dict(self) -> dict:
        return {"label": self.label, "indicator": self.indicator, "unit": self.unit,
                "op": self.op, "published": num(self.published), "published_text": self.text,
                "half_width": num(self.half_width), "sigma_log": num(self.sigma),
                "source": self.source,
                "prior_p2_5": num(self.prior_quantiles[0]),
                "prior_p50": num(self.prior_quantiles[1]),
                "prior_p97_5": num(self.prior_quantiles[2]),
                "prior_predictive_p": num(self.prior_p),
                "posterior_p2_5": num(self.posterior_quantiles[0]),
                "posterior_p50": num(self.posterior_quantiles[1]),
                "posterior_p97_5": num(self.posterior_quantiles[2]),
                "posterior_predictive_p": num(self.posterior_p),
                "computed_at_shipped": num(self.shipped),
                "residual": num(self.residual),
                "z": num(self.z) if self.op == "=" else None, "met": self.met,
                "unreachable_by_priors": self.unreachable}


@dataclass
class WatchRow:
    label: str
    unit: str
    prior_quantiles: tuple
    posterior_quantiles: tuple
    shipped: float

    def to_dict(self) -> dict:
        return {"label": self.label, "unit": self.unit, "prior": _q(self.prior_quantiles),
                "posterior": _q(self.posterior_quantiles), "at_shipped": num(self.shipped)}


@dataclass
class AlternativeRow:
    name: str
    description: str
    log_evidence: float
    missed: list[str]
    beyond: list[str]
    watch: list[tuple[str, str, tuple]]
    method: str

    @property
    def consistent(self) -> bool:
        """Meets every figure without any parameter beyond its prior's 95 % interval."""
        return not self.missed and not self.beyond

    @classmethod
    def from_result(cls, name: str, description: str, result: CalibrationResult):
        return cls(name, description, float(result.diagnostics["log_evidence"]),
                   [t.label for t in result.targets if not t.met],
                   [p.name for p in result.parameters if p.beyond],
                   [(w.label, w.unit, w.posterior_quantiles) for w in result.watch],
                   str(result.diagnostics.get("method", "")))

    def to_dict(self, reference: float) -> dict:
        return {"name": self.name, "description": self.description,
                "log_evidence": num(self.log_evidence),
                "log_bayes_factor_vs_primary": num(self.log_evidence - reference),
                "consistent": self.consistent, "targets_missed": self.missed,
                "parameters_beyond_prior_95": self.beyond, "method": self.method,
                "watch": [{"label": label, "unit": unit, "posterior": _q(q)}
                          for label, unit, q in self.watch]}


@dataclass
class PointRow:
    name: str
    description: str
    targets: list  # (label, computed, z)
    percentiles: list  # (parameter, value, unit, prior percentile, prior family)
    log_likelihood: float
    ops: list

    @property
    def missed(self) -> list[str]:
        return [label for (label, _, z), op in zip(self.targets, self.ops, strict=True)
                if (abs(z) > MISSED_Z if op == "=" else z < 0)]

    @property
    def beyond(self) -> list[str]:
        return [name for name, _, _, pct, family in self.percentiles
                if beyond_prior(family, pct)]

    @property
    def survives(self) -> bool:
        return not self.missed and not self.beyond

    def to_dict(self) -> dict:
        missed = set(self.missed)
        return {"name": self.name, "description": self.description,
                "log_likelihood": num(self.log_likelihood), "survives": self.survives,
                "targets_missed": self.missed,
                "parameters_beyond_prior_95": [
                    {"name": n, "value": num(v), "unit": u, "prior_percentile": num(p)}
                    for n, v, u, p, family in self.percentiles if beyond_prior(family, p)],
                "targets": [{"label": label, "computed": num(c),
                             "z": num(z) if op == "=" else None, "met": label not in missed}
                            for (label, c, z), op in zip(self.targets, self.ops, strict=True)]}


@dataclass
class LeaveOutRow:
    name: str
    targets: list[str]
    parameters: list[ParameterRow]
    left_out: list  # (label, text, predicted median, predictive p)
    log_evidence: float

    def to_dict(self) -> dict:
        return {"name": self.name, "targets": self.targets,
                "parameters_beyond_prior_95": [p.name for p in self.parameters if p.beyond],
                "parameters": [{"name": p.name, "unit": p.unit,
                                "posterior": _q(p.posterior_quantiles),
                                "prior_percentile_of_posterior_median":
                                    num(p.prior_percentile)} for p in self.parameters],
                "left_out": [{"label": label, "published_text": text,
                              "predicted_median": num(m), "predictive_p": num(p)}
                             for label, text, m, p in self.left_out]}


@dataclass
class CalibrationResult:
    model: str
    method: str
    spec: object
    months: float
    tokens_per_response: int
    seed: int
    draws: int
    particles: int
    parameters: list[ParameterRow]
    targets: list[TargetRow]
    watch: list[WatchRow]
    diagnostics: dict
    seconds: float
    points: list[PointRow] = field(default_factory=list)
    alternatives: list[AlternativeRow] = field(default_factory=list)
    leave_out: list[LeaveOutRow] = field(default_factory=list)

    def shipped_values(self) -> dict[str, str]:
        return {p.name: p.shipped for p in self.parameters}

    def tension(self) -> dict:
        """Targets the priors cannot reach, parameters pushed beyond their prior's 95 %
        interval and figures still missed at the shipped values, each as a sentence."""
        unreachable = [t for t in self.targets if t.unreachable]
        beyond = [p for p in self.parameters if p.beyond]
        missed = [t for t in self.targets if not t.met]
        sentences = [t.statement() for t in unreachable]
        sentences += [p.statement() for p in beyond]
        sentences += ["Still missed at the shipped values: " + t.missed_statement()
                      for t in missed]
        d = self.diagnostics
        if d.get("method") == "tempered SMC":
            sentences.append(
                f"Importance sampling over {d['prior_draws']:,} prior draws collapsed "
                f"(effective sample size {d['ess']:.3g}, Pareto k {d['pareto_k']:.2f}): the "
                "published figures sit in the tails of the priors; the posterior comes from "
                f"tempered SMC ({d['stages']} stages).")
        return {"unreachable_targets": [t.label for t in unreachable],
                "parameters_beyond_prior_95": [p.name for p in beyond],
                "targets_missed": [t.label for t in missed],
                "statements": sentences}

    def to_dict(self) -> dict:
        out = {"model": self.model, "method": self.method, "months": self.months,
               "tokens_per_response": self.tokens_per_response, "seed": self.seed,
               "draws": self.draws, "particles": self.particles,
               "discrepancy": getattr(self.spec, "discrepancy", None),
               "parameters": [p.to_dict() for p in self.parameters],
               "targets": [t.to_dict() for t in self.targets],
               "watch": [w.to_dict() for w in self.watch],
               "diagnostics": _diagnostics(self.diagnostics),
               "tension": self.tension() if self.method == "bayes" else None,
               "points": [p.to_dict() for p in self.points],
               "alternatives": None, "leave_out": None,
               "seconds": round(self.seconds, 2)}
        if self.alternatives:
            reference = self.alternatives[0].log_evidence
            out["alternatives"] = [a.to_dict(reference) for a in self.alternatives]
        if self.leave_out:
            out["leave_out"] = [row.to_dict() for row in self.leave_out]
        return out


def _diagnostics(d: dict) -> dict:
    out = {}
    for key, value in d.items():
        if key == "seconds_posterior":
            out[key] = round(float(value), 2)
        elif isinstance(value, list):
            out[key] = [num(v) for v in value]
        elif isinstance(value, float):
            out[key] = num(value)
        else:
            out[key] = value
    return out
