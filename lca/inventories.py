"""Working on inventories as files: check one (a folder or a workbook) against the base data,
export it as a workbook, import a workbook as canonical text, start a new model.

``lca inventory validate / export / import / new`` are thin calls of these functions. Every
problem is collected in one pass and located (file or sheet, row or cell, field); nothing is
written when there is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lca import catalog, formulas
from lca.errors import BadArgument, BadValue, InventoryError, Problem, Problems
from lca.files import write_files
from lca.resolve import resolve_base, resolve_model
from lca.text_inventory import Inventory, read_inventory
from lca.workbook import export, read
from lca.workbook.canonical import canonical_files, comments_of

MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


@dataclass
class ValidationReport:
    """What checking an inventory found: problems (located), warnings, rows read."""

    path: Path
    inventory: Inventory | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: int = 0

    def to_dict(self) -> dict:
        """The JSON of ``lca inventory validate --format json``."""
        return {"file": str(self.path), "problems": [_problem_dict(p) for p in self.problems],
                "warnings": list(self.warnings)}


def validate(path: str | Path) -> ValidationReport:
    """Every problem of a workbook or an inventory folder, from its cells to the checks that
    need the whole inventory (units, formulas, links)."""
    path = Path(path)
    if not path.exists():
        raise BadArgument(f"{path}: no such file or folder")
    problems = Problems()
    if path.is_dir():
        inventory = read_inventory(path, problems=problems)
        report = ValidationReport(path, inventory)
        placed = problems.items
    else:
        found = read.read_report(path, problems)
        inventory = found.inventory
        report = ValidationReport(path, inventory, warnings=list(found.warnings), rows=found.rows)
    if inventory is not None and inventory.card is not None:
        try:
            resolve_model(inventory, resolve_base(catalog.base_data()), problems)
        except InventoryError:
            pass  # every problem is in ``problems`` already
    if path.is_dir():
        placed = problems.items
        report.rows = sum(len(getattr(inventory, t))
                          for t in ("parameters", "activities", "exchanges", "stages"))
    else:
        placed = read.ordered(read.placed(found, problems.items))
    report.problems = _without_consequences(inventory, placed)
    return report


def _without_consequences(inventory, problems: list[Problem]) -> list[Problem]:
    """Drop "unknown name 'x'" where parameter x has its own problem: fixing that row fixes
    the formulas that use it, and a person should be sent to the row, not to its users."""
    if inventory is None:
        return problems
    bad_rows = {(p.location.file, p.location.sheet, p.location.row) for p in problems}
    bad = {q.name for q in inventory.parameters
           if (q._where.file, q._where.sheet, q._where.row) in bad_rows}
    uses = {}
    for q in inventory.parameters:
        try:
            uses[q.name] = set(formulas.parse(q.value).names)
        except BadValue:
            uses[q.name] = set()
    grown = True
    while grown:  # a formula over a broken parameter cannot be evaluated either
        more = {name for name, names in uses.items() if names & bad} - bad
        bad |= more
        grown = bool(more)
    kept = []
    for p in problems:
        names = re.findall(r"unknown name\(?s?\)? ([^;]+)", p.message)
        named = {n.strip(" '\"") for part in names for n in part.split(",")}
        if named and named <= bad:
            continue
        kept.append(p)
    return kept


def _problem_dict(problem: Problem) -> dict:
    loc = problem.location
    column = getattr(loc, "column", None)
    return {"file": loc.file, "sheet": loc.sheet, "row": loc.row, "column": column,
            "cell": f"{column}{loc.row}" if column and loc.row else None, "field": loc.field,
            "message": problem.message}


def export_workbook(model: str | None, inventory: str | Path | None, output: str | Path | None,
                    force: bool = False) -> Path:
    """Write a shipped model or an inventory (folder or workbook) as an xlsx workbook."""
    inv = catalog.load_inventory(model if inventory is None else None, inventory)
    target = Path(output) if output is not None else Path(f"{inv.name}.xlsx")
    return export.export_workbook(inv, target, force, catalog.base_data())


def import_workbook(path: str | Path, output: str | Path, force: bool = False,
                    check: bool = True) -> tuple[ValidationReport, list[str]]:
    """Write the canonical text form of a workbook into the folder ``output``.

    With ``check`` (the default) the inventory must pass every check ``validate`` makes;
    without, only the cells and the schema are checked. Nothing is written when there is a
    problem. Returns (report, names of the files that changed)."""
    if check:
        report = validate(path)
    else:
        problems = Problems()
        found = read.read_report(path, problems)
        report = ValidationReport(Path(path), found.inventory, read.placed(found, problems.items),
                                  list(found.warnings), found.rows)
    if report.problems:
        raise InventoryError(report.problems)
    changed = write_files(Path(output), report.inventory.files, force)
    return report, changed


def new_inventory(name: str, source: str | Path, output: str | Path, force: bool = False):
    """Start the model ``name`` from an existing inventory: same tables and comments, a card
    renamed, without aliases, reviewers or the source's published figures (they belong to
    the source model). ``output``: a folder (text form) or a .xlsx file."""
    if not MODEL_NAME.fullmatch(name) or len(name) > 100:
        raise BadArgument(f"model name {name!r}: use letters, digits, '-', '_' and '.', "
                          "starting with a letter or digit")
    original = catalog.load_source(source)
    card = original.card.model_copy(update={
        "name": name,
        "display_name": name,
        "aliases": [],
        "reviewers": [],
        "developer": f"(to fill in; started from {original.card.developer}'s "
                     f"{original.card.name})",
        "description": f"Started from {original.card.display_name} ({original.card.name}); "
                       f"edit this card. {original.card.description}",
    })
    # The source's published figures and header comment belong to it (a header may say the
    # files are generated from a spec.toml that is not copied).
    comments = {k: v for k, v in comments_of(original).items()
                if k[0][:1] != ("published",) and k != (("name",), 0)}
    inventory = Inventory(
        directory=Path(output), card=card, published=None, parameters=original.parameters,
        activities=original.activities, exchanges=original.exchanges, stages=original.stages,
    )
    comments[(("name",), 0)] = (f"{name}: started from {original.card.name} with "
                                "`lca inventory new`; edit every file as your own.")
    inventory.files = canonical_files(inventory, comments)
    output = Path(output)
    if output.suffix.lower() == ".xlsx":
        return export.export_workbook(inventory, output, force)
    write_files(output, inventory.files, force)
    return output

