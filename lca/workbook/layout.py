"""What the workbook looks like, derived from the pydantic models of :mod:`lca.schema`.

Nothing here names a column of a table: sheets and columns come from ``TABLE_MODELS`` and
``model_fields``, so a column added to the schema (uncertainty, say) appears in the workbook,
its README and the round trip without a change here. Only the help texts are written by hand,
with a fallback for columns this module has not heard of.

Also here: how a cell's content becomes the text the engine reads (numbers, dates, percents,
booleans), and back, so that text -> workbook -> text is exact.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel

from lca.errors import Location
from lca.schema import TABLE_MODELS, ModelCard, PublishedFigures

README_SHEET = "README"
LISTS_SHEET = "lists"  # hidden: the closed vocabularies behind the drop-down lists
CARD_SHEETS = {"model": ModelCard, "published": PublishedFigures}
CARD_COLUMNS = ("field", "value", "comment")
TABLES = tuple(TABLE_MODELS)  # parameters, activities, exchanges, stages

# Columns whose content is never a number (kept as text cells, format "@").
_TEXT_COLUMNS = {"name", "code", "source", "comment", "unit", "location", "activity", "input",
                 "process", "flow", "display_name", "description", "uncertainty_source"}
# Excel keeps about 15 significant digits; numbers with more stay text to keep every digit.
_MAX_DIGITS = 15
# Characters an xlsx file cannot hold faithfully: XML 1.0 forbids most control characters,
# a carriage return comes back as a newline, and "_xHHHH_" is an escape in OOXML strings.
_UNSTORABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_|x005F_"
)


# ------------------------------------------------------------------------- field shapes


@dataclass(frozen=True)
class FieldShape:
    """How one pydantic field is laid out: a scalar, a list (one row per item) or a dict of
    ``depth`` levels (one row per leaf, keys joined with dots)."""

    kind: str  # "scalar" | "list" | "dict"
    leaf: object  # the scalar type of the value (or item, or leaf)
    depth: int = 0


def _unwrap(annotation):
    """Drop Annotated[...] and Optional[...] around a type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def shape(annotation) -> FieldShape:
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin is list:
        return FieldShape("list", _unwrap(typing.get_args(annotation)[0]))
    if origin is dict:
        inner = shape(typing.get_args(annotation)[1])
        if inner.kind == "dict":
            return FieldShape("dict", inner.leaf, inner.depth + 1)
        return FieldShape("dict", inner.leaf, 1)
    return FieldShape("scalar", annotation)


def choices(annotation) -> tuple[str, ...] | None:
    """The closed vocabulary of a field (Literal values; yes/no for booleans), or None."""
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(str(a) for a in typing.get_args(annotation))
    if annotation is bool:
        return ("yes", "no")
    return None


def is_number_type(annotation) -> bool:
    annotation = _unwrap(annotation)
    return annotation in (int, float)


def may_hold_number(model: type[BaseModel], column: str) -> bool:
    """Whether a column's cells may be numbers (values, amounts), not always text."""
    if column.startswith("extra:"):
        return False
    info = model.model_fields.get(column)
    if info is None:
        return False
    if choices(info.annotation) is not None:
        return False
    return column not in _TEXT_COLUMNS


# ------------------------------------------------------------------------- help texts

_HELP = {
    "name": "Identifier used in formulas: lower case, digits and _ (e.g. inference_pue).",
    "value": "A number with its unit in one cell (\"700 W\", \"3.15e7 GPU*h\", \"0.9\"), or a "
             "formula over other parameters (\"server_max_power / gpus_per_server\"), written "
             "without a leading '='.",
    "kind": "How the number was obtained: sourced, measured, modeled, calibrated or assumed.",
    "source": "Where the value comes from (document, dataset, assumption). Required.",
    "comment": "Free text, kept in the text form.",
    "uncertainty": "Optional distribution around the value, e.g. lognormal(gsd=1.5).",
    "uncertainty_source": "Where the uncertainty comes from.",
    "pedigree": "Optional pedigree score r,c,t,g,f (1-5 each).",
    "code": "Identifier of the activity, used in exchanges and stages.",
    "unit": "Unit of the amount (kWh, m3, kg CO2e, GPU*h, token, ...).",
    "location": "Where the activity happens (country code, GLO for global).",
    "activity": "Code of the activity this row belongs to (sheet 'activities').",
    "input": "Code of what the activity uses or emits: an elementary flow, a background "
             "process (electricity-fr, gpu-h100-manufacturing, ...) or another activity.",
    "amount": "A number (in the unit of column 'unit') or a formula over parameters; per one "
              "unit of the activity for exchanges, over the whole period for stages (formulas "
              "may use months).",
    "stage": "Life-cycle stage the row's impacts go to.",
    "serves": "What the row serves: development, training, inference or users.",
    "marginal": "yes if the row is inside the marginal per-response boundary.",
}
CARD_HELP = {
    "model": "The model card: one row per field; a list has one row per item (an empty list is "
             "one row with an empty value); a table has one row per key, written field.key.",
    "published": "The figures the model's developer published, for comparison: total.gwp, "
                 "per_response_marginal.water, stage_shares.<stage>.adp ... Leave only the "
                 "header row if nothing was published.",
}


def column_help(model: type[BaseModel], column: str) -> str:
    info = model.model_fields.get(column)
    if info is not None and info.description:
        return info.description
    return _HELP.get(column, "Column of lca/schema.py (see its comments).")


def field_help(model: type[BaseModel], field: str) -> str:
    info = model.model_fields[field]
    if info.description:
        return info.description
    kind = shape(info.annotation)
    what = {"scalar": "one row", "list": "one row per item",
            "dict": "one row per key (" + ".".join([field] + ["<key>"] * kind.depth) + ")"}
    need = "required" if info.is_required() else "optional"
    return f"{need}; {what[kind.kind]}"


# ------------------------------------------------------------------------- cells <-> text


def number_text(value: int | float) -> str:
    """The text a number is written as: integers without a decimal point, others as repr."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _digits(text: str) -> int:
    mantissa = re.split("[eE]", text.lstrip("+-"))[0]
    return len(mantissa.replace(".", "").lstrip("0")) or 1


def cell_value(text: str, numeric: bool):
    """What to put in a cell for ``text``: a number when the text is exactly how that number
    reads back (so the round trip is exact), else the text itself."""
    if text == "":
        return None
    if numeric and re.fullmatch(r"-?[0-9][0-9.eE+-]*", text):
        try:
            number = int(text) if re.fullmatch(r"-?[0-9]+", text) else float(text)
        except ValueError:
            return text
        if (number_text(number) == text and _digits(text) <= _MAX_DIGITS
                and abs(number) < 1e300):
            return number
    return text


def unstorable(text: str) -> str | None:
    """A description of what in ``text`` a workbook cannot hold, or None."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    found = match.group()
    if len(found) == 1:
        return f"control character U+{ord(found):04X}"
    return f"the sequence {found!r} (an escape in xlsx strings)"


def percent_text(value: float) -> str:
    """0.855 shown as 85.5% in Excel -> "85.5 %" (the unit reader knows %)."""
    shifted = (Decimal(repr(float(value))) * 100).normalize()
    text = format(shifted, "f")
    return f"{text} %"


def cell_text(value, number_format: str = "General", boolean_field: bool = False) -> str:
    """The text the engine reads from a cell's value (never a silent 0 or a lost digit)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        if boolean_field:
            return "yes" if value else "no"
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if "%" in (number_format or "") and isinstance(value, int | float):
            return percent_text(value)
        return number_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


def normalise_comment(text: str) -> str:
    """Comments as the text form keeps them: lines without trailing spaces, no blank ends."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


# ------------------------------------------------------------------------- locations


@dataclass(frozen=True)
class CellLocation(Location):
    """A location in a workbook, printed the way a spreadsheet user finds it."""

    column: str | None = None  # the column letter

    # The same cell as a plain Location of the same file, sheet, row and field (so that
    # Problems does not repeat a problem the engine finds again in a cell already reported).
    def __eq__(self, other):
        if not isinstance(other, Location):
            return NotImplemented
        return (self.file, self.row, self.field, self.sheet) == \
            (other.file, other.row, other.field, other.sheet)

    def __hash__(self):
        return hash((self.file, self.row, self.field, self.sheet))

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None and self.column:
            parts.append(f"cell {self.column}{self.row}")
        elif self.row is not None:
            parts.append(f"row {self.row}")
        elif self.column:
            parts.append(f"column {self.column}")
        if self.field:
            kind = "column" if self.sheet in TABLES else "field"
            parts.append(f"{kind} '{self.field}'")
        return ", ".join(parts)
