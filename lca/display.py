"""How numbers are written for people and stored in reports, one rule for every output: the
rounding of stored data (so the JSON and every format carry the same digits on every
machine) and the display rule (three significant digits, in units people read: tonnes,
grams, millilitres; "n.a." for what a study does not assess). The CLI tables and the report
both write numbers with these functions.
"""

from __future__ import annotations

import math

# Display scales: values are stored in the engine's units (kg CO2e, m3, kg Sb eq, kWh).
TOTAL_DISPLAY = {"gwp": (1e-3, "t CO2e"), "water": (1.0, "m3"), "adp": (1.0, "kg Sb eq"),
                 "energy": (1e-3, "MWh")}
RESPONSE_DISPLAY = {"gwp": (1e3, "g CO2e"), "water": (1e6, "mL"), "adp": (1e6, "mg Sb eq"),
                    "energy": (1e3, "Wh")}
NOT_ASSESSED = "n.a."

STORED_DIGITS = 6  # significant digits kept in the report data: hides last-bit solver noise


def stored(value: float | None) -> float | None:
    """``value`` rounded to :data:`STORED_DIGITS` significant digits (0 for -0.0; None for a
    value not assessed)."""
    if value is None or math.isnan(float(value)):
        return None
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return 0.0 if value == 0 else value
    return float(f"{value:.{STORED_DIGITS}g}") + 0.0


def fmt(value: float | None, digits: int = 3) -> str:
    """Three significant digits, thousands separated: 21080175 -> '21,100,000'; a value not
    assessed (None or NaN) is 'n.a.'."""
    if value is None or math.isnan(float(value)):
        return NOT_ASSESSED
    value = float(value)
    if value == 0:
        return "0"
    rounded = float(f"{value:.{digits}g}")
    magnitude = abs(rounded)
    if magnitude >= 10 ** (digits - 1):
        return f"{rounded:,.0f}"
    if magnitude >= 1e-4:
        decimals = digits - 1 - math.floor(math.log10(magnitude))
        return f"{rounded:.{decimals}f}"
    return f"{rounded:.{digits - 1}e}"


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else float(value) * scale


def fmt_total(indicator: str, value: float | None) -> str:
    """A life-cycle amount in display units: '21,100 t CO2e'."""
    scale, unit = TOTAL_DISPLAY[indicator]
    text = fmt(_scaled(value, scale))
    return text if text == NOT_ASSESSED else f"{text} {unit}"


def fmt_response(indicator: str, value: float | None) -> str:
    """A per-response amount in display units: '1.17 g CO2e'."""
    scale, unit = RESPONSE_DISPLAY[indicator]
    text = fmt(_scaled(value, scale))
    return text if text == NOT_ASSESSED else f"{text} {unit}"


def fmt_percent(value: float | None) -> str:
    """Shares to one decimal: '79.1 %'; tiny shares as '<0.1 %'."""
    if value is None or math.isnan(float(value)):
        return NOT_ASSESSED
    if 0 < abs(value) < 0.05:
        return "<0.1 %"
    return f"{value:.1f} %"


def order_of_magnitude(value: float) -> str:
    """Equivalents are orders of magnitude: two significant digits, no false precision."""
    return fmt(value, 2)
