"""Calibration speed: ten free parameters, fifteen published figures, 1,000,000 prior draws.

Run on demand: ``python -m pytest tests/benchmarks/test_bench_calibrate.py -s``.

The synthetic inventory of tests/synthetic_inventory.py (ten parameters with priors, fifteen
figures: totals, per-response figures and stage figures of four indicators) is given figures
generated from its own values with 10 % noise, so that the likelihood is informative without
being out of the priors' reach. Timed: the prior pass (draw, solve 1,000,000 parameter sets
with the engine's vectorised model, weigh them, PSIS diagnostics), then the posterior
(resampling, or tempered SMC when the weights collapse), the mode and the summaries.
Target: 10 s for the whole calibration on the 2-core development machine. The large-2
calibration (twenty parameters, twenty-four figures, tempered SMC) is timed as well, as
``lca calibrate --model large-2`` runs it.
"""

from __future__ import annotations

import time

import numpy as np
from synthetic_inventory import FIGURES, write_synthetic


def test_calibration_of_ten_parameters_on_fifteen_figures_over_a_million_draws(tmp_path):
    from lca import engine
    from lca.calibrate import calibrate, read_spec
    from lca.calibrate.run import Setup, build_setup, draw_prior, sample_posterior

    folder = write_synthetic(tmp_path / "inventory")
    prepared = engine.prepare(inventory=folder)
    setup = build_setup(prepared, read_spec(folder))
    truth = {p.name: np.array([p.d.value]) for p in setup.priors}
    values, _ = Setup(prepared, setup.compiled, setup.priors, setup.targets).evaluate(truth,
                                                                                     watch=False)
    noise = np.exp(np.random.default_rng(1).normal(0, 0.1, len(FIGURES)))
    figures = dict(zip(FIGURES, values[0] * noise, strict=True))
    write_synthetic(folder, figures, draws=1_000_000, particles=10_000, discrepancy=0.1)
    prepared = engine.prepare(inventory=folder)
    spec = read_spec(folder)
    assert len(spec.free) == 10 and len(prepared.resolved.published) == 15

    started = time.perf_counter()
    result = calibrate(prepared=prepared, spec=spec)
    total = time.perf_counter() - started

    setup = build_setup(prepared, spec)
    started = time.perf_counter()
    prior = draw_prior(setup, 1_000_000, spec.seed)
    prior_pass = time.perf_counter() - started
    started = time.perf_counter()
    sample_posterior(setup, prior, spec.particles, spec.min_ess, spec.seed)
    posterior = time.perf_counter() - started

    d = result.diagnostics
    print(f"\n10 free parameters, 15 figures, 1,000,000 prior draws: {total:.1f} s in all "
          f"(prior pass {prior_pass:.1f} s: draw, solve, weigh, diagnose; posterior "
          f"{posterior:.1f} s by {d['method']}); ESS {d['ess']:.0f}, Pareto k "
          f"{d['pareto_k']:.2f}; target 10 s")
    covered = sum(p.posterior_quantiles[0] <= truth[p.name][0] <= p.posterior_quantiles[2]
                  for p in result.parameters)
    print(f"true values inside their 95 % posterior interval: {covered} of 10")
    assert covered >= 8


def test_large2_calibration_time():
    from lca.calibrate import calibrate

    started = time.perf_counter()
    result = calibrate("large-2")
    seconds = time.perf_counter() - started
    d = result.diagnostics
    print(f"\nlarge-2 (20 free parameters, 24 figures, {result.draws:,} prior draws, "
          f"{d['method']} with {d['particles']:,} particles in {d.get('stages', 0)} stages): "
          f"{seconds:.1f} s")
