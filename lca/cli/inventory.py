"""``lca inventory ...``: work on inventories (Excel export/import/validate, new models,
measured data); thin calls of :mod:`lca.inventories` and :mod:`lca.measurements`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import lca
from lca.cli.common import EXIT_BAD_INPUT, InventoryOption, handled, print_json
from lca.cli.measurements import measurements_app

inventory_app = typer.Typer(
    help="Create, export, check and import inventories.", no_args_is_help=True
)
inventory_app.add_typer(measurements_app, name="measurements")


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


@inventory_app.command("export")
@handled
def export(
    model: Annotated[str | None, typer.Option("--model", "-m",
                                              help="Shipped model name or alias.")] = None,
    inventory: InventoryOption = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="The .xlsx to write (default: NAME.xlsx).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write an inventory as an Excel workbook to edit (README sheet, drop-down lists)."""
    if model is None and inventory is None:
        model = "large-2"
    target = lca.inventories.export_workbook(model, inventory, output, force)
    typer.echo(f"wrote {target}", err=True)


@inventory_app.command("validate")
@handled
def validate(
    file: Annotated[Path, typer.Argument(help="A workbook (.xlsx) or an inventory folder.")],
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.text,
) -> None:
    """List every problem of a workbook or folder in one pass; exit 2 if there is any."""
    report = lca.inventories.validate(file)
    if output_format is ReportFormat.json:
        print_json(report.to_dict())
    else:
        n = len(report.problems)
        typer.echo(f"{file}: " + (f"{n} problem{'s' if n != 1 else ''}" if n else
                                  f"no problems ({report.rows} rows)"))
        for p in report.problems:
            typer.echo(f"  - {p}")
        for w in report.warnings:
            typer.echo(f"  warning: {w}")
    if report.problems:
        raise typer.Exit(code=EXIT_BAD_INPUT)


@inventory_app.command("import")
@handled
def import_(
    file: Annotated[Path, typer.Argument(help="The workbook (.xlsx) to read.")],
    output: Annotated[Path, typer.Option("--output", "-o",
                                         help="The inventory folder to write.")],
    force: Annotated[bool, typer.Option(
        help="Overwrite the files of an existing inventory.")] = False,
) -> None:
    """Write a workbook back as the text inventory kept in git (nothing if any problem)."""
    report, changed = lca.inventories.import_workbook(file, output, force)
    for message in report.warnings:
        typer.echo(f"warning: {message}", err=True)
    what = ", ".join(changed) if changed else "nothing changed"
    typer.echo(f"wrote {output} ({what})", err=True)


@inventory_app.command("new")
@handled
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
    target = output or Path("inventories") / name
    lca.inventories.new_inventory(name, source, target, force)
    typer.echo(f"wrote {target}; next: lca assess --inventory {target}", err=True)
