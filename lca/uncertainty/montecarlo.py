"""Monte Carlo over a model's parameters: seeded chunks, solved in blocks, summarised.

Each chunk draws its own samples from a generator derived from the seed and the chunk's
index (``numpy.random.SeedSequence(seed, spawn_key=(index,))``), and chunks have a fixed
size, so the same seed gives the same numbers whether the chunks run here, in any order, or
on Dask workers.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lca import catalog, engine
from lca.boundary import OUTPUTS, Period
from lca.distributions import parameter_distributions as distributions_of
from lca.distributions import sampled
from lca.engine import CompiledModel, PreparedModel
from lca.errors import BadArgument
from lca.files import write_atomic
from lca.schema import INDICATOR_UNITS, STAGES
from lca.uncertainty import dask_backend
from lca.units import registry

CHUNK_SIZE = 20_000
MAX_ITERATIONS = 10_000_000


def load_model(model: str | None = "large-2", inventory=None, inv=None) -> PreparedModel:
    """As ``assess`` does: read, check, make sure the project exists (``inv``: an Inventory
    already in memory, such as a scenario's edited copy)."""
    return engine.prepare(model, inventory, inv)


def parameter_distributions(model="large-2", inventory=None) -> list:
    """Each literal parameter's distribution (written, or a pedigree default: see
    ``is_default``), for a model name, an inventory folder or a resolved model."""
    if model is not None and not isinstance(model, str):
        return distributions_of(model)
    return distributions_of(load_model(model, inventory).resolved)


def sampled_distributions(resolved) -> list:
    """The distributions that are sampled, in inventory order (the draw order)."""
    return sampled(resolved)


def chunk_generator(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


def draw(distributions: list, rng: np.random.Generator, n: int) -> dict:
    """name -> Pint quantity of n samples (in the unit of the parameter's value), drawn in a
    fixed order."""
    ureg = registry()
    return {d.name: ureg.Quantity(d.sample(rng, n), d.quantity_unit or "dimensionless")
            for d in distributions}


def chunk_sizes(iterations: int, chunk_size: int = CHUNK_SIZE) -> list[int]:
    full, rest = divmod(iterations, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


def run_chunk(compiled: CompiledModel, distributions: list, seed: int, index: int,
              n: int) -> np.ndarray:
    """One chunk: (n, indicators, OUTPUTS)."""
    return compiled.split(draw(distributions, chunk_generator(seed, index), n)).outputs()


def check_run(iterations: int, seed: int) -> None:
    if not (isinstance(iterations, int) and 2 <= iterations <= MAX_ITERATIONS):
        raise BadArgument(f"--iterations must be a whole number from 2 to {MAX_ITERATIONS:,} "
                          f"(got {iterations})")
    if not (isinstance(seed, int) and seed >= 0):
        raise BadArgument(f"--seed must be a whole number of 0 or more (got {seed})")


def compile_for(loaded: PreparedModel, months: float, tokens_per_response: int) -> CompiledModel:
    return loaded.compile(Period(months, tokens_per_response))


def monte_carlo(
    model: str | None = "large-2",
    months: float = 18,
    iterations: int = 10_000,
    seed: int = 1,
    tokens_per_response: int = 400,
    inventory=None,
    scheduler: str | None = None,
    progress=None,
    keep_samples: bool = False,
) -> UncertaintyResult:
    """Sample every parameter ``iterations`` times and summarise each indicator, by stage, in
    total and per response. ``scheduler``: None (this process), "dask" (a LocalCluster on
    127.0.0.1) or "tcp://HOST:PORT". ``progress(done, total)`` is called after each chunk."""
    check_run(iterations, seed)
    if scheduler:
        dask_backend.check_scheduler(scheduler)
    started = time.perf_counter()
    loaded = load_model(model, inventory)
    compiled = compile_for(loaded, months, tokens_per_response)
    distributions = sampled_distributions(loaded.resolved)
    sizes = chunk_sizes(iterations)
    starts = np.cumsum([0, *sizes])
    # one array for every iteration, filled chunk by chunk (no second copy at the end)
    samples = np.empty((iterations, len(compiled.static.indicators), len(OUTPUTS)))
    done = 0
    if scheduler:
        blocks = dask_backend.run_chunks(run_chunk, compiled, distributions, seed, sizes,
                                         scheduler)
    else:
        blocks = ((i, run_chunk(compiled, distributions, seed, i, n)) for i, n in enumerate(sizes))
    for index, block in blocks:
        samples[starts[index]: starts[index + 1]] = block
        done += sizes[index]
        if progress:
            progress(done, iterations)
    result = UncertaintyResult.from_samples(
        samples, compiled.static.indicators, iterations, seed, loaded, months, tokens_per_response,
        distributions, time.perf_counter() - started, scheduler or "local",
    )
    if keep_samples:
        result.samples = samples
    return result


def summarise(values: np.ndarray) -> dict:
    """mean, std and the 2.5 / 50 / 97.5 percentiles of one output over the iterations."""
    p = np.percentile(values, [2.5, 50.0, 97.5])
    return {
        "mean": float(np.mean(values)),
        "std": float(np.std(values, ddof=1)),
        "p2_5": float(p[0]),
        "p50": float(p[1]),
        "p97_5": float(p[2]),
    }


@dataclass
class UncertaintyResult:
    model: str
    months: float
    tokens_per_response: int
    iterations: int
    seed: int
    indicators: dict
    parameters: list
    seconds: float
    scheduler: str
    provenance: dict
    samples: np.ndarray | None = None

    @classmethod
    def from_samples(cls, samples, indicators, iterations, seed, loaded, months, tokens,
                     distributions, seconds, scheduler):
        pos = {name: i for i, name in enumerate(OUTPUTS)}
        out = {}
        for k, ind in enumerate(indicators):
            column = samples[:, k, :]
            out[ind] = {
                "unit": INDICATOR_UNITS[ind],
                "total": summarise(column[:, pos["total"]]),
                "per_response_marginal": summarise(column[:, pos["per_response_marginal"]]),
                "per_response_allocated": summarise(column[:, pos["per_response_allocated"]]),
                "stages": {s: summarise(column[:, pos[s]]) for s in STAGES},
            }
        params = [d.to_dict() for d in distributions_of(loaded.resolved)]
        return cls(
            model=loaded.inventory.name,
            months=float(months),
            tokens_per_response=tokens,
            iterations=iterations,
            seed=seed,
            indicators=out,
            parameters=params,
            seconds=seconds,
            scheduler=scheduler,
            provenance={"project_key": loaded.key, "sampled_parameters": len(distributions)},
        )

    def to_dict(self) -> dict:
        """The contract of ``lca uncertainty --format json`` (units: INDICATOR_UNITS)."""
        return {
            "model": self.model,
            "months": self.months,
            "tokens_per_response": self.tokens_per_response,
            "iterations": self.iterations,
            "seed": self.seed,
            "units": dict(INDICATOR_UNITS),
            "indicators": self.indicators,
            "parameters": self.parameters,
            "defaults": [p["name"] for p in self.parameters if p["is_default"]],
            "seconds": self.seconds,
            "scheduler": self.scheduler,
            "provenance": self.provenance,
        }

    def save(self) -> Path:
        """Keep the summary in the store, where :func:`computed_ranges` finds it (the
        disclosure report shows the ranges when they have been computed)."""
        path = _cache_path(self.model, self.months, self.tokens_per_response,
                           self.provenance["project_key"])
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_atomic(path, json.dumps(self.to_dict(), indent=1))


def _cache_path(model: str, months: float, tokens: int, key: str) -> Path:
    return engine.lca_home() / "uncertainty" / f"{model}-{months:g}m-{tokens}t-{key[:16]}.json"


def computed_ranges(model: str = "large-2", months: float = 18, tokens_per_response: int = 400,
                    inventory=None) -> dict | None:
    """The last saved uncertainty summary for this exact inventory and settings, or None."""
    inv = catalog.load_inventory(model if inventory is None else None, inventory)
    key = engine.project_key(catalog.base_data().files, inv.files)
    path = _cache_path(inv.name, float(months), tokens_per_response, key)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
