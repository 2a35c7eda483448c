"""The matrices Brightway builds, sampled and solved for every iteration at once.

bw2calc rebuilds its sparse matrices and solves once per iteration (about 3 ms, whatever the
size). Here the background (biosphere, background processes, methods) is static, so it is
solved once: ``Q = C B A^-1`` gives every indicator per unit of every product. Only the
foreground columns change with the parameters; for a block of n iterations:

    U[n] = sum over foreground entries e of amount_e[n] * w_e    (w_e: Q or C column)
    S[n] = U[n] A_ff[n]^-1                                          (A_ff: foreground block)

where ``S[n][:, j]`` is each indicator per unit of foreground activity j; a stage row then
scores ``amount_row[n] * S[n][:, j]``. Matrix positions come from bw2calc's own index
dictionaries, so the sampled values can be handed back to bw2calc (see
:mod:`lca.uncertainty.brightway_reference`) and compared iteration by iteration.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lca.errors import BadValue, InventoryError, Location, NonFiniteResult, Problem, StoreError
from lca.resolve import coerce
from lca.schema import INDICATORS, STAGES
from lca.uncertainty.vectorised import (
    Formula,
    ParameterEvaluator,
    base_magnitude,
    base_unit_quantity,
)
from lca.units import registry

# Outputs per iteration, per indicator: the seven stages, then these.
OUTPUTS = (*STAGES, "total", "per_response_marginal", "per_response_allocated")


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
    """Build bw2calc's matrices from the project's datapackages, as ``score`` does."""
    from scipy.sparse.linalg import splu

    from lca.calculate import import_bw2calc, load_datapackages

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
    formula: Formula | None = None
    factor: float = 1.0  # base magnitude -> amount


@dataclass
class StageTerm:
    stage: str
    activity: str
    marginal: bool
    static: float
    formula: Formula | None
    factor: float


@dataclass
class CompiledModel:
    """A resolved model made ready for blocks of samples (picklable, for Dask workers)."""

    static: StaticSystem
    evaluator: ParameterEvaluator
    entries: list[Entry]
    foreground: list[str]  # activity codes, in the order of the S columns
    weights: np.ndarray  # (entries, indicators * foreground)
    internal: list[tuple[int, int, int]] = field(default_factory=list)  # (entry, row f, col f)
    stage_terms: list[StageTerm] = field(default_factory=list)
    served: StageTerm | None = None
    per_response_in_tokens: bool = True
    tokens_per_response: int = 400
    months_base: float = 0.0

    def evaluate(self, sampled: dict) -> np.ndarray:
        """Results for a block: array (n, indicators, OUTPUTS) in INDICATOR_UNITS."""
        n = len(next(iter(sampled.values()))) if sampled else 1
        values = self.evaluator.evaluate(sampled, {"months": self.months_base})
        amounts = self.entry_amounts(values, n)
        unit_scores = self.unit_scores(amounts)  # (n, indicators, foreground)
        n_ind = len(self.static.indicators)
        out = np.zeros((n, n_ind, len(OUTPUTS)))
        stage_pos = {s: i for i, s in enumerate(STAGES)}
        marginal = np.zeros((n, n_ind))
        fg_pos = {code: j for j, code in enumerate(self.foreground)}
        for term in self.stage_terms:
            amount = _amount(term, values, n)
            if term.activity in fg_pos:
                per_unit = unit_scores[:, :, fg_pos[term.activity]]
            else:
                product = self.static.product_index[self.static.node_ids[term.activity]]
                per_unit = self.static.per_product[:, product][None, :]
            contribution = amount[:, None] * per_unit
            out[:, :, stage_pos[term.stage]] += contribution
            if term.marginal:
                marginal += contribution
        total = out[:, :, : len(STAGES)].sum(axis=2)
        out[:, :, len(STAGES)] = total
        served = _amount(self.served, values, n)
        responses = served / self.tokens_per_response if self.per_response_in_tokens else served
        out[:, :, len(STAGES) + 1] = marginal / responses[:, None]
        out[:, :, len(STAGES) + 2] = total / responses[:, None]
        if not np.all(np.isfinite(out)):
            raise NonFiniteResult("some sampled results are not finite numbers: a stage amount "
                                  "or the amount served went to zero or infinity")
        return out

    def entry_amounts(self, values: dict, n: int) -> np.ndarray:
        """(n, entries): every foreground exchange amount, in its input node's unit."""
        amounts = np.empty((n, len(self.entries)))
        for k, e in enumerate(self.entries):
            amounts[:, k] = e.static if e.formula is None else e.factor * e.formula(values)
        bad = ~np.all(np.isfinite(amounts), axis=0)
        if bad.any():
            e = self.entries[int(np.argmax(bad))]
            raise NonFiniteResult(f"the exchange {e.activity} <- {e.input} is not a finite number "
                                  "for some sampled parameters (a division by a sampled zero?)")
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

    def matrix_values(self, amounts: np.ndarray):
        """Sampled values at bw2calc's positions: ({(row, col): array} for A, same for B),
        duplicates summed, technosphere inputs with bw2calc's sign (negative)."""
        A, B = {}, {}
        for k, e in enumerate(self.entries):
            target, sign = (A, -1.0) if e.type == "technosphere" else (B, 1.0)
            key = (e.row, e.col)
            target[key] = target.get(key, 0.0) + sign * amounts[:, k]
        return A, B


def compile_model(static: StaticSystem, resolved, base, months: float,
                  tokens_per_response: int) -> CompiledModel:
    """Pair every exchange, stage row and the served amount with its vectorised formula."""
    inv = resolved.inventory
    ureg = registry()
    nodes = dict(base.nodes, **resolved.nodes)
    values = dict(resolved.parameters, months=ureg.Quantity(float(months), "month"))
    evaluator = ParameterEvaluator(resolved.parameters, resolved.formula_parameters,
                                   {p.name: p.value for p in inv.parameters})
    foreground = list(resolved.nodes)
    fg_pos = {code: j for j, code in enumerate(foreground)}
    if len(inv.exchanges) != len(resolved.links):
        raise InventoryError([Problem(Location(str(inv.directory / "exchanges.csv")),
                                      "some exchanges could not be resolved")])
    entries, internal = [], []
    n_ind = len(static.indicators)
    weights = np.zeros((len(resolved.links), n_ind * len(foreground)))
    for k, (row, link) in enumerate(zip(inv.exchanges, resolved.links, strict=True)):
        owner, target = nodes[link.activity], nodes[link.input]
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
        entry = Entry(link.activity, link.input, link.type, r, col, link.amount)
        formula = _formula_or_none(row.amount)
        if formula is not None:
            q = formulas_evaluate(row.amount, values)
            unit_one = base_unit_quantity(q)
            declared = coerce(unit_one, row.unit, owner.unit, "amount")
            entry.factor = coerce(ureg.Quantity(declared, row.unit), target.unit, owner.unit,
                                  "unit")
            entry.formula = formula
        entries.append(entry)
        j = fg_pos[link.activity]
        weights[k, np.arange(n_ind) * len(foreground) + j] = weight
    terms = []
    for s in resolved.stages:
        node = nodes[s.activity]
        terms.append(_term(s.stage, s.activity, s.marginal, s.amount, s.unit, node.unit, values))
    card = inv.card
    in_tokens = getattr(card, "functional_unit", "response") == "response"
    served_text = card.served_output_tokens if in_tokens else card.served
    try:
        served = _term("", "", False, served_text, None,
                       "token" if in_tokens else card.functional_unit, values)
    except BadValue as exc:
        where = Location(str(inv.directory / "model.toml"))
        raise InventoryError([Problem(where, str(exc))]) from None
    return CompiledModel(
        static=static,
        evaluator=evaluator,
        entries=entries,
        foreground=foreground,
        weights=weights,
        internal=internal,
        stage_terms=terms,
        served=served,
        per_response_in_tokens=in_tokens,
        tokens_per_response=int(tokens_per_response),
        months_base=base_magnitude(ureg.Quantity(float(months), "month")),
    )


def formulas_evaluate(text: str, values: dict):
    from lca import formulas

    return formulas.evaluate(text, values)


def _formula_or_none(text: str) -> Formula | None:
    try:
        float(text)
        return None
    except ValueError:
        return Formula(text)


def _term(stage, activity, marginal, text, unit_text, node_unit, values) -> StageTerm:
    """A stage row (or the served amount): static value, formula and unit factor."""
    ureg = registry()
    formula = _formula_or_none(text)
    if formula is None:
        q = ureg.Quantity(float(text), unit_text or "dimensionless")
        return StageTerm(stage, activity, marginal, coerce(q, node_unit, None, "amount"), None, 1.0)
    q = formulas_evaluate(text, values)
    static = coerce(q, node_unit, None, "amount")
    factor = coerce(base_unit_quantity(q), node_unit, None, "amount")
    return StageTerm(stage, activity, marginal, static, formula, factor)


def _amount(term: StageTerm, values: dict, n: int) -> np.ndarray:
    if term.formula is None:
        return np.full(n, term.static)
    return np.broadcast_to(term.factor * np.asarray(term.formula(values), dtype=float), (n,))
