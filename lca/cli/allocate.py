"""``lca allocate``: per-request footprints of a request log (CSV or Parquet) into Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import lca
from lca.cli.common import InventoryOption, handled, print_json
from lca.cli.render import wide_console
from lca.cli.uncertainty import SchedulerOption


@handled
def allocate(
    log: Annotated[str, typer.Option(
        "--log", help="Request log (.csv or .parquet), or a folder or glob of Parquet logs "
                      "('logs/*.parquet'): input_tokens and output_tokens per request; "
                      "optional reasoning_tokens, cached_input_tokens, timestamp and model.")],
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Parquet file to write, one row per request (a folder, the "
                               "partitioned dataset, for a folder or glob of logs).")],
    model: Annotated[str, typer.Option(
        "--model", "-m", help="Model of requests that name none (see `lca models`).")
    ] = "large-2",
    months: Annotated[float, typer.Option(
        help="Usage period of the assessment the rates come from.")] = 18,
    chunk_rows: Annotated[int, typer.Option(
        help="Requests per chunk (memory stays bounded by it).")] = 1_000_000,
    inventory: InventoryOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    scheduler: SchedulerOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the output dataset folder if it exists.")] = False,
) -> None:
    """Each request's GWP, water and ADP (marginal, allocated), by the rules of `lca assess`."""
    chosen = model if inventory is None else None
    if lca.allocate_dataset.is_dataset(log, scheduler):
        summary = lca.allocate_dataset.allocate_dataset(log, output, chosen, months, chunk_rows,
                                                        inventory, scheduler, force)
    else:
        summary = lca.allocate.allocate(Path(log), output, chosen, months, chunk_rows,
                                        inventory)
    print_summary(summary.to_dict(), as_json)


def print_summary(data: dict, as_json: bool) -> None:
    """The summary on stdout: JSON, or a short table (totals and mean per request)."""
    if as_json:
        print_json(data)
        return
    title = (f"{data['requests']:,} requests, {data['input_tokens']:,} input and "
             f"{data['output_tokens']:,} output tokens -> {data['output']}")
    table = Table(title=title, title_justify="left")
    for column in ("boundary", "total kg CO2e", "total m3", "total kg Sb eq", "mean g CO2e",
                   "mean mL", "mean mg Sb eq"):
        table.add_column(column, justify="left" if column == "boundary" else "right")
    for boundary in ("marginal", "allocated"):
        total, mean = data["total"][boundary], data["mean_per_request"][boundary]
        table.add_row(boundary, f"{total['gwp']:.4g}", f"{total['water']:.4g}",
                      f"{total['adp']:.4g}", f"{mean['gwp'] * 1e3:.4g}",
                      f"{mean['water'] * 1e6:.4g}", f"{mean['adp'] * 1e6:.4g}")
    wide_console().print(table)
