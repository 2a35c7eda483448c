"""The ``lca`` application: ``assess`` and ``models`` here, the other commands in their own
modules (one concern each), registered in the order a user meets them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import lca
from lca.cli import allocate, calibrate, inventory, render, report, uncertainty
from lca.cli.common import (
    STATE,
    Format,
    FormatOption,
    InventoryOption,
    ModelOption,
    MonthsOption,
    TokensOption,
    handled,
)

app = typer.Typer(
    name="lca",
    help="Life-cycle assessment of AI models: GWP100 (kg CO2e), water consumed (m3) and "
    "abiotic depletion (kg Sb eq), by stage and per response.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lca-ai {lca.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the traceback of an internal error.")] = False,
    version: Annotated[bool, typer.Option(  # noqa: ARG001 (acted on by its callback)
        "--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """Life-cycle assessment of AI models."""
    STATE["debug"] = debug


@app.command()
@handled
def assess(
    model: ModelOption = "large-2",
    months: MonthsOption = 18,
    tokens: TokensOption = 400,
    output_format: FormatOption = Format.table,
    inventory: InventoryOption = None,
    implied: Annotated[bool, typer.Option(
        "--implied", help="Also show the physical quantities the result implies (energy per "
                          "response, fleet, GPU-hours...) next to public references.")] = False,
) -> None:
    """Life-cycle impacts of a model: by stage, in total and per response."""
    result = lca.assess(model if inventory is None else None, months, tokens, inventory)
    render.print_assessment(result, output_format.value, implied)


@app.command()
@handled
def models() -> None:
    """The models shipped with the engine."""
    render.print_models(lca.list_models())


app.command(name="report")(report.report)
uncertainty.register(app)  # uncertainty, sensitivity, compare
app.command(name="calibrate")(calibrate.calibrate)
app.command(name="allocate")(allocate.allocate)
app.add_typer(inventory.inventory_app, name="inventory")


def run() -> None:
    """Console-script entry point."""
    app(prog_name="lca")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
