"""The engine's one Pint registry, with the units of this domain, and strict parsing.

Inventories write every quantity with its unit ("3.2e6 GPU*h", "700 W", "45 mL"); this module
turns such text into a Pint quantity and converts it to the unit of the node it feeds. A wrong
dimension raises :class:`~lca.errors.BadValue` naming the dimension expected and the one given.
"""

from __future__ import annotations

import copyreg
import math
import re
from functools import lru_cache

import pint

from lca.errors import BadValue

# Countable things get their own dimension, so that "GPU*h" can never be mistaken for "h".
_DOMAIN_UNITS = """
token = [token] = tok = tokens
response = [response] = responses = request = requests
GPU = [gpu] = GPUs
server = [server] = servers
device = [device] = devices
run = [run] = runs
image = [image] = images
inference = [inference] = inferences
person = [person] = persons = people
CO2e = [co2_equivalent]
Sb_eq = [antimony_equivalent]
"""

# Spellings people use that Pint does not read, rewritten before parsing.
_REWRITES = [
    (re.compile(r"CO₂e|CO2[-_ ]?eq?\b"), "CO2e"),
    (re.compile(r"\bSb[-_ ]?eq\b\.?"), "Sb_eq"),
    (re.compile(r"\bkt\b"), "kilotonne"),  # Pint reads "kt" as knot
    (re.compile(r"\b(k|c|d|m)?m([23])\b"), r"\1m**\2"),
    (re.compile(r"\bGPU[- ]?(h|hr|hours?)\b"), "GPU*hour"),
    (re.compile("·"), "*"),
    (re.compile("%"), " percent"),
]


def normalise_unit_text(text: str) -> str:
    """Rewrite common spellings (m3, kg CO2-eq, kg Sb eq, GPU-h) into Pint syntax.

    One slash divides everything before it by everything after it, as people read
    "kg CO2e/kg CO2e" (Pint alone would read it as "kg CO2e / kg * CO2e").
    """
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    if text.count("/") == 1:
        numerator, denominator = text.split("/")
        if numerator.strip() and denominator.strip():
            text = f"({numerator})/({denominator})"
    return text


@lru_cache(maxsize=1)
def registry():
    """The shared registry (built on first use: defining it costs about 0.1 s)."""
    options = dict(preprocessors=[normalise_unit_text], autoconvert_offset_to_baseunit=True)
    try:  # Pint's parsed-definitions cache saves about 0.12 s per start
        ureg = pint.UnitRegistry(cache_folder=":auto:", **options)
    except Exception:
        ureg = pint.UnitRegistry(**options)
    for line in _DOMAIN_UNITS.strip().splitlines():
        ureg.define(line)
    _remember_parsed_units(ureg)
    # Quantities travel to Dask workers by pickle: rebuild them in the worker's own registry
    # (Pint alone would look for GPU, token... in its default registry).
    copyreg.pickle(ureg.Quantity, _reduce_quantity)
    copyreg.pickle(ureg.Unit, _reduce_unit)
    return ureg


def _reduce_quantity(q):
    return _rebuild_quantity, (q.magnitude, str(q.units))


def _reduce_unit(u):
    return _rebuild_unit, (str(u),)


def _rebuild_quantity(magnitude, unit_text: str):
    return registry().Quantity(magnitude, unit_text)


def _rebuild_unit(unit_text: str):
    return registry().Unit(unit_text)


def _remember_parsed_units(ureg) -> None:
    """An inventory names a handful of units thousands of times and Pint parses each anew
    (0.1 ms); a parsed unit never changes, so each text is parsed once per process."""
    parse = ureg.parse_units

    @lru_cache(maxsize=4096)
    def parse_units(input_string, as_delta=None, case_sensitive=None):
        return parse(input_string, as_delta, case_sensitive)

    ureg.parse_units = parse_units


def quantity(value, unit: str | None = None):
    """A Pint quantity from a number (dimensionless, or in ``unit``) or from text with a unit."""
    ureg = registry()
    if isinstance(value, bool):
        raise BadValue(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise BadValue(f"expected a finite number, got {value!r}")
        return ureg.Quantity(float(value), unit or "dimensionless")
    text = str(value).strip()
    if not text:
        raise BadValue("empty value")
    try:
        q = ureg.Quantity(text)
    except Exception as exc:  # pint raises several unrelated types for bad text
        raise BadValue(f"cannot read {text!r} as a quantity ({_short(exc)})") from None
    if not isinstance(q, ureg.Quantity):
        q = ureg.Quantity(q, "dimensionless")
    if not math.isfinite(float(q.magnitude)):
        raise BadValue(f"expected a finite number, got {text!r}")
    if unit:
        q = q * ureg.Quantity(1.0, unit)
    return q


# A number as the inventory writes it: sign, digits with a decimal point, optional exponent.
NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_THEN_UNIT = re.compile(rf"^\s*({NUMBER})\s*(.*?)\s*$", re.S)


def split_number_unit(text: str) -> tuple[str, str] | None:
    """'10.2 kW/server' -> ('10.2', 'kW/server'); '0.9' -> ('0.9', ''); None when the text does
    not start with a number (a formula over names, say)."""
    match = _NUMBER_THEN_UNIT.match(str(text))
    if not match:
        return None
    return match.group(1), match.group(2)


def unit(text: str):
    """A Pint unit from its text, with a clear error when the unit is unknown."""
    ureg = registry()
    text = str(text).strip()
    if not text:
        raise BadValue("empty unit")
    try:
        return ureg.Quantity(1.0, text).units
    except Exception as exc:
        raise BadValue(f"unknown unit {text!r} ({_short(exc)})") from None


def magnitude_in(q, target: str) -> float:
    """The magnitude of ``q`` in the unit ``target``; a wrong dimension is a BadValue."""
    ureg = registry()
    target_q = ureg.Quantity(1.0, target)
    if q.dimensionality != target_q.dimensionality:
        raise BadValue(
            f"expected a quantity in {target} (dimension {describe_dimension(target_q)}), "
            f"got {q.units:~} (dimension {describe_dimension(q)})"
        )
    return float(q.to(target_q.units).magnitude)


def describe_dimension(q) -> str:
    dims = str(q.dimensionality)
    return "dimensionless" if dims == "dimensionless" else dims


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
