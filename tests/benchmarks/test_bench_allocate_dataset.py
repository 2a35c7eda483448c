"""`lca allocate` on 100,000,000 generated requests (20 Parquet files of 5,000,000), in one
process and on a Dask LocalCluster (2 worker processes, 1 thread each): requests per second
end to end (read, compute, write the partitioned dataset) and peak resident memory of each
worker; the two runs must give the same totals to the last bit.

    python -m pytest tests/benchmarks/test_bench_allocate_dataset.py -s
    LCA_BENCH_REQUESTS=10000000 python -m pytest tests/benchmarks/test_bench_allocate_dataset.py -s

Each run happens in a child process, so that its peak memory is its own (the local run's
peak is that of its one process; the cluster's, that of each worker, read from the workers).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REQUESTS = int(os.environ.get("LCA_BENCH_REQUESTS", 100_000_000))
FILES = 20
MODEL = "llama-3.1-70b"
REPO = Path(__file__).resolve().parents[2]


def generate(folder: Path, requests: int, files: int) -> None:
    """Prompt and answer lengths drawn lognormally, one Parquet file per part."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(13)
    per_file = requests // files
    for i in range(files):
        table = pa.table({"input_tokens": rng.lognormal(6.5, 1.0, per_file).astype(np.int64),
                          "output_tokens": rng.lognormal(5.5, 0.8, per_file).astype(np.int64)})
        pq.write_table(table, folder / f"requests-{i:03d}.parquet", row_group_size=1_000_000)


LOCAL = """
import json, resource, sys
from lca.allocate_dataset import allocate_dataset
s = allocate_dataset(sys.argv[1], sys.argv[2], sys.argv[3], 18)
print(json.dumps({"summary": s.to_dict(),
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""

CLUSTER = """
import json, resource, sys
from dask.distributed import Client, LocalCluster
from lca.allocate_dataset import allocate_dataset

def peak():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                  dashboard_address="127.0.0.1:0", silence_logs=40,
                  memory_limit="6GiB") as cluster, Client(cluster) as client:
    client.run(lambda: __import__("lca.allocate_dataset"))  # workers ready, imports done
    s = allocate_dataset(sys.argv[1], sys.argv[2], sys.argv[3], 18, client=client)
    workers = client.run(peak)
print(json.dumps({"summary": s.to_dict(), "workers": workers,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def run(code: str, logs: Path, out: Path) -> dict:
    load = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(logs), str(out), MODEL], cwd=REPO,
                          env=os.environ.copy(), capture_output=True, text=True, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    found["wall"] = time.perf_counter() - started
    found["bytes"] = sum(p.stat().st_size for p in out.glob("*.parquet"))
    found["load"] = (load, os.getloadavg()[0])  # others' work on the machine skews the figures
    return found


def test_allocate_a_hundred_million_requests(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    t0 = time.perf_counter()
    generate(logs, REQUESTS, FILES)
    size = sum(p.stat().st_size for p in logs.iterdir())
    print(f"\ngenerated {REQUESTS:,} requests in {FILES} Parquet files in "
          f"{time.perf_counter() - t0:.0f} s ({size / 1e9:.2f} GB)")
    subprocess.run([sys.executable, "-c", f"import lca; lca.assess({MODEL!r})"], check=True,
                   cwd=REPO, env=os.environ.copy())  # warm the project store
    local = run(LOCAL, logs, tmp_path / "local")
    shutil.rmtree(tmp_path / "local")
    cluster = run(CLUSTER, logs, tmp_path / "cluster")
    shutil.rmtree(tmp_path / "cluster")
    for name, r in (("one process", local), ("LocalCluster, 2 workers", cluster)):
        s = r["summary"]
        print(f"{name}: {s['requests']:,} requests in {s['total_seconds']:.1f} s = "
              f"{s['requests'] / s['total_seconds']:,.0f} requests/s end to end (read, "
              f"assess, compute, write {r['bytes'] / 1e9:.1f} GB); compute sections alone "
              f"(checks, products, sums; summed over workers) {s['compute_seconds']:.1f} s = "
              f"{s['requests'] / s['compute_seconds']:,.0f} requests/s; load average "
              f"{r['load'][0]:.1f} before, {r['load'][1]:.1f} after")
    print(f"peak resident memory: one process {local['peak'] / 1e9:.2f} GB; cluster workers "
          + ", ".join(f"{v / 1e9:.2f} GB" for v in cluster["workers"].values())
          + f" (driver {cluster['peak'] / 1e9:.2f} GB)")
    assert local["summary"]["requests"] == cluster["summary"]["requests"] == REQUESTS
    assert local["summary"]["total"] == cluster["summary"]["total"]  # the same floats
