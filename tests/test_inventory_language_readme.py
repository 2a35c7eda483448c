"""The README's inventory-language section, run as written: its files are written to a folder,
its commands run, and the numbers checked against the hand calculations it gives."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from conftest import cli

REPO = Path(__file__).resolve().parent.parent
SECTION = (REPO / "README.md").read_text(encoding="utf-8").split(
    "<!-- section: inventory-language -->", 1)[1].split(
    "<!-- end section: inventory-language -->", 1)[0]
FILES = dict(re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", SECTION, re.S))
COMMANDS = [line.strip() for line in SECTION.split("```bash", 1)[1].split("```", 1)[0].splitlines()
            if line.strip()]
US_GRID = 0.3844  # kg CO2e/kWh: the shipped electricity-us (EcoLogits 0.11.3, zone USA)
FINAL_RUN_KWH = 1.46e6 * 0.7  # GPU-h x kW


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inventory-language")
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "validation" / "google-gemini-2025",
                    folder / "validation" / "google-gemini-2025")
    return folder


def run(workdir, command: str):
    words = shlex.split(command)
    assert words[0] == "lca"
    done = cli(*words[1:], cwd=workdir, columns=160)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_section_writes_a_whole_study():
    assert set(FILES) == {f"my-study/{n}" for n in (
        "parameters.csv", "activities.csv", "exchanges.csv", "stages.csv", "model.toml",
        "published_figures.csv")}
    assert len(COMMANDS) == 4


def test_every_command_of_the_section_runs(workdir):
    for command in COMMANDS:
        assert run(workdir, command).strip()


def test_the_study_checks_clean(workdir):
    assert "no problems" in run(workdir, COMMANDS[0])


def test_training_only_gwp_and_energy_by_hand(workdir):
    """Amounts per run x runs demanded; water and ADP not assessed (null, never 0)."""
    data = json.loads(run(workdir, COMMANDS[2]))
    training = data["stages"]["training"]
    assert training["energy"] == pytest.approx(1.5 * FINAL_RUN_KWH, rel=1e-6)
    assert training["gwp"] == pytest.approx(1.5 * FINAL_RUN_KWH * US_GRID, rel=1e-6)
    assert training["water"] is None and training["adp"] is None
    assert data["total"]["water"] is None
    assert data["coverage"]["gwp"] == {"stages": ["training"], "complete": False}
    assert data["substages"]["training/final-run"]["gwp"] == pytest.approx(
        FINAL_RUN_KWH * US_GRID, rel=1e-6)
    assert data["substages"]["training/development-runs"]["energy"] == pytest.approx(
        0.5 * FINAL_RUN_KWH, rel=1e-6)
    assert data["months"] == 0 and data["functional_unit"] == "run"
    figures = {f["figure"]: f for f in data["published"]["figures"]}
    assert figures["training/final-run"]["ratio"] == pytest.approx(
        FINAL_RUN_KWH * US_GRID / 420e3, rel=1e-6)
    assert round(figures["training/final-run"]["ratio"], 3) == 0.935
    assert figures["training"]["ratio"] == pytest.approx(1.0, abs=1e-3)


def test_the_table_says_n_a_for_what_is_not_assessed(workdir):
    out = run(workdir, COMMANDS[1])
    assert "n.a." in out and "training/final-run" in out and "393" in out  # t CO2e


def test_a_sub_stage_split_from_another_study(workdir):
    """Google's four inference sub-stages, per request (Wh): 0.14, 0.06, 0.02 and
    (1.09 - 1) x 0.22."""
    done = cli("assess", "--inventory", "validation/google-gemini-2025", "--months", "0",
               "--format", "json", cwd=workdir)
    data = json.loads(done.stdout)
    sub = {k: v["energy"] * 1000 for k, v in data["substages"].items()}  # Wh
    assert sub == pytest.approx({"inference/accelerator": 0.14, "inference/host": 0.06,
                                 "inference/idle-reserve": 0.02,
                                 "inference/overhead": 0.09 * 0.22}, rel=1e-6)


def test_a_formula_of_the_wrong_dimension_says_why_and_where(workdir, tmp_path):
    """The unit column is checked against the formula's own units."""
    study = tmp_path / "my-study"
    shutil.copytree(workdir / "my-study", study)
    text = (study / "exchanges.csv").read_text().replace("gpu_hours * 0.7 kW/GPU,kWh",
                                                         "gpu_hours,kWh")
    (study / "exchanges.csv").write_text(text)
    done = cli("assess", "--inventory", str(study), "--months", "0")
    assert done.returncode == 2
    assert "exchanges.csv, row 2, field 'amount'" in done.stderr
    assert "expected kWh" in done.stderr and "the formula uses gpu_hours" in done.stderr
