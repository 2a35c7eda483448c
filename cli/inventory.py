"""``lca inventory ...``: work on inventories (Excel export/import/validate, new models,
measured data). Each group of commands lives in its own module and is added here."""

from __future__ import annotations

import typer

from cli.measurements import measurements_app

inventory_app = typer.Typer(
    help="Create, export, check and import inventories.", no_args_is_help=True
)
inventory_app.add_typer(measurements_app, name="measurements")
