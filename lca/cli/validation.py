"""``lca validation``: published studies reproduced from their inputs, published next to
computed (a thin call of :mod:`lca.validation`)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

import lca
from lca.cli.common import handled, print_csv, print_json
from lca.cli.render import wide_console

EXIT_FAILED = 1  # a figure outside 5 % without a documented cause, or outside its gap


class ValidationFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


CSV_COLUMNS = ["study", "figure", "indicator", "statistic", "unit", "published", "computed",
               "ratio", "status", "cause", "note", "boundary", "source"]


@handled
def validation(
    study: Annotated[list[str] | None, typer.Option(
        "--study", "-s", help="Only this study (repeat for several); all by default.")] = None,
    output_format: Annotated[ValidationFormat, typer.Option(
        "--format", "-f", help="table, json, csv or markdown (the README's table).")]
        = ValidationFormat.table,
) -> None:
    """Published studies reproduced from their inputs: every published figure next to the
    engine's, the ratio, and whether it is within 5 % or a documented gap (with its cause).
    Exits with 1 when a figure is neither."""
    frame = lca.validation.compare(study or None)
    if output_format is ValidationFormat.json:
        print_json(lca.validation.to_dict(frame))
    elif output_format is ValidationFormat.csv:
        print_csv(CSV_COLUMNS, [[_cell(row[c]) for c in CSV_COLUMNS]
                                for row in frame.to_dict(orient="records")])
    elif output_format is ValidationFormat.markdown:
        sys.stdout.write(lca.validation.markdown(frame))
    else:
        print_tables(frame)
    if len(frame) and not frame["ok"].all():
        raise typer.Exit(code=EXIT_FAILED)


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if value != value else repr(value)
    return str(value)


def print_tables(frame) -> None:
    console = wide_console()
    cards = {s.name: s.card for s in lca.validation.studies(sorted(set(frame["study"])))}
    for name, group in frame.groupby("study", sort=False):
        card = cards[name]
        table = Table(title=escape(f"{name}: {card.title}"), title_justify="left")
        for column in ("figure", "indicator", "published", "computed", "computed / published",
                       "status"):
            table.add_column(column, justify="left" if column in ("figure", "status") else "right")
        causes: list[str] = []
        for row in group.itertuples():
            status = row.status
            if row.cause:
                if row.cause not in causes:
                    causes.append(row.cause)
                status += f" [{causes.index(row.cause) + 1}]"
            if row.note:
                status += " (!)"
            table.add_row(escape(row.figure), row.indicator, escape(row.published_text),
                          lca.validation.computed_text(row),
                          lca.validation.ratio_text(row.ratio), escape(status))
        console.print(table)
        for i, cause in enumerate(causes, start=1):
            console.print(f"  [{i}] {cause}", markup=False)
        for note in dict.fromkeys(n for n in group["note"] if n):
            console.print(f"  (!) {note}", markup=False)
        console.print(f"  Reproduced from the inputs: {card.reproducible}", markup=False,
                      style="dim")
        if card.not_reproducible:
            console.print(f"  Not reproducible: {card.not_reproducible}", markup=False,
                          style="dim")
        console.print()
