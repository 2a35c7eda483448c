"""Safe arithmetic over named quantities: the formulas of parameters, exchanges and stages.

A formula is parsed with :mod:`ast` and walked node by node; only numbers, names, + - * / **,
parentheses and a short list of functions are allowed, so an inventory file can never run
code. Names are evaluated as Pint quantities, so a formula carries its unit with it.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping

from lca.errors import BadValue
from lca.units import registry

MAX_LENGTH = 2000

_DIMENSIONLESS_FUNCTIONS = {
    "ceil": math.ceil,
    "floor": math.floor,
    "exp": math.exp,
    "log": math.log,
    "log2": math.log2,
    "log10": math.log10,
}
FUNCTIONS = sorted([*_DIMENSIONLESS_FUNCTIONS, "min", "max", "abs", "sqrt"])

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def parse(expression: str) -> ast.Expression:
    """Parse a formula, rejecting anything that is not plain arithmetic."""
    text = str(expression).strip()
    if not text:
        raise BadValue("empty formula")
    if len(text) > MAX_LENGTH:
        raise BadValue(f"formula longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise BadValue(f"cannot read formula {text!r}") from None
    for node in ast.walk(tree):
        if not isinstance(
            node,
            ast.Expression | ast.BinOp | ast.UnaryOp | ast.Constant | ast.Name | ast.Call
            | ast.Load | ast.operator | ast.unaryop,
        ):
            raise BadValue(f"{type(node).__name__} is not allowed in a formula: {text!r}")
        if isinstance(node, ast.BinOp) and type(node.op) not in (*_BINARY, ast.Pow):
            raise BadValue(f"operator {type(node.op).__name__} is not allowed: {text!r}")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub | ast.UAdd):
            raise BadValue(f"operator {type(node.op).__name__} is not allowed: {text!r}")
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise BadValue(f"only numbers may appear as constants: {text!r}")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise BadValue(f"unknown function in {text!r}; allowed: {', '.join(FUNCTIONS)}")
            if node.keywords:
                raise BadValue(f"keyword arguments are not allowed: {text!r}")
    return tree


def names(expression: str) -> set[str]:
    """The variable names a formula uses (function names excluded)."""
    tree = parse(expression)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def evaluate(expression: str, values: Mapping[str, object]):
    """Evaluate a formula; ``values`` maps names to Pint quantities. Returns a quantity."""
    tree = parse(expression)
    ureg = registry()
    try:
        result = _eval(tree.body, values, ureg)
    except BadValue:
        raise
    except ZeroDivisionError:
        raise BadValue(f"division by zero in {expression!r}") from None
    except Exception as exc:  # pint dimensionality errors, overflow
        raise BadValue(f"cannot evaluate {expression!r}: {exc}") from None
    if not isinstance(result, ureg.Quantity):
        result = ureg.Quantity(result, "dimensionless")
    if not math.isfinite(float(result.magnitude)):
        raise BadValue(f"{expression!r} is not a finite number")
    return result


def _eval(node, values, ureg):
    if isinstance(node, ast.Constant):
        return ureg.Quantity(float(node.value), "dimensionless")
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise BadValue(f"unknown name {node.id!r}")
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values, ureg)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _eval(node.left, values, ureg)
        right = _eval(node.right, values, ureg)
        if isinstance(node.op, ast.Pow):
            exponent = _plain_number(right, "an exponent")
            if abs(exponent) > 64:
                raise BadValue("exponent larger than 64")
            return left**exponent
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.Call):
        name = node.func.id
        args = [_eval(a, values, ureg) for a in node.args]
        if name in _DIMENSIONLESS_FUNCTIONS:
            if len(args) != 1:
                raise BadValue(f"{name}() takes one argument")
            x = _plain_number(args[0], f"the argument of {name}()")
            return ureg.Quantity(float(_DIMENSIONLESS_FUNCTIONS[name](x)), "dimensionless")
        if name in ("min", "max"):
            if not args:
                raise BadValue(f"{name}() needs at least one argument")
            first = args[0]
            pairs = [(a.to(first.units).magnitude, i) for i, a in enumerate(args)]
            pick = (min if name == "min" else max)(pairs)[1]
            return args[pick]
        if len(args) != 1:
            raise BadValue(f"{name}() takes one argument")
        return abs(args[0]) if name == "abs" else args[0] ** 0.5
    raise BadValue(f"{type(node).__name__} is not allowed in a formula")


def _plain_number(q, what: str) -> float:
    if not q.dimensionless:
        raise BadValue(f"{what} must be dimensionless, got {q.units:~}")
    return float(q.to("dimensionless").magnitude)
