"""Which parameters drive each indicator: Sobol indices and a one-at-a-time tornado.

Sobol first-order (S1) and total (ST) indices by the Saltelli scheme: two independent
sample matrices A and B, and for each parameter i the matrix A with column i taken from B.
Estimators: S1 from Saltelli et al. 2010 (Comput. Phys. Commun. 181:259, eq. b), ST from
Jansen 1999 (Comput. Phys. Commun. 117:35). n (p + 2) model runs, cheap on the vectorised
path. The tornado moves one parameter at a time to its 2.5 and 97.5 percentiles, the
others at their static values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lca.uncertainty.montecarlo import chunk_generator, draw


def sobol_indices(model, sample_a: dict, sample_b: dict) -> dict:
    """``model(sample) -> array (n, k)`` for a dict of arrays; returns {name: (S1, ST)}
    with S1 and ST arrays of length k (one per output column)."""
    names = list(sample_a)
    f_a = np.asarray(model(sample_a), dtype=float)
    f_b = np.asarray(model(sample_b), dtype=float)
    variance = np.var(np.concatenate([f_a, f_b], axis=0), axis=0)
    safe = np.where(variance > 0, variance, np.nan)
    out = {}
    for name in names:
        mixed = dict(sample_a)
        mixed[name] = sample_b[name]
        f_ab = np.asarray(model(mixed), dtype=float)
        first = np.mean(f_b * (f_ab - f_a), axis=0) / safe
        total = 0.5 * np.mean((f_a - f_ab) ** 2, axis=0) / safe
        out[name] = (np.nan_to_num(first), np.nan_to_num(total))
    return out


@dataclass
class Driver:
    parameter: str
    distribution: str
    first_order: float
    total: float
    low: float  # output with the parameter at its 2.5 percentile
    high: float  # ... at its 97.5 percentile
    static: float


def sensitivity(compiled, distributions: list, output: str, samples: int = 4096,
                seed: int = 1) -> dict:
    """{indicator: [Driver, ...] ranked by total index} for one output (a stage, "total",
    "per_response_marginal" or "per_response_allocated")."""
    from lca.uncertainty.system import OUTPUTS

    column = OUTPUTS.index(output)

    def model(sample):
        return compiled.evaluate(sample)[:, :, column]

    a = draw(distributions, chunk_generator(seed, 0), samples)
    b = draw(distributions, chunk_generator(seed, 1), samples)
    indices = sobol_indices(model, a, b)
    static = model({})[0]
    bounds = {}
    rng = chunk_generator(seed, 2)
    for d in distributions:
        lo, hi = np.percentile(d.sample(rng, 20_001) * d.base_factor, [2.5, 97.5])
        bounds[d.name] = (model({d.name: np.array([lo])})[0], model({d.name: np.array([hi])})[0])
    result = {}
    for k, ind in enumerate(compiled.static.indicators):
        drivers = [
            Driver(d.name, d.describe(), float(indices[d.name][0][k]), float(indices[d.name][1][k]),
                   float(bounds[d.name][0][k]), float(bounds[d.name][1][k]), float(static[k]))
            for d in distributions
        ]
        drivers.sort(key=lambda x: (-x.total, -abs(x.high - x.low), x.parameter))
        result[ind] = drivers
    return result
