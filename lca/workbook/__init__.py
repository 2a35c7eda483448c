"""Inventories in Excel: export a workbook a person can work in, read it back with every
problem located by sheet and cell, and write the canonical text form kept in git.

- :func:`export_workbook` (``lca inventory export``), :func:`validate`
  (``lca inventory validate``), :func:`import_workbook` (``lca inventory import``),
  :func:`new_inventory` (``lca inventory new``), :func:`read_workbook` (``lca assess
  --inventory x.xlsx``).
- Layout from :mod:`lca.schema` (:mod:`lca.workbook.layout`), canonical text form and atomic
  writing (:mod:`lca.workbook.canonical`), writing (:mod:`lca.workbook.export`), reading
  (:mod:`lca.workbook.read`).
"""

from __future__ import annotations

from pathlib import Path

from lca.errors import BadArgument, InventoryError, Problems


def export_workbook(inventory, output, force=False, base=None):
    """Write an :class:`~lca.text_inventory.Inventory` as an xlsx workbook."""
    from lca.workbook.export import export_workbook as _export

    return _export(inventory, output, force, base)


def read_workbook(path, problems: Problems | None = None):
    from lca.workbook.read import read_workbook as _read

    return _read(path, problems)


def validate(path):
    """A :class:`~lca.workbook.read.WorkbookReport` with every problem and warning."""
    from lca.workbook.read import validate as _validate

    return _validate(path)


def import_workbook(path, output, force: bool = False, check: bool = True):
    """Write the canonical text form of a workbook into the folder ``output``.

    With ``check`` (the default) the inventory must pass every check ``validate`` makes;
    without, only the cells and the schema are checked. Nothing is written when there is a
    problem. Returns (report, names of the files that changed)."""
    from lca.workbook.canonical import write_files
    from lca.workbook.read import placed, read_report
    from lca.workbook.read import validate as _validate

    if check:
        report = _validate(path)
    else:
        problems = Problems()
        report = read_report(path, problems)
        report.problems = placed(report, problems.items)
    if report.problems:
        raise InventoryError(report.problems)
    changed = write_files(Path(output), report.inventory.files, force)
    return report, changed


def load_source(source: str | Path):
    """An inventory from a model name, a text inventory folder or a workbook."""
    from lca.assessment import load_inventory

    path = Path(source)
    if path.exists():
        return load_inventory(None, path)
    return load_inventory(str(source), None)


def new_inventory(name: str, source, output, force: bool = False):
    """Start the model ``name`` from an existing inventory: same tables and comments, a card
    renamed, without aliases, reviewers or the source's published figures (they belong to
    the source model). ``output``: a folder (text form) or a .xlsx file."""
    import re

    from lca.workbook.canonical import canonical_files, comments_of, write_files

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", name) or len(name) > 100:
        raise BadArgument(f"model name {name!r}: use letters, digits, '-', '_' and '.', "
                          "starting with a letter or digit")
    original = load_source(source)
    card = original.card.model_copy(update={
        "name": name,
        "display_name": name,
        "aliases": [],
        "reviewers": [],
        "description": f"Started from {original.card.display_name} ({original.card.name}); "
                       f"edit this card. {original.card.description}",
    })
    comments = {k: v for k, v in comments_of(original).items() if k[0][:1] != ("published",)}
    inventory = type(original)(
        directory=Path(output), card=card, published=None, parameters=original.parameters,
        activities=original.activities, exchanges=original.exchanges, stages=original.stages,
    )
    inventory.files = canonical_files(inventory, comments)
    output = Path(output)
    if output.suffix.lower() == ".xlsx":
        return export_workbook(inventory, output, force)
    write_files(output, inventory.files, force)
    return output


__all__ = ["export_workbook", "import_workbook", "new_inventory", "read_workbook", "validate"]
