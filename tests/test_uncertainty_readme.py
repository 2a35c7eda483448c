"""Every command of the README's uncertainty section runs as written (the Dask scheduler
address is that of a LocalCluster on loopback started here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SECTION = "## Uncertainty, sensitivity and scenarios"


def examples() -> list[list[str]]:
    block = README.split(SECTION, 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].split()[1:] for line in block.splitlines()
            if line.strip().startswith("lca ")]


@pytest.fixture(scope="module")
def scheduler_address():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=40) as cluster:
        yield cluster.scheduler_address


def test_the_section_documents_the_three_commands():
    commands = {args[0] for args in examples()}
    assert commands == {"uncertainty", "sensitivity", "compare"}


@pytest.mark.parametrize("args", examples(), ids=" ".join)
def test_readme_example_runs(args, tmp_path, scheduler_address):
    args = [scheduler_address if a == "tcp://HOST:PORT" else a for a in args]
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    if "json" in args:
        json.loads(done.stdout)
    if "--chart" in args:
        name = Path(args[args.index("--chart") + 1])
        written = list(tmp_path.glob(f"{name.stem}*.svg"))
        assert written and all(p.read_text().startswith("<svg") for p in written)
