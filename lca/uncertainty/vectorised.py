"""Formulas evaluated on numpy arrays: one value per Monte Carlo iteration.

Pint is exact but slow per value, so each formula is evaluated once with Pint (the static
result, which also tells its unit) and then on plain magnitudes in Pint's base units, as
arrays. Unit conversions are linear, so the result in the unit Brightway needs is the base
magnitude times one factor found from the static result's unit.
"""

from __future__ import annotations

import ast
import math

import numpy as np

from lca import formulas
from lca.errors import BadValue
from lca.units import registry

_NUMPY_ONE_ARGUMENT = {
    "ceil": np.ceil,
    "floor": np.floor,
    "exp": np.exp,
    "log": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "abs": np.abs,
    "sqrt": np.sqrt,
}


class Formula:
    """A checked formula, ready to run on base-unit magnitudes (scalars or arrays)."""

    def __init__(self, text: str):
        self.text = str(text).strip()
        self.tree = formulas.parse(self.text).body
        self.names = formulas.names(self.text)

    def __call__(self, values: dict):
        with np.errstate(all="ignore"):
            return _run(self.tree, values)


def _run(node, values):
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        x = _run(node.operand, values)
        return -x if isinstance(node.op, ast.USub) else x
    if isinstance(node, ast.BinOp):
        a, b = _run(node.left, values), _run(node.right, values)
        op = type(node.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        if op is ast.Div:
            return a / b
        return a**b
    if isinstance(node, ast.Call):
        args = [_run(a, values) for a in node.args]
        name = node.func.id
        if name == "min":
            return _reduce(np.minimum, args)
        if name == "max":
            return _reduce(np.maximum, args)
        return _NUMPY_ONE_ARGUMENT[name](args[0])
    raise BadValue(f"{type(node).__name__} is not allowed in a formula")


def _reduce(fn, args):
    out = args[0]
    for a in args[1:]:
        out = fn(out, a)
    return out


def base_magnitude(q) -> float:
    """A Pint quantity's magnitude in base units (dimensionless scales such as % resolved)."""
    if q.dimensionless:
        return float(q.to("dimensionless").magnitude)
    return float(q.to_base_units().magnitude)


def base_unit_quantity(q):
    """One base unit of ``q``'s dimension (the unit the vectorised magnitudes are in)."""
    ureg = registry()
    if q.dimensionless:
        return ureg.Quantity(1.0, "dimensionless")
    return ureg.Quantity(1.0, q.to_base_units().units)


class ParameterEvaluator:
    """All parameters of a resolved model as base magnitudes, for a block of samples.

    Literal parameters are constants unless sampled; formula parameters are recomputed in
    the order :func:`lca.resolve.resolve_parameters` evaluated them.
    """

    def __init__(self, parameters: dict, formula_names: set, formula_texts: dict):
        self.constants = {}
        self.formulas = []
        for name, q in parameters.items():  # insertion order = evaluation order
            formula = Formula(formula_texts[name]) if name in formula_names else None
            if formula is not None and formula.names:
                self.formulas.append((name, formula))
            else:  # a literal, or a bare number such as "0.9"
                self.constants[name] = base_magnitude(q)

    def evaluate(self, sampled: dict, extra: dict | None = None) -> dict:
        """``sampled``: name -> array of base magnitudes; returns every parameter."""
        values = dict(self.constants)
        values.update(extra or {})
        values.update(sampled)
        for name, formula in self.formulas:
            values[name] = formula(values)
        return values


def check_finite(array, what: str) -> None:
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise BadValue(f"{what}: {bad} sampled value(s) are not finite numbers")


def is_close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)
