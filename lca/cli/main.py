"""The ``lca`` application: ``assess`` and ``models`` here, the other commands in their own
modules (one concern each), registered in the order a user meets them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import lca
from lca.cli import (
    allocate,
    calibrate,
    export,
    inventory,
    render,
    report,
    uncertainty,
    validation,
)
from lca.cli.common import (
    STATE,
    BackgroundOption,
    BrightwayDirOption,
    Format,
    FormatOption,
    InventoryOption,
    LinkOption,
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
    contributions: Annotated[bool, typer.Option(
        "--contributions", help="Also list, per indicator, the processes and elementary "
                                "flows that contribute most, by stage and for the life "
                                "cycle (JSON: the key 'contributions').")] = False,
    top: Annotated[int, typer.Option(
        help="With --contributions: how many processes and flows to list per stage (the "
             "rest is summed as 'other').", min=1)] = 5,
    implied: Annotated[bool, typer.Option(
        "--implied", help="Also show the physical quantities the result implies (energy per "
                          "response, fleet, GPU-hours...) next to public references.")] = False,
    background: BackgroundOption = None,
    link: LinkOption = None,
    brightway_dir: BrightwayDirOption = None,
) -> None:
    """Life-cycle impacts of a model: by stage, in total and per response."""
    result = lca.assess(model if inventory is None else None, months, tokens, inventory,
                        background=background, link=link, brightway_dir=brightway_dir)
    render.print_assessment(result, output_format.value,
                            result.contributions() if contributions else None, top, implied)


@app.command()
@handled
def models() -> None:
    """The models shipped with the engine (and, apart, the validation studies)."""
    entries = lca.list_models()
    render.print_models(entries, lca.tokens.token_assumptions(entries),
                        lca.catalog.list_studies())


app.command(name="report")(report.report)
uncertainty.register(app)  # uncertainty, sensitivity, compare
app.command(name="calibrate")(calibrate.calibrate)
app.command(name="allocate")(allocate.allocate)
app.command(name="validation")(validation.validation)
app.command(name="export")(export.export)
app.add_typer(inventory.inventory_app, name="inventory")


def run() -> None:
    """Console-script entry point."""
    app(prog_name="lca")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
