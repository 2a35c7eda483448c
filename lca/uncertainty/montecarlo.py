"""Monte Carlo over a model's parameters: seeded chunks, solved in blocks, summarised.

Each chunk draws its own samples from a generator derived from the seed and the chunk's
index (``numpy.random.SeedSequence(seed, spawn_key=(index,))``), and chunks have a fixed
size, so the same seed gives the same numbers whether the chunks run here, in any order, or
on Dask workers.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lca.assessment import PreparedModel
from lca.errors import BadArgument
from lca.schema import INDICATOR_UNITS, STAGES

CHUNK_SIZE = 20_000
MAX_ITERATIONS = 10_000_000


def load_model(model: str | None = "large-2", inventory=None, inv=None) -> PreparedModel:
    """As ``assess`` does: read, check, make sure the project exists (``inv``: an Inventory
    already in memory, such as a scenario's edited copy)."""
    from lca.assessment import prepare

    return prepare(model, inventory, inv)


def sampled_distributions(resolved) -> list:
    """The distributions that are sampled, in inventory order (the draw order)."""
    from lca.errors import Problems
    from lca.uncertainty.distributions import check_parameters

    problems = Problems()
    found = check_parameters(resolved.inventory, resolved.parameters, resolved.formula_parameters,
                             problems)
    problems.raise_if_any()
    return [found[p.name] for p in resolved.inventory.parameters
            if p.name in found and found[p.name].sampled]


def chunk_generator(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


def draw(distributions: list, rng: np.random.Generator, n: int) -> dict:
    """name -> n samples in base units, drawn in a fixed order."""
    return {d.name: d.sample(rng, n) * d.base_factor for d in distributions}


def chunk_sizes(iterations: int, chunk_size: int = CHUNK_SIZE) -> list[int]:
    full, rest = divmod(iterations, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


def run_chunk(compiled, distributions: list, seed: int, index: int, n: int) -> np.ndarray:
    """One chunk: (n, indicators, OUTPUTS)."""
    return compiled.evaluate(draw(distributions, chunk_generator(seed, index), n))


def check_run(iterations: int, seed: int) -> None:
    if not (isinstance(iterations, int) and 2 <= iterations <= MAX_ITERATIONS):
        raise BadArgument(f"--iterations must be a whole number from 2 to {MAX_ITERATIONS:,} "
                          f"(got {iterations})")
    if not (isinstance(seed, int) and seed >= 0):
        raise BadArgument(f"--seed must be a whole number of 0 or more (got {seed})")


def compile_for(loaded: PreparedModel, months: float, tokens_per_response: int, static=None):
    from lca.uncertainty.system import compile_model, static_system

    if not (isinstance(months, int | float) and math.isfinite(months) and 0 < months <= 1200):
        raise BadArgument(f"--months must be a number of months above 0 (got {months})")
    if not (isinstance(tokens_per_response, int) and tokens_per_response > 0):
        raise BadArgument(f"--tokens must be a whole number above 0 (got {tokens_per_response})")
    static = static or static_system(loaded.project, loaded.manifest)
    return compile_model(static, loaded.resolved, loaded.base, months, tokens_per_response)


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
    started = time.perf_counter()
    loaded = load_model(model, inventory)
    compiled = compile_for(loaded, months, tokens_per_response)
    distributions = sampled_distributions(loaded.resolved)
    sizes = chunk_sizes(iterations)
    starts = np.cumsum([0, *sizes])
    from lca.uncertainty.system import OUTPUTS

    # one array for every iteration, filled chunk by chunk (no second copy at the end)
    samples = np.empty((iterations, len(compiled.static.indicators), len(OUTPUTS)))
    done = 0
    if scheduler:
        from lca.uncertainty.dask_backend import run_chunks

        blocks = run_chunks(compiled, distributions, seed, sizes, scheduler)
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
        from lca.uncertainty.distributions import parameter_distributions
        from lca.uncertainty.system import OUTPUTS

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
        params = [d.to_dict() for d in parameter_distributions(loaded.resolved)]
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
        tmp = path.with_suffix(f".{time.time_ns()}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1))
        tmp.replace(path)
        return path


def _cache_path(model: str, months: float, tokens: int, key: str) -> Path:
    from lca.store import lca_home

    return lca_home() / "uncertainty" / f"{model}-{months:g}m-{tokens}t-{key[:16]}.json"


def computed_ranges(model: str = "large-2", months: float = 18, tokens_per_response: int = 400,
                    inventory=None) -> dict | None:
    """The last saved uncertainty summary for this exact inventory and settings, or None."""
    from lca import store
    from lca.assessment import load_inventory
    from lca.catalog import data_root
    from lca.text_inventory import read_base

    inv = load_inventory(model if inventory is None else None, inventory)
    key = store.content_hash(read_base(data_root()).files, inv.files)
    path = _cache_path(inv.name, float(months), tokens_per_response, key)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
