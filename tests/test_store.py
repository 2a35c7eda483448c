"""The project store: built once per content hash, safe with concurrent and killed runs."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import set_parameter

import lca

REPO = Path(__file__).resolve().parent.parent


def cli(home: Path, *args) -> subprocess.Popen:
    env = dict(os.environ, LCA_HOME=str(home))
    return subprocess.Popen([sys.executable, "-m", "lca.cli.main", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished_projects(home: Path) -> list[Path]:
    return [p for p in (home / "projects").iterdir() if (p / "manifest.json").is_file()]


def test_concurrent_runs_on_an_empty_cache_all_succeed_identically(tmp_path):
    home = tmp_path / "home"
    runs = [cli(home, "assess", "--months", "18", "--format", "json") for _ in range(4)]
    outputs = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0, 0, 0], [e for _, e in outputs]
    results = [json.loads(out) for out, _ in outputs]
    for r in results:
        r.pop("provenance")
    assert all(r == results[0] for r in results)
    assert len(finished_projects(home)) == 1
    assert not list((home / "projects").glob(".build-*"))  # losers cleaned up after themselves


def test_a_build_killed_midway_does_not_break_the_next_run(tmp_path):
    home = tmp_path / "home"
    # Make the build stall after Brightway has written its databases, then kill it.
    slow = ("import time, lca.engine.build as g\n"
            "build = g.build_project\n"
            "def stalled(*a):\n"
            "    m = build(*a); print('built', flush=True); time.sleep(60); return m\n"
            "g.build_project = stalled\n"
            "import lca; lca.assess('large-2', 18)\n")
    env = dict(os.environ, LCA_HOME=str(home))
    victim = subprocess.Popen([sys.executable, "-c", slow], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, text=True)
    assert victim.stdout.readline().strip() == "built"
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    leftovers = list((home / "projects").glob(".build-*"))
    assert leftovers and not finished_projects(home)
    after = cli(home, "assess", "--format", "json")
    out, err = after.communicate(timeout=300)
    assert after.returncode == 0, err
    assert json.loads(out)["total"]["gwp"] > 0
    assert len(finished_projects(home)) == 1


def test_unchanged_data_reuses_the_project_and_an_edit_rebuilds(tmp_path, large2_copy, monkeypatch):
    monkeypatch.setenv("LCA_HOME", str(tmp_path / "home"))
    first = lca.assess(inventory=large2_copy)
    again = lca.assess(inventory=large2_copy)
    assert first.provenance["project_key"] == again.provenance["project_key"]
    assert len(finished_projects(tmp_path / "home")) == 1
    set_parameter(large2_copy, "training_pue", "1.5")
    edited = lca.assess(inventory=large2_copy)
    assert edited.provenance["project_key"] != first.provenance["project_key"]
    assert len(finished_projects(tmp_path / "home")) == 2
    # electricity is linear in PUE: training GWP moves by 1.5 / the shipped PUE
    from test_hand_calculations import P

    assert edited.stages.loc["training", "gwp"] == pytest.approx(
        first.stages.loc["training", "gwp"] * 1.5 / P["training_pue"], rel=1e-6)


def test_warm_runs_do_not_import_bw2data(tmp_path):
    home = tmp_path / "home"
    assert cli(home, "assess").wait(timeout=300) == 0
    probe = ("import sys, lca; lca.assess('large-2', 18); "
             "print('bw2data' in sys.modules and sys.modules['bw2data'] is not None)")
    env = dict(os.environ, LCA_HOME=str(home))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip() == "False", (done.stdout, done.stderr, time.perf_counter() - start)
