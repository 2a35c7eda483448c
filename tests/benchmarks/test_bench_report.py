"""Benchmark: `lca report` for large-2 over 18 months in all five formats, as a user runs it
(a new process), on an empty project store (cold: the Brightway project is built) and on a
warm one. Target: 10 s on the 2-core machine. Run: python -m pytest
tests/benchmarks/test_bench_report.py -s"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGET_SECONDS = 10.0


def run_report(home: Path, out: Path) -> float:
    env = dict(os.environ, LCA_HOME=str(home), PYTHONPATH=str(REPO))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lca.cli.main", "report", "--model", "large-2",
                           "--months", "18", "-o", str(out), "--date", "2026-11-23"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert len(list(out.iterdir())) == 7
    return elapsed


def test_report_all_formats_within_target(tmp_path):
    home = tmp_path / "home"
    cold = run_report(home, tmp_path / "cold")
    warm = [run_report(home, tmp_path / f"warm{k}") for k in range(3)]
    print(f"\nlca report large-2 18 months, 5 formats: cold store {cold:.2f} s; warm store "
          f"best {min(warm):.2f} s, worst {max(warm):.2f} s (target {TARGET_SECONDS:.0f} s)")
    assert cold <= TARGET_SECONDS
    assert max(warm) <= TARGET_SECONDS
