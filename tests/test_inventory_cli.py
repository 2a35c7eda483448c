"""``lca inventory export / validate / import / new`` as a person runs them, the README's
"Edit in Excel" walk-through included, and nothing lost (--force, atomic writes)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import LARGE2, REPO
from test_workbook import inference_gwp
from typer.testing import CliRunner

import lca
from lca.cli.main import app
from lca.text_inventory import read_inventory
from lca.workbook.canonical import canonical_files, comments_of

runner = CliRunner()

def lca_cli(*args: str, cwd: Path | None = None):
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(app, list(args))
    finally:
        os.chdir(old)


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- section: excel -->")[1].split("<!-- end section: excel -->")[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_readme_walkthrough_runs(tmp_path):
    ran = []
    for line in readme_commands():
        if line.startswith("#"):
            assert "set inference_pue to 1.3" in line
            wb = openpyxl.load_workbook(tmp_path / "large-2.xlsx")
            ws = wb["parameters"]
            for row in ws.iter_rows(min_row=2):
                if row[0].value == "inference_pue":
                    row[1].value = 1.3
            wb.save(tmp_path / "large-2.xlsx")
            ran.append("edit")
            continue
        args = shlex.split(line)
        assert args[0] == "lca"
        result = lca_cli(*args[1:], cwd=tmp_path)
        assert result.exit_code == 0, (line, result.output)
        ran.append(args[2] if args[1] == "inventory" else args[1])
    assert ran == ["export", "edit", "validate", "assess", "import", "new", "assess"]
    # The edit moved the inference stage exactly as the hand calculation says.
    result = lca.assess(None, 18, 400, tmp_path / "large-2.xlsx")
    assert result.stages.loc["inference", "gwp"] == pytest.approx(inference_gwp(1.3), rel=1e-6)
    # The text written back differs from the canonical original in that one line only.
    original = read_inventory(LARGE2)
    before = canonical_files(original, comments_of(original))["parameters.csv"].decode()
    after = (tmp_path / "inventories/large-2/parameters.csv").read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True)
               if a != b]
    assert len(changed) == 1 and changed[0][1].startswith("inference_pue,1.3,calibrated,")
    # The new model: same tables, renamed card, no published figures of its source.
    new = read_inventory(tmp_path / "inventories/my-model")
    assert new.card.name == "my-model" and new.published is None and new.card.aliases == []
    twelve = lca.assess(None, 12, 400, tmp_path / "inventories/my-model")
    assert twelve.stages.loc["inference", "gwp"] == pytest.approx(inference_gwp(months=12),
                                                                  rel=1e-6)
    assert twelve.published is None


def test_export_never_overwrites_without_force(tmp_path):
    target = tmp_path / "large-2.xlsx"
    target.write_bytes(b"my own work")
    result = lca_cli("inventory", "export", "--model", "large-2", "-o", str(target))
    assert result.exit_code == 2
    assert "already exists; give --force to overwrite it" in result.output
    assert target.read_bytes() == b"my own work"
    result = lca_cli("inventory", "export", "--model", "large-2", "-o", str(target), "--force")
    assert result.exit_code == 0 and target.read_bytes()[:2] == b"PK"
    assert not list(tmp_path.glob(".*lca-tmp"))


def test_import_refuses_existing_inventory_and_writes_nothing_on_problems(tmp_path):
    book = tmp_path / "large-2.xlsx"
    assert lca_cli("inventory", "export", "-o", str(book)).exit_code == 0
    folder = tmp_path / "inv"
    assert lca_cli("inventory", "import", str(book), "-o", str(folder)).exit_code == 0
    (folder / "parameters.csv").write_text("edited by hand\n")
    result = lca_cli("inventory", "import", str(book), "-o", str(folder))
    assert result.exit_code == 2 and "give --force to overwrite" in result.output
    assert (folder / "parameters.csv").read_text() == "edited by hand\n"
    # A workbook with a mistake: exit 2, every problem listed, nothing written even with --force.
    wb = openpyxl.load_workbook(book)
    wb["parameters"]["C2"].value = "guessed"
    wb.save(book)
    result = lca_cli("inventory", "import", str(book), "-o", str(folder), "--force")
    assert result.exit_code == 2
    assert "sheet 'parameters', cell C2, column 'kind'" in result.output
    assert "found 'guessed'" in result.output
    assert (folder / "parameters.csv").read_text() == "edited by hand\n"


def test_validate_exit_codes_and_json(tmp_path):
    book = tmp_path / "large-2.xlsx"
    lca_cli("inventory", "export", "-o", str(book))
    ok = lca_cli("inventory", "validate", str(book))
    assert ok.exit_code == 0 and "no problems" in ok.output
    assert lca_cli("inventory", "validate", str(LARGE2)).exit_code == 0
    wb = openpyxl.load_workbook(book)
    wb["stages"]["A2"].value = "trainng"
    wb["parameters"]["B3"].value = "8 GPU/serverr"
    wb.save(book)
    bad = lca_cli("inventory", "validate", str(book), "--format", "json")
    assert bad.exit_code == 2
    report = json.loads(bad.stdout)
    cells = {(p["sheet"], p["cell"], p["field"]) for p in report["problems"]}
    assert cells == {("parameters", "B3", "value"), ("stages", "A2", "stage")}
    not_book = tmp_path / "notes.xlsx"
    not_book.write_text("hello")
    result = lca_cli("inventory", "validate", str(not_book))
    assert result.exit_code == 2 and "not an xlsx workbook" in result.output


def test_a_killed_export_leaves_the_old_file(tmp_path):
    target = tmp_path / "large-2.xlsx"
    target.write_bytes(b"the old workbook")
    # The process kills itself after writing the new workbook in full, before the rename.
    script = f"""
import os, signal
import lca.files as c
real = os.fsync
def die(fd):
    real(fd)
    os.kill(os.getpid(), signal.SIGKILL)
c.os.fsync = die
from lca.text_inventory import read_inventory
from lca.workbook import export_workbook
export_workbook(read_inventory({str(LARGE2)!r}), {str(target)!r}, force=True)
"""
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                         env=dict(os.environ), timeout=120)
    assert run.returncode == -9
    assert target.read_bytes() == b"the old workbook"
    leftovers = list(tmp_path.glob(".large-2.xlsx.*.lca-tmp"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 10_000
    # The next run writes the workbook and sweeps what the killed one left.
    from lca.files import sweep_temporaries

    sweep_temporaries(tmp_path)
    assert not list(tmp_path.glob(".*.lca-tmp"))


def test_new_model_as_workbook_and_refusals(tmp_path):
    out = tmp_path / "mine.xlsx"
    assert lca_cli("inventory", "new", "mine", "--from", "large-2", "-o", str(out)).exit_code == 0
    wb = openpyxl.load_workbook(out)
    assert wb["published"].max_row == 1  # header only: no figures of the source model
    names = {r[0].value: r[1].value for r in wb["model"].iter_rows(min_row=2)}
    assert names["name"] == "mine"
    result = lca_cli("inventory", "new", "mine", "--from", "large-2", "-o", str(out))
    assert result.exit_code == 2 and "already exists" in result.output
    result = lca_cli("inventory", "new", "bad name!", "--from", "large-2",
                     "-o", str(tmp_path / "x"))
    assert result.exit_code == 2 and "model name 'bad name!'" in result.output
    result = lca_cli("inventory", "new", "x", "--from", "no-such-model", "-o", str(tmp_path / "x"))
    assert result.exit_code == 2 and "unknown model" in result.output
