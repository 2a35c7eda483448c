"""bw2calc as the reference for the fast path: fed our sampled matrix values, or sampling
its own exchange-level distributions. Used by the proof tests and the benchmark.

- :func:`bw2calc_unit_scores`: the foreground values we sampled go to bw2calc as a
  bw_processing array datapackage (one column per iteration, read in order), which replaces
  the static values at the same matrix positions; ``next(lca)`` walks the columns.
- :func:`bw2calc_monte_carlo`: bw2calc's own Monte Carlo (``use_distributions=True``) with
  stats_arrays distributions on foreground exchanges.
"""

from __future__ import annotations

import math
import warnings

import bw_processing as bwp
import numpy as np

from .solve import import_bw2calc, load_datapackages

# stats_arrays uncertainty type ids
UNDEFINED, LOGNORMAL, NORMAL, UNIFORM, TRIANGULAR = 0, 2, 3, 4, 5


def _position_arrays(compiled, amounts):
    """Foreground positions as node ids, with values (positions, iterations), summed per
    position; technosphere inputs positive with a flip, as bw2data writes them."""
    ids = compiled.static.node_ids
    flows = compiled.static.flow_ids
    grouped = {}
    for k, e in enumerate(compiled.entries):
        row_id = ids[e.input] if e.type == "technosphere" else flows[e.input]
        key = (e.type, row_id, ids[e.activity])
        grouped[key] = grouped.get(key, 0.0) + amounts[:, k]
    out = {}
    for (kind, row_id, col_id), values in grouped.items():
        column = np.broadcast_to(values, amounts.shape[:1])
        out.setdefault(kind, []).append(((row_id, col_id), column))
    return out


def samples_datapackage(compiled, amounts: np.ndarray):
    """An in-memory datapackage holding ``amounts`` (iterations, entries) as arrays."""
    dp = bwp.create_datapackage(sequential=True, sum_inter_duplicates=False)
    for kind, items in _position_arrays(compiled, amounts).items():
        indices = np.array([pos for pos, _ in items], dtype=bwp.INDICES_DTYPE)
        data = np.vstack([np.asarray(v, dtype=np.float64) for _, v in items])
        dp.add_persistent_array(
            matrix=f"{kind}_matrix",
            name=f"lca-uncertainty-{kind}-samples",
            indices_array=indices,
            data_array=data,
            flip_array=np.full(len(items), kind == "technosphere"),
        )
    return dp


def _multilca(loaded, compiled, demands, extra, **flags):
    bc = import_bw2calc()
    methods = {ind: tuple(m["name"]) for ind, m in loaded.manifest["methods"].items()}
    config = {"impact_categories": [methods[i] for i in compiled.static.indicators]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlca = bc.MultiLCA(demands=demands, method_config=config,
                           data_objs=load_datapackages(loaded.project, loaded.manifest) + extra,
                           **flags)
        mlca.lci()
        mlca.lcia()
    return mlca, [methods[i] for i in compiled.static.indicators]


def bw2calc_unit_scores(loaded, compiled, amounts: np.ndarray) -> np.ndarray:
    """bw2calc's scores per unit of each foreground activity, one iteration per row of
    ``amounts``: array (iterations, indicators, foreground) to compare with
    ``compiled.unit_scores(amounts)``."""
    ids = compiled.static.node_ids
    demands = {code: {ids[code]: 1.0} for code in compiled.foreground}
    mlca, methods = _multilca(loaded, compiled, demands, [samples_datapackage(compiled, amounts)],
                              use_arrays=True)
    n = amounts.shape[0]
    out = np.empty((n, len(methods), len(compiled.foreground)))
    for i in range(n):
        if i:
            next(mlca)
        for k, m in enumerate(methods):
            for j, code in enumerate(compiled.foreground):
                out[i, k, j] = mlca.scores[(m, code)]
    return out


def distributions_datapackage(compiled, exchange_distributions: dict):
    """stats_arrays distributions on foreground exchanges: ``{entry index: (type, loc,
    scale, minimum, maximum)}``; they replace the static values at those positions."""
    dp = bwp.create_datapackage(sum_inter_duplicates=False)
    ids, flows = compiled.static.node_ids, compiled.static.flow_ids
    by_kind = {}
    for k, params in exchange_distributions.items():
        e = compiled.entries[k]
        row_id = ids[e.input] if e.type == "technosphere" else flows[e.input]
        by_kind.setdefault(e.type, []).append(((row_id, ids[e.activity]), e.static, params))
    for kind, items in by_kind.items():
        dist = np.zeros(len(items), dtype=bwp.UNCERTAINTY_DTYPE)
        for i, (_, _amount, (utype, loc, scale, lo, hi)) in enumerate(items):
            dist[i] = (utype, loc, scale, np.nan, lo, hi, False)
        dp.add_persistent_vector(
            matrix=f"{kind}_matrix",
            name=f"lca-uncertainty-{kind}-distributions",
            indices_array=np.array([pos for pos, _, _ in items], dtype=bwp.INDICES_DTYPE),
            data_array=np.array([amount for _, amount, _ in items]),
            distributions_array=dist,
            flip_array=np.full(len(items), kind == "technosphere"),
        )
    return dp


def bw2calc_monte_carlo(loaded, compiled, exchange_distributions: dict, demands: dict,
                        iterations: int, seed: int) -> np.ndarray:
    """bw2calc's own Monte Carlo: (iterations, indicators) of the summed ``demands``
    ({name: {code: amount}})."""
    ids = compiled.static.node_ids
    fus = {name: {ids[c]: float(a) for c, a in d.items()} for name, d in demands.items()}
    mlca, methods = _multilca(loaded, compiled, fus,
                              [distributions_datapackage(compiled, exchange_distributions)],
                              use_distributions=True, seed_override=seed)
    out = np.empty((iterations, len(methods)))
    for i in range(iterations):
        if i:
            next(mlca)
        for k, m in enumerate(methods):
            out[i, k] = sum(mlca.scores[(m, name)] for name in fus)
    return out


def lognormal_params(median: float, gsd: float) -> tuple:
    return (LOGNORMAL, math.log(median), math.log(gsd), np.nan, np.nan)


def normal_params(mean: float, sd: float) -> tuple:
    return (NORMAL, mean, sd, np.nan, np.nan)


def uniform_params(lo: float, hi: float) -> tuple:
    return (UNIFORM, np.nan, np.nan, lo, hi)


def triangular_params(lo: float, mode: float, hi: float) -> tuple:
    return (TRIANGULAR, mode, np.nan, lo, hi)
