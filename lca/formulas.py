"""Safe arithmetic over named quantities: the one evaluator of parameters, exchanges and stages.

A formula is parsed once with :mod:`ast` and checked node by node: only numbers, names,
``+ - * / **``, parentheses and a short list of functions are allowed, so an inventory file can
never run code. A number may carry its unit (``gpu_hours * 0.4 kW``, ``x * 1 kWh``,
``2 kg CO2e/GPU``): the unit binds to the number before it, as far as the words read as a
unit; write parentheses to divide by a parameter (``0.4 kW / (server)``).

A formula is evaluated on Pint quantities, so it carries its unit and a wrong dimension is an
error. The same walk serves a static assessment (magnitudes are floats) and a Monte Carlo
block (magnitudes are numpy arrays, one value per iteration): one rule, one place.

The evaluation is bounded: the text is at most :data:`MAX_LENGTH` characters, exponents are
plain numbers of magnitude at most :data:`MAX_EXPONENT`, results must be real and finite.
"""

from __future__ import annotations

import ast
import io
import math
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lca.errors import BadValue
from lca.units import registry, unit

MAX_LENGTH = 2000
MAX_EXPONENT = 64

_DIMENSIONLESS_FUNCTIONS = {
    "ceil": np.ceil,
    "floor": np.floor,
    "exp": np.exp,
    "log": np.log,
    "log2": np.log2,
    "log10": np.log10,
}
_POSITIVE_ARGUMENT = {"log", "log2", "log10"}
FUNCTIONS = sorted([*_DIMENSIONLESS_FUNCTIONS, "min", "max", "abs", "sqrt"])

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_ALLOWED_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call, ast.Load,
    ast.operator, ast.unaryop,
)


@dataclass(frozen=True, eq=False)
class Formula:
    """A checked formula: its text, its syntax tree, the names it uses and the quantities
    written in it (``0.4 kW``), each under a name no parameter can have."""

    text: str
    tree: ast.expr
    names: frozenset[str]
    constants: tuple = ()  # ((name, quantity), ...)

    def evaluate(self, values: Mapping[str, object]):
        """The formula's value as a Pint quantity; ``values`` maps names to quantities whose
        magnitudes are floats or numpy arrays of one length."""
        ureg = registry()
        if self.constants:
            values = {**values, **dict(self.constants)}
        try:
            with np.errstate(all="ignore"):
                result = _eval(self.tree, values, ureg)
        except BadValue:
            raise
        except ZeroDivisionError:
            raise BadValue(f"division by zero in {self.text!r}") from None
        except OverflowError:
            raise BadValue(f"{self.text!r} is too large a number") from None
        except Exception as exc:  # pint dimensionality errors
            raise BadValue(f"cannot evaluate {self.text!r}: {_first_line(exc)}") from None
        if not isinstance(result, ureg.Quantity):
            result = ureg.Quantity(result, "dimensionless")
        magnitude = result.magnitude
        if np.ndim(magnitude) == 0 and not math.isfinite(float(magnitude)):
            raise BadValue(f"{self.text!r} is not a finite number")
        return result


@lru_cache(maxsize=8192)
def parse(expression: str) -> Formula:
    """Parse and check a formula (cached: inventories repeat the same texts)."""
    text = str(expression).strip()
    if not text:
        raise BadValue("empty formula")
    if len(text) > MAX_LENGTH:
        raise BadValue(f"formula longer than {MAX_LENGTH} characters")
    code, constants = _unit_literals(text)
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError as exc:
        raise BadValue(f"cannot read formula {text!r}: {_syntax_reason(exc)}") from None
    for node in ast.walk(tree):
        _check_node(node, text)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = frozenset(
        n.id for n in ast.walk(tree)
        if isinstance(n, ast.Name) and id(n) not in called and n.id not in constants
    )
    return Formula(text, tree.body, names, tuple(constants.items()))


_UNIT_TOKENS = {tokenize.NAME, tokenize.OP, tokenize.NUMBER}
_UNIT_OPERATORS = {"*", "/", "**"}


def _unit_literals(text: str) -> tuple[str, dict]:
    """Replace each number followed by a unit ("0.4 kW", "2 kg CO2e/GPU") with a name bound to
    that quantity. The unit is the longest run of words (joined by spaces, ``*``, ``/`` or
    ``**`` and an integer) after the number that Pint reads as a unit."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type in _UNIT_TOKENS]
    except (tokenize.TokenError, SyntaxError):
        return text, {}
    spans, constants = [], {}
    i = 0
    while i < len(tokens) - 1:
        number, following = tokens[i], tokens[i + 1]
        if number.type != tokenize.NUMBER or following.type != tokenize.NAME:
            i += 1
            continue
        end, unit_text = _longest_unit(text, tokens, i + 1)
        if end is None:
            raise BadValue(f"cannot read formula {text!r}: {following.string!r} after "
                           f"{number.string} is not a unit; write {number.string} * "
                           f"{following.string} to multiply by a parameter")
        name = f"_unit_literal_{len(constants)}"
        constants[name] = registry().Quantity(float(number.string), unit_text)
        spans.append((number.start[1], tokens[end].end[1], name))
        i = end + 1
    code = text
    for start, stop, name in reversed(spans):
        code = code[:start] + f" {name} " + code[stop:]
    return code.strip(), constants


def _longest_unit(text: str, tokens: list, first: int):
    """(index of the last token, unit text) of the longest unit starting at ``first``."""
    best = (None, "")
    j = first
    while j < len(tokens):
        token = tokens[j]
        expected_name = j == first or tokens[j - 1].type == tokenize.OP or (
            tokens[j - 1].type == tokenize.NAME and token.type == tokenize.NAME)
        if token.type == tokenize.NAME and expected_name:
            unit_text = text[tokens[first].start[1]:token.end[1]]
        elif (token.type == tokenize.NUMBER and tokens[j - 1].string == "**"
              and token.string.isdigit()):
            unit_text = text[tokens[first].start[1]:token.end[1]]
        elif token.type == tokenize.OP and token.string in _UNIT_OPERATORS:
            j += 1
            continue
        else:
            break
        try:
            unit(unit_text)
        except BadValue:
            if token.type == tokenize.NAME and j > first and tokens[j - 1].type == tokenize.NAME:
                j += 1  # "kg Sb eq": "Sb" alone is not read, "Sb eq" is
                continue
            break
        best = (j, unit_text)
        j += 1
    return best


def _check_node(node: ast.AST, text: str) -> None:
    if not isinstance(node, _ALLOWED_NODES):
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


def names(expression: str) -> set[str]:
    """The variable names a formula uses (function names excluded)."""
    return set(parse(expression).names)


def evaluate(expression: str, values: Mapping[str, object]):
    """Evaluate a formula; ``values`` maps names to Pint quantities. Returns a quantity."""
    return parse(expression).evaluate(values)


def literal_number(text: str) -> float | None:
    """The value of a cell that is a plain number ("0.9", "1e3"), else None (a formula, or a
    quantity with a unit)."""
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def uses_names(text: str) -> bool:
    """True for a formula over parameters; False for a number, a quantity or unreadable text."""
    try:
        return bool(parse(text).names)
    except BadValue:
        return False


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
            return _power(left, right)
        return _BINARY[type(node.op)](left, right)
    return _call(node.func.id, [_eval(a, values, ureg) for a in node.args], ureg)


def _power(base, exponent):
    power = _plain(exponent, "an exponent")
    if np.any(np.abs(power) > MAX_EXPONENT):
        raise BadValue(f"exponent larger than {MAX_EXPONENT}")
    if np.ndim(power) and not base.dimensionless:
        if not np.all(power == power.flat[0]):
            raise BadValue("a quantity with a unit can only be raised to one fixed power")
        power = float(power.flat[0])
    if base.dimensionless:
        return base.__class__(np.power(_plain(base, "a base"), power), "dimensionless")
    return base ** float(power)


def _call(name: str, args: list, ureg):
    if name in _DIMENSIONLESS_FUNCTIONS:
        if len(args) != 1:
            raise BadValue(f"{name}() takes one argument")
        x = _plain(args[0], f"the argument of {name}()")
        if name in _POSITIVE_ARGUMENT and np.any(x <= 0):
            raise BadValue(f"{name}() of a number that is not above 0")
        return ureg.Quantity(_as_float(_DIMENSIONLESS_FUNCTIONS[name](x)), "dimensionless")
    if name in ("min", "max"):
        if not args:
            raise BadValue(f"{name}() needs at least one argument")
        units = args[0].units
        pick = np.minimum if name == "min" else np.maximum
        out = args[0].magnitude
        for a in args[1:]:
            out = pick(out, a.to(units).magnitude)
        return ureg.Quantity(_as_float(out), units)
    if len(args) != 1:
        raise BadValue(f"{name}() takes one argument")
    if name == "abs":
        return abs(args[0])
    if np.any(args[0].magnitude < 0):
        raise BadValue("sqrt() of a negative number")
    return args[0] ** 0.5


def _plain(q, what: str):
    if not q.dimensionless:
        raise BadValue(f"{what} must be dimensionless, got {q.units:~}")
    return _as_float(q.to("dimensionless").magnitude)


def _as_float(x):
    """numpy scalars back to float, arrays as they are."""
    return float(x) if np.ndim(x) == 0 else x


def _syntax_reason(exc: SyntaxError) -> str:
    where = f" at character {exc.offset}" if exc.offset else ""
    return f"{exc.msg}{where} (write plain arithmetic over parameter names, e.g. 'a * b / 2')"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
