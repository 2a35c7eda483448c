"""Which parameters drive each indicator: Sobol indices with confidence intervals, and a
one-at-a-time tornado.

Sobol first-order (S1) and total (ST) indices come from :func:`scipy.stats.sobol_indices`
(Saltelli et al. 2010 estimators on a scrambled Sobol' sequence; n (p + 2) model runs, cheap on
the vectorised path), with bootstrap confidence intervals (:meth:`SobolResult.bootstrap`). The
tornado sets one parameter at a time to its 2.5 and 97.5 percentiles (the distribution's
quantile function), the others at their static values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from lca.boundary import OUTPUTS, Period
from lca.distributions import Distribution, sampled
from lca.engine import CompiledModel, prepare
from lca.errors import BadArgument
from lca.schema import INDICATOR_UNITS
from lca.units import registry

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 200
MIN_SAMPLES, MAX_SAMPLES = 64, 1 << 20


def scipy_distribution(d: Distribution):
    """The frozen scipy.stats distribution of a parameter (its ``ppf`` maps the Sobol' points)."""
    a = d.args
    if d.family == "lognormal":
        return stats.lognorm(s=np.log(a["gsd"]), scale=d.centre)
    if d.family == "normal":
        return stats.norm(loc=d.value, scale=a["sd"])
    if d.family == "uniform":
        return stats.uniform(loc=a["min"], scale=a["max"] - a["min"])
    if d.family == "triangular":
        width = a["max"] - a["min"]
        return stats.triang(c=(a["mode"] - a["min"]) / width, loc=a["min"], scale=width)
    raise BadArgument(f"{d.name}: a fixed parameter has no distribution to explore")


@dataclass
class Driver:
    """One parameter's weight on one indicator."""

    parameter: str
    distribution: str
    first_order: float
    total: float
    first_order_interval: tuple[float, float]  # CONFIDENCE bootstrap interval
    total_interval: tuple[float, float]
    low: float  # output with the parameter at its 2.5 percentile
    high: float  # ... at its 97.5 percentile
    static: float


@dataclass
class SensitivityResult:
    """Drivers of each indicator for one output, ranked by total index."""

    model: str
    months: float
    tokens_per_response: int
    output: str
    samples: int
    seed: int
    drivers: dict[str, list[Driver]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The contract of ``lca sensitivity --format json`` (values in ``units``)."""
        return {
            "model": self.model, "months": self.months,
            "tokens_per_response": self.tokens_per_response, "output": self.output,
            "samples": self.samples, "seed": self.seed, "confidence": CONFIDENCE,
            "units": dict(INDICATOR_UNITS),
            "indicators": {ind: [asdict(d) for d in drivers]
                           for ind, drivers in self.drivers.items()},
        }

    def frame(self):
        """A pandas DataFrame: one row per (indicator, parameter)."""
        rows = [{"indicator": ind, "rank": rank, **asdict(d)}
                for ind, drivers in self.drivers.items()
                for rank, d in enumerate(drivers, start=1)]
        return pd.DataFrame(rows)


def check_samples(samples: int) -> int:
    if not (isinstance(samples, int) and MIN_SAMPLES <= samples <= MAX_SAMPLES
            and samples & (samples - 1) == 0):
        raise BadArgument(f"--samples must be a power of 2 from {MIN_SAMPLES} to {MAX_SAMPLES:,} "
                          f"(the Sobol' sequence needs one; got {samples})")
    return samples


def sobol(model, dists: list, samples: int, seed: int):
    """Sobol indices of ``model`` ((parameters, n) -> (outputs, n)) over independent ``dists``
    (objects with a ``ppf``): first order, total, and their percentile-bootstrap intervals, each
    shaped (outputs, parameters). A pure estimator, apart from any LCA.

    The two sample matrices come from a scrambled Sobol' sequence mapped through each ``ppf``;
    the indices from :func:`scipy.stats.sobol_indices` (Saltelli et al. 2010) on the model's
    evaluations; the intervals from :func:`scipy.stats.bootstrap` over the same evaluations
    (percentile method: scipy's default BCa needs a jackknife, quadratic in ``samples``)."""
    d = len(dists)
    points = stats.qmc.Sobol(d=2 * d, scramble=True, rng=np.random.default_rng(seed))
    unit = points.random(samples)
    a = np.array([dist.ppf(unit[:, i]) for i, dist in enumerate(dists)])
    b = np.array([dist.ppf(unit[:, d + i]) for i, dist in enumerate(dists)])
    ab = np.repeat(a[None], d, axis=0)
    ab[np.arange(d), np.arange(d)] = b
    f_a, f_b = model(a), model(b)
    f_ab = model(ab.transpose(1, 0, 2).reshape(d, d * samples))
    f_ab = f_ab.reshape(-1, d, samples).transpose(1, 0, 2)

    def estimate(idx):
        found = stats.sobol_indices(func={"f_A": f_a[:, idx], "f_B": f_b[:, idx],
                                          "f_AB": f_ab[..., idx]}, n=len(idx))
        shape = (f_a.shape[0], d)  # scipy drops the outputs axis when there is one output
        return np.stack([np.reshape(found.first_order, shape),
                         np.reshape(found.total_order, shape)])

    whole = estimate(np.arange(samples))
    boot = stats.bootstrap([np.arange(samples)], estimate, method="percentile",
                           n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=CONFIDENCE,
                           vectorized=False, rng=np.random.default_rng(seed + 1))
    low, high = boot.confidence_interval
    return whole[0], whole[1], (low[0], high[0]), (low[1], high[1])


def indices(compiled: CompiledModel, distributions: list[Distribution], output: str,
            samples: int, seed: int):
    """:func:`sobol` of one output of a compiled model, for each indicator."""
    column = OUTPUTS.index(output)
    ureg = registry()

    def model(x: np.ndarray) -> np.ndarray:  # (parameters, n) -> (indicators, n)
        overrides = {d.name: ureg.Quantity(x[i], d.quantity_unit or "dimensionless")
                     for i, d in enumerate(distributions)}
        return compiled.split(overrides).outputs()[:, :, column].T

    return sobol(model, [scipy_distribution(d) for d in distributions], samples, seed)


def tornado(compiled: CompiledModel, distributions: list[Distribution], output: str):
    """(static (k,), lows (k, p), highs (k, p)): the output with each parameter alone at its
    2.5 and 97.5 percentiles."""
    column = OUTPUTS.index(output)
    ureg = registry()
    static = compiled.split().outputs()[0, :, column]
    lows, highs = [], []
    for d in distributions:
        dist = scipy_distribution(d)
        for quantile, out in ((0.025, lows), (0.975, highs)):
            value = ureg.Quantity(np.array([dist.ppf(quantile)]), d.quantity_unit or "")
            out.append(compiled.split({d.name: value}).outputs()[0, :, column])
    return static, np.array(lows).T, np.array(highs).T


def sensitivity(model: str | None = "large-2", months: float = 18, tokens_per_response: int = 400,
                output: str = "total", samples: int = 4096, seed: int = 1,
                inventory=None) -> SensitivityResult:
    """Rank the sampled parameters of a model by Sobol total index, for one output (a stage,
    "total", "per_response_marginal" or "per_response_allocated")."""
    if output not in OUTPUTS:
        raise BadArgument(f"--output must be one of {', '.join(OUTPUTS)} (got {output!r})")
    check_samples(samples)
    period = Period(months, tokens_per_response)
    prepared = prepare(model, inventory)
    compiled = prepared.compile(period)
    distributions = sampled(prepared.resolved)
    if not distributions:
        raise BadArgument("no parameter of this inventory is sampled")
    first, total, first_ci, total_ci = indices(compiled, distributions, output, samples, seed)
    static, lows, highs = tornado(compiled, distributions, output)
    result = SensitivityResult(prepared.inventory.name, period.months,
                               period.tokens_per_response, output, samples, seed)
    for k, ind in enumerate(compiled.static.indicators):
        drivers = [
            Driver(d.name, d.describe(), float(first[k, i]), float(total[k, i]),
                   (float(first_ci[0][k, i]), float(first_ci[1][k, i])),
                   (float(total_ci[0][k, i]), float(total_ci[1][k, i])),
                   float(lows[k, i]), float(highs[k, i]), float(static[k]))
            for i, d in enumerate(distributions)
        ]
        drivers.sort(key=lambda x: (-x.total, -abs(x.high - x.low), x.parameter))
        result.drivers[ind] = drivers
    return result
