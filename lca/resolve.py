"""From text to numbers: evaluate parameters and formulas with their units, link every
exchange to a known node, and normalise each amount to the unit of the node it feeds.

Everything here is pure Python (no Brightway), so an inventory is checked completely, with
every problem located, before anything is written to a Brightway project.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lca import formulas
from lca.errors import BadValue, Location, Problems
from lca.schema import INDICATOR_UNITS, StageDemand
from lca.text_inventory import BaseData, Inventory
from lca.units import magnitude_in, quantity, registry

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
class Link:
    """A numeric exchange, in the unit of its input node, per one unit of its activity."""

    activity: str
    input: str
    amount: float
    type: str  # "technosphere" | "biosphere"


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


@dataclass
class ResolvedModel:
    inventory: Inventory
    parameters: dict  # name -> pint quantity
    nodes: dict[str, Node]
    links: list[Link]
    stages: list[StageDemand]
    formula_parameters: set[str] = field(default_factory=set)


# ---------------------------------------------------------------------------- amounts


def coerce(q, target_unit: str, per_unit: str | None, what: str) -> float:
    """Magnitude of ``q`` in ``target_unit``. A quantity given per one unit of the activity
    (for example "kWh/run" for a "run" activity) is accepted and multiplied by that unit."""
    target = registry().Quantity(1.0, target_unit)
    if q.dimensionality == target.dimensionality:
        return magnitude_in(q, target_unit)
    if per_unit:
        per = q * registry().Quantity(1.0, per_unit)
        if per.dimensionality == target.dimensionality:
            return magnitude_in(per, target_unit)
    per_text = f" (or {target_unit} per {per_unit})" if per_unit else ""
    raise BadValue(
        f"{what}: expected {target_unit}{per_text}, dimension {target.dimensionality}; "
        f"got {_units(q)}, dimension {q.dimensionality}"
    )


def _units(q) -> str:
    """A readable unit for messages (kW*h*L/kWh reads as L)."""
    return f"{q.to_reduced_units().units:~}" or "dimensionless"


def amount_quantity(text: str, unit_text: str, values: dict):
    """An amount column (a number or a formula) with its unit column, as a quantity."""
    ureg = registry()
    unit_q = ureg.Quantity(1.0, unit_text)  # caller has checked the unit
    try:
        return ureg.Quantity(float(text), unit_q.units)
    except ValueError:
        pass
    return formulas.evaluate(text, values)


# ---------------------------------------------------------------------------- parameters


def resolve_parameters(inventory: Inventory, problems: Problems, months: float = 1.0):
    """Evaluate every parameter in dependency order. Returns (values, formula names)."""
    rows = {}
    for p in inventory.parameters:
        if p.name in rows:
            problems.add(p.at("name"), f"parameter {p.name!r} is defined twice")
        elif p.name in SCENARIO_NAMES:
            problems.add(p.at("name"), f"{p.name!r} is set by the command line, not the inventory")
        else:
            rows[p.name] = p
    dependencies: dict[str, set[str]] = {}
    literals = {}
    for name, p in rows.items():
        deps = _formula_names(p.value)
        if deps is not None and deps <= set(rows):
            dependencies[name] = deps
            continue
        try:
            literals[name] = quantity(p.value)
        except BadValue as exc:
            unknown = sorted((deps or set()) - set(rows))
            hint = f"; unknown name(s) {', '.join(unknown)}" if unknown else ""
            problems.add(p.at("value"), f"{exc}{hint}")
    values = dict(literals)
    state: dict[str, str] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == "done" or name in literals:
            return
        if state.get(name) == "active":
            cycle = " -> ".join(chain[chain.index(name) :] + [name])
            problems.add(
                rows[name].at("value"), f"parameters depend on each other in a cycle: {cycle}"
            )
            state[name] = "done"
            return
        state[name] = "active"
        for dep in sorted(dependencies[name]):
            if dep in dependencies:
                visit(dep, chain + [name])
        state[name] = "done"
        if all(d in values for d in dependencies[name]):
            try:
                values[name] = formulas.evaluate(rows[name].value, values)
            except BadValue as exc:
                problems.add(rows[name].at("value"), str(exc))

    for name in dependencies:
        visit(name, [])
    return values, set(dependencies)


def _formula_names(text: str) -> set[str] | None:
    try:
        return formulas.names(text)
    except BadValue:
        return None


# ---------------------------------------------------------------------------- base data


def resolve_base(base: BaseData) -> ResolvedBase:
    problems = Problems()
    nodes: dict[str, Node] = {}
    for f in base.flows:
        _check_unit(f.unit, f.at("unit"), problems)
        _add_node(
            nodes,
            Node(f.code, f.name, f.unit, "", "biosphere", f.compartment, f.type),
            f.at("code"),
            problems,
        )
    for p in base.processes:
        _check_unit(p.unit, p.at("unit"), problems)
        _add_node(
            nodes, Node(p.code, p.name, p.unit, p.location, "background"), p.at("code"), problems
        )
    links = []
    for e in base.exchanges:
        link = _resolve_exchange(
            e.process, e.input, e.amount, e.unit, {}, nodes, e, problems, activity_field="process"
        )
        if link:
            links.append(link)
    methods = []
    seen = set()
    for m in base.methods:
        spec = m.spec
        if spec.indicator in seen:
            problems.add(spec.at("indicator"), f"two methods for indicator {spec.indicator!r}")
        seen.add(spec.indicator)
        expected = registry().Quantity(1.0, INDICATOR_UNITS[spec.indicator])
        unit_ok = _check_unit(spec.unit, spec.at("unit"), problems)
        if (
            unit_ok
            and registry().Quantity(1.0, spec.unit).dimensionality != expected.dimensionality
        ):
            problems.add(
                spec.at("unit"),
                f"indicator {spec.indicator} is expressed in "
                f"{INDICATOR_UNITS[spec.indicator]}, not {spec.unit}",
            )
        factors = []
        for f in m.factors:
            flow = nodes.get(f.flow)
            if flow is None or flow.kind != "biosphere":
                problems.add(f.at("flow"), f"unknown elementary flow {f.flow!r}")
                continue
            if not _check_unit(f.unit, f.at("unit"), problems):
                continue
            try:
                cf = quantity(f.factor, f.unit)
                expected_cf = f"({spec.unit}) / ({flow.unit})"
                value = magnitude_in(cf, expected_cf)
            except BadValue as exc:
                problems.add(f.at("factor"), str(exc))
                continue
            if value < 0:
                problems.add(f.at("factor"), "a characterisation factor cannot be negative here")
                continue
            factors.append((f.flow, value))
        methods.append(
            ResolvedMethod(
                spec.indicator, tuple(spec.name), spec.unit, spec.description, spec.source, factors
            )
        )
    missing = set(INDICATOR_UNITS) - seen
    if missing:
        problems.add(
            Location("methods/methods.toml"), f"no method for {', '.join(sorted(missing))}"
        )
    problems.raise_if_any()
    return ResolvedBase(nodes, links, methods)


# ---------------------------------------------------------------------------- foreground


def resolve_model(inventory: Inventory, base: ResolvedBase, problems: Problems | None = None):
    """Check and normalise a model's inventory against the base data; raise every problem
    (with those already found while reading, when the reader's collector is passed in)."""
    problems = problems if problems is not None else Problems()
    values, formula_names = resolve_parameters(inventory, problems)
    from lca.uncertainty.distributions import check_parameters  # bounds checked at load time

    check_parameters(inventory, values, formula_names, problems)
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
            problems.add(
                e.at("activity"), f"unknown activity {e.activity!r}; define it in activities.csv"
            )
            continue
        link = _resolve_exchange(e.activity, e.input, e.amount, e.unit, values, nodes, e, problems)
        if link:
            links.append(link)
    scenario = dict(values, months=registry().Quantity(1.0, "month"))
    for s in inventory.stages:
        node = nodes.get(s.activity)
        if node is None or node.kind == "biosphere":
            problems.add(s.at("activity"), f"unknown activity {s.activity!r}")
            continue
        if _check_unit(s.unit, s.at("unit"), problems):
            try:
                stage_amount(s, scenario, node)
            except BadValue as exc:
                problems.add(s.at("amount"), str(exc))
    if inventory.card is not None:
        field_name = served_field(inventory)
        try:
            if not getattr(inventory.card, field_name).strip():
                raise BadValue(f"required for functional unit {inventory.card.functional_unit!r}")
            served_units(inventory, scenario)
            if inventory.card.served_input_tokens.strip():
                served_input_tokens(inventory, scenario)
        except BadValue as exc:
            problems.add(Location(_label(inventory, "model.toml"), None, field_name), str(exc))
    problems.raise_if_any()
    return ResolvedModel(inventory, values, own, links, list(inventory.stages), formula_names)


def stage_amount(row: StageDemand, values: dict, node: Node) -> float:
    """How many units of the row's activity the life cycle demands (months in ``values``)."""
    q = amount_quantity(row.amount, row.unit, values)
    amount = coerce(q, node.unit, None, "amount")
    if amount < 0:
        raise BadValue(
            f"negative amount {amount:g} {node.unit}; a stage cannot demand less than nothing"
        )
    return amount


def served_tokens(inventory: Inventory, values: dict) -> float:
    q = formulas.evaluate(inventory.card.served_output_tokens, values)
    return magnitude_in(q, "token")


def served_field(inventory: Inventory) -> str:
    """The model.toml key that says how much is served: a response is counted in tokens."""
    return "served_output_tokens" if inventory.card.functional_unit == "response" else "served"


def served_units(inventory: Inventory, values: dict) -> float:
    """Output tokens served (functional unit "response"), else functional units served."""
    if inventory.card.functional_unit == "response":
        return served_tokens(inventory, values)
    unit_name = inventory.card.functional_unit
    try:
        registry().Quantity(1.0, unit_name)
    except Exception:
        raise BadValue(f"unknown functional unit {unit_name!r}") from None
    return magnitude_in(formulas.evaluate(inventory.card.served, values), unit_name)


def served_input_tokens(inventory: Inventory, values: dict) -> float:
    """Input tokens served over the period (0 when the card does not say)."""
    if not inventory.card.served_input_tokens.strip():
        return 0.0
    return magnitude_in(formulas.evaluate(inventory.card.served_input_tokens, values), "token")


def scenario_values(model: ResolvedModel, months: float) -> dict:
    return dict(model.parameters, months=registry().Quantity(float(months), "month"))


def _resolve_exchange(
    activity, input_code, amount, unit, values, nodes, row, problems, activity_field="activity"
):
    target = nodes.get(input_code)
    if target is None:
        problems.add(
            row.at("input"),
            f"unknown input {input_code!r}: not an elementary flow, background process or activity",
        )
        return None
    owner = nodes.get(activity)
    if owner is None:
        problems.add(row.at(activity_field), f"unknown {activity_field} {activity!r}")
        return None
    if not _check_unit(unit, row.at("unit"), problems):
        return None
    try:
        q = amount_quantity(amount, unit, values)
    except BadValue as exc:
        problems.add(row.at("amount"), str(exc))
        return None
    try:
        declared = coerce(q, unit, owner.unit, "amount")
    except BadValue as exc:
        try:  # the amount fits the input: the unit column is what is wrong
            coerce(q, target.unit, owner.unit, "amount")
            problems.add(
                row.at("unit"),
                f"unit {unit!r} does not fit this exchange: the amount "
                f"is in {_units(q)} and the input {input_code!r} in "
                f"{target.unit}",
            )
        except BadValue:
            used = _formula_names(amount) or set()
            hint = f" (the formula uses {', '.join(sorted(used))})" if used else ""
            problems.add(row.at("amount"), f"{exc}{hint}")
        return None
    try:
        value = coerce(
            registry().Quantity(declared, unit),
            target.unit,
            owner.unit,
            f"unit of an input to {input_code!r}",
        )
    except BadValue as exc:
        problems.add(row.at("unit"), str(exc))
        return None
    if value < 0:
        problems.add(
            row.at("amount"),
            f"negative amount {value:g} {target.unit}; "
            "inputs and emissions cannot be negative here",
        )
        return None
    kind = "biosphere" if target.kind == "biosphere" else "technosphere"
    return Link(activity, input_code, value, kind)


def _add_node(nodes: dict, node: Node, where: Location, problems: Problems) -> bool:
    if node.code in nodes:
        problems.add(
            where,
            f"code {node.code!r} is already used by {nodes[node.code].kind} "
            f"node {nodes[node.code].name!r}",
        )
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


def _label(inventory: Inventory, name: str) -> str:
    return str(inventory.directory / name)
