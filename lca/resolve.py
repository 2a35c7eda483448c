"""From text to numbers: evaluate parameters and formulas with their units, link every
exchange to a known node, and say how each amount converts to the unit of the node it feeds.

Everything here is pure Python (no Brightway), so an inventory is checked completely, with
every problem located, before anything is written to a Brightway project. The rules that turn
an amount into a number (:class:`Amount`) and parameters into values (:class:`ParameterSet`)
are used as they are by the static assessment (floats) and by Monte Carlo (numpy arrays).
"""

from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass, field, replace

from lca import formulas
from lca.distributions import Distribution, check_parameters
from lca.errors import BadValue, Location, Problems
from lca.schema import INDICATOR_UNITS, STAGES, Parameter, StageDemand
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


@dataclass(frozen=True)
class PublishedValue:
    """A published figure, read and checked: an absolute value in the indicator's unit, or a
    share ("=", "<" or ">" a percent) of the indicator's life-cycle total; with the half-width
    of its uncertainty (absolute, in the same unit or in percentage points) when known."""

    scope: str
    per_unit: bool
    indicator: str
    text: str
    value: float | None = None
    share: tuple[str, float] | None = None
    uncertainty: float | None = None
    boundary: str = ""
    source: str = ""
    where: Location | None = None
    statistic: str = ""  # "" (one value), "mean" or "p<percent>" of a distribution

    @property
    def label(self) -> str:
        label = f"{self.scope} per unit" if self.per_unit else self.scope
        return f"{label}, {self.statistic}" if self.statistic else label


@dataclass
class ResolvedModel:
    inventory: Inventory
    parameter_set: ParameterSet
    parameters: dict  # name -> static quantity
    nodes: dict[str, Node]
    links: list[Link]
    stages: list[ResolvedStage]
    served: Amount  # functional units served over the period (tokens for a response)
    # Other kinds of tokens served, when the card says: {"input" | "reasoning" |
    # "cached_input": Amount in tokens}
    tokens: dict[str, Amount] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    unit_size: float = 1.0  # the amount of one functional unit ("1000 token": 1000)
    published: list[PublishedValue] = field(default_factory=list)

    @property
    def formula_parameters(self) -> set[str]:
        return self.parameter_set.formula_names

    @property
    def served_input(self) -> Amount | None:
        return self.tokens.get("input")

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
    _check_exclusions(inventory, problems)
    unit_size, served, tokens = _served(inventory, scenario, problems)
    published = published_values(inventory, problems)
    problems.raise_if_any()
    return ResolvedModel(inventory, parameter_set, values, own, links, stages, served, tokens,
                         distributions, unit_size, published)


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


TOKEN_KINDS = {"input": "served_input_tokens", "reasoning": "served_reasoning_tokens",
               "cached_input": "served_cached_input_tokens"}


def functional_unit(card) -> tuple[str, float]:
    """(unit the amount served is counted in, size of one functional unit): "response" ->
    ("token", 1); "image" -> ("image", 1); "1000 token" -> ("token", 1000)."""
    if card.functional_unit == "response":
        return "token", 1.0
    try:
        q = quantity(card.functional_unit)
    except BadValue:
        q = None
    if q is None or q.dimensionless or not float(q.magnitude) > 0:
        raise BadValue(f"unknown functional unit {card.functional_unit!r}: write 'response' or an "
                       "amount of a countable unit: 'image', 'request', 'inference', "
                       "'1000 token', 'run'")
    return f"{q.units}", float(q.magnitude)


def _served(inventory: Inventory, values: dict, problems: Problems):
    if inventory.card is None:
        return 1.0, None, {}
    card = inventory.card
    name = served_field(inventory)
    where = Location(str(inventory.directory / "model.toml"), None, name)
    try:
        unit, size = functional_unit(card)
        if not getattr(card, name).strip():
            raise BadValue(f"required for functional unit {card.functional_unit!r}")
        served = Amount(getattr(card, name), "", unit)
        served.magnitude(values)
    except BadValue as exc:
        problems.add(where, str(exc))
        return 1.0, None, {}
    tokens = {}
    for kind, key in TOKEN_KINDS.items():
        if getattr(card, key).strip():
            try:
                tokens[kind] = Amount(getattr(card, key), "", "token")
                tokens[kind].magnitude(values)
            except BadValue as exc:
                problems.add(Location(where.file, None, key), str(exc))
    return size, served, tokens


def _check_exclusions(inventory: Inventory, problems: Problems) -> None:
    """A stage declared excluded (not assessed at all) cannot also have rows; not_assessed
    names indicators."""
    card = inventory.card
    if card is None:
        return
    for stage, text in card.not_assessed.items():
        unknown = [p.strip() for p in text.split(",") if p.strip() not in INDICATOR_UNITS]
        if unknown:
            problems.add(Location(str(inventory.directory / "model.toml"), None,
                                  f"not_assessed.{stage}"),
                         f"unknown indicator(s) {', '.join(map(repr, unknown))}; use "
                         f"{', '.join(INDICATOR_UNITS)} separated by commas")
    for row in inventory.stages:
        if row.stage in card.excluded:
            problems.add(row.at("stage"), f"stage {row.stage!r} is declared excluded in "
                                          "model.toml ([excluded]) but has rows here; remove "
                                          "one or the other")


# ---------------------------------------------------------------------------- published figures

_SHARE = re.compile(r"^\s*(<|>)?\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")
_PERCENTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")


def read_statistic(text: str) -> str:
    """'' (a single value), 'mean', or 'p50' / 'p25' / 'p2.5' (a percentile, 0-100)."""
    text = str(text or "").strip().lower()
    if text in ("", "mean"):
        return text
    match = _PERCENTILE.match(text)
    if match and 0 <= float(match.group(1)) <= 100:
        return text
    raise BadValue(f"cannot read statistic {text!r}; write p50, p25, p75 (a percentile from 0 "
                   "to 100), mean, or leave it empty for a single value")


def read_share(text: str) -> tuple[str, float]:
    """'85.5 %' -> ('=', 85.5); '<1 %' -> ('<', 1.0)."""
    match = _SHARE.match(str(text))
    if not match:
        raise BadValue(f"cannot read share {text!r}; write it like '85.5 %' or '<1 %'")
    return (match.group(1) or "="), float(match.group(2))


def published_values(inventory: Inventory, problems: Problems) -> list[PublishedValue]:
    """Every published figure of an inventory, read and checked before anything is computed:
    the older tables of [published] in model.toml, then the rows of published_figures.csv."""
    out = []
    p = inventory.published
    labels = {f"{r.stage}/{r.substage}" for r in inventory.stages if r.substage}
    if p is not None:
        where = Location(str(inventory.directory / "model.toml"))
        legacy = [("total", False, ind, text, f"published.total.{ind}")
                  for ind, text in p.total.items()]
        legacy += [("marginal", True, ind, text, f"published.per_response_marginal.{ind}")
                   for ind, text in p.per_response_marginal.items()]
        legacy += [(scope, False, ind, text, f"published.stage_shares.{scope}.{ind}")
                   for scope, by in p.stage_shares.items() for ind, text in by.items()]
        for scope, per_unit, ind, text, field_name in legacy:
            at = Location(where.file, None, field_name)
            value = _published_value(scope, per_unit, ind, text, "", p.notes, p.source, at,
                                     labels, problems)
            if value is not None:
                out.append(value)
    for row in inventory.published_figures:
        value = _published_value(row.scope, row.per_unit, row.indicator, row.value,
                                 row.uncertainty, row.boundary,
                                 row.source or (p.source if p is not None else ""), row.at("value"),
                                 labels, problems, row)
        if value is None:
            continue
        try:
            out.append(replace(value, statistic=read_statistic(row.statistic)))
        except BadValue as exc:
            problems.add(row.at("statistic"), str(exc))
    return out


def _published_value(scope, per_unit, indicator, text, uncertainty, boundary, source, where,
                     labels, problems, row=None):
    for part in (s.strip() for s in scope.split("+")):
        if part not in ("total", "marginal", *STAGES) and part not in labels:
            at = row.at("scope") if row is not None else where
            problems.add(at, f"unknown scope {part!r}: total, marginal, a stage "
                             f"({', '.join(STAGES)}), a sub-stage of stages.csv written "
                             "stage/substage, or several joined by '+'")
            return None
    unit = INDICATOR_UNITS[indicator]
    try:
        if "%" in str(text):
            if per_unit:
                raise BadValue("a share is of the life-cycle total, not per unit")
            share = read_share(text)
            half = _share_half_width(uncertainty)
            return PublishedValue(scope, per_unit, indicator, text, None, share, half, boundary,
                                  source, where)
        value = magnitude_in(quantity(text), unit)
        half = _half_width(uncertainty, value, unit)
    except BadValue as exc:
        field_name = "uncertainty" if "uncertainty" in str(exc) else None
        at = row.at(field_name or "value") if row is not None else where
        problems.add(at, f"published {indicator} of {scope}: {exc}")
        return None
    return PublishedValue(scope, per_unit, indicator, text, value, None, half, boundary, source,
                          where)


def _half_width(text: str, value: float, unit: str) -> float | None:
    """An uncertainty written relative ("2 %") or absolute ("0.05 kt CO2e"), in ``unit``."""
    text = str(text or "").strip()
    if not text:
        return None
    if text.endswith("%"):
        try:
            return abs(value) * float(text[:-1]) / 100.0
        except ValueError:
            raise BadValue(f"uncertainty {text!r}: write '2 %' or a quantity") from None
    return abs(magnitude_in(quantity(text), unit))


def _share_half_width(text: str) -> float | None:
    text = str(text or "").strip()
    if not text:
        return None
    try:
        return float(text.rstrip("%").strip())
    except ValueError:
        raise BadValue(f"uncertainty {text!r}: give a share's uncertainty in percentage points, "
                       "like '0.5 %'") from None


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
