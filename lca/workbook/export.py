"""Write an inventory as an xlsx workbook a person can work in (openpyxl).

Sheets: README (what every sheet and column means), model and published (the card, one row
per field), one sheet per table of the schema, and a hidden 'lists' sheet behind the
drop-down lists. Headers are bold and frozen, columns sized to their content, text cells
formatted as text so that Excel never turns a code into a date or a number.
"""

from __future__ import annotations

import io
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


def card_rows(record: BaseModel | None, model: type[BaseModel], comments: dict[CommentKey, str],
              prefix: tuple[str, ...]) -> list[tuple[str, object, str]]:
    """(field, value, comment) rows of a card sheet: every field of ``model``, lists one row
    per item, dicts one row per leaf ("total.gwp"), empty containers one blank row."""
    if record is None:
        return []
    rows: list[tuple[str, object, str]] = []

    def note(path, index=0):
        return comments.get((tuple(path), index), "")

    def leaf(value, number: bool):
        if value is None:
            return None
        if number and isinstance(value, int | float) and not isinstance(value, bool):
            return cell_value(number_text(value), True)
        return cell_value(str(value), False)

    def walk_dict(label, path, value, depth, number):
        if not value:
            rows.append((label, None, note(path)))
            return
        for k, v in value.items():
            if depth == 1:
                rows.append((f"{label}.{k}", leaf(v, number), note((*path, str(k)))))
            else:
                walk_dict(f"{label}.{k}", (*path, str(k)), v, depth - 1, number)

    for name, info in model.model_fields.items():
        value = getattr(record, name)
        kind = shape(info.annotation)
        number = is_number_type(kind.leaf)
        path = (*prefix, name)
        if kind.kind == "list":
            if not value:
                rows.append((name, None, note(path)))
            for i, item in enumerate(value or []):
                rows.append((name, leaf(item, number), note(path, i)))
        elif kind.kind == "dict":
            walk_dict(name, path, value, kind.depth, number)
        else:
            rows.append((name, leaf(value, number), note(path)))
    return rows


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
        record = inventory.card if sheet == "model" else inventory.published
        prefix = () if sheet == "model" else ("published",)
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
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE5F0")
    extra_fill = PatternFill("solid", fgColor="EEEEEE")
    extra_font = Font(bold=True, italic=True, color="666666")

    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    wb.properties.creator = f"lca-ai {__version__}"
    wb.properties.title = f"{inventory.card.display_name} inventory"

    lists = wb.create_sheet(LISTS_SHEET)
    list_ranges: dict[str, str] = {}

    def add_list(name: str, values) -> str:
        if name in list_ranges:
            return list_ranges[name]
        col = len(list_ranges) + 1
        letter = get_column_letter(col)
        lists.cell(1, col, name).font = bold
        for i, v in enumerate(values, start=2):
            cell = lists.cell(i, col, v)
            cell.data_type = "s"
        last = max(2, len(values) + 1)
        list_ranges[name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${last}"
        return list_ranges[name]

    def style_header(ws, header: list[str]):
        for col, name in enumerate(header, start=1):
            cell = ws.cell(1, col)
            extra = name.startswith("extra:")
            cell.font = extra_font if extra else bold
            cell.fill = extra_fill if extra else header_fill
            cell.alignment = Alignment(vertical="top")
        ws.freeze_panes = "A2"

    def size_columns(ws, header, body):
        for col, name in enumerate(header, start=1):
            width = len(name) + 3
            for r in body[:500]:
                v = r[col - 1]
                if v is not None:
                    width = max(width, min(MAX_WIDTH, len(str(v).split("\n")[0]) + 2))
            ws.column_dimensions[get_column_letter(col)].width = min(MAX_WIDTH, max(8, width))

    def write_body(ws, header, body, numeric_columns):
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

    # Card sheets.
    for sheet, model in CARD_SHEETS.items():
        ws = wb.create_sheet(sheet)
        record = inventory.card if sheet == "model" else inventory.published
        prefix = () if sheet == "model" else ("published",)
        body = [list(r) for r in card_rows(record, model, comments, prefix)]
        ws.append(list(CARD_COLUMNS))
        write_body(ws, CARD_COLUMNS, body, {1})
        style_header(ws, list(CARD_COLUMNS))
        size_columns(ws, CARD_COLUMNS, body)

    # Tables.
    units = set(COMMON_UNITS)
    codes = [a.code for a in inventory.activities]
    inputs = list(codes)
    if base is not None:
        units |= {f.unit for f in base.flows} | {p.unit for p in base.processes}
        inputs += [f.code for f in base.flows] + [p.code for p in base.processes]
    for table in TABLES:
        rows = getattr(inventory, table)
        units |= {getattr(r, "unit", "") for r in rows} - {""}
    for table in TABLES:
        model = TABLE_MODELS[table]
        rows = getattr(inventory, table)
        header = table_header(rows, model)
        numeric = {i for i, c in enumerate(header) if may_hold_number(model, c)}
        body = [[cell_value(t, i in numeric) for i, t in enumerate(_row_texts(r, header))]
                for r in rows]
        ws = wb.create_sheet(table)
        ws.append(header)
        write_body(ws, header, body, numeric)
        style_header(ws, header)
        size_columns(ws, header, body)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(2, len(body) + 1)}"
        for i, name in enumerate(header):
            letter = get_column_letter(i + 1)
            info = model.model_fields.get(name)
            allowed = choices(info.annotation) if info is not None else None
            strict = True
            if allowed is None and name == "unit":
                allowed, strict = sorted(units, key=str.lower), False
            elif allowed is None and name == "activity":
                allowed, strict = codes, False
            elif allowed is None and name == "input":
                allowed, strict = sorted(set(inputs), key=inputs.index), False
            if not allowed:
                continue
            ref = add_list(name if strict else f"{name} (suggestions)", list(allowed))
            dv = DataValidation(type="list", formula1=ref, allow_blank=True,
                                showErrorMessage=strict)
            if strict:
                dv.errorTitle = f"Not a valid {name}"
                dv.error = "Choose one of: " + ", ".join(allowed)
            dv.add(f"{letter}2:{letter}1048576")
            ws.add_data_validation(dv)

    _write_readme(readme, inventory, bold)
    wb.move_sheet(lists, offset=len(wb.sheetnames))
    lists.sheet_state = "hidden"
    wb.active = 0
    return wb


def _write_readme(ws, inventory: Inventory, bold) -> None:

    lines = [
        (f"{inventory.card.display_name}: inventory workbook written by lca-ai {__version__}",
         Font(bold=True, size=14)),
        ("Edit the sheets, then check and compute:", bold),
        ("    lca inventory validate THIS.xlsx    lists every problem: sheet, cell, value found, "
         "value expected", None),
        ("    lca assess --inventory THIS.xlsx --months 18    computes straight from this "
         "workbook", None),
        ("    lca inventory import THIS.xlsx -o inventories/<name>/    writes the text form "
         "kept in git (--force to overwrite)", None),
        ("Rules:", bold),
        ("  - Row 1 of each sheet holds the column names; keep the sheet names. Blank rows are "
         "skipped.", None),
        ("  - A parameter's value carries its unit in the same cell (\"700 W\"); a formula over "
         "parameters is written without '=' (\"server_max_power / gpus_per_server\").", None),
        ("  - An Excel formula (=...) is read through the value Excel saved with it; a file "
         "saved by a program that does not calculate has none, and that is reported.", None),
        ("  - Every value has its source in the 'source' column of its row (the card's sources "
         "are the 'sources' rows of sheet 'model').", None),
        ("  - A column you add is kept as an extra column ('extra:<name>') in the text form but "
         "not used in the calculation; a sheet you add is ignored. Both are reported.", None),
        ("  - Merged cells down one column give their value to every row they cover; merging "
         "across columns is refused.", None),
        ("  - The hidden sheet 'lists' holds the drop-down lists (stage, kind, serves, yes/no; "
         "suggested units and codes).", None),
        ("", None),
    ]
    for text, font in lines:
        ws.append([text])
        if font is not None:
            ws.cell(ws.max_row, 1).font = font
    start = ws.max_row + 1
    ws.append(["sheet", "column / field", "required", "allowed values", "meaning"])
    for col in range(1, 6):
        ws.cell(start, col).font = bold
    for sheet, model in CARD_SHEETS.items():
        ws.append([sheet, "field | value | comment", "", "", CARD_HELP[sheet]])
        for name, info in model.model_fields.items():
            allowed = choices(info.annotation)
            ws.append([sheet, name, "yes" if info.is_required() else "no",
                       ", ".join(allowed) if allowed else "", field_help(model, name)])
    for table in TABLES:
        model = TABLE_MODELS[table]
        for name, info in model.model_fields.items():
            allowed = choices(info.annotation)
            ws.append([table, name, "yes" if info.is_required() else "no",
                       ", ".join(allowed) if allowed else "", column_help(model, name)])
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
