"""``lca export --format jsonld``: an openLCA JSON-LD zip, written with olca-schema (the
package that defines the format): processes (our background as LCI results, the model's
foreground and the assessment's stages, life cycle and functional units as unit processes),
product and elementary flows, their flow properties and unit groups, locations, and our four
indicators as one impact method.

Units: a quantity openLCA's reference data know keeps their unit group, flow property and
unit ids (kg, m3, kWh, Item(s)), so an import into a database with reference data maps onto
them; the rest (token, run, GPU*h, response...) get unit groups of their own. Amounts are
converted with Pint where the unit changes (an aggregated "kg CO2e" flow is a mass in kg;
a GPU is an Item(s)); ids are stable (UUID 5 of the code), so a second export updates the
first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import olca_schema as o
from olca_schema import units as olca_units
from olca_schema.zipio import ZipWriter

from lca.files import temporary_beside
from lca.schema import INDICATOR_NAMES
from lca.units import registry

from .model import Activity, ExportModel

NAMESPACE = uuid.UUID("5b7e1c2a-8f0e-4a53-9d6e-1c0a2b3d4e5f")  # this engine's exports
# Aggregated flows measured in an equivalent: their amount is a mass
EQUIVALENT_MASSES = {"kg CO2e": "kg", "kg Sb eq": "kg"}
# openLCA's unit for a dimension (our unit converted with Pint), by its Pint spelling
STANDARD = (("kg", "kg"), ("m**3", "m3"), ("kWh", "kWh"))
COUNTED_AS_ITEMS = ("GPU", "server", "device", "unit")
STANDARD_REFERENCE = {"kWh": ("MJ", 3.6)}  # openLCA's reference unit of the group


def uid(kind: str, code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"lca-ai/{kind}/{code}"))


@dataclass(frozen=True)
class UnitChoice:
    """How one of our units is written in openLCA: a unit of a unit group, with the flow
    property that uses it, and how many of that unit one of ours is."""

    unit: str
    group: o.Ref
    prop: o.Ref
    unit_ref: o.Ref
    factor: float
    standard: bool


def unit_choice(our_unit: str) -> UnitChoice:
    """openLCA's unit for one of ours (see the module docstring)."""
    target, factor = _target(our_unit)
    if target is not None:
        return UnitChoice(target, olca_units.group_ref(target), olca_units.property_ref(target),
                          olca_units.unit_ref(target), factor, True)
    group = o.Ref(ref_type=o.RefType.UnitGroup, id=uid("unit-group", our_unit),
                  name=f"Units of {our_unit} (lca-ai)")
    prop = o.Ref(ref_type=o.RefType.FlowProperty, id=uid("flow-property", our_unit),
                 name=f"Amount of {our_unit} (lca-ai)")
    unit = o.Ref(ref_type=o.RefType.Unit, id=uid("unit", our_unit), name=our_unit)
    return UnitChoice(our_unit, group, prop, unit, 1.0, False)


def _target(our_unit: str) -> tuple[str | None, float]:
    if our_unit in EQUIVALENT_MASSES:
        return EQUIVALENT_MASSES[our_unit], 1.0
    if our_unit in COUNTED_AS_ITEMS:
        return "Item(s)", 1.0
    ureg = registry()
    q = ureg.Quantity(1.0, our_unit)
    for pint_unit, target in STANDARD:
        if q.dimensionality == ureg.Quantity(1.0, pint_unit).dimensionality:
            return target, float(q.to(pint_unit).magnitude)
    return None, 1.0


class _Writer:
    """Collects the entities of one export (each written once) and writes the zip."""

    def __init__(self, model: ExportModel):
        self.model = model
        self.entities: dict[str, o.RootEntity] = {}
        self.groups: dict[str, list[UnitChoice]] = {}

    def add(self, entity) -> None:
        self.entities.setdefault(entity.id, entity)

    def choice(self, unit: str) -> UnitChoice:
        chosen = unit_choice(unit)
        known = self.groups.setdefault(chosen.group.id, [])
        if all(c.unit != chosen.unit for c in known):
            known.append(chosen)
        return chosen

    def location(self, code: str) -> o.Ref:
        self.add(o.Location(id=uid("location", code), name=code, code=code))
        return o.Ref(ref_type=o.RefType.Location, id=uid("location", code), name=code)

    def flow(self, code: str) -> tuple[o.Ref, UnitChoice]:
        """The flow of a node: elementary for our biosphere, else the product of the
        activity that makes it."""
        node = self.model.nodes.get(code)
        unit = node.unit if node is not None else "unit"
        name = node.name if node is not None else self._activity(code).name
        chosen = self.choice(unit)
        elementary = node is not None and node.kind == "biosphere"
        flow_type = o.FlowType.ELEMENTARY_FLOW if elementary else o.FlowType.PRODUCT_FLOW
        category = (f"Elementary flows/{node.compartment}" if elementary
                    else f"lca-ai/{self.model.model}")
        flow = o.Flow(id=uid("flow", code), name=name, flow_type=flow_type,
                      category=category, description=f"lca-ai code {code}; unit {unit}",
                      flow_properties=[o.FlowPropertyFactor(conversion_factor=1.0,
                                                            flow_property=chosen.prop,
                                                            is_ref_flow_property=True)])
        self.add(flow)
        return (o.Ref(ref_type=o.RefType.Flow, id=flow.id, name=name, flow_type=flow_type),
                chosen)

    def _activity(self, code: str) -> Activity:
        return next(a for a in self.model.background + self.model.foreground if a.code == code)

    def process(self, activity: Activity) -> None:
        flow, chosen = self.flow(activity.code)
        exchanges = [o.Exchange(internal_id=1, amount=1.0 * chosen.factor, flow=flow,
                                flow_property=chosen.prop, unit=chosen.unit_ref,
                                is_input=False, is_quantitative_reference=True)]
        for k, e in enumerate(activity.exchanges, start=2):
            input_flow, unit = self.flow(e.input)
            provider = None
            if e.type == "technosphere":
                provider = o.Ref(ref_type=o.RefType.Process, id=uid("process", e.input),
                                 name=input_flow.name)
            node = self.model.nodes.get(e.input)
            is_input = e.type == "technosphere" or (
                node is not None and node.flow_type == "natural resource")
            exchanges.append(o.Exchange(
                internal_id=k, amount=e.amount * unit.factor / chosen.factor, flow=input_flow,
                flow_property=unit.prop, unit=unit.unit_ref, is_input=is_input,
                default_provider=provider,
                description=f"formula: {e.comment}" if e.comment else None))
        process_type = (o.ProcessType.LCI_RESULT if activity.kind == "background"
                        else o.ProcessType.UNIT_PROCESS)
        self.add(o.Process(
            id=uid("process", activity.code), name=activity.name, process_type=process_type,
            category=f"lca-ai/{self.model.model}" if activity.kind != "background"
            else "lca-ai/background", location=self.location(activity.location),
            description=activity.comment or f"lca-ai {activity.kind} activity {activity.code}",
            exchanges=exchanges, last_internal_id=len(exchanges)))

    def method(self) -> None:
        categories = []
        for m in self.model.methods:
            factors = []
            for code, cf in m.factors:
                flow, chosen = self.flow(code)
                factors.append(o.ImpactFactor(flow=flow, flow_property=chosen.prop,
                                              unit=chosen.unit_ref, value=cf / chosen.factor))
            category = o.ImpactCategory(id=uid("impact", m.indicator),
                                        name=f"{INDICATOR_NAMES[m.indicator]} (lca-ai)",
                                        ref_unit=m.unit, description=m.description,
                                        impact_factors=factors, category="lca-ai")
            self.add(category)
            categories.append(o.Ref(ref_type=o.RefType.ImpactCategory, id=category.id,
                                    name=category.name))
        self.add(o.ImpactMethod(id=uid("method", "lca-ai"), name="lca-ai indicators",
                                description="; ".join(" / ".join(m.name)
                                                      for m in self.model.methods),
                                impact_categories=categories, category="lca-ai"))

    def unit_groups(self) -> None:
        for choices in self.groups.values():
            first = choices[0]
            units = [o.Unit(id=c.unit_ref.id, name=c.unit, conversion_factor=1.0,
                            is_ref_unit=not c.standard or c.unit not in STANDARD_REFERENCE)
                     for c in choices]
            for c in choices:
                if c.standard and c.unit in STANDARD_REFERENCE:
                    ref_name, factor = STANDARD_REFERENCE[c.unit]
                    units[[u.name for u in units].index(c.unit)].conversion_factor = factor
                    reference = olca_units.unit_ref(ref_name)
                    if all(u.name != ref_name for u in units):
                        units.append(o.Unit(id=reference.id, name=ref_name,
                                            conversion_factor=1.0, is_ref_unit=True))
            self.add(o.UnitGroup(id=first.group.id, name=first.group.name, units=units,
                                 default_flow_property=first.prop))
            self.add(o.FlowProperty(id=first.prop.id, name=first.prop.name,
                                    flow_property_type=o.FlowPropertyType.PHYSICAL_QUANTITY,
                                    unit_group=first.group))


def write_jsonld(model: ExportModel, path: Path) -> Path:
    """Write the zip (through a temporary file moved into place when complete)."""
    writer = _Writer(model)
    for activity in model.background + model.foreground:
        writer.process(activity)
    writer.method()
    writer.unit_groups()
    path = Path(path)
    temporary = temporary_beside(path)
    try:
        with ZipWriter(temporary) as zipped:
            for entity in writer.entities.values():
                zipped.write(entity)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
