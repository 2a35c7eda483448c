"""The ``lca`` command: a thin Typer layer over the Python API in :mod:`lca`.

Only the result goes to stdout; errors go to stderr with exit code 2 and no traceback.
Heavy imports (pandas, Pint, Brightway) happen inside the commands, so ``lca --help`` is fast.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="lca",
    help="Life-cycle assessment of AI models: GWP100 (kg CO2e), water consumed (m3) and "
    "abiotic depletion (kg Sb eq), by stage and per response.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def fail(message: str) -> None:
    """Print an error on stderr and exit with code 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@app.command()
def assess(
    model: Annotated[
        str, typer.Option("--model", "-m", help="Model name or alias (see `lca models`).")
    ] = "large-2",
    months: Annotated[
        float,
        typer.Option(
            help="Usage period in months (inference, amortised hardware and data center)."
        ),
    ] = 18,
    tokens: Annotated[
        int, typer.Option(help="Output tokens per response, for the per-response figures.")
    ] = 400,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")
    ] = OutputFormat.table,
    inventory: Annotated[
        Path | None, typer.Option(help="An inventory folder to assess instead of a shipped model.")
    ] = None,
) -> None:
    """Life-cycle impacts of a model: by stage, in total and per response."""
    from lca.errors import LCAError

    try:
        import lca

        result = lca.assess(model if inventory is None else None, months, tokens, inventory)
    except LCAError as exc:
        fail(str(exc))
    from cli import render

    if output_format is OutputFormat.json:
        render.print_json(result)
    elif output_format is OutputFormat.csv:
        render.print_csv(result)
    else:
        render.print_tables(result)


@app.command()
def models() -> None:
    """The models shipped with the engine."""
    from cli import render
    from lca.catalog import model_entries

    render.print_models(model_entries())


def _register_command_groups() -> None:
    """Commands beyond assess and models live in their own modules (one concern each), listed
    in the order a user meets them."""
    from cli.report import report

    app.command(name="report")(report)

    from cli.uncertainty import register as register_uncertainty

    register_uncertainty(app)  # uncertainty, sensitivity, compare

    from cli.allocate import allocate

    app.command(name="allocate")(allocate)

    from cli.inventory import inventory_app

    app.add_typer(inventory_app, name="inventory")


_register_command_groups()


def run() -> None:
    """Console-script entry point."""
    app(prog_name="lca")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
