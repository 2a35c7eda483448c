"""Monte Carlo speed: bw2calc's own Monte Carlo and ours, side by side in one process, on the
large-2 inventory; then a million iterations in chunks, with peak memory.

Run on demand: ``python -m pytest tests/benchmarks/test_bench_uncertainty.py -s``.

"Same distributions": bw2calc samples exchanges, not parameters, so each foreground
exchange that our parameters move gets the distribution of its amount under our sampling,
fitted on 200,000 of our draws (a lognormal on the log moments when the amount stays
positive, else a normal). bw2calc solves one demand per stage row, as ``assess`` does, and
scores the four indicators per iteration, as we do.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import textwrap
import time

import numpy as np

ITERATIONS = 10_000


def _fit_exchange_distributions(compiled, distributions):
    from lca.engine import reference as ref
    from lca.uncertainty.montecarlo import chunk_generator, draw

    samples = draw(distributions, chunk_generator(0, 0), 200_000)
    values = compiled.values(samples)
    amounts = compiled.entry_amounts(values, 200_000)
    fitted = {}
    for k in range(len(compiled.entries)):
        column = amounts[:, k]
        if np.ptp(column) == 0:
            continue
        if column.min() > 0:
            logs = np.log(column)
            fitted[k] = ref.lognormal_params(float(np.exp(logs.mean())), float(np.exp(logs.std())))
        else:
            fitted[k] = ref.normal_params(float(column.mean()), float(column.std()))
    return fitted


def test_monte_carlo_against_bw2calc():
    from lca.engine import reference as ref
    from lca.uncertainty.montecarlo import (
        chunk_sizes,
        compile_for,
        load_model,
        monte_carlo,
        run_chunk,
        sampled_distributions,
    )

    loaded = load_model("large-2")
    started = time.perf_counter()
    compiled = compile_for(loaded, 18, 400)
    setup = time.perf_counter() - started
    dists = sampled_distributions(loaded.resolved)

    def ours():
        return [run_chunk(compiled, dists, 1, i, n) for i, n in enumerate(chunk_sizes(ITERATIONS))]

    ours()  # warm
    times = []
    for _ in range(5):
        t = time.perf_counter()
        ours()
        times.append(time.perf_counter() - t)
    ours_s = statistics.median(times)
    t = time.perf_counter()
    monte_carlo("large-2", 18, ITERATIONS, 1)
    ours_end_to_end = time.perf_counter() - t

    fitted = _fit_exchange_distributions(compiled, dists)
    static_values = compiled.values()
    demands = {f"row{i}": {stage.row.activity: stage.amount.magnitude(static_values)}
               for i, stage in enumerate(compiled.resolved.stages)}
    t = time.perf_counter()
    theirs = ref.bw2calc_monte_carlo(loaded, compiled, fitted, demands, ITERATIONS, seed=1)
    bw_s = time.perf_counter() - t
    assert np.ptp(theirs[:, 0]) > 0
    ratio = bw_s / ours_s
    print(f"\nMonte Carlo, large-2, {ITERATIONS:,} iterations, "
          f"{len(compiled.static.indicators)} indicators "
          f"({len(dists)} parameters sampled, {len(fitted)} exchanges for bw2calc):")
    print(f"  bw2calc 3.1 MultiLCA use_distributions, {len(demands)} demands: {bw_s:.2f} s "
          f"({1e3 * bw_s / ITERATIONS:.2f} ms per iteration)")
    print(f"  ours, sampling + vectorised solve (median of 5): {ours_s:.3f} s")
    print(f"  ours, end to end (read, resolve, load project, compile, summarise): "
          f"{ours_end_to_end:.2f} s; first compile, bw2calc import included: {setup:.2f} s")
    print(f"  ratio bw2calc / ours: {ratio:.0f}x")
    assert ours_s <= 0.4
    assert ratio >= 100


MILLION = textwrap.dedent("""
    import json, resource, time
    from lca.uncertainty import monte_carlo
    t = time.perf_counter()
    r = monte_carlo("large-2", 18, 1_000_000, 1)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak_bytes": peak,
                      "gwp_total": r.indicators["gwp"]["total"]}))
""")


def test_a_million_iterations_in_chunks():
    """In a fresh process, so that the peak resident memory is this run's alone."""
    out = subprocess.run([sys.executable, "-c", MILLION], capture_output=True, text=True,
                         check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\n1,000,000 iterations in chunks of 20,000: {data['seconds']:.2f} s, "
          f"peak RSS {data['peak_bytes'] / 2**20:.0f} MiB (whole process, imports included)")
    print(f"  life-cycle GWP: {json.dumps(data['gwp_total'])}")
    assert data["peak_bytes"] <= 2**30
