"""Benchmark: wall time of `lca assess` (warm, cold, one parameter edited) and `lca --help`.

Run on demand: python -m pytest tests/benchmarks/test_bench_assess.py -s
Targets on the 2-core machine: warm <= 2 s, edited <= 3 s, cold <= 6 s, --help <= 0.5 s.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def wall(args, env) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lca.cli.main", *args], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def test_bench_assess():
    base = Path(tempfile.mkdtemp(prefix="lca-bench-"))
    inventory = base / "large-2"
    shutil.copytree(REPO / "inventories" / "large-2", inventory)
    args = ["assess", "--inventory", str(inventory), "--months", "18", "--format", "json"]
    figures = {"cold": [], "warm": [], "edited": [], "help": []}
    for i in range(RUNS):
        env = dict(os.environ, LCA_HOME=str(base / f"home-{i}"))
        figures["cold"].append(wall(args, env))  # empty store: builds the Brightway project
        figures["warm"].append(wall(args, env))  # same data: reuses it
        params = inventory / "parameters.csv"
        text = params.read_text()
        params.write_text(text.replace("training_pue,1.2,", f"training_pue,1.2{i + 1},"))
        figures["edited"].append(wall(args, env))  # one parameter changed: rebuilds
        params.write_text(text)
        figures["help"].append(wall(["--help"], env))
    shutil.rmtree(base, ignore_errors=True)
    targets = {"cold": 6.0, "warm": 2.0, "edited": 3.0, "help": 0.5}
    print()
    for name, times in figures.items():
        print(f"lca {'--help' if name == 'help' else 'assess (' + name + ')':<18} "
              f"median {statistics.median(times):.2f} s  (min {min(times):.2f}, "
              f"max {max(times):.2f}, n={len(times)}; target <= {targets[name]} s)")
