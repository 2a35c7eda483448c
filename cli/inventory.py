"""``lca inventory ...``: work on inventories (Excel export/import/validate, new models,
measured data). Each group of commands lives in its own module and is added here."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.measurements import measurements_app

inventory_app = typer.Typer(
    help="Create, export, check and import inventories.", no_args_is_help=True
)
inventory_app.add_typer(measurements_app, name="measurements")


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _warn(messages) -> None:
    for message in messages:
        typer.echo(f"warning: {message}", err=True)


@inventory_app.command("export")
def export(
    model: Annotated[str | None, typer.Option("--model", "-m",
                                              help="Shipped model name or alias.")] = None,
    inventory: Annotated[Path | None, typer.Option(
        help="An inventory folder (or workbook) instead of a shipped model.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="The .xlsx to write (default: NAME.xlsx).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write an inventory as an Excel workbook to edit (README sheet, drop-down lists)."""
    from lca.errors import LCAError

    try:
        from lca.assessment import load_inventory
        from lca.catalog import data_root
        from lca.text_inventory import read_base
        from lca.workbook import export_workbook

        if model is None and inventory is None:
            model = "large-2"
        inv = load_inventory(model if inventory is None else None, inventory)
        target = output or Path(f"{inv.name}.xlsx")
        export_workbook(inv, target, force, read_base(data_root()))
    except LCAError as exc:
        _fail(str(exc))
    typer.echo(f"wrote {target}", err=True)


@inventory_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="A workbook (.xlsx) or an inventory folder.")],
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.text,
) -> None:
    """List every problem of a workbook or folder in one pass; exit 2 if there is any."""
    import json

    from lca.errors import LCAError

    try:
        problems, warnings, rows = _check(file)
    except LCAError as exc:
        _fail(str(exc))
    if output_format is ReportFormat.json:
        typer.echo(json.dumps({
            "file": str(file),
            "problems": [_problem_dict(p) for p in problems],
            "warnings": warnings,
        }, indent=2))
    else:
        n = len(problems)
        typer.echo(f"{file}: " + (f"{n} problem{'s' if n != 1 else ''}" if n else
                                  f"no problems ({rows} rows)"))
        for p in problems:
            typer.echo(f"  - {p}")
        for w in warnings:
            typer.echo(f"  warning: {w}")
    if problems:
        raise typer.Exit(code=2)


def _check(file: Path):
    if file.is_dir():
        from lca.catalog import data_root
        from lca.errors import InventoryError, Problems
        from lca.resolve import resolve_base, resolve_model
        from lca.text_inventory import read_base, read_inventory

        problems = Problems()
        inv = read_inventory(file, problems=problems)
        if inv.card is not None:
            try:
                resolve_model(inv, resolve_base(read_base(data_root())), problems)
            except InventoryError:
                pass
        rows = sum(len(getattr(inv, t)) for t in ("parameters", "activities", "exchanges",
                                                   "stages"))
        return problems.items, [], rows
    from lca.workbook import validate as validate_workbook

    report = validate_workbook(file)
    return report.problems, report.warnings, report.rows


def _problem_dict(problem) -> dict:
    loc = problem.location
    column = getattr(loc, "column", None)
    return {"file": loc.file, "sheet": loc.sheet, "row": loc.row, "column": column,
            "cell": f"{column}{loc.row}" if column and loc.row else None, "field": loc.field,
            "message": problem.message}


@inventory_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="The workbook (.xlsx) to read.")],
    output: Annotated[Path, typer.Option("--output", "-o",
                                         help="The inventory folder to write.")],
    force: Annotated[bool, typer.Option(
        help="Overwrite the files of an existing inventory.")] = False,
) -> None:
    """Write a workbook back as the text inventory kept in git (nothing if any problem)."""
    from lca.errors import LCAError

    try:
        from lca.workbook import import_workbook

        report, changed = import_workbook(file, output, force)
    except LCAError as exc:
        _fail(str(exc))
    _warn(report.warnings)
    what = ", ".join(changed) if changed else "nothing changed"
    typer.echo(f"wrote {output} ({what})", err=True)


@inventory_app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="Name of the new model.")],
    source: Annotated[str, typer.Option("--from", help="Model name, inventory folder or workbook "
                                                       "to start from.")] = "large-2",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o",
        help="Folder to write (default: inventories/NAME), or a .xlsx file.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Start a new model from an existing one (its published figures are not copied)."""
    from lca.errors import LCAError

    target = output or Path("inventories") / name
    try:
        from lca.workbook import new_inventory

        new_inventory(name, source, target, force)
    except LCAError as exc:
        _fail(str(exc))
    typer.echo(f"wrote {target}; next: lca assess --inventory {target}", err=True)
