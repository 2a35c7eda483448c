"""``lca inventory measurements ...``: bring measured energy (CodeCarbon) into an inventory."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import lca
from lca.cli.common import handled
from lca.errors import BadArgument

measurements_app = typer.Typer(
    help="Add measured energy (CodeCarbon emissions.csv) to an inventory.", no_args_is_help=True
)


class Stage(StrEnum):
    training = "training"
    inference = "inference"


@measurements_app.command("add")
@handled
def add(
    emissions_csv: Annotated[Path, typer.Argument(help="CodeCarbon's emissions.csv.")],
    stage: Annotated[Stage, typer.Option(help="The stage the measured runs stand for.")],
    model: Annotated[str | None, typer.Option(
        "--model", "-m",
        help="Shipped model whose inventory gets the measurement (see `lca models`).")] = None,
    inventory: Annotated[Path | None, typer.Option(
        help="An inventory folder instead of a shipped model.")] = None,
    per: Annotated[str | None, typer.Option(
        help="Inference only: what the measured runs served, e.g. '20000 token', "
             "'1000 image'.")] = None,
    electricity: Annotated[str | None, typer.Option(
        help="Background electricity process to use instead of the measured country's.")
    ] = None,
    replace: Annotated[bool, typer.Option(
        help="Also drop the stage's modeled rows, which the measurement replaces.")] = False,
) -> None:
    """Read CodeCarbon's emissions.csv into an inventory as measured parameters."""
    if (model is None) == (inventory is None):
        raise BadArgument("give either --model NAME or --inventory FOLDER")
    directory = inventory if inventory is not None else lca.catalog.find_model(model).directory
    measurement = lca.measurements.read_codecarbon(emissions_csv)
    changed = lca.measurements.add_measurement(directory, measurement, stage.value, per,
                                               electricity, replace)
    typer.echo(
        f"{measurement.runs} run(s), {measurement.energy_kwh:.6g} kWh over "
        f"{measurement.duration_s:.6g} s in {measurement.country_iso3} -> {stage.value} of "
        f"{directory} (sha256 {measurement.sha256[:16]}...)"
    )
    for path in changed:
        typer.echo(f"  wrote {path}")
