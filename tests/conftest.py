"""Shared fixtures: an isolated project store per test session, and the large-2 result."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LARGE2 = REPO / "inventories" / "large-2"


@pytest.fixture(scope="session", autouse=True)
def lca_home(tmp_path_factory):
    """Every test session builds its Brightway projects in its own LCA_HOME."""
    home = tmp_path_factory.mktemp("lca-home")
    old = os.environ.get("LCA_HOME")
    os.environ["LCA_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("LCA_HOME", None)
    else:
        os.environ["LCA_HOME"] = old


@pytest.fixture(scope="session")
def large2():
    """The shipped large-2 inventory assessed over Mistral's 18 months."""
    import lca

    return lca.assess("large-2", months=18)


@pytest.fixture(scope="session")
def large2_report_doc(large2):
    """The disclosure report document of the 18-month large-2 result, with a pinned date."""
    from lca.report.model import build_report

    return build_report(large2, date="2025-07-22")


@pytest.fixture()
def large2_copy(tmp_path) -> Path:
    """A private copy of the large-2 text inventory, to edit in a test."""
    target = tmp_path / "large-2"
    shutil.copytree(LARGE2, target)
    return target


def set_parameter(inventory: Path, name: str, value: str) -> None:
    """Change one parameter's value in a text inventory (as a person would in the CSV)."""
    import csv

    path = inventory / "parameters.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    found = False
    for row in rows:
        if row["name"] == name:
            row["value"] = value
            found = True
    assert found, f"no parameter {name}"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@dataclass
class Done:
    """What a command printed and returned, as a user's shell would see it."""

    returncode: int
    stdout: str
    stderr: str


def cli(*args, cwd=None, columns: int = 120, env: dict | None = None) -> Done:
    """Run ``lca ARGS`` in this process (Typer's CliRunner), from ``cwd``. A Python exception
    that escapes the command (a traceback a user would see) fails the test with it."""
    from typer.testing import CliRunner

    from lca.cli.main import app

    before = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, [str(a) for a in args],
                                    env={"COLUMNS": str(columns), **(env or {})})
    finally:
        os.chdir(before)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Done(result.exit_code, result.stdout, result.stderr)


@pytest.fixture()
def run_cli():
    """Run `lca ARGS` as a user would; returns stdout (or stderr when a failure is expected)."""

    def run(args, columns=120, expect=0):
        done = cli(*args, columns=columns)
        assert done.returncode == expect, done.stderr
        return done.stdout if expect == 0 else done.stderr

    return run
