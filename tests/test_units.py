"""The Pint layer: domain units, common spellings, and wrong dimensions named clearly."""

import pytest

from lca.errors import BadValue
from lca.units import magnitude_in, quantity


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("3.2e6 GPU*h", "GPU*h", 3.2e6),
        ("3.2e6 GPU-h", "GPU*s", 3.2e6 * 3600),
        ("700 W", "kW", 0.7),
        ("45 mL", "m3", 45e-6),
        ("281000 m3", "L", 281000 * 1000),
        ("1.14 g CO2e", "kg CO2e", 1.14e-3),
        ("20.4 kt CO2e", "kg CO2e", 20.4e6),  # Pint alone reads "kt" as knot
        ("0.16 mg Sb eq", "kg Sb eq", 0.16e-6),
        ("660 kg Sb-eq", "kg Sb_eq", 660.0),
        ("0.04144 kg CO2e/kWh", "g CO2e/kWh", 41.44),
        ("10.2 kW/server", "W/server", 10200.0),
        ("5.3e10 token/month", "token/year", 5.3e10 * 12),
        ("1.16", "dimensionless", 1.16),
        ("12 %", "dimensionless", 0.12),
    ],
)
def test_quantities_convert_by_hand(text, unit, expected):
    assert magnitude_in(quantity(text), unit) == pytest.approx(expected, rel=1e-12)


def test_one_slash_divides_everything_after_it():
    # "kg CO2e/kg CO2e" is a ratio of 1, not CO2e squared.
    assert magnitude_in(quantity("1 kg CO2e/kg CO2e"), "dimensionless") == 1.0


def test_wrong_dimension_names_expected_and_given():
    with pytest.raises(BadValue) as info:
        magnitude_in(quantity("700 W"), "kWh")
    message = str(info.value)
    assert "expected a quantity in kWh" in message
    assert "[mass] * [length] ** 2 / [time] ** 2" in message  # energy, expected
    assert "[mass] * [length] ** 2 / [time] ** 3" in message  # power, given


def test_gpu_hours_are_not_hours():
    with pytest.raises(BadValue, match=r"\[gpu\]"):
        magnitude_in(quantity("3.2e6 GPU*h"), "h")


@pytest.mark.parametrize("text", ["", "12 bananas", "nan", "inf W", "abc"])
def test_unreadable_values_are_rejected(text):
    with pytest.raises(BadValue):
        quantity(text)
