"""Every command of the README's toolbox section runs as written, in a folder holding what
they name: a Brightway project (the tests' own, as BRIGHTWAY2_DIR), the README's link file,
and a folder of Parquet logs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import cli
from user_project import LINK_FILE, write_project

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
START, END = "<!-- section: ecosystem -->", "<!-- end section: ecosystem -->"
SECTION = README.split(START, 1)[1].split(END, 1)[0]


def examples() -> list[list[str]]:
    block = SECTION.split("```bash", 1)[1].split("```", 1)[0]
    return [[a.strip("'") for a in line.split("#", 1)[0].split()[1:]]
            for line in block.splitlines() if line.strip().startswith("lca ")]


def link_file() -> str:
    return SECTION.split("```toml", 1)[1].split("```", 1)[0].lstrip("\n")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    here = tmp_path_factory.mktemp("toolbox")
    write_project(here / "brightway")
    (here / "link.toml").write_text(link_file(), encoding="utf-8")
    (here / "logs").mkdir()
    for i in range(2):
        pq.write_table(pa.table({"input_tokens": [1200, 0, 30], "output_tokens": [400, 10, 900],
                                 "reasoning_tokens": [0, 50, 100]}),
                       here / "logs" / f"day-{i}.parquet")
    return here


def test_the_readme_link_file_is_the_one_the_tests_check():
    """The link file shown is the one tests/test_background.py checks by hand."""
    body = [line for line in LINK_FILE.splitlines() if line and not line.startswith("#")]
    assert [line for line in link_file().splitlines() if line] == body


def test_the_section_covers_the_four_parts():
    commands = [args for args in examples()]
    assert any("--contributions" in a for a in commands)
    assert any("--background" in a for a in commands)
    assert {a[a.index("--format") + 1] for a in commands if a[0] == "export"} == {
        "brightway", "jsonld", "spdx"}
    assert any(a[0] == "allocate" and "--scheduler" in a for a in commands)


@pytest.mark.parametrize("args", examples(), ids=" ".join)
def test_readme_example_runs(args, folder):
    done = cli(*args, cwd=folder, env={"BRIGHTWAY2_DIR": str(folder / "brightway")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    if "json" in args or args[0] == "export":
        json.loads(done.stdout)


def test_readme_python_runs(folder, monkeypatch):
    code = SECTION.split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(folder)
    monkeypatch.setenv("BRIGHTWAY2_DIR", str(folder / "brightway"))
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # the README's own lines, as written
    assert scope["linked"].background["links"]
    assert (folder / "large-2-python.spdx.json").is_file()
    assert list((folder / "footprints-python").glob("part-*.parquet"))
