"""Every command of the README's models section runs, on files made here."""

from __future__ import annotations

import csv
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli

REPO = Path(__file__).resolve().parent.parent
SECTION = (REPO / "README.md").read_text().split("<!-- section: models -->", 1)[1].split(
    "<!-- end section: models -->", 1)[0]
COMMANDS = [line.strip() for line in SECTION.split("```bash", 1)[1].split("```", 1)[0].splitlines()
            if line.strip()]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """emissions.csv (CodeCarbon's columns), my-model (a copy of llama-3.1-8b),
    requests.csv and a copy of the inventories (the generator writes there)."""
    folder = tmp_path_factory.mktemp("readme-models")
    shutil.copytree(REPO / "inventories" / "llama-3.1-8b", folder / "my-model")
    shutil.copytree(REPO / "inventories" / "ministral-8b", folder / "inventories" / "ministral-8b")
    with (folder / "emissions.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["timestamp", "project_name", "duration", "emissions", "energy_consumed",
                         "water_consumed", "country_name", "country_iso_code",
                         "codecarbon_version", "cpu_model", "gpu_count", "gpu_model", "pue"])
        writer.writerow(["2025-03-01T10:00:00", "run", "3600", "0.2", "5.6", "0", "France", "FRA",
                         "3.3.2", "AMD EPYC", "1", "NVIDIA H100 80GB HBM3", "1.0"])
    with (folder / "requests.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["timestamp", "input_tokens", "output_tokens"])
        writer.writerows([["2025-03-01T10:00:00", 900, 300], ["2025-03-01T10:00:02", 50, 20]])
    return folder


def test_the_section_documents_the_new_commands():
    assert any(c.startswith("lca allocate") for c in COMMANDS)
    assert any(c.startswith("lca inventory measurements add") for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_models_example_runs(command, workdir):
    words = shlex.split(command)
    if words[0] == "lca":
        done = cli(*words[1:], cwd=workdir, columns=200)
    else:
        assert words[:3] == ["python", "-m", "lca.parametric"]
        env = {**__import__("os").environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run([sys.executable, *words[1:]], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.strip()
    if words[:2] == ["lca", "allocate"]:
        import pyarrow.parquet as pq

        assert pq.read_table(workdir / "footprints.parquet").num_rows == 2
    if words[0] == "python":  # regenerating from the unchanged spec changes nothing
        for name in ("parameters.csv", "stages.csv", "model.toml"):
            assert (workdir / "inventories" / "ministral-8b" / name).read_bytes() == (
                REPO / "inventories" / "ministral-8b" / name).read_bytes()
