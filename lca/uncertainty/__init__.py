"""Uncertainty, sensitivity and scenarios over a model's parameters.

One module per concern:

- :mod:`~lca.uncertainty.montecarlo`: chunked, seeded Monte Carlo and its summary;
- :mod:`~lca.uncertainty.sensitivity`: Sobol indices with confidence intervals, and a tornado;
- :mod:`~lca.uncertainty.scenarios`: a grid of settings (``lca compare``);
- :mod:`~lca.uncertainty.dask_backend`: the same chunks on dask.distributed.

Distributions written on parameters, and their pedigree defaults, are read with the inventory
(:mod:`lca.distributions`); the matrices sampled and solved for all iterations at once are the
engine's (:mod:`lca.engine.matrices`), and bw2calc fed our samples is the reference they are
proved against (:mod:`lca.engine.reference`).

Parameters are sampled, not exchanges: a parameter that feeds several exchanges moves them
together, which is the correlation an exchange-level sampler loses.
"""

from __future__ import annotations

import importlib

# Lazy façade (PEP 562): the functions load their module (numpy, Brightway) on first use.
_LAZY = {
    "monte_carlo": "lca.uncertainty.montecarlo",
    "computed_ranges": "lca.uncertainty.montecarlo",
    "parameter_distributions": "lca.uncertainty.montecarlo",
    "sensitivity": "lca.uncertainty.sensitivity",
    "compare": "lca.uncertainty.scenarios",
}

_SUBMODULES = {"montecarlo", "sensitivity", "scenarios", "dask_backend"}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"lca.uncertainty.{name}")
    raise AttributeError(f"module 'lca.uncertainty' has no attribute {name!r}")
