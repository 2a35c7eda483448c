"""``lca inventory measurements ...``: bring measured energy (CodeCarbon) into an inventory."""

from __future__ import annotations

import typer

measurements_app = typer.Typer(
    help="Add measured energy (CodeCarbon emissions.csv) to an inventory.", no_args_is_help=True
)
