"""The matrices Brightway builds, sampled and solved for every iteration at once.

bw2calc rebuilds its sparse matrices and solves once per iteration (about 3 ms, whatever the
size). Here the background (biosphere, background processes, methods) is static, so it is
solved once: ``Q = C B A^-1`` gives every indicator per unit of every product. Only the
foreground columns change with the parameters; for a block of n iterations:

    U[n] = sum over foreground entries e of amount_e[n] * w_e    (w_e: Q or C column)
    S[n] = U[n] A_ff[n]^-1                                          (A_ff: foreground block)

where ``S[n][:, j]`` is each indicator per unit of foreground activity j; a stage row then
scores ``amount_row[n] * S[n][:, j]``. Amounts are computed by the rules of
:mod:`lca.resolve` (:class:`~lca.resolve.Amount`) on parameter values that are arrays, so the
numbers are those of a static assessment, iteration by iteration. Matrix positions come from
bw2calc's own index dictionaries, so sampled values can be handed back to bw2calc (see
:mod:`lca.engine.reference`) and compared.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse.linalg import splu

from lca.boundary import Boundary, Period
from lca.errors import InventoryError, Location, NonFiniteResult, Problem, StoreError
from lca.resolve import Amount, ResolvedModel
from lca.schema import INDICATORS
from lca.units import registry

from .solve import import_bw2calc, load_datapackages


@dataclass
class StaticSystem:
    """bw2calc's static matrices of one built project, solved once for the background."""

    indicators: tuple[str, ...]
    product_index: dict  # node id -> row of A
    activity_index: dict  # node id -> column of A
    biosphere_index: dict  # flow id -> row of B
    node_ids: dict  # code -> id
    flow_ids: dict  # code -> id
    per_product: np.ndarray  # (indicators, products): C B A^-1
    characterization: np.ndarray  # (indicators, flows)
    technosphere: object = None  # scipy sparse, static
    biosphere: object = None


def static_system(project: Path, manifest: dict) -> StaticSystem:
    """Build bw2calc's matrices from the project's datapackages, as ``row_scores`` does."""
    bc = import_bw2calc()
    if "flow_ids" not in manifest:
        raise StoreError(f"project {project} was built without flow ids; delete it to rebuild")
    ids = manifest["node_ids"]
    methods = {ind: tuple(m["name"]) for ind, m in manifest["methods"].items()}
    indicators = tuple(i for i in INDICATORS if i in methods)
    some_node = next(iter(ids.values()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlca = bc.MultiLCA(
            demands={"any": {some_node: 1.0}},
            method_config={"impact_categories": [methods[i] for i in indicators]},
            data_objs=load_datapackages(project, manifest),
        )
        mlca.lci()
        mlca.lcia()
    A = mlca.technosphere_matrix.tocsc()
    B = mlca.biosphere_matrix.tocsr()
    C = np.vstack([
        np.asarray(mlca.characterization_matrices[methods[i]].diagonal()).ravel()
        for i in indicators
    ])
    CB = np.asarray(B.T @ C.T).T  # (indicators, activities)
    # per_product = C B A^-1  <=>  A^T per_product^T = (C B)^T
    per_product = splu(A.T.tocsc()).solve(np.ascontiguousarray(CB.T)).T
    return StaticSystem(
        indicators=indicators,
        product_index=dict(mlca.dicts.product),
        activity_index=dict(mlca.dicts.activity),
        biosphere_index=dict(mlca.dicts.biosphere),
        node_ids=dict(ids),
        flow_ids=dict(manifest["flow_ids"]),
        per_product=np.ascontiguousarray(per_product),
        characterization=C,
        technosphere=A,
        biosphere=B,
    )


@dataclass
class Entry:
    """One foreground exchange: where it sits in bw2calc's matrices and how to compute it."""

    activity: str
    input: str
    type: str  # technosphere | biosphere
    row: int  # row in A (product) or B (flow)
    col: int  # column (activity)
    static: float  # the resolved amount (input node's unit per unit of activity)
    rule: Amount | None = None  # None: a constant
    where: Location | None = None


@dataclass
class CompiledModel:
    """A resolved model made ready for blocks of parameter values (picklable, for Dask)."""

    static: StaticSystem
    resolved: ResolvedModel
    period: Period
    entries: list[Entry]
    foreground: list[str]  # activity codes, in the order of the S columns
    weights: np.ndarray  # (entries, indicators * foreground)
    internal: list[tuple[int, int, int]] = field(default_factory=list)  # (entry, row f, col f)

    @property
    def boundary(self) -> Boundary:
        return Boundary.of_model(self.resolved, self.static.indicators)

    def values(self, overrides: dict | None = None) -> dict:
        """Every parameter (and months), with ``overrides`` (name -> quantity) in place."""
        return self.resolved.values(self.period.months, overrides)

    def row_scores(self, overrides: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """((n, indicators, rows) scores of each stage row, (n,) amount served) for
        parameter ``overrides`` (name -> quantity with n values); n = 1 without any."""
        values = self.values(overrides)
        n = _length(overrides)
        amounts = self.entry_amounts(values, n)
        unit_scores = self.unit_scores(amounts)  # (n, indicators, foreground)
        fg_pos = {code: j for j, code in enumerate(self.foreground)}
        stages = self.resolved.stages
        out = np.empty((n, len(self.static.indicators), len(stages)))
        for r, stage in enumerate(stages):
            amount = _column(stage.amount.magnitude(values), n)
            code = stage.row.activity
            if code in fg_pos:
                per_unit = unit_scores[:, :, fg_pos[code]]
            else:
                product = self.static.product_index[self.static.node_ids[code]]
                per_unit = self.static.per_product[:, product][None, :]
            out[:, :, r] = amount[:, None] * per_unit
        served = _column(self.resolved.served.magnitude(values), n)
        if not (np.all(np.isfinite(out)) and np.all(np.isfinite(served))):
            raise NonFiniteResult("some sampled results are not finite numbers: a stage amount "
                                  "or the amount served went to zero or infinity")
        return out, served

    def split(self, overrides: dict | None = None):
        """The boundary split (see :mod:`lca.boundary`) of a block of parameter values."""
        scores, served = self.row_scores(overrides)
        return self.boundary.split(scores, served, self.period)

    def entry_amounts(self, values: dict, n: int) -> np.ndarray:
        """(n, entries): every foreground exchange amount, in its input node's unit."""
        amounts = np.empty((n, len(self.entries)))
        for k, e in enumerate(self.entries):
            amounts[:, k] = e.static if e.rule is None else _column(e.rule.magnitude(values), n)
        bad = ~np.all(np.isfinite(amounts), axis=0)
        if bad.any():
            e = self.entries[int(np.argmax(bad))]
            raise NonFiniteResult(f"{e.where or e.activity}: the exchange {e.activity} <- "
                                  f"{e.input} is not a finite number for some sampled parameters "
                                  "(a division by a sampled zero?)")
        return amounts

    def unit_scores(self, amounts: np.ndarray) -> np.ndarray:
        """(n, indicators, foreground): indicators per unit of each foreground activity."""
        n = amounts.shape[0]
        n_ind, n_f = len(self.static.indicators), len(self.foreground)
        U = (amounts @ self.weights).reshape(n, n_ind, n_f)
        if not self.internal:
            return U
        Aff = np.broadcast_to(np.eye(n_f), (n, n_f, n_f)).copy()
        for k, i, j in self.internal:
            Aff[:, i, j] -= amounts[:, k]
        # S = U Aff^-1  <=>  Aff^T S^T = U^T
        St = np.linalg.solve(np.swapaxes(Aff, 1, 2), np.swapaxes(U, 1, 2))
        return np.swapaxes(St, 1, 2)


def compile_model(static: StaticSystem, resolved: ResolvedModel, period: Period) -> CompiledModel:
    """Place every foreground exchange of ``resolved`` in the static matrices."""
    inv = resolved.inventory
    foreground = list(resolved.nodes)
    fg_pos = {code: j for j, code in enumerate(foreground)}
    if len(inv.exchanges) != len(resolved.links):
        raise InventoryError([Problem(Location(str(inv.directory / "exchanges.csv")),
                                      "some exchanges could not be resolved")])
    entries, internal = [], []
    n_ind = len(static.indicators)
    weights = np.zeros((len(resolved.links), n_ind * len(foreground)))
    for k, link in enumerate(resolved.links):
        col = static.activity_index[static.node_ids[link.activity]]
        if link.type == "biosphere":
            r = static.biosphere_index[static.flow_ids[link.input]]
            weight = static.characterization[:, r]
        else:
            r = static.product_index[static.node_ids[link.input]]
            weight = static.per_product[:, r]
            if link.input in fg_pos:
                internal.append((k, fg_pos[link.input], fg_pos[link.activity]))
                weight = np.zeros(n_ind)
        rule = link.rule if link.rule is not None and link.rule.formula is not None else None
        entries.append(Entry(link.activity, link.input, link.type, r, col, link.amount, rule,
                             link.where))
        weights[k, np.arange(n_ind) * len(foreground) + fg_pos[link.activity]] = weight
    return CompiledModel(static, resolved, period, entries, foreground, weights, internal)


def quantities(samples: dict, distributions: dict) -> dict:
    """name -> Pint quantity with the sampled array, in the unit of the parameter's value."""
    ureg = registry()
    return {name: ureg.Quantity(values, distributions[name].quantity_unit or "dimensionless")
            for name, values in samples.items()}


def _length(overrides: dict | None) -> int:
    for q in (overrides or {}).values():
        size = np.size(getattr(q, "magnitude", q))
        if size > 1:
            return int(size)
    return 1


def _column(value, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (n,))
