"""Life-cycle assessment of AI models on a Brightway graph.

    >>> import lca
    >>> result = lca.assess("large-2", months=18)
    >>> result.stages          # DataFrame: stages x (gwp, water, adp)
    >>> result.per_response    # DataFrame: marginal / allocated, per 400-token response

This module is a lazy façade (PEP 562): ``import lca`` loads nothing heavy; pandas, Pint and
Brightway load when a function that needs them is first called. The layers, from the bottom:
units and formulas, schema and readers, resolve, boundary, engine, analyses (assessment,
uncertainty, allocate...), report, cli; each imports only from the layers below it (see
ARCHITECTURE in the README and tests/test_architecture.py).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (loaded on first use)
_FUNCTIONS = {
    "assess": "lca.assessment",
    "list_models": "lca.catalog",
    "load_inventory": "lca.catalog",
    "monte_carlo": "lca.uncertainty.montecarlo",
    "sensitivity": "lca.uncertainty.sensitivity",
    "compare": "lca.uncertainty.scenarios",
    "make_report": "lca.report",
}
_MODULES = {
    "allocate", "allocate_dataset", "assessment", "boundary", "calibrate", "catalog", "cli",
    "contributions", "distributions", "engine", "errors", "export", "files", "formulas",
    "implied", "inventories", "measurements", "parametric", "report", "resolve", "schema",
    "text_inventory", "tokens", "uncertainty", "units", "validation", "workbook",
}

__all__ = ["__version__", *sorted(_FUNCTIONS)]


def __getattr__(name: str):
    if name in _FUNCTIONS:
        module = importlib.import_module(_FUNCTIONS[name])
        return getattr(module, name)
    if name in _MODULES:
        return importlib.import_module(f"lca.{name}")
    raise AttributeError(f"module 'lca' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_FUNCTIONS, *_MODULES])
