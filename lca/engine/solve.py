"""Solve a built project with bw2calc, straight from the datapackages Brightway wrote.

Loading is kept apart from the maths (as in bw2calc): a warm run reads the processed
datapackages named in the manifest and never imports bw2data, which saves about 1.2 s.
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import bw_processing as bwp
import numpy as np
from fsspec.implementations.zip import ZipFileSystem

from lca.errors import NonFiniteResult, SingularSystem, StoreError

BIOSPHERE_DB = "lca-biosphere"  # our elementary flows (written by .build)


def import_bw2calc():
    """bw2calc without pulling in bw2data (it only uses it for optional metadata look-ups)."""
    if "bw2calc" in sys.modules:
        return sys.modules["bw2calc"]
    warnings.filterwarnings("ignore", message=r"(?s).*pypardiso")
    blocked = "bw2data" not in sys.modules
    if blocked:
        sys.modules["bw2data"] = None  # makes bw2calc's optional import fail fast
    try:
        import bw2calc
    finally:
        if blocked and sys.modules.get("bw2data", 0) is None:
            del sys.modules["bw2data"]
    return bw2calc


def load_datapackages(project: Path, manifest: dict) -> list:
    paths = list(manifest["databases"]) + [m["datapackage"] for m in manifest["methods"].values()]
    packages = []
    for rel in paths:
        try:
            packages.append(load_package(project / rel))
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"cannot read {project / rel}: {exc}; delete {project} to rebuild"
            ) from None
    return packages


def load_package(path: Path):
    """A processed datapackage (zip), opened for reading only."""
    return bwp.load_datapackage(ZipFileSystem(str(path), mode="r"))


def row_scores(project: Path, manifest: dict, demands: list[dict[str, float]],
               indicators: tuple[str, ...], where: list | None = None) -> np.ndarray:
    """Scores of each demand ({node code: amount}) for each indicator, solved by bw2calc:
    array (1, indicators, demands); an empty demand scores 0. ``where`` names each demand
    (a stage row's file and row) in error messages."""
    return _solve(project, manifest, demands, indicators, where)[0]


@dataclass
class RowContributions:
    """What each process and each elementary flow adds to each demand's score, from
    bw2calc's characterised inventories (C B diag(s)): its column sums are the processes'
    contributions, its row sums the flows'; both add up to the score."""

    scores: np.ndarray  # (indicators, demands)
    activities: list[str]  # node codes, in the order of by_process's last axis
    flows: list[tuple[str, str]]  # (database, code), in the order of by_flow's last axis
    by_process: np.ndarray  # (indicators, demands, activities)
    by_flow: np.ndarray  # (indicators, demands, flows)


def row_contributions(project: Path, manifest: dict, demands: list[dict[str, float]],
                      indicators: tuple[str, ...], where: list | None = None
                      ) -> RowContributions:
    """Contributions by process and by elementary flow of each demand, for each indicator,
    from the same bw2calc solve as :func:`row_scores`."""
    out, mlca, names, methods = _solve(project, manifest, demands, indicators, where)
    activity_code = {i: code for code, i in manifest["node_ids"].items()}
    flow_key = {i: (BIOSPHERE_DB, code) for code, i in manifest["flow_ids"].items()}
    linked = manifest.get("linked") or {}
    flow_key.update({i: (linked["biosphere"], code)
                     for code, i in linked.get("flow_ids", {}).items()})
    if mlca is None:
        return RowContributions(out[0], [], [], np.zeros((len(indicators), len(demands), 0)),
                                np.zeros((len(indicators), len(demands), 0)))
    columns = sorted(mlca.dicts.activity.items(), key=lambda item: item[1])
    rows = sorted(mlca.dicts.biosphere.items(), key=lambda item: item[1])
    activities = [activity_code[i] for i, _ in columns]
    flows = [flow_key[i] for i, _ in rows]
    by_process = np.zeros((len(indicators), len(demands), len(activities)))
    by_flow = np.zeros((len(indicators), len(demands), len(flows)))
    for k, ind in enumerate(indicators):
        for name in names:
            matrix = mlca.characterized_inventories[(methods[ind], name)]
            by_process[k, int(name)] = np.asarray(matrix.sum(axis=0)).ravel()
            by_flow[k, int(name)] = np.asarray(matrix.sum(axis=1)).ravel()
    return RowContributions(out[0], activities, flows, by_process, by_flow)


def _solve(project: Path, manifest: dict, demands: list[dict[str, float]],
           indicators: tuple[str, ...], where: list | None):
    """(scores (1, indicators, demands), the solved MultiLCA or None when every demand is
    empty, the functional-unit names, indicator -> method name)."""
    bc = import_bw2calc()
    ids = manifest["node_ids"]
    methods = {ind: tuple(m["name"]) for ind, m in manifest["methods"].items()}
    functional_units = {}
    for i, demand in enumerate(demands):
        vector = {ids[code]: float(amount) for code, amount in demand.items() if amount}
        if vector:
            functional_units[str(i)] = vector
    out = np.zeros((1, len(indicators), len(demands)))
    if not functional_units:
        return out, None, [], methods
    config = {"impact_categories": [methods[i] for i in indicators]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mlca = bc.MultiLCA(
            demands=functional_units,
            method_config=config,
            data_objs=load_datapackages(project, manifest),
        )
        mlca.lci()
        mlca.lcia()
    if any("MatrixRankWarning" in type(w.message).__name__ for w in caught):
        raise SingularSystem(
            "the technosphere matrix is singular: some activity consumes as much of its own "
            "output as it makes (directly or through a loop); check exchanges that feed an "
            "activity back into itself"
        )
    for k, ind in enumerate(indicators):
        for name in functional_units:
            value = float(mlca.scores[(methods[ind], name)])
            if not math.isfinite(value):
                label = where[int(name)] if where else f"demand {name}"
                raise NonFiniteResult(f"{label}: the {ind} score is {value}; check the "
                                      "inventory")
            out[0, k, int(name)] = value
    return out, mlca, list(functional_units), methods
