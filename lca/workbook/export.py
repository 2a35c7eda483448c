"""Write an inventory as an xlsx workbook a person can work in (openpyxl).

Sheets: README (what every sheet and column means), model and published (the card, one row
per field), one sheet per table of the schema, and a hidden 'lists' sheet behind the
drop-down lists. Headers are bold and frozen, columns sized to their content, text cells
formatted as text so that Excel never turns a code into a date or a number.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel

from lca import __version__
from lca.errors import Location, Problems
from lca.files import check_output_file, write_atomic
from lca.schema import TABLE_MODELS
from lca.text_inventory import BaseData, Inventory
from lca.workbook.canonical import CommentKey, cell_text_of, comments_of
from lca.workbook.layout import (
    CARD_COLUMNS,
    CARD_HELP,
    CARD_SHEETS,
    LISTS_SHEET,
    README_SHEET,
    TABLES,
    cell_value,
    choices,
    column_help,
    field_help,
    is_number_type,
    may_hold_number,
    number_text,
    shape,
    unstorable,
)

MAX_WIDTH = 60
COMMON_UNITS = ("kWh", "MWh", "W", "kW", "L", "m3", "kg", "t", "g", "kg CO2e", "kg Sb eq",
                "h", "s", "month", "year", "token", "response", "run", "GPU", "GPU*h",
                "server", "device", "person")

_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
_EXTRA_FILL = PatternFill("solid", fgColor="EEEEEE")
_EXTRA_FONT = Font(bold=True, italic=True, color="666666")


def card_rows(record: BaseModel | None, model: type[BaseModel], comments: dict[CommentKey, str],
              prefix: tuple[str, ...]) -> list[tuple[str, object, str]]:
    """(field, value, comment) rows of a card sheet: every field of ``model``, lists one row
    per item, dicts one row per leaf ("total.gwp"), empty containers one blank row."""
    if record is None:
        return []
    rows: list[tuple[str, object, str]] = []
    for name, info in model.model_fields.items():
        rows += _field_rows(name, getattr(record, name), shape(info.annotation), comments,
                            (*prefix, name))
    return rows


def _field_rows(name: str, value, kind, comments: dict[CommentKey, str],
                path: tuple[str, ...]) -> list[tuple[str, object, str]]:
    """The card rows of one field, by its shape (scalar, list or nested dict)."""
    number = is_number_type(kind.leaf)
    if kind.kind == "list":
        if not value:
            return [(name, None, comments.get((path, 0), ""))]
        return [(name, _card_cell(item, number), comments.get((path, i), ""))
                for i, item in enumerate(value)]
    if kind.kind == "dict":
        return _dict_rows(name, path, value, kind.depth, number, comments)
    return [(name, _card_cell(value, number), comments.get((path, 0), ""))]


def _dict_rows(label: str, path: tuple[str, ...], value, depth: int, number: bool,
               comments: dict[CommentKey, str]) -> list[tuple[str, object, str]]:
    """One row per leaf of a (nested) dict, labelled with its dotted keys."""
    if not value:
        return [(label, None, comments.get((path, 0), ""))]
    rows = []
    for k, v in value.items():
        key_path = (*path, str(k))
        if depth == 1:
            rows.append((f"{label}.{k}", _card_cell(v, number), comments.get((key_path, 0), "")))
        else:
            rows += _dict_rows(f"{label}.{k}", key_path, v, depth - 1, number, comments)
    return rows


def _card_cell(value, number: bool):
    """A card value as a cell: a number stays a number in a numeric field, else text."""
    if value is None:
        return None
    if number and isinstance(value, int | float) and not isinstance(value, bool):
        return cell_value(number_text(value), True)
    return cell_value(str(value), False)


def _card_of(inventory: Inventory, sheet: str) -> tuple[BaseModel | None, tuple[str, ...]]:
    """(record, comment-key prefix) of a card sheet: the card itself, or the published
    figures, whose comments sit under [published] in model.toml."""
    if sheet == "model":
        return inventory.card, ()
    return inventory.published, ("published",)


def table_header(rows: list[BaseModel], model: type[BaseModel]) -> list[str]:
    header = list(model.model_fields)
    for r in rows:
        for name in getattr(r, "_extra", {}) or {}:
            if name not in header:
                header.append(name)
    return header


def _row_texts(row: BaseModel, header: list[str]) -> list[str]:

    extra = getattr(row, "_extra", {}) or {}
    return [extra.get(c, "") if c.startswith("extra:") else cell_text_of(getattr(row, c, None))
            for c in header]


def check_storable(inventory: Inventory, comments: dict[CommentKey, str], label: str) -> None:
    """Refuse values a workbook would not give back unchanged (control characters...)."""
    problems = Problems()
    for table in TABLES:
        rows = getattr(inventory, table)
        header = table_header(rows, TABLE_MODELS[table])
        for row in rows:
            for column, text in zip(header, _row_texts(row, header), strict=True):
                why = unstorable(text)
                if why:
                    where = row.at(column)
                    problems.add(Location(where.file, where.row, column, where.sheet),
                                 f"holds {why}, which an xlsx workbook cannot store")
    for sheet, model in CARD_SHEETS.items():
        record, prefix = _card_of(inventory, sheet)
        for field, value, comment in card_rows(record, model, comments, prefix):
            for text in (str(value or ""), comment):
                why = unstorable(text)
                if why:
                    problems.add(Location(f"{label}/model.toml", None, field),
                                 f"holds {why}, which an xlsx workbook cannot store")
    problems.raise_if_any()


def build_workbook(inventory: Inventory, comments: dict[CommentKey, str] | None = None,
                   base: BaseData | None = None):
    """The openpyxl Workbook of ``inventory`` (not saved)."""

    comments = comments_of(inventory) if comments is None else comments
    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    wb.properties.creator = f"lca-ai {__version__}"
    wb.properties.title = f"{inventory.card.display_name} inventory"

    lists = _Lists(wb.create_sheet(LISTS_SHEET))
    for sheet, model in CARD_SHEETS.items():
        _add_card_sheet(wb.create_sheet(sheet), sheet, model, inventory, comments)
    suggestions = _Suggestions.of(inventory, base)
    for table in TABLES:
        _add_table_sheet(wb.create_sheet(table), table, inventory, lists, suggestions)

    _write_readme(readme, inventory, _BOLD)
    wb.move_sheet(lists.ws, offset=len(wb.sheetnames))
    lists.ws.sheet_state = "hidden"
    wb.active = 0
    return wb


class _Lists:
    """The hidden sheet behind the drop-down lists: one column per list, each written once
    however many columns use it."""

    def __init__(self, ws):
        self.ws = ws
        self.ranges: dict[str, str] = {}

    def range_of(self, name: str, values) -> str:
        """The cell range of list ``name``, written on first use."""
        if name in self.ranges:
            return self.ranges[name]
        col = len(self.ranges) + 1
        letter = get_column_letter(col)
        self.ws.cell(1, col, name).font = _BOLD
        for i, v in enumerate(values, start=2):
            cell = self.ws.cell(i, col, v)
            cell.data_type = "s"
        last = max(2, len(values) + 1)
        self.ranges[name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${last}"
        return self.ranges[name]


@dataclass
class _Suggestions:
    """Values offered (not enforced) in the open columns: units, and codes an exchange can
    name as its activity or input."""

    units: list[str]
    codes: list[str]
    inputs: list[str]

    @classmethod
    def of(cls, inventory: Inventory, base: BaseData | None) -> _Suggestions:
        units = set(COMMON_UNITS)
        codes = [a.code for a in inventory.activities]
        inputs = list(codes)
        if base is not None:
            units |= {f.unit for f in base.flows} | {p.unit for p in base.processes}
            inputs += [f.code for f in base.flows] + [p.code for p in base.processes]
        for table in TABLES:
            units |= {getattr(r, "unit", "") for r in getattr(inventory, table)} - {""}
        return cls(sorted(units, key=str.lower), codes, sorted(set(inputs), key=inputs.index))


def _style_header(ws, header: list[str]):
    for col, name in enumerate(header, start=1):
        cell = ws.cell(1, col)
        extra = name.startswith("extra:")
        cell.font = _EXTRA_FONT if extra else _BOLD
        cell.fill = _EXTRA_FILL if extra else _HEADER_FILL
        cell.alignment = Alignment(vertical="top")
    ws.freeze_panes = "A2"


def _size_columns(ws, header, body):
    """Columns as wide as their content (the first 500 rows, first lines), within bounds."""
    for col, name in enumerate(header, start=1):
        width = len(name) + 3
        for r in body[:500]:
            v = r[col - 1]
            if v is not None:
                width = max(width, min(MAX_WIDTH, len(str(v).split("\n")[0]) + 2))
        ws.column_dimensions[get_column_letter(col)].width = min(MAX_WIDTH, max(8, width))


def _write_body(ws, header, body, numeric_columns):
    """Body cells, formatted as text except in numeric columns, so that Excel never turns a
    code into a date or a number."""
    for r, values in enumerate(body, start=2):
        for c, v in enumerate(values, start=1):
            if v is None:
                continue
            cell = ws.cell(r, c, v)
            if isinstance(v, str):
                cell.data_type = "s"  # never read "=..." text as an Excel formula
                cell.number_format = "@"
            elif c - 1 not in numeric_columns:
                cell.number_format = "@"
    for c in range(1, len(header) + 1):
        if c - 1 not in numeric_columns:
            ws.column_dimensions[get_column_letter(c)].number_format = "@"


def _write_sheet(ws, header, body, numeric_columns):
    """A sheet's header and body, header styled and frozen, columns sized."""
    ws.append(list(header))
    _write_body(ws, header, body, numeric_columns)
    _style_header(ws, list(header))
    _size_columns(ws, header, body)


def _add_card_sheet(ws, sheet: str, model: type[BaseModel], inventory: Inventory,
                    comments: dict[CommentKey, str]) -> None:
    """A card sheet (model or published): one row per field, list item or dict leaf."""
    record, prefix = _card_of(inventory, sheet)
    body = [list(r) for r in card_rows(record, model, comments, prefix)]
    _write_sheet(ws, CARD_COLUMNS, body, {1})


def _add_table_sheet(ws, table: str, inventory: Inventory, lists: _Lists,
                     suggestions: _Suggestions) -> None:
    """A table's sheet, filterable, with a drop-down list on each column that has one."""
    model = TABLE_MODELS[table]
    rows = getattr(inventory, table)
    header = table_header(rows, model)
    numeric = {i for i, c in enumerate(header) if may_hold_number(model, c)}
    body = [[cell_value(t, i in numeric) for i, t in enumerate(_row_texts(r, header))]
            for r in rows]
    _write_sheet(ws, header, body, numeric)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(2, len(body) + 1)}"
    for i, name in enumerate(header):
        _add_validation(ws, get_column_letter(i + 1), name, model, lists, suggestions)


# Open columns: a drop-down of suggestions that does not refuse other values.
_SUGGESTED = {
    "unit": lambda s: s.units,
    "activity": lambda s: s.codes,
    "input": lambda s: s.inputs,
}


def _allowed_values(name: str, model: type[BaseModel], suggestions: _Suggestions):
    """(values, strict) of a column's drop-down: a closed vocabulary is enforced, suggestions
    are not; values are None when the column has no list."""
    info = model.model_fields.get(name)
    allowed = choices(info.annotation) if info is not None else None
    if allowed is None and name in _SUGGESTED:
        return _SUGGESTED[name](suggestions), False
    return allowed, True


def _add_validation(ws, letter: str, name: str, model: type[BaseModel], lists: _Lists,
                    suggestions: _Suggestions) -> None:
    allowed, strict = _allowed_values(name, model, suggestions)
    if not allowed:
        return
    ref = lists.range_of(name if strict else f"{name} (suggestions)", list(allowed))
    dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=strict)
    if strict:
        dv.errorTitle = f"Not a valid {name}"
        dv.error = "Choose one of: " + ", ".join(allowed)
    dv.add(f"{letter}2:{letter}1048576")
    ws.add_data_validation(dv)


# The README's instructions: (text, whether it is a heading).
_README_LINES = (
    ("Edit the sheets, then check and compute:", True),
    ("    lca inventory validate THIS.xlsx    lists every problem: sheet, cell, value found, "
     "value expected", False),
    ("    lca assess --inventory THIS.xlsx --months 18    computes straight from this "
     "workbook", False),
    ("    lca inventory import THIS.xlsx -o inventories/<name>/    writes the text form "
     "kept in git (--force to overwrite)", False),
    ("Rules:", True),
    ("  - Row 1 of each sheet holds the column names; keep the sheet names. Blank rows are "
     "skipped.", False),
    ("  - A parameter's value carries its unit in the same cell (\"700 W\"); a formula over "
     "parameters is written without '=' (\"server_max_power / gpus_per_server\").", False),
    ("  - An Excel formula (=...) is read through the value Excel saved with it; a file "
     "saved by a program that does not calculate has none, and that is reported.", False),
    ("  - Every value has its source in the 'source' column of its row (the card's sources "
     "are the 'sources' rows of sheet 'model').", False),
    ("  - A column you add is kept as an extra column ('extra:<name>') in the text form but "
     "not used in the calculation; a sheet you add is ignored. Both are reported.", False),
    ("  - Merged cells down one column give their value to every row they cover; merging "
     "across columns is refused.", False),
    ("  - The hidden sheet 'lists' holds the drop-down lists (stage, kind, serves, yes/no; "
     "suggested units and codes).", False),
    ("", False),
)


def _write_readme(ws, inventory: Inventory, bold) -> None:
    """The README sheet: how to use the workbook, then what every sheet and column means."""
    ws.append([f"{inventory.card.display_name}: inventory workbook written by lca-ai "
               f"{__version__}"])
    ws.cell(ws.max_row, 1).font = Font(bold=True, size=14)
    for text, heading in _README_LINES:
        ws.append([text])
        if heading:
            ws.cell(ws.max_row, 1).font = bold
    start = ws.max_row + 1
    ws.append(["sheet", "column / field", "required", "allowed values", "meaning"])
    for col in range(1, 6):
        ws.cell(start, col).font = bold
    for sheet, model in CARD_SHEETS.items():
        ws.append([sheet, "field | value | comment", "", "", CARD_HELP[sheet]])
        _append_field_help(ws, sheet, model, field_help)
    for table in TABLES:
        _append_field_help(ws, table, TABLE_MODELS[table], column_help)
    _format_readme(ws, start)


def _append_field_help(ws, sheet: str, model: type[BaseModel], help_of) -> None:
    """One README row per field of ``model``: required, allowed values, meaning."""
    for name, info in model.model_fields.items():
        allowed = choices(info.annotation)
        ws.append([sheet, name, "yes" if info.is_required() else "no",
                   ", ".join(allowed) if allowed else "", help_of(model, name)])


def _format_readme(ws, start: int) -> None:
    """Column widths, wrapped meanings, and every text cell kept as text."""
    for col, width in zip("ABCDE", (14, 24, 9, 40, 100), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=start + 1):
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def export_workbook(inventory: Inventory, output: str | Path, force: bool = False,
                    base: BaseData | None = None) -> Path:
    """Write ``inventory`` to ``output`` (xlsx), atomically, never over a file without
    ``force``."""
    output = Path(output)
    if not output.parent.exists():
        output.parent.mkdir(parents=True)
    check_output_file(output, force, ".xlsx")
    comments = comments_of(inventory)
    check_storable(inventory, comments, str(inventory.directory))
    wb = build_workbook(inventory, comments, base)
    buffer = io.BytesIO()
    wb.save(buffer)
    write_atomic(output, buffer.getvalue())
    return output


__all__ = ["export_workbook", "build_workbook", "card_rows"]
