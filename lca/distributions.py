"""Distributions on parameters: the text people write, the checks done when the inventory is
loaded (not when sampling starts, where bw2calc would first complain), and pedigree defaults.

Written in parameters.csv, column ``uncertainty``, around the parameter's ``value``:

- ``lognormal(gsd=1.5)``: median = value, geometric standard deviation 1.5; or
  ``lognormal(p5=0.4, p95=0.9)``, as studies often give it: the value must then be the median,
  sqrt(p5 x p95); or ``lognormal(median=9e12 token, gsd=1.63)``: a median of its own, for a
  prior from public evidence on a parameter whose value was calibrated (see
  :mod:`lca.calibrate`);
- ``exponential``: median = value (the mean is value / ln 2), as studies give a
  length such as output tokens per query;
- ``normal(sd=0.1 kWh)``: mean = value;
- ``uniform(min=1.1, max=1.4)``: value must lie between the bounds;
- ``triangular(min=164 kg CO2e/GPU, mode=273 kg CO2e/GPU, max=575 kg CO2e/GPU)``: mode
  defaults to value;
- ``fixed``: a definition or an exact count, not sampled.

A literal parameter with no distribution gets a lognormal from its pedigree score (column
``pedigree``, "reliability, completeness, temporal, geographical, further technological", 1-5
each), or from a default score for its ``kind``; :func:`parameter_distributions` says which.
Formula parameters are never sampled: they follow the parameters they use.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field

import numpy as np

from lca.errors import BadValue, Problems
from lca.units import quantity, split_number_unit

# Ecoinvent v3 pedigree matrix: variances of ln(x) added for scores 1..5 of each indicator
# (Weidema B.P. et al. 2013, Overview and methodology. Data quality guideline for the
# ecoinvent database version 3.0, ecoinvent report 1(v3), St. Gallen, table 10.5). A cross
# check: score 2 on "further technological correlation", 0.0006, is the 1.05 = exp(2 sqrt
# 0.0006) factor of openLCA's "ecoinvent Data Quality System".
PEDIGREE_INDICATORS = (
    "reliability",
    "completeness",
    "temporal correlation",
    "geographical correlation",
    "further technological correlation",
)
PEDIGREE_VARIANCES = {
    "reliability": (0.0, 0.0006, 0.002, 0.008, 0.04),
    "completeness": (0.0, 0.0001, 0.0006, 0.002, 0.008),
    "temporal correlation": (0.0, 0.0002, 0.002, 0.008, 0.04),
    "geographical correlation": (0.0, 0.000025, 0.0001, 0.0006, 0.002),
    "further technological correlation": (0.0, 0.0006, 0.008, 0.04, 0.12),
}
# Basic uncertainty (variance of ln x) before pedigree: ecoinvent's value for demands of
# energy, semi-finished products and services (Weidema et al. 2013, table 10.4).
BASIC_VARIANCE = 0.0006

# Default pedigree scores for a parameter that declares none, by how it was obtained. A
# judgement of this engine, stated so it can be argued with: a sourced figure is a verified
# calculation by others (2), fairly complete (2), a few years old (2), often from another
# region (2) and a neighbouring technology (3); an assumption is a documented estimate (4) on
# weak grounds (4, 3, 3, 4); a calibrated value is fitted to published results (3) that
# cover the model itself (1, 1, 1) through a simplified graph (3).
DEFAULT_PEDIGREE = {
    "measured": (1, 2, 1, 1, 2),
    "sourced": (2, 2, 2, 2, 3),
    "modeled": (3, 2, 2, 2, 3),
    "calibrated": (3, 2, 1, 1, 3),
    "assumed": (4, 4, 3, 3, 4),
}

FAMILIES = ("lognormal", "normal", "uniform", "triangular", "exponential", "fixed")
# A lognormal given by its 5th and 95th percentiles: sigma = ln(p95 / p5) / (2 z95).
Z95 = statistics.NormalDist().inv_cdf(0.95)
_ARGUMENTS = {
    "lognormal": (set(), {"gsd", "p5", "p95", "median"}),
    "exponential": (set(), set()),
    "normal": ({"sd"}, set()),
    "uniform": ({"min", "max"}, set()),
    "triangular": ({"min", "max"}, {"mode"}),
    "fixed": (set(), set()),
}
_CALL = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*$", re.S)


@dataclass(frozen=True)
class Distribution:
    """One parameter's distribution, every number in the unit of its value (``unit``)."""

    name: str
    family: str  # one of FAMILIES
    value: float
    unit: str
    args: dict = field(default_factory=dict)  # gsd | sd | min, mode, max
    is_default: bool = False
    basis: str = ""  # where it comes from, for the report
    source: str = ""
    quantity_unit: str = ""  # the Pint unit the samples are in ("" when dimensionless)

    def sample(self, rng, n: int):
        """``n`` draws (numpy array, in ``unit``) from the generator ``rng``."""
        a = self.args
        if self.family == "lognormal":
            return rng.lognormal(math.log(self.centre), math.log(a["gsd"]), n)
        if self.family == "normal":
            return rng.normal(self.value, a["sd"], n)
        if self.family == "uniform":
            return rng.uniform(a["min"], a["max"], n)
        if self.family == "triangular":
            return rng.triangular(a["min"], a["mode"], a["max"], n)
        if self.family == "exponential":
            return rng.exponential(self.value / math.log(2), n)
        return np.full(n, self.value)

    @property
    def centre(self) -> float:
        """The median of a lognormal (its own, or the value), the mean of a normal."""
        return self.args.get("median", self.value)

    @property
    def sampled(self) -> bool:
        return self.family != "fixed"

    def describe(self) -> str:
        """Readable text, as it would be written in parameters.csv."""
        u = f" {self.unit}" if self.unit else ""
        a = self.args
        if self.family == "lognormal" and "p5" in a:
            return f"lognormal(p5={a['p5']:.4g}{u}, p95={a['p95']:.4g}{u})"
        if self.family == "lognormal":
            if "median" in a:
                return f"lognormal(median={a['median']:.4g}{u}, gsd={a['gsd']:.4g})"
            return f"lognormal(gsd={a['gsd']:.4g})"
        if self.family == "normal":
            return f"normal(sd={a['sd']:.4g}{u})"
        if self.family == "uniform":
            return f"uniform(min={a['min']:.4g}{u}, max={a['max']:.4g}{u})"
        if self.family == "triangular":
            return (f"triangular(min={a['min']:.4g}{u}, mode={a['mode']:.4g}{u}, "
                    f"max={a['max']:.4g}{u})")
        if self.family == "exponential":
            return "exponential"
        return "fixed"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "distribution": self.describe(),
            "family": self.family,
            "value": self.value,
            "unit": self.unit,
            "args": dict(self.args),
            "is_default": self.is_default,
            "basis": self.basis,
            "source": self.source,
        }


def pedigree_gsd(scores: tuple[int, ...], basic_variance: float = BASIC_VARIANCE) -> float:
    """Geometric standard deviation from pedigree scores (ecoinvent v3 rule: variances of
    ln x add up, basic uncertainty included)."""
    variance = basic_variance + sum(
        PEDIGREE_VARIANCES[ind][s - 1] for ind, s in zip(PEDIGREE_INDICATORS, scores, strict=True)
    )
    return math.exp(math.sqrt(variance))


def parse_pedigree(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    if len(parts) != 5 or not all(p.isdigit() and 1 <= int(p) <= 5 for p in parts):
        raise BadValue(
            f"pedigree {text!r}: write five scores from 1 to 5 (reliability, completeness, "
            "temporal, geographical, further technological correlation), e.g. '2,3,1,2,4'"
        )
    return tuple(int(p) for p in parts)


def parse_distribution(name: str, text: str, value_q, source: str = "",
                       value_text: str = "") -> Distribution:
    """Read ``text`` against the parameter's value (a Pint quantity); every check on bounds
    and units happens here, so a bad distribution is reported when the inventory is read."""
    family, raw = _read_call(text)
    unit = _display_unit(value_text, value_q)
    value = float(value_q.magnitude) if not value_q.dimensionless else _plain(value_q)
    args = {key: _argument_value(family, key, val, value_q) for key, val in raw.items()}
    _FAMILY_CHECKS[family](family, args, value, unit)
    return Distribution(name, family, value, unit, args, False, "written in parameters.csv", source,
                        _pint_unit(value_q))


def _read_call(text: str) -> tuple[str, dict[str, str]]:
    """The family and its arguments as written (``name=value`` texts), checked against
    the arguments the family takes."""
    match = _CALL.match(str(text))
    if not match:
        raise BadValue(f"cannot read {text!r}; write e.g. 'lognormal(gsd=1.5)' or "
                       "'uniform(min=1.1, max=1.4)'")
    family = match.group(1).lower()
    if family not in FAMILIES:
        raise BadValue(f"unknown distribution {family!r}; use one of {', '.join(FAMILIES)}")
    required, optional = _ARGUMENTS[family]
    raw = {}
    body = (match.group(2) or "").strip()
    for part in filter(None, (p.strip() for p in body.split(","))):
        key, val = _read_argument(family, part, required | optional)
        raw[key] = val
    missing = required - set(raw)
    if missing:
        raise BadValue(f"{family}: missing {', '.join(sorted(missing))}")
    return family, raw


def _read_argument(family: str, part: str, allowed: set) -> tuple[str, str]:
    """One ``name=value`` argument, its name one the family takes."""
    if "=" not in part:
        raise BadValue(f"{family}: write each argument as name=value (got {part!r})")
    key, val = (s.strip() for s in part.split("=", 1))
    if key not in allowed:
        raise BadValue(f"{family}: unknown argument {key!r}; expected "
                       f"{', '.join(sorted(allowed)) or 'none'}")
    return key, val


def _argument_value(family: str, key: str, text: str, value_q) -> float:
    """An argument as a number: gsd is a plain factor, the others are in the value's unit."""
    if key == "gsd":
        return _number(text, "gsd")
    return _same_unit(text, value_q, f"{family} {key}")


def _check_lognormal(_family: str, args: dict, value: float, unit: str) -> None:
    """A lognormal spreads a positive median by a factor above 1; given by its 5th and 95th
    percentiles, its median is their geometric mean, which the value must be."""
    if "p5" in args or "p95" in args:
        _gsd_from_percentiles(args, value, unit)
    elif "gsd" not in args:
        raise BadValue("lognormal: write gsd=..., or p5=... and p95=...")
    if not args["gsd"] > 1:
        raise BadValue(f"lognormal gsd must be above 1 (got {args['gsd']:g}); write 'fixed' "
                       "for a value without uncertainty")
    if not value > 0:
        raise BadValue(f"a lognormal needs a value above 0 (value is {value:g})")
    if not args.get("median", 1.0) > 0:
        raise BadValue(f"a lognormal needs a median above 0 (got {args['median']:g})")


def _gsd_from_percentiles(args: dict, value: float, unit: str) -> None:
    """Complete ``args`` with the gsd of a lognormal of given 5th and 95th percentiles."""
    if "gsd" in args or not {"p5", "p95"} <= set(args):
        raise BadValue("lognormal: write gsd=..., or both p5=... and p95=... (not both forms)")
    p5, p95 = args["p5"], args["p95"]
    if not 0 < p5 < p95:
        raise BadValue(f"lognormal: need 0 < p5 < p95 (got p5={p5:g}, p95={p95:g})")
    median = math.sqrt(p5 * p95)
    value = args.get("median", value)
    if not math.isclose(value, median, rel_tol=1e-3):
        shown = f"{median:.6g} {unit}".strip()
        raise BadValue(f"lognormal(p5={p5:g}, p95={p95:g}) has the median sqrt(p5 x p95) = "
                       f"{shown}; write that as the value (got {value:g})")
    args["gsd"] = math.exp(math.log(p95 / p5) / (2 * Z95))


def _check_exponential(_family: str, _args: dict, value: float, _unit: str) -> None:
    """An exponential needs a positive median."""
    if not value > 0:
        raise BadValue(f"an exponential needs a value (its median) above 0 (value is {value:g})")


def _check_normal(_family: str, args: dict, _value: float, _unit: str) -> None:
    """A normal needs a positive spread."""
    if not args["sd"] > 0:
        raise BadValue(f"normal sd must be above 0 (got {args['sd']:g})")


def _check_bounds(family: str, args: dict, value: float, unit: str) -> None:
    """Bounds in order, and the value between them (it is the one the static result uses)."""
    lo, hi = args["min"], args["max"]
    if not lo < hi:
        raise BadValue(f"{family}: min ({lo:g}) must be below max ({hi:g})")
    if not lo <= value <= hi:
        raise BadValue(f"{family}: the value {value:g} {unit} lies outside "
                       f"[{lo:g}, {hi:g}] {unit}".rstrip())


def _check_triangular(family: str, args: dict, value: float, unit: str) -> None:
    """The bounds, then the mode (the value when not written) between them."""
    _check_bounds(family, args, value, unit)
    lo, hi = args["min"], args["max"]
    mode = args.setdefault("mode", value)
    if not lo <= mode <= hi:
        raise BadValue(f"triangular: mode {mode:g} lies outside [{lo:g}, {hi:g}]")


def _check_nothing(_family: str, _args: dict, _value: float, _unit: str) -> None:
    """A fixed value has no arguments to check."""


# The checks of each family, once its arguments are numbers (they may complete ``args``).
_FAMILY_CHECKS = {
    "lognormal": _check_lognormal,
    "normal": _check_normal,
    "uniform": _check_bounds,
    "triangular": _check_triangular,
    "exponential": _check_exponential,
    "fixed": _check_nothing,
}


def default_distribution(name: str, kind: str, value_q, pedigree: tuple[int, ...] | None,
                         value_text: str = ""):
    """A lognormal from the parameter's pedigree score, or from its kind's default score."""
    unit = _display_unit(value_text, value_q)
    value = float(value_q.magnitude) if not value_q.dimensionless else _plain(value_q)
    scores = pedigree or DEFAULT_PEDIGREE[kind]
    origin = (f"pedigree {','.join(map(str, scores))} (written)" if pedigree else
              f"default pedigree {','.join(map(str, scores))} for kind '{kind}'")
    if not value > 0:
        return Distribution(name, "fixed", value, unit, {}, True,
                            f"{origin}: not sampled, a lognormal needs a value above 0",
                            "", _pint_unit(value_q))
    gsd = pedigree_gsd(scores)
    return Distribution(name, "lognormal", value, unit, {"gsd": gsd}, True,
                        f"{origin}, ecoinvent v3 pedigree matrix (Weidema et al. 2013)",
                        "Weidema et al. 2013, ecoinvent data quality guideline v3, pedigree matrix",
                        _pint_unit(value_q))


def check_parameters(inventory, values: dict, formula_names: set, problems: Problems) -> dict:
    """Load-time checks of every ``uncertainty`` and ``pedigree`` cell; returns the
    distribution of each literal parameter (name -> Distribution)."""
    out = {}
    for p in inventory.parameters:
        text = (p.uncertainty or "").strip()
        ped_text = (p.pedigree or "").strip()
        if p.name in formula_names:
            if text or ped_text:
                column = "uncertainty" if text else "pedigree"
                problems.add(p.at(column), f"{p.name} is a formula: it takes its uncertainty "
                                           "from the parameters it uses; put it on those")
            continue
        if p.name not in values:
            continue  # its value is already reported as a problem
        pedigree = None
        if ped_text:
            try:
                pedigree = parse_pedigree(ped_text)
            except BadValue as exc:
                problems.add(p.at("pedigree"), str(exc))
                continue
        if text:
            if not (p.uncertainty_source or "").strip() and text.lower() != "fixed":
                problems.add(p.at("uncertainty_source"),
                             f"the distribution of {p.name} needs its source")
            try:
                out[p.name] = parse_distribution(p.name, text, values[p.name],
                                                 (p.uncertainty_source or "").strip(), p.value)
            except BadValue as exc:
                problems.add(p.at("uncertainty"), str(exc))
        else:
            try:
                out[p.name] = default_distribution(p.name, p.kind, values[p.name], pedigree,
                                                   p.value)
            except Exception as exc:  # an unusual unit must not stop a static assessment
                out[p.name] = Distribution(p.name, "fixed", 0.0, "", {}, True,
                                           f"not sampled: no default for this value ({exc})")
    return out


def parameter_distributions(resolved) -> list[Distribution]:
    """Each literal parameter's distribution, in inventory order, with ``is_default`` saying
    whether it came from a pedigree default rather than a written distribution (for the
    report). ``resolved``: a :class:`~lca.resolve.ResolvedModel`."""
    return list(resolved.distributions.values())


def sampled(resolved) -> list[Distribution]:
    """The distributions that are sampled, in inventory order (the draw order)."""
    return [d for d in resolved.distributions.values() if d.sampled]


def _display_unit(value_text: str, value_q) -> str:
    """The unit as the inventory writes it ("kg CO2e/GPU"), else Pint's short form."""
    if value_q.dimensionless:
        return ""
    split = split_number_unit(value_text or "")
    if split and split[1]:
        return split[1]
    return f"{value_q.units:~}"


def _number(text: str, what: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise BadValue(f"{what} must be a plain number (got {text!r})") from None
    if not math.isfinite(x):
        raise BadValue(f"{what} must be finite (got {text!r})")
    return x


def _plain(q) -> float:
    return float(q.to("dimensionless").magnitude)


def _same_unit(text: str, value_q, what: str) -> float:
    """``text`` as a number in the unit of ``value_q`` (a bare number only for a
    dimensionless value, so that a forgotten unit is an error, not a silent scale)."""
    q = quantity(text)
    if value_q.dimensionless:
        if not q.dimensionless:
            raise BadValue(f"{what}: the value is dimensionless, got {q.units:~}")
        return _plain(q)
    if q.dimensionless:
        raise BadValue(f"{what}: give a unit, like the value ({value_q.units:~})")
    if q.dimensionality != value_q.dimensionality:
        raise BadValue(f"{what}: expected the dimension of {value_q.units:~}, got {q.units:~}")
    return float(q.to(value_q.units).magnitude)


def _pint_unit(value_q) -> str:
    """The unit of the samples: the value's own, or none once converted to a plain number."""
    return "" if value_q.dimensionless else str(value_q.units)
