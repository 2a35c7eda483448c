"""``lca report``: the standardized disclosure report of a model, written into a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FORMAT_HELP = "Comma-separated formats among html,pdf,md,xlsx,json (all by default)."
INVENTORY_HELP = "An inventory folder to report on instead of a shipped model."
DATE_HELP = "Report date YYYY-MM-DD (default: today, UTC); pins the output bytes."
UNCERTAINTY_HELP = "Monte Carlo result (JSON) to add as the uncertainty section."
OVERWRITE_HELP = "Replace report files already in the folder (otherwise refused)."


Opt = typer.Option


def report(
    output: Annotated[Path, Opt("--output", "-o", help="Folder to write the report into.")],
    model: Annotated[str, Opt("--model", "-m", help="Model name or alias.")] = "large-2",
    months: Annotated[float, Opt(help="Usage period in months.")] = 18,
    tokens: Annotated[int, Opt(help="Output tokens per response.")] = 400,
    formats: Annotated[str, Opt("--format", "-f", help=FORMAT_HELP)] = "html,pdf,md,xlsx,json",
    inventory: Annotated[Path | None, Opt(help=INVENTORY_HELP)] = None,
    date: Annotated[str | None, Opt(help=DATE_HELP)] = None,
    uncertainty: Annotated[Path | None, Opt(help=UNCERTAINTY_HELP)] = None,
    overwrite: Annotated[bool, Opt("--overwrite", help=OVERWRITE_HELP)] = False,
) -> None:
    """Standardized disclosure report (ISO 14040/44, GHG Protocol, AFNOR Spec 2314)."""
    from lca.errors import LCAError

    try:
        from lca.report import report_data
        from lca.report.writer import parse_formats, render, write_files

        chosen = parse_formats(formats)
        mc = _read_uncertainty(uncertainty) if uncertainty is not None else None
        doc = report_data(model if inventory is None else None, months, tokens, inventory,
                          date, mc)
        written = write_files(output, render(doc, chosen), overwrite=overwrite)
    except LCAError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    for path in written:
        typer.echo(str(path))
    failed = [c["id"] for c in doc["checklist"] if c["status"] == "fail"]
    summary = f"checklist: {len(doc['checklist']) - len(failed)} of {len(doc['checklist'])} pass"
    typer.echo(summary + (f" (failing: {', '.join(failed)})" if failed else ""), err=True)


def _read_uncertainty(path: Path) -> dict:
    import json

    from lca.errors import BadArgument

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadArgument(f"--uncertainty {path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadArgument(f"--uncertainty {path}: not valid JSON ({exc})") from None
