"""`lca allocate` on a generated 10,000,000-request log: compute throughput and peak memory.

Targets (issue 6): at least 2,000,000 requests per second of compute, and a peak resident
memory of at most 1.5 GB for the whole run (the log is streamed in chunks). The allocation
runs in a child process so that its peak memory is measured alone (getrusage of children).

    python -m pytest tests/benchmarks/test_bench_allocate.py -s
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REQUESTS = 10_000_000
TARGET_RATE = 2_000_000
TARGET_PEAK_BYTES = 1.5e9
REPO = Path(__file__).resolve().parents[2]


def generate_log(path: Path, requests: int, chunk: int = 1_000_000) -> None:
    """A Parquet log with timestamps, prompt and answer lengths, written chunk by chunk."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(6)
    schema = pa.schema([("timestamp", pa.timestamp("s")), ("input_tokens", pa.int64()),
                        ("output_tokens", pa.int64())])
    start = np.datetime64("2025-01-01T00:00:00", "s")
    with pq.ParquetWriter(path, schema) as writer:
        for first in range(0, requests, chunk):
            n = min(chunk, requests - first)
            stamps = start + np.arange(first, first + n).astype("timedelta64[s]") // 4
            table = pa.table({"timestamp": stamps,
                              "input_tokens": rng.lognormal(6.5, 1.0, n).astype(np.int64),
                              "output_tokens": rng.lognormal(5.5, 0.8, n).astype(np.int64)},
                             schema=schema)
            writer.write_table(table)


CHILD = """
import json, sys
from lca.allocate import allocate
summary = allocate(sys.argv[1], sys.argv[2], model=sys.argv[3], months=18)
print(json.dumps(summary.to_dict()))
"""


def test_allocate_ten_million_requests(tmp_path):
    log = tmp_path / "requests.parquet"
    t0 = time.perf_counter()
    generate_log(log, REQUESTS)
    print(f"\ngenerated {REQUESTS:,} requests in {time.perf_counter() - t0:.1f} s "
          f"({log.stat().st_size / 1e6:.0f} MB Parquet)")
    out = tmp_path / "out.parquet"
    # Warm the project store first, so the timing below is the allocation only.
    subprocess.run([sys.executable, "-c", "import lca; lca.assess('llama-3.1-70b')"], check=True,
                   cwd=REPO, env=os.environ.copy())
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(log), str(out), "llama-3.1-70b"],
                          cwd=REPO, env=os.environ.copy(), capture_output=True, text=True,
                          check=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # kB on Linux
    summary = json.loads(done.stdout)
    rate = summary["requests"] / summary["compute_seconds"]
    end_to_end = summary["requests"] / summary["total_seconds"]
    print(f"lca allocate, {summary['requests']:,} requests (llama-3.1-70b):")
    print(f"  compute: {summary['compute_seconds']:.2f} s = {rate:,.0f} requests/s "
          f"(target >= {TARGET_RATE:,})")
    print(f"  end to end (read, assess, compute, write): {summary['total_seconds']:.1f} s = "
          f"{end_to_end:,.0f} requests/s; process wall time {wall:.1f} s")
    print(f"  peak resident memory: {peak / 1e9:.2f} GB (target <= 1.5 GB; "
          f"earlier children peaked at {before * 1024 / 1e9:.2f} GB)")
    print(f"  output: {out.stat().st_size / 1e6:.0f} MB Parquet")
    assert summary["requests"] == REQUESTS
    assert rate >= TARGET_RATE
    assert peak <= TARGET_PEAK_BYTES


def test_allocate_ten_million_requests_from_csv(tmp_path):
    """The same log as CSV (pyarrow's streaming reader, blocks sized from the line length)."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    parquet = tmp_path / "requests.parquet"
    generate_log(parquet, REQUESTS)
    log = tmp_path / "requests.csv"
    pcsv.write_csv(pq.read_table(parquet, columns=["input_tokens", "output_tokens"]), log)
    parquet.unlink()
    out = tmp_path / "out.parquet"
    done = subprocess.run([sys.executable, "-c", CHILD, str(log), str(out), "llama-3.1-70b"],
                          cwd=REPO, env=os.environ.copy(), capture_output=True, text=True,
                          check=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    summary = json.loads(done.stdout)
    rate = summary["requests"] / summary["compute_seconds"]
    print(f"\nlca allocate from CSV ({log.stat().st_size / 1e6:.0f} MB), "
          f"{summary['requests']:,} requests: compute {rate:,.0f} requests/s, end to end "
          f"{summary['total_seconds']:.1f} s; peak resident memory of all child processes so "
          f"far {peak / 1e9:.2f} GB")
    assert summary["requests"] == REQUESTS
    assert rate >= TARGET_RATE
    assert peak <= TARGET_PEAK_BYTES
