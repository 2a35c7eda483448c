"""Formulas are plain arithmetic over quantities; nothing else can run."""

import pytest

from lca import formulas
from lca.errors import BadValue
from lca.units import magnitude_in, quantity


def values():
    return {
        "gpu_hours": quantity("1000 GPU*h"),
        "slot_power": quantity("1.275 kW/GPU"),
        "pue": quantity("1.2"),
        "memory": quantity("297 GB"),
        "gpu_memory": quantity("80 GB"),
    }


def test_units_flow_through_arithmetic():
    q = formulas.evaluate("gpu_hours * slot_power * pue", values())
    assert magnitude_in(q, "kWh") == pytest.approx(1000 * 1.275 * 1.2)


def test_functions_on_dimensionless_values():
    assert magnitude_in(formulas.evaluate("ceil(memory / gpu_memory)", values()), "") == 4
    assert magnitude_in(formulas.evaluate("max(pue, 1.5) * 2", values()), "") == 3.0
    assert magnitude_in(formulas.evaluate("2 ** 3 - -1", values()), "") == 9


def test_names_lists_variables_not_functions():
    assert formulas.names("ceil(memory / gpu_memory) + pue") == {"memory", "gpu_memory", "pue"}


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('true')",
        "pue.__class__",
        "(lambda: 1)()",
        "[x for x in (1, 2)]",
        "'text'",
        "pue if pue else 1",
        "max(pue, key=1)",
        "open('x')",
        "pue < 2",
        "True",
    ],
)
def test_anything_but_arithmetic_is_refused(expression):
    with pytest.raises(BadValue):
        formulas.evaluate(expression, values())


def test_unknown_name_division_by_zero_and_dimensions():
    with pytest.raises(BadValue, match="unknown name 'gpu_hour'"):
        formulas.evaluate("gpu_hour * 2", values())
    with pytest.raises(BadValue, match="division by zero"):
        formulas.evaluate("pue / 0", values())
    with pytest.raises(BadValue, match="dimensionless"):
        formulas.evaluate("ceil(gpu_hours)", values())
    with pytest.raises(BadValue):
        formulas.evaluate("gpu_hours + pue", values())
