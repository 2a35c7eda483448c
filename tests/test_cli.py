"""Every CLI example in the README runs (typer's practice), and stdout carries only the result."""

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli

import lca

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def run_cli(*args, cwd=REPO):
    return cli(*args, cwd=cwd)


def readme_examples(section_title: str) -> list[list[str]]:
    """`lca ...` lines of the first bash block after a README heading."""
    after = README.split(section_title, 1)[1]
    block = after.split("```bash", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        for part in line.split("&&"):
            part = part.strip()
            if part.startswith("lca "):
                commands.append(part.split()[1:])
    return commands


def test_readme_setup_lines_are_the_documented_two():
    setup = README.split("## Set up", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = [ln for ln in setup.splitlines() if ln.strip()]
    assert lines == [
        "pip install . && lca assess --model large-2 --months 18",
        "pip install '.[test]' && python -m pytest",
    ]
    ci = (REPO / ".ci" / "run").read_text()
    assert "python -m pytest" in ci and "ruff check" in ci


@pytest.mark.parametrize("args", readme_examples("## Command line"), ids=" ".join)
def test_every_readme_command_line_example_runs(args, large2_copy):
    args = [str(large2_copy) if a == "path/to/my-model" else a for a in args]
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_json_is_the_documented_contract_and_matches_the_api(large2):
    done = run_cli("assess", "--model", "large-2", "--months", "18", "--format", "json")
    data = json.loads(done.stdout)  # stdout holds the JSON and nothing else
    assert set(data) >= {"model", "months", "tokens_per_response", "units", "total", "stages",
                         "per_response", "published"}
    assert data["units"] == {"gwp": "kg CO2e", "water": "m3", "adp": "kg Sb eq", "energy": "kWh"}
    assert list(data["stages"]) == list(lca.schema.STAGES)
    assert set(data["per_response"]) == {"marginal", "allocated"}
    for ind in ("gwp", "water", "adp"):
        assert data["total"][ind] == pytest.approx(large2.total[ind], rel=1e-12)
        assert data["per_response"]["marginal"][ind] == pytest.approx(
            large2.per_response.loc["marginal", ind], rel=1e-12)
        assert sum(s[ind] for s in data["stages"].values()) == pytest.approx(data["total"][ind])
    assert data["published"]["total"]["gwp"] == pytest.approx(20.4e6)
    assert data["published"]["per_response"]["marginal"]["water"] == pytest.approx(45e-6)


def test_csv_rows_match_json(large2):
    done = run_cli("assess", "--months", "18", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    total = {r["indicator"]: float(r["value"]) for r in rows if r["section"] == "total"}
    assert total["adp"] == pytest.approx(large2.total["adp"], rel=1e-12)
    assert {r["item"] for r in rows if r["section"] == "stage"} == set(lca.schema.STAGES)


def test_table_shows_stages_and_published_figures():
    done = run_cli("assess", "--model", "mistral-large-2407", "--months", "18")
    assert done.returncode == 0
    assert "hardware-manufacturing" in done.stdout
    assert re.search(r"20,400 t CO2e", done.stdout)  # Mistral's published total, shown beside ours
    assert "1.14 g CO2e" in done.stdout


def test_models_lists_large2():
    done = run_cli("models")
    assert done.returncode == 0 and "large-2" in done.stdout


def test_help_works_from_any_directory(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lca.cli.main", "--help"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0 and "assess" in done.stdout
