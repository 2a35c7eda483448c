"""From text to numbers: evaluate parameters and formulas with their units, link every
exchange to a known node, and say how each amount converts to the unit of the node it feeds.

Everything here is pure Python (no Brightway), so an inventory is checked completely, with
every problem located, before anything is written to a Brightway project. The rules that turn
an amount into a number (:class:`Amount`) and parameters into values (:class:`ParameterSet`)
are used as they are by the static assessment (floats) and by Monte Carlo (numpy arrays).
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field

from lca import formulas
from lca.distributions import Distribution, check_parameters
from lca.errors import BadValue, Location, Problems
from lca.schema import INDICATOR_UNITS, Parameter, StageDemand
from lca.text_inventory import BaseData, Inventory
from lca.units import magnitude_in, quantity, registry

# Names a formula may use that the command line sets, not the inventory.
SCENARIO_NAMES = ("months",)


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    unit: str
    location: str
    kind: str  # "biosphere" | "background" | "foreground"
    compartment: str = ""
    flow_type: str = ""


@dataclass(frozen=True)
class Amount:
    """An amount as written, a number with its unit column or a formula, and the one rule that
    converts it to the unit of the node it feeds (``target``).

    The amount must have the dimension of its unit column (a formula without a unit counts in
    the unit column's unit); it may also be given per one unit of the activity that owns it
    (``per``: "kWh/run" for a "run" activity). An empty ``unit`` skips that check (the amounts
    served, written in model.toml without a unit column)."""

    text: str
    unit: str
    target: str
    per: str | None = None

    @property
    def formula(self) -> formulas.Formula | None:
        if formulas.literal_number(self.text) is not None:
            return None
        return formulas.parse(self.text)

    def quantity(self, values: dict):
        """The amount as written, as a Pint quantity (a float or an array magnitude)."""
        ureg = registry()
        number = formulas.literal_number(self.text)
        if number is not None:
            return ureg.Quantity(number, self.unit or "dimensionless")
        q = formulas.evaluate(self.text, values)
        if self.unit and q.dimensionless:
            q = q * ureg.Quantity(1.0, self.unit)
        return q

    def magnitude(self, values: dict):
        """The amount in ``target`` (per unit of the owner for an exchange)."""
        q = self.quantity(values)
        if self.unit:
            declared = coerce(q, self.unit, self.per, "amount")
            q = registry().Quantity(declared, self.unit)
        return coerce(q, self.target, self.per, "amount")


@dataclass(frozen=True)
class Link:
    """An exchange in the unit of its input node, per one unit of its activity."""

    activity: str
    input: str
    amount: float  # the static value
    type: str  # "technosphere" | "biosphere"
    rule: Amount | None = None  # how to recompute it (None for background data)
    where: Location | None = None


@dataclass
class ResolvedMethod:
    indicator: str
    name: tuple[str, ...]
    unit: str
    description: str
    source: str
    factors: list[tuple[str, float]]


@dataclass
class ResolvedBase:
    nodes: dict[str, Node]
    links: list[Link]
    methods: list[ResolvedMethod]


@dataclass(frozen=True)
class ParameterSet:
    """Every parameter of an inventory: literal values, and formulas in an order where each
    comes after the parameters it uses (graphlib). Evaluating keeps every intermediate value."""

    literals: dict
    formulas: tuple = ()  # ((name, Formula), ...)

    @property
    def formula_names(self) -> set[str]:
        return {name for name, _ in self.formulas}

    def evaluate(self, overrides: dict | None = None, months=None) -> dict:
        """name -> quantity; ``overrides`` replaces literals (sampled arrays, scenarios);
        ``months`` (a quantity) is available to stage and served formulas."""
        values = dict(self.literals)
        values.update(overrides or {})
        for name, formula in self.formulas:
            values[name] = formula.evaluate(values)
        if months is not None:
            values["months"] = months
        return values


@dataclass(frozen=True)
class ResolvedStage:
    row: StageDemand
    amount: Amount  # in the unit of the activity demanded, over the period


@dataclass
class ResolvedModel:
    inventory: Inventory
    parameter_set: ParameterSet
    parameters: dict  # name -> static quantity
    nodes: dict[str, Node]
    links: list[Link]
    stages: list[ResolvedStage]
    served: Amount  # functional units served over the period (tokens for a response)
    served_input: Amount | None = None  # input tokens served, when the card says
    distributions: dict[str, Distribution] = field(default_factory=dict)

    @property
    def formula_parameters(self) -> set[str]:
        return self.parameter_set.formula_names

    def values(self, months: float, overrides: dict | None = None) -> dict:
        """Parameter values with ``months`` set, for stage and served amounts."""
        return self.parameter_set.evaluate(overrides, registry().Quantity(float(months), "month"))


# ---------------------------------------------------------------------------- amounts


def coerce(q, target_unit: str, per_unit: str | None, what: str):
    """Magnitude of ``q`` in ``target_unit``. A quantity given per one unit of the activity
    (for example "kWh/run" for a "run" activity) is accepted and multiplied by that unit."""
    target = registry().Quantity(1.0, target_unit)
    if q.dimensionality == target.dimensionality:
        return _magnitude(q, target)
    if per_unit:
        per = q * registry().Quantity(1.0, per_unit)
        if per.dimensionality == target.dimensionality:
            return _magnitude(per, target)
    per_text = f" (or {target_unit} per {per_unit})" if per_unit else ""
    raise BadValue(
        f"{what}: expected {target_unit}{per_text}, dimension {target.dimensionality}; "
        f"got {_units(q)}, dimension {q.dimensionality}"
    )


def _magnitude(q, target):
    value = q.to(target.units).magnitude / target.magnitude
    return float(value) if getattr(value, "ndim", 0) == 0 else value


def _units(q) -> str:
    """A readable unit for messages (kW*h*L/kWh reads as L)."""
    return f"{q.to_reduced_units().units:~}" or "dimensionless"


# ---------------------------------------------------------------------------- parameters


def resolve_parameters(inventory: Inventory, problems: Problems) -> tuple[ParameterSet, dict]:
    """Read every parameter: literals as quantities, formulas in dependency order (a cycle is
    a problem). Returns the set and the static values."""
    rows: dict[str, Parameter] = {}
    for p in inventory.parameters:
        if p.name in rows:
            problems.add(p.at("name"), f"parameter {p.name!r} is defined twice")
        elif p.name in SCENARIO_NAMES:
            problems.add(p.at("name"), f"{p.name!r} is set by the command line, not the inventory")
        else:
            rows[p.name] = p
    literals, graph = {}, {}
    for name, p in rows.items():
        formula = _parse_or_none(p.value)
        if formula is not None and formula.names:
            unknown = sorted(formula.names - set(rows))
            if not unknown:
                graph[name] = formula
                continue
            try:  # "0.5*kW": a quantity Pint reads, not a formula over parameters
                literals[name] = quantity(p.value)
            except BadValue:
                problems.add(p.at("value"), f"unknown name(s) {', '.join(unknown)} in "
                                            f"{p.value!r}; define them in parameters.csv")
            continue
        try:
            literals[name] = formula.evaluate({}) if formula is not None else quantity(p.value)
        except BadValue as exc:
            problems.add(p.at("value"), str(exc))
    order = _evaluation_order(graph, rows, problems)
    values = dict(literals)
    ordered = []
    for name in order:
        formula = graph[name]
        ordered.append((name, formula))
        if formula.names <= set(values):
            try:
                values[name] = formula.evaluate(values)
            except BadValue as exc:
                problems.add(rows[name].at("value"), str(exc))
    return ParameterSet(literals, tuple(ordered)), values


def _evaluation_order(graph: dict, rows: dict, problems: Problems) -> list[str]:
    sorter = graphlib.TopologicalSorter({n: f.names & set(graph) for n, f in graph.items()})
    try:
        return list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        problems.add(rows[cycle[0]].at("value"),
                     "parameters depend on each other in a cycle: " + " -> ".join(cycle))
        acyclic = {n: f for n, f in graph.items() if n not in set(cycle)}
        return [n for n in _evaluation_order(acyclic, rows, problems)
                if not (graph[n].names & set(cycle))]


def _parse_or_none(text: str) -> formulas.Formula | None:
    try:
        return formulas.parse(text)
    except BadValue:
        return None


# ---------------------------------------------------------------------------- base data


def resolve_base(base: BaseData) -> ResolvedBase:
    problems = Problems()
    nodes: dict[str, Node] = {}
    for f in base.flows:
        _check_unit(f.unit, f.at("unit"), problems)
        _add_node(nodes, Node(f.code, f.name, f.unit, "", "biosphere", f.compartment, f.type),
                  f.at("code"), problems)
    for p in base.processes:
        _check_unit(p.unit, p.at("unit"), problems)
        _add_node(nodes, Node(p.code, p.name, p.unit, p.location, "background"), p.at("code"),
                  problems)
    links = []
    for e in base.exchanges:
        link = _link(e.process, e.input, e.amount, e.unit, {}, nodes, e, problems, "process")
        if link:
            links.append(link)
    methods = [m for m in (_method(m, nodes, problems) for m in base.methods) if m]
    seen = [m.indicator for m in methods]
    for indicator in {i for i in seen if seen.count(i) > 1}:
        spec = next(m.spec for m in base.methods if m.spec.indicator == indicator)
        problems.add(spec.at("indicator"), f"two methods for indicator {indicator!r}")
    missing = set(INDICATOR_UNITS) - set(seen)
    if missing:
        problems.add(Location("methods/methods.toml"),
                     f"no method for {', '.join(sorted(missing))}")
    problems.raise_if_any()
    return ResolvedBase(nodes, links, methods)


def _method(method, nodes: dict, problems: Problems) -> ResolvedMethod | None:
    spec = method.spec
    expected = INDICATOR_UNITS[spec.indicator]
    if _check_unit(spec.unit, spec.at("unit"), problems) and (
        quantity(1.0, spec.unit).dimensionality != quantity(1.0, expected).dimensionality
    ):
        problems.add(spec.at("unit"),
                     f"indicator {spec.indicator} is expressed in {expected}, not {spec.unit}")
    factors = []
    for f in method.factors:
        flow = nodes.get(f.flow)
        if flow is None or flow.kind != "biosphere":
            problems.add(f.at("flow"), f"unknown elementary flow {f.flow!r}")
            continue
        if not _check_unit(f.unit, f.at("unit"), problems):
            continue
        try:
            value = magnitude_in(quantity(f.factor, f.unit), f"({spec.unit}) / ({flow.unit})")
        except BadValue as exc:
            problems.add(f.at("factor"), str(exc))
            continue
        if value < 0:
            problems.add(f.at("factor"), "a characterisation factor cannot be negative here")
            continue
        factors.append((f.flow, value))
    return ResolvedMethod(spec.indicator, tuple(spec.name), spec.unit, spec.description,
                          spec.source, factors)


# ---------------------------------------------------------------------------- foreground


def resolve_model(inventory: Inventory, base: ResolvedBase, problems: Problems | None = None):
    """Check and normalise a model's inventory against the base data; raise every problem
    (with those already found while reading, when the reader's collector is passed in)."""
    problems = problems if problems is not None else Problems()
    parameter_set, values = resolve_parameters(inventory, problems)
    distributions = check_parameters(inventory, values, parameter_set.formula_names, problems)
    nodes = dict(base.nodes)
    own: dict[str, Node] = {}
    for a in inventory.activities:
        _check_unit(a.unit, a.at("unit"), problems)
        node = Node(a.code, a.name, a.unit, a.location, "foreground")
        if _add_node(nodes, node, a.at("code"), problems):
            own[a.code] = node
    links = []
    for e in inventory.exchanges:
        if e.activity not in own:
            problems.add(e.at("activity"),
                         f"unknown activity {e.activity!r}; define it in activities.csv")
            continue
        link = _link(e.activity, e.input, e.amount, e.unit, values, nodes, e, problems)
        if link:
            links.append(link)
    scenario = dict(values, months=registry().Quantity(1.0, "month"))
    stages = [s for s in (_stage(row, nodes, scenario, problems) for row in inventory.stages) if s]
    served, served_input = _served(inventory, scenario, problems)
    problems.raise_if_any()
    return ResolvedModel(inventory, parameter_set, values, own, links, stages, served,
                         served_input, distributions)


def _stage(row: StageDemand, nodes: dict, values: dict, problems: Problems):
    node = nodes.get(row.activity)
    if node is None or node.kind == "biosphere":
        problems.add(row.at("activity"), f"unknown activity {row.activity!r}")
        return None
    if not _check_unit(row.unit, row.at("unit"), problems):
        return None
    stage = ResolvedStage(row, Amount(row.amount, row.unit, node.unit))
    try:
        stage_amount(stage, values)
    except BadValue as exc:
        problems.add(row.at("amount"), str(exc))
        return None
    return stage


def stage_amount(stage: ResolvedStage, values: dict) -> float:
    """How many units of the row's activity the life cycle demands (months in ``values``)."""
    amount = stage.amount.magnitude(values)
    if isinstance(amount, float) and amount < 0:
        raise BadValue(f"negative amount {amount:g} {stage.amount.target}; a stage cannot "
                       "demand less than nothing")
    return amount


def served_field(inventory: Inventory) -> str:
    """The model.toml key that says how much is served: a response is counted in tokens."""
    return "served_output_tokens" if inventory.card.functional_unit == "response" else "served"


def _served(inventory: Inventory, values: dict, problems: Problems):
    if inventory.card is None:
        return None, None
    card = inventory.card
    name = served_field(inventory)
    where = Location(str(inventory.directory / "model.toml"), None, name)
    unit = "token" if card.functional_unit == "response" else card.functional_unit
    served = served_input = None
    try:
        if not getattr(card, name).strip():
            raise BadValue(f"required for functional unit {card.functional_unit!r}")
        try:
            registry().Quantity(1.0, unit)
        except Exception:
            raise BadValue(f"unknown functional unit {unit!r}") from None
        served = Amount(getattr(card, name), "", unit)
        served.magnitude(values)
        if card.served_input_tokens.strip():
            served_input = Amount(card.served_input_tokens, "", "token")
            served_input.magnitude(values)
    except BadValue as exc:
        problems.add(where, str(exc))
    return served, served_input


def _link(activity, input_code, amount, unit, values, nodes, row, problems, owner_field="activity"):
    target = nodes.get(input_code)
    if target is None:
        problems.add(row.at("input"), f"unknown input {input_code!r}: not an elementary flow, "
                                      "background process or activity")
        return None
    owner = nodes.get(activity)
    if owner is None:
        problems.add(row.at(owner_field), f"unknown {owner_field} {activity!r}")
        return None
    if not _check_unit(unit, row.at("unit"), problems):
        return None
    rule = Amount(amount, unit, target.unit, owner.unit)
    try:
        q = rule.quantity(values)
    except BadValue as exc:
        problems.add(row.at("amount"), str(exc))
        return None
    try:
        coerce(q, unit, owner.unit, "amount")
    except BadValue as exc:
        try:  # the amount fits the input: the unit column is what is wrong
            coerce(q, target.unit, owner.unit, "amount")
            problems.add(row.at("unit"), f"unit {unit!r} does not fit this exchange: the amount "
                                         f"is in {_units(q)} and the input {input_code!r} in "
                                         f"{target.unit}")
        except BadValue:
            used = sorted(formulas.parse(amount).names) if rule.formula is not None else []
            hint = f" (the formula uses {', '.join(used)})" if used else ""
            problems.add(row.at("amount"), f"{exc}{hint}")
        return None
    try:
        value = rule.magnitude(values)
    except BadValue as exc:
        problems.add(row.at("unit"), f"unit of an input to {input_code!r}: {exc}")
        return None
    if value < 0:
        problems.add(row.at("amount"), f"negative amount {value:g} {target.unit}; "
                                       "inputs and emissions cannot be negative here")
        return None
    kind = "biosphere" if target.kind == "biosphere" else "technosphere"
    return Link(activity, input_code, value, kind, rule, row.at("amount"))


def _add_node(nodes: dict, node: Node, where: Location, problems: Problems) -> bool:
    if node.code in nodes:
        problems.add(where, f"code {node.code!r} is already used by {nodes[node.code].kind} "
                            f"node {nodes[node.code].name!r}")
        return False
    nodes[node.code] = node
    return True


def _check_unit(text: str, where: Location, problems: Problems) -> bool:
    try:
        registry().Quantity(1.0, text)
        return True
    except Exception as exc:
        problems.add(where, f"unknown unit {text!r} ({str(exc).splitlines()[0][:120]})")
        return False
