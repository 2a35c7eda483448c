"""``lca report``: the standardized disclosure report of a model, written into a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

import lca
from lca.cli.common import (
    BackgroundOption,
    BrightwayDirOption,
    InventoryOption,
    LinkOption,
    ModelOption,
    MonthsOption,
    TokensOption,
    handled,
)
from lca.errors import BadArgument

Opt = typer.Option
FORMAT_HELP = "Comma-separated formats among html,pdf,md,xlsx,json (all by default)."


@handled
def report(
    output: Annotated[Path, Opt("--output", "-o", help="Folder to write the report into.")],
    model: ModelOption = "large-2",
    months: MonthsOption = 18,
    tokens: TokensOption = 400,
    formats: Annotated[str, Opt("--format", "-f", help=FORMAT_HELP)] = "html,pdf,md,xlsx,json",
    inventory: InventoryOption = None,
    date: Annotated[str | None, Opt(help="Report date YYYY-MM-DD (default: today, UTC); "
                                         "pins the output bytes.")] = None,
    uncertainty: Annotated[Path | None, Opt(help="Monte Carlo result (JSON) to add as the "
                                                 "uncertainty section.")] = None,
    overwrite: Annotated[bool, Opt("--overwrite", help="Replace report files already in the "
                                                       "folder (otherwise refused).")] = False,
    background: BackgroundOption = None,
    link: LinkOption = None,
    brightway_dir: BrightwayDirOption = None,
) -> None:
    """Standardized disclosure report (ISO 14040/44, GHG Protocol, AFNOR Spec 2314)."""
    writer = lca.report.writer
    chosen = writer.parse_formats(formats)
    mc = _read_uncertainty(uncertainty) if uncertainty is not None else None
    doc = lca.report.report_data(model if inventory is None else None, months, tokens,
                                 inventory, date, mc, background=background, link=link,
                                 brightway_dir=brightway_dir)
    written = writer.write_files(output, writer.render(doc, chosen), overwrite=overwrite)
    for path in written:
        typer.echo(str(path))
    failed = [c["id"] for c in doc["checklist"] if c["status"] == "fail"]
    summary = f"checklist: {len(doc['checklist']) - len(failed)} of {len(doc['checklist'])} pass"
    typer.echo(summary + (f" (failing: {', '.join(failed)})" if failed else ""), err=True)


def _read_uncertainty(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadArgument(f"--uncertainty {path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadArgument(f"--uncertainty {path}: not valid JSON ({exc})") from None
