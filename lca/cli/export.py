"""``lca export``: the assessment in formats other tools open (Brightway, openLCA, SPDX)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import lca
from lca.cli.common import (
    BrightwayDirOption,
    InventoryOption,
    ModelOption,
    MonthsOption,
    TokensOption,
    handled,
    print_json,
)


class ExportFormat(StrEnum):
    brightway = "brightway"
    jsonld = "jsonld"
    spdx = "spdx"


@handled
def export(
    output_format: Annotated[ExportFormat, typer.Option(
        "--format", "-f", help="brightway (a project for Activity Browser), jsonld (an openLCA "
                               "JSON-LD zip) or spdx (SPDX 3.0.1 AI package, energy).")],
    model: ModelOption = "large-2",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write: *.zip for jsonld, *.json for spdx.")] = None,
    project: Annotated[str | None, typer.Option(
        help="brightway: the project to write into (created if missing).")] = None,
    brightway_dir: BrightwayDirOption = None,
    with_background: Annotated[bool, typer.Option(
        "--with-background", help="brightway: also write our biosphere, background and "
                                  "methods (needed once per project).")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the file, or the project's databases and methods of the "
                        "same names.")] = False,
    months: MonthsOption = 18,
    tokens: TokensOption = 400,
    inventory: InventoryOption = None,
) -> None:
    """Export a model's inventory and assessment for Brightway, openLCA or SPDX."""
    written = lca.export.export(model if inventory is None else None, output_format.value,
                                output, project=project, brightway_dir=brightway_dir,
                                with_background=with_background, force=force, months=months,
                                tokens_per_response=tokens, inventory=inventory)
    print_json(written)
