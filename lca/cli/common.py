"""What every command shares: the output formats, the common options, the one way to fail,
and the wrapper that turns any error into a one-line message with a documented exit code."""

from __future__ import annotations

import functools
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from lca.errors import LCAError
from lca.files import csv_text

EXIT_BAD_INPUT = 2  # the input or the arguments: the message says what to fix
EXIT_INTERNAL = 3  # a bug: the message says how to get the traceback
STATE = {"debug": False}


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


ModelOption = Annotated[str, typer.Option("--model", "-m",
                                          help="Model name or alias (see `lca models`).")]
InventoryOption = Annotated[Path | None, typer.Option(
    help="An inventory folder (or .xlsx workbook) instead of a shipped model.")]
MonthsOption = Annotated[float, typer.Option(
    help="Usage period in months (inference, amortised hardware and data center).")]
TokensOption = Annotated[int, typer.Option(
    help="Output tokens per response, for the per-response figures.")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")]
BackgroundOption = Annotated[str | None, typer.Option(
    "--background", help="A Brightway project of yours as background, PROJECT or "
                         "PROJECT:DATABASE (read, never written); needs --link.")]
LinkOption = Annotated[Path | None, typer.Option(
    "--link", help="TOML file mapping our background codes to activities of --background, "
                   "and our indicators to its methods.")]
BrightwayDirOption = Annotated[Path | None, typer.Option(
    "--brightway-dir", help="The Brightway folder holding the project (default: "
                            "BRIGHTWAY2_DIR, else Brightway's own default).")]


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print an error on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def handled(command):
    """Run a command so that an error is one line on stderr with its exit code: 2 for bad
    input (every :class:`~lca.errors.LCAError`), 3 for anything unexpected (``--debug``
    shows its traceback)."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except LCAError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Exception as exc:
            if STATE["debug"]:
                raise
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            fail(f"internal error ({type(exc).__name__}: {first}); this is a bug in lca: "
                 "run again with `lca --debug ...` for the traceback and report it",
                 EXIT_INTERNAL)

    return run


def print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def print_csv(header: list[str], rows) -> None:
    sys.stdout.write(csv_text(header, rows))
