"""The physical quantities an assessment implies, next to independent references.

An inventory can meet every published figure and still imply a data centre no one would
build. Every assessment therefore states what it implies, in units an engineer can check:

- from the results, for every model: electricity at the meter per functional unit (the
  marginal boundary), water consumed per kWh of use (training and inference stages), the
  training energy, and the ADP per kg CO2e of hardware manufacturing;
- from formulas the model card declares over its parameters (``[implied]`` in model.toml,
  for quantities only the model knows): training GPU-hours, the average serving fleet, the
  embodied GWP of one GPU and the ADP of one 8-GPU server; from these, the training energy
  per GPU-hour, the output tokens served per provisioned GPU-second and the power drawn per
  provisioned GPU.

Each is shown next to the reference ranges of ``reports/implied-references.csv`` (one source
per row, how it was obtained: primary text, secondary report, or arithmetic on cited
inputs) and flagged when it lies outside a range, with the factor.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lca import formulas
from lca.catalog import PACKAGE, data_root
from lca.errors import BadValue, InventoryError, Location, Problem
from lca.schema import STAGES
from lca.units import quantity, registry

FILE = Path("reports") / "implied-references.csv"
COLUMNS = ("quantity", "functional_unit", "applies_to", "low", "high", "unit", "basis", "source",
           "evidence")
EVIDENCE = ("primary", "secondary", "derived")


@dataclass(frozen=True)
class Definition:
    name: str
    label: str
    unit: str  # the unit it is shown and compared in
    declared: bool = False  # a formula of the model card, not computed from the results


DEFINITIONS = (
    Definition("energy_per_unit", "Electricity at the meter per functional unit (marginal)",
               "Wh"),
    Definition("water_per_kwh_use", "Water consumed per kWh at the meter, training and "
               "inference stages (on site and at the power plants)", "L/kWh"),
    Definition("training_energy", "Training energy at the meter", "MWh"),
    Definition("hardware_adp_per_gwp", "ADP per kg CO2e of hardware manufacturing",
               "g Sb eq/kg CO2e"),
    Definition("training_gpu_hours", "Training GPU-hours", "GPU*h", declared=True),
    Definition("training_energy_per_gpu_hour", "Training energy at the meter per GPU-hour",
               "kWh/(GPU*h)"),
    Definition("serving_gpus", "Average serving fleet (provisioned GPUs)", "GPU", declared=True),
    Definition("serving_throughput", "Output tokens served per provisioned GPU-second",
               "token/(GPU*s)"),
    Definition("serving_power_per_gpu", "Power at the meter per provisioned serving GPU",
               "W/GPU"),
    Definition("embodied_gwp_per_gpu", "Embodied GWP of one GPU", "kg CO2e/GPU", declared=True),
    Definition("embodied_adp_per_server", "Embodied ADP of one 8-GPU server, GPUs included",
               "kg Sb eq/server", declared=True),
)
BY_NAME = {d.name: d for d in DEFINITIONS}
DECLARABLE = tuple(d.name for d in DEFINITIONS if d.declared)


@dataclass(frozen=True)
class Reference:
    quantity: str
    functional_unit: str  # "response", "image"... or "*"
    applies_to: tuple[str, ...]  # model names; empty: every model
    low: float | None
    high: float | None
    unit: str
    basis: str
    source: str
    evidence: str

    def covers(self, model: str, functional_unit: str) -> bool:
        return ((not self.applies_to or model in self.applies_to)
                and self.functional_unit in ("*", functional_unit))

    def check(self, value: float, unit: str) -> dict:
        """The reference in ``unit`` and where ``value`` lies: within, below or above (with
        the factor to the nearest bound)."""
        scale = float(quantity(1.0, self.unit).to(unit).magnitude)
        low = None if self.low is None else self.low * scale
        high = None if self.high is None else self.high * scale
        status, factor = "within", None
        if low is not None and value < low:
            status, factor = "below", (low / value if value > 0 else math.inf)
        elif high is not None and value > high:
            status, factor = "above", (value / high if high > 0 else math.inf)
        return {"low": low, "high": high, "unit": unit, "basis": self.basis,
                "source": self.source, "evidence": self.evidence, "status": status,
                "factor": factor}


@dataclass
class Implied:
    name: str
    label: str
    unit: str
    value: float | None
    how: str
    references: list[dict] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return any(r["status"] != "within" for r in self.references)

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "unit": self.unit,
                "value": _number(self.value), "how": self.how,
                "references": [{k: (_number(v) if k in ("low", "high", "factor") else v)
                                for k, v in r.items()} for r in self.references],
                "flagged": self.flagged}


def _number(value):
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.6g}") + 0.0


# ----------------------------------------------------------------------------- references


def references_file() -> Path:
    for root in (data_root(), PACKAGE.parent, PACKAGE / "_data"):
        if (root / FILE).is_file():
            return root / FILE
    return data_root() / FILE


def read_references(path: Path | None = None) -> list[Reference]:
    """Read and check the reference table: a known quantity, a unit of its dimension, at
    least one bound, a source and how it was obtained, in every row."""
    path = path or references_file()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InventoryError([Problem(Location(str(path)), "file is missing")]) from None
    problems, out = [], []
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InventoryError([Problem(Location(str(path), 1), f"missing column(s) "
                                      f"{', '.join(missing)}")])
    for number, row in enumerate(reader, start=2):
        try:
            out.append(_reference(row))
        except BadValue as exc:
            problems.append(Problem(Location(str(path), number), str(exc)))
    if problems:
        raise InventoryError(problems)
    return out


def _reference(row: dict) -> Reference:
    name = row["quantity"].strip()
    if name not in BY_NAME:
        raise BadValue(f"unknown quantity {name!r}; known: {', '.join(BY_NAME)}")
    unit = row["unit"].strip()
    target = quantity(1.0, BY_NAME[name].unit)
    if quantity(1.0, unit).dimensionality != target.dimensionality:
        raise BadValue(f"unit {unit!r} does not measure {name} ({BY_NAME[name].unit})")
    bounds = [float(row[k]) if row[k].strip() else None for k in ("low", "high")]
    if bounds == [None, None]:
        raise BadValue("give a low or a high bound")
    if None not in bounds and bounds[0] > bounds[1]:
        raise BadValue("low is above high")
    if not row["source"].strip():
        raise BadValue("every reference needs its source")
    if row["evidence"].strip() not in EVIDENCE:
        raise BadValue(f"evidence must be one of {', '.join(EVIDENCE)}")
    models = tuple(m.strip() for m in row["applies_to"].split(",") if m.strip() and
                   m.strip() != "*")
    return Reference(name, row["functional_unit"].strip() or "*", models, bounds[0], bounds[1],
                     unit, row["basis"].strip(), row["source"].strip(),
                     row["evidence"].strip())


# ----------------------------------------------------------------------------- quantities


def implied_quantities(result, references: list[Reference] | None = None) -> list[Implied]:
    """What an assessment result (:class:`lca.assessment.AssessmentResult`) implies, each
    next to the references that cover its model and functional unit."""
    references = read_references() if references is None else references
    values = _computed(result)
    out = []
    for d in DEFINITIONS:
        if d.name not in values:
            continue
        value, how = values[d.name]
        item = Implied(d.name, d.label, d.unit, value, how)
        if value is not None and math.isfinite(value):
            item.references = [r.check(value, d.unit) for r in references
                               if r.quantity == d.name and r.covers(result.model,
                                                                    result.functional_unit)]
        out.append(item)
    return out


def implied_dict(result, references: list[Reference] | None = None) -> dict:
    items = implied_quantities(result, references)
    return {"quantities": [i.to_dict() for i in items],
            "flagged": [i.name for i in items if i.flagged],
            "references": FILE.as_posix()}


def _stage(result, stage: str, indicator: str) -> float:
    k = list(result.indicators).index(indicator) if indicator in result.indicators else None
    if k is None:
        return math.nan
    return float(result.split.stages[0, k, STAGES.index(stage)])


def _computed(result) -> dict:
    """name -> (value in the definition's unit or None, how it was obtained)."""
    out = {}
    ureg = registry()
    indicators = list(result.indicators)
    unit_label = (f"{result.tokens_per_response}-token response"
                  if result.functional_unit == "response" else result.functional_unit)
    if "energy" in indicators:
        kwh = float(result.split.per_unit_marginal[0, indicators.index("energy")])
        out["energy_per_unit"] = (_in(ureg.Quantity(kwh, "kWh"), "Wh"),
                                  f"marginal energy indicator per {unit_label}")
        use_kwh = np.nansum([_stage(result, s, "energy") for s in ("training", "inference")])
        use_m3 = np.nansum([_stage(result, s, "water") for s in ("training", "inference")])
        if use_kwh > 0:
            out["water_per_kwh_use"] = (1000.0 * use_m3 / use_kwh,
                                        "water / energy of the stages training and inference")
        training_kwh = _stage(result, "training", "energy")
        if training_kwh > 0:
            out["training_energy"] = (training_kwh / 1000.0, "energy of the stage training")
    hw_gwp, hw_adp = _stage(result, "hardware-manufacturing", "gwp"), _stage(
        result, "hardware-manufacturing", "adp")
    if hw_gwp > 0 and math.isfinite(hw_adp):
        out["hardware_adp_per_gwp"] = (1000.0 * hw_adp / hw_gwp,
                                       "ADP / GWP of the stage hardware-manufacturing")
    declared = declared_values(result)
    out.update({k: (v, "model card formula: " + f) for k, (v, f) in declared.items()})
    _derived(result, out, declared)
    return out


def _derived(result, out: dict, declared: dict) -> None:
    """Quantities that combine a declared one with the results."""
    ureg = registry()
    gpu_hours = declared.get("training_gpu_hours", (None,))[0]
    if gpu_hours and "training_energy" in out:
        out["training_energy_per_gpu_hour"] = (1000.0 * out["training_energy"][0] / gpu_hours,
                                               "training energy / training GPU-hours")
    gpus = declared.get("serving_gpus", (None,))[0]
    if gpus and result.months > 0:
        seconds = float(ureg.Quantity(result.months, "month").to("s").magnitude)
        if result.functional_unit == "response":
            out["serving_throughput"] = (result.served_output_tokens / (gpus * seconds),
                                         "output tokens served / (serving GPUs x period)")
        if "energy" in result.indicators:
            kwh = _stage(result, "inference", "energy")
            out["serving_power_per_gpu"] = (1000.0 * kwh / (gpus * seconds / 3600.0),
                                            "energy of the stage inference / (serving GPUs x "
                                            "period)")


def declared_values(result) -> dict:
    """name -> (value, formula) of the formulas the model card declares in [implied]."""
    card = result.prepared.inventory.card
    declared = getattr(card, "implied", {}) or {}
    if not declared:
        return {}
    values = result.values
    problems, out = [], {}
    where = str(result.prepared.inventory.directory / "model.toml")
    for name, text in declared.items():
        try:
            if name not in DECLARABLE:
                raise BadValue(f"unknown implied quantity; declare one of {', '.join(DECLARABLE)}")
            q = formulas.evaluate(text, values)
            out[name] = (_in(q, BY_NAME[name].unit), text)
        except BadValue as exc:
            problems.append(Problem(Location(where, None, f"implied.{name}"), str(exc)))
        except Exception as exc:  # pint's dimensionality error
            problems.append(Problem(Location(where, None, f"implied.{name}"),
                                    f"{text!r} is not in {BY_NAME[name].unit}: {exc}"))
    if problems:
        raise InventoryError(problems)
    return out


def _in(q, unit: str) -> float:
    return float(np.asarray(q.to(unit).magnitude, dtype=float))
