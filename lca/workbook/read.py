"""Read an inventory workbook: every cell as the text the engine reads, every problem found in
one pass, each with its sheet, cell, the value found and what was expected.

What people really put in cells is handled on purpose (see the README sheet the export
writes): numbers stored as text, numbers with their unit, dates, percents, trailing spaces,
blank rows, Excel formulas (their saved value, or an error when the file has none, never a
silent 0), merged cells, extra columns (kept as ``extra:<name>``, reported), extra sheets
(ignored, reported). The file itself is checked before openpyxl parses it: not a workbook,
password-protected, too large, or an XML bomb (openpyxl parses with defusedxml, required).
"""

from __future__ import annotations

import logging
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from lca.errors import InventoryError, Location, Problem, Problems
from lca.schema import OPTIONAL_TABLES, TABLE_MODELS
from lca.text_inventory import EXTRA_PREFIX, Inventory, parse_rows
from lca.units import registry
from lca.workbook.canonical import CommentKey, canonical_files
from lca.workbook.layout import (
    CARD_COLUMNS,
    CARD_SHEETS,
    LISTS_SHEET,
    README_SHEET,
    TABLES,
    CellLocation,
    FieldShape,
    cell_text,
    choices,
    normalise_comment,
    shape,
)

log = logging.getLogger("lca.workbook")

MAX_FILE_BYTES = 50 * 2**20  # a 5,000-row inventory is about 0.3 MB
MAX_UNCOMPRESSED_BYTES = 400 * 2**20  # beyond this the zip is refused (zip bomb)
MAX_ROWS = 200_000
_NUMBER_WITH_UNIT = re.compile(
    r"^([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*([^\d\s].*)$")


@dataclass
class WorkbookReport:
    """What reading a workbook found."""

    path: Path
    inventory: Inventory | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: int = 0


class _Sheet:
    """One worksheet's cells as a dict, merged ranges filled down, formulas resolved."""

    def __init__(self, reader: _Reader, ws, name: str):
        self.reader, self.ws, self.name = reader, ws, name
        self.cells = ws._cells  # {(row, col): Cell}; only the cells the file has
        self.filled: dict[tuple[int, int], tuple[int, int]] = {}
        self.letter = get_column_letter
        for rng in ws.merged_cells.ranges:
            if rng.min_col == rng.max_col:
                for r in range(rng.min_row + 1, rng.max_row + 1):
                    self.filled[(r, rng.min_col)] = (rng.min_row, rng.min_col)
                reader.warn(self.name, None, None,
                            f"cells {rng.coord} are merged: their value is used for each of "
                            f"rows {rng.min_row}-{rng.max_row}")
            else:
                self.reader.cell_problem(self.name, rng.min_row, rng.min_col, None,
                                         f"cells {rng.coord} are merged across columns; "
                                         "unmerge them (each column holds its own value)")
        used = [(r, c) for (r, c), cell in self.cells.items() if cell.value is not None]
        self.rows = sorted({r for r, _ in used})
        self.max_col = max((c for _, c in used), default=0)

    def text(self, r: int, c: int, field_name: str | None, boolean: bool = False) -> str:
        r0, c0 = self.filled.get((r, c), (r, c))
        cell = self.cells.get((r0, c0))
        if cell is None or cell.value is None:
            return ""
        value, number_format = cell.value, cell.number_format
        if cell.data_type == "f":
            formula = value if isinstance(value, str) else getattr(value, "text", str(value))
            cached = self.reader.cached(self.name, r0, c0)
            if cached is None:
                self.reader.cell_problem(
                    self.name, r, c, field_name,
                    f"holds the Excel formula {formula} but the file keeps no value computed "
                    "for it (it was saved by a program that does not calculate): open and "
                    "save it in Excel or LibreOffice Calc, or type the value")
                return ""
            if isinstance(cached, str) and cached.startswith("#"):
                self.reader.cell_problem(
                    self.name, r, c, field_name,
                    f"the Excel formula {formula} gives the error {cached}; inventory formulas "
                    "are written without '=' (for example: training_pue * 1.1)")
                return ""
            self.reader.warn(self.name, r, c,
                             f"holds the Excel formula {formula}; its saved value {cached!r} is "
                             "used (the Excel formula itself is not kept)")
            value = cached
        elif cell.data_type == "e":
            self.reader.cell_problem(self.name, r, c, field_name,
                                     f"holds the Excel error {value}; expected a value")
            return ""
        return cell_text(value, number_format, boolean)


class _Reader:
    def __init__(self, path: Path, problems: Problems):
        self.path = path
        self.label = str(path)
        self.problems = problems
        self.warnings: list[str] = []
        self.wb = None
        self._values = None
        self.letters: dict[str, dict[str, str]] = {}  # sheet -> field -> column letter
        self.card_rows: dict[str, dict[str, int]] = {}  # card sheet -> field -> first row

    # -- reporting
    def problem(self, sheet, row, field_name, message):
        self.problems.add(Location(self.label, row, field_name, sheet), message)

    def cell_problem(self, sheet, row, col, field_name, message):
        if field_name is None:
            self.problems.add(CellLocation(self.label, row, None, sheet,
                                           get_column_letter(col)), message)
        else:
            self.problem(sheet, row, field_name, message)

    def warn(self, sheet, row, col, message):
        where = CellLocation(self.label, row, None, sheet,
                             get_column_letter(col) if col else None)
        self.warnings.append(f"{where}: {message}")

    # -- the file
    def open(self) -> bool:
        path = self.path
        if not path.is_file():
            self.problem(None, None, None, "no such file" if not path.exists() else "not a file")
            return False
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            self.problem(None, None, None, f"the file is {size / 2**20:.0f} MB; workbooks above "
                                           f"{MAX_FILE_BYTES / 2**20:.0f} MB are refused")
            return False
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            data = path.read_bytes()
            if "EncryptedPackage".encode("utf-16-le") in data:
                self.problem(None, None, None, "the workbook is password-protected (encrypted); "
                                               "save a copy without a password and read that")
            else:
                self.problem(None, None, None, "an Excel 97-2003 (.xls) file; expected an xlsx "
                                               "workbook: save it as .xlsx")
            return False
        if not head.startswith(b"PK"):
            hint = " (it looks like text: CSV files go in an inventory folder)" if \
                all(32 <= b < 127 or b in (9, 10, 13) for b in head) else ""
            self.problem(None, None, None, f"not an xlsx workbook{hint}")
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError) as exc:
            self.problem(None, None, None, f"not an xlsx workbook (damaged zip: {exc})")
            return False
        if "xl/workbook.xml" not in names:
            what = "an OpenDocument spreadsheet; save it as .xlsx" if "content.xml" in names \
                else "a zip file, not an xlsx workbook"
            self.problem(None, None, None, what)
            return False
        if unpacked > MAX_UNCOMPRESSED_BYTES:
            self.problem(None, None, None,
                         f"the workbook unpacks to {unpacked / 2**20:.0f} MB; above "
                         f"{MAX_UNCOMPRESSED_BYTES / 2**20:.0f} MB it is refused (zip bomb?)")
            return False
        if not openpyxl.DEFUSEDXML:
            self.problem(None, None, None, "refusing to read workbooks without defusedxml "
                                           "(it protects against XML bombs): pip install "
                                           "defusedxml")
            return False
        self.wb = self._load(data_only=False)
        return self.wb is not None

    def _load(self, data_only: bool):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
                return openpyxl.load_workbook(self.path, data_only=data_only)
        except Exception as exc:  # defusedxml, zip, XML and openpyxl errors alike
            name = type(exc).__name__
            if name in ("EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden",
                        "NotSupportedError") or "entit" in str(exc).lower():
                self.problem(None, None, None, "refused: the workbook's XML declares entities "
                                               f"or a DTD (an XML bomb?) ({name})")
            else:
                self.problem(None, None, None, f"cannot read the workbook ({name}: {exc})")
            return None

    def cached(self, sheet: str, r: int, c: int):
        if self._values is None:
            self._values = self._load(data_only=True) or False
        if not self._values:
            return None
        ws = self._values[self.sheet_names[sheet]]
        cell = ws._cells.get((r, c))
        return None if cell is None else cell.value

    # -- sheets
    def sheets(self) -> dict[str, _Sheet]:
        by_name = {}
        self.sheet_names = {}
        for title in self.wb.sheetnames:
            key = title.strip().lower()
            if key in (README_SHEET.lower(), LISTS_SHEET):
                continue
            wanted = next((s for s in (*CARD_SHEETS, *TABLES) if s == key), None)
            if wanted is None:
                self.warn(title, None, None, "not an inventory sheet; ignored (it is not "
                                             "imported)")
                continue
            if wanted in by_name:
                self.problem(title, None, None, f"a second sheet named {wanted!r}")
                continue
            self.sheet_names[wanted] = title
            by_name[wanted] = _Sheet(self, self.wb[title], wanted)
        for wanted in (*CARD_SHEETS, *TABLES):
            if wanted not in by_name and wanted not in OPTIONAL_TABLES:
                self.problem(wanted, None, None, "sheet is missing (expected sheets: "
                                                 + ", ".join((*CARD_SHEETS, *TABLES)) + ")")
        return by_name

    def header(self, sheet: _Sheet, known: list[str], extras_allowed: bool):
        """Column names by column number, and the header's row number."""
        if not sheet.rows:
            self.problem(sheet.name, None, None, "the sheet is empty; row 1 must hold the "
                                                 "column names: " + ", ".join(known))
            return None, 0
        row = sheet.rows[0]
        lower = {k.lower(): k for k in known}
        names: dict[int, str] = {}
        seen: dict[str, int] = {}
        for c in range(1, sheet.max_col + 1):
            text = sheet.text(row, c, None).strip()
            letter = sheet.letter(c)
            if not text:
                if any((r, c) in sheet.cells and sheet.cells[(r, c)].value is not None
                       for r in sheet.rows[1:]):
                    text = f"column {letter}"
                else:
                    continue
            name = lower.get(text.lower())
            if name is None:
                if not extras_allowed:
                    self.cell_problem(sheet.name, row, c, None,
                                      f"unexpected column {text!r}; this sheet has the columns "
                                      f"{', '.join(known)} (put notes in 'comment')")
                    continue
                name = text if text.startswith(EXTRA_PREFIX) else EXTRA_PREFIX + text
                self.warn(sheet.name, None, c, f"column {text!r} is not an inventory column: "
                                               f"kept as {name!r} in the text form, not used in "
                                               "the calculation")
            if name in seen:
                self.cell_problem(sheet.name, row, c, None,
                                  f"column {name!r} appears twice (columns "
                                  f"{sheet.letter(seen[name])} and {letter})")
                continue
            seen[name] = c
            names[c] = name
        self.letters[sheet.name] = {n: sheet.letter(c) for c, n in names.items()}
        return names, row

    # -- tables
    def table(self, sheet: _Sheet, model: type[BaseModel]) -> list[BaseModel]:
        names, header_row = self.header(sheet, list(model.model_fields), True)
        if names is None:
            return []
        columns = sorted(names)
        booleans = {c for c in columns if choices_of(model, names[c]) == ("yes", "no")}
        last = sheet.rows[-1]
        if last - header_row > MAX_ROWS:
            self.problem(sheet.name, None, None, f"{last - header_row} rows; the limit is "
                                                 f"{MAX_ROWS}")
            return []
        body = []
        for r in range(header_row + 1, last + 1):
            body.append([sheet.text(r, c, names[c], c in booleans) for c in columns])
        header = [names[c] for c in columns]
        self._split_units(sheet, header, body, header_row)
        return parse_rows([header, *body], model, self.problems, self.label, sheet.name,
                          start=header_row + 1)

    def _split_units(self, sheet: _Sheet, header, body, header_row):
        """"700 kWh" in an amount cell: the number stays, the unit goes to (or must match)
        the unit column."""
        if "amount" not in header or "unit" not in header:
            return
        a, u = header.index("amount"), header.index("unit")
        for i, cells in enumerate(body):
            match = _NUMBER_WITH_UNIT.match(cells[a])
            if not match:
                continue
            number, unit_text = match.group(1), match.group(2).strip()
            try:
                given = registry().Quantity(1.0, unit_text)
                column = registry().Quantity(1.0, cells[u]) if cells[u] else None
            except Exception:
                continue  # a formula such as "2 * x": left to the formula reader
            row = header_row + 1 + i
            if column is None or (given.units == column.units):
                self.warn(sheet.name, row, None,
                          f"amount {cells[a]!r} holds its unit: read as amount {number} and "
                          f"unit {unit_text!r}")
                cells[a] = number
                cells[u] = cells[u] or unit_text
            else:
                self.problem(sheet.name, row, "amount",
                             f"the amount {cells[a]!r} carries the unit {unit_text!r} but column "
                             f"'unit' says {cells[u]!r}; expected a number in 'amount' and its "
                             "unit in 'unit'")

    # -- card sheets
    def card(self, sheet: _Sheet | None, model: type[BaseModel], prefix, comments):
        if sheet is None:
            return None
        col = self._card_columns(sheet)
        if col is None:
            return None
        card = _CardSheet(self, sheet, model, prefix, comments, col)
        for r in sheet.rows[1:]:
            card.read_row(r)
        self.card_rows[sheet.name] = card.first_row
        if not card.any_row and sheet.name == "published":
            return None
        return card.build()

    def _card_columns(self, sheet: _Sheet) -> dict[str, int] | None:
        """Column numbers of a card sheet's field, value (and comment) columns; None when
        field or value is missing (both are reported)."""
        names, header_row = self.header(sheet, list(CARD_COLUMNS), False)
        if names is None:
            return None
        col = {n: c for c, n in names.items()}
        for needed in ("field", "value"):
            if needed not in col:
                self.problem(sheet.name, header_row, needed, "required column is missing")
        if "field" not in col or "value" not in col:
            return None
        self.letters[sheet.name] = {"*": sheet.letter(col["value"])}
        return col

    # -- locations for people
    def place(self, problem: Problem) -> Problem:
        loc = problem.location
        if isinstance(loc, CellLocation):
            return problem
        if loc.file.endswith("model.toml") and loc.field and loc.sheet is None:
            row = self.card_rows.get("model", {}).get(loc.field.split(".")[0])
            letter = self.letters.get("model", {}).get("*")
            return Problem(CellLocation(self.label, row, loc.field, "model", letter),
                           problem.message)
        message = problem.message
        if message.startswith(("String should have at least 1 character", "Field required")):
            message = "empty cell; a value is required"
        problem = Problem(loc, message)
        letters = self.letters.get(loc.sheet or "", {})
        letter = letters.get(loc.field or "") or letters.get("*")
        if loc.sheet in CARD_SHEETS and loc.row is None:
            letter = None
        return Problem(CellLocation(loc.file, loc.row, loc.field, loc.sheet, letter),
                       problem.message)


@dataclass(frozen=True)
class _CardRow:
    """One filled row of a card sheet whose field is known: "label" is "name" or
    "name.rest" (the keys of a dict field)."""

    row: int
    label: str
    name: str
    rest: str
    value: str
    note: str
    info: FieldInfo
    kind: FieldShape


class _CardSheet:
    """A card sheet (model or published) read row by row into the card's fields, with the
    row each field (list item, dict key) came from, for locating validation errors."""

    def __init__(self, reader: _Reader, sheet: _Sheet, model: type[BaseModel], prefix,
                 comments: dict[CommentKey, str], col: dict[str, int]):
        self.reader, self.sheet, self.model = reader, sheet, model
        self.prefix, self.comments, self.col = prefix, comments, col
        self.fields = model.model_fields
        self.data: dict = {}
        self.where: dict[tuple, int] = {}  # (field, keys...) -> row
        self.first_row: dict[str, int] = {}  # field -> its first row
        self.any_row = False
        self._by_kind = {"scalar": self._scalar, "list": self._list_item, "dict": self._dict_leaf}

    def problem(self, row, field_name, message):
        self.reader.problem(self.sheet.name, row, field_name, message)

    def read_row(self, r: int) -> None:
        """Read row ``r`` into the card (blank rows skipped, unknown fields reported)."""
        label = self.sheet.text(r, self.col["field"], None).strip()
        info = self.fields.get(label.split(".", 1)[0]) if label else None
        value = self.sheet.text(r, self.col["value"], label or "value", _is_yes_no(info))
        note = normalise_comment(self.sheet.text(r, self.col["comment"], "comment")) \
            if "comment" in self.col else ""
        if not (label or value or note):
            return
        self.any_row = True
        if not label:
            self.problem(r, "field", f"empty field name (value found: {value!r}); "
                                     "expected one of " + ", ".join(self.fields))
            return
        name, _, rest = label.partition(".")
        if info is None:
            self.problem(r, label, f"unknown field {name!r}; expected one of "
                                   + ", ".join(self.fields))
            return
        self.first_row.setdefault(name, r)
        row = _CardRow(r, label, name, rest, value, note, info, shape(info.annotation))
        self._by_kind[row.kind.kind](row)

    def _scalar(self, row: _CardRow) -> None:
        """A single-valued field: one row, no keys."""
        name, r = row.name, row.row
        if row.rest:
            self.problem(r, row.label, f"field {name!r} has no keys")
            return
        if name in self.data:
            self.problem(r, row.label, f"field {name!r} is given twice (rows "
                                       f"{self.where[(name,)]} and {r})")
            return
        self.where[(name,)] = r
        if row.value or row.info.is_required() or row.info.get_default() == "":
            self.data[name] = row.value
        if row.note:
            self.comments[((*self.prefix, name), 0)] = row.note

    def _list_item(self, row: _CardRow) -> None:
        """One item of a list field per row; a comment on a row without a value belongs to
        the item above."""
        name, r, path = row.name, row.row, (*self.prefix, row.name)
        if row.rest:
            self.problem(r, row.label, f"field {name!r} is a list, not a table")
            return
        items = self.data.setdefault(name, [])
        if row.value:
            self.where[(name, str(len(items)))] = r
            if row.note:
                self.comments[(path, len(items))] = row.note
            items.append(row.value)
        elif row.note:
            self.comments[(path, max(len(items) - 1, 0))] = row.note
        self.where.setdefault((name,), r)

    def _dict_leaf(self, row: _CardRow) -> None:
        """One leaf of a (nested) dict field, labelled "name.key[.key]"."""
        name, r, label = row.name, row.row, row.label
        depth = row.kind.depth
        keys = row.rest.rsplit(".", depth - 1) if row.rest else []
        node = self.data.setdefault(name, {})
        if len(keys) < depth and row.value:
            self.problem(r, label, f"expected {'.'.join([name] + ['<key>'] * depth)}")
            return
        for k in keys[:-1] if len(keys) == depth else keys:
            node = node.setdefault(k, {})
        if len(keys) == depth:
            if keys[-1] in node:
                self.problem(r, label, f"{label!r} is given twice")
                return
            node[keys[-1]] = row.value
        self.where[(name, *keys)] = r
        self.where.setdefault((name,), r)
        if row.note:
            self.comments[((*self.prefix, name, *keys), 0)] = row.note

    def build(self):
        """The card record, or None with each validation error placed on its row."""
        try:
            return self.model(**self.data).located(
                Location(self.reader.label, None, None, self.sheet.name))
        except ValidationError as exc:
            for err in exc.errors():
                self._validation_problem(err)
            return None

    def _validation_problem(self, err: dict) -> None:
        loc = tuple(str(p) for p in err["loc"] if p != "[key]")
        row = self._row_of(loc)
        label = ".".join(loc) or None
        if row is None and err["type"] == "missing":
            self.problem(None, label, f"missing; add a row with field {label!r}")
            return
        found = self.sheet.text(row, self.col["value"], label) if row else ""
        self.problem(row, label, f"{err['msg']} (found {found!r})")

    def _row_of(self, loc: tuple[str, ...]) -> int | None:
        """The row of the error's field: the deepest part of its path that a row gave."""
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.where:
                return self.where[loc[:n]]
        return None


def _is_yes_no(info: FieldInfo | None) -> bool:
    """Whether a card field is a yes/no field, so that an Excel TRUE/FALSE cell reads as
    yes/no."""
    return info is not None and choices(shape(info.annotation).leaf) == ("yes", "no")


def choices_of(model: type[BaseModel], name: str):
    info = model.model_fields.get(name)
    return None if info is None else choices(info.annotation)


def read_report(path: str | Path, problems: Problems | None = None) -> WorkbookReport:
    """Read a workbook; problems are collected (never raised), warnings listed."""
    path = Path(path)
    problems = problems if problems is not None else Problems()
    reader = _Reader(path, problems)
    report = WorkbookReport(path, None)
    if reader.open():
        sheets = reader.sheets()
        comments: dict[CommentKey, str] = {}
        card = reader.card(sheets.get("model"), CARD_SHEETS["model"], (), comments)
        published = reader.card(sheets.get("published"), CARD_SHEETS["published"],
                                ("published",), comments)
        tables = {t: reader.table(sheets[t], TABLE_MODELS[t]) if t in sheets else []
                  for t in TABLES}
        report.rows = sum(len(v) for v in tables.values())
        inventory = Inventory(directory=path, card=card, published=published, files={}, **tables)
        if card is not None:
            try:
                inventory.files = canonical_files(inventory, comments)
            except Exception:  # rows kept unvalidated for further checks; problems are listed
                inventory.files = {}
        report.inventory = inventory
    report.warnings = reader.warnings
    report._reader = reader
    return report


def placed(report: WorkbookReport, problems: list[Problem]) -> list[Problem]:
    reader = getattr(report, "_reader", None)
    return [reader.place(p) if reader else p for p in problems]


def read_workbook(path: str | Path, problems: Problems | None = None) -> Inventory:
    """The inventory in a workbook (for ``lca assess --inventory x.xlsx``). Warnings are
    logged; problems are raised, or collected in ``problems`` when it is given."""
    own = problems is None
    collector = Problems()
    report = read_report(path, collector)
    for message in report.warnings:
        log.warning("warning: %s", message)
    target = Problems() if own else problems
    for p in placed(report, collector.items):
        target.add(p.location, p.message)
    if own or report.inventory is None:
        target.raise_if_any()
    if report.inventory is None:
        raise InventoryError([Problem(Location(str(path)), "cannot read the workbook")])
    return report.inventory


def ordered(problems: list[Problem]) -> list[Problem]:
    order = {s: i for i, s in enumerate((*CARD_SHEETS, *TABLES))}

    def key(p: Problem):
        loc = p.location
        column = getattr(loc, "column", None) or ""
        return (order.get(loc.sheet, -1), loc.row or 0, len(column), column)

    return sorted(problems, key=key)
