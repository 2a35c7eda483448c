"""Scenarios: a grid of settings, each applied to a copy of the inventory and computed.

A scenario is a set of overrides on the text inventory, the same edits a person would make
in the CSV files, so that each row of ``lca compare`` equals ``lca assess`` of the edited
inventory:

- ``mix``: the electricity mix of the data centers: every electricity input of the
  activities the ``training`` and ``inference`` stages demand is switched to the background
  process ``electricity-<mix>`` (fr, se, us, de, ie, world);
- ``pue``: every literal parameter whose name ends in ``pue`` (training and serving sites);
- ``gpu``: the GPU embodied dataset: inputs from any ``gpu-h100-manufacturing*`` process are
  switched to the one named (ademe, nvidia, boavizta);
- ``months`` and ``tokens``: as ``lca assess --months --tokens``;
- ``params``: any literal parameter, ``NAME=value with unit``.

Background processes are in every project, so a scenario only changes foreground entries:
it is solved on the base project's matrices without building a new Brightway project.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field

from lca.boundary import OUTPUTS, Period
from lca.engine import StaticSystem, compile_model, prepare
from lca.errors import BadArgument
from lca.resolve import ResolvedBase, resolve_model
from lca.schema import INDICATOR_UNITS, STAGES
from lca.text_inventory import Inventory
from lca.uncertainty import dask_backend

ELECTRICITY_PREFIX = "electricity-"
GPU_DATASETS = {
    "ademe": "gpu-h100-manufacturing",
    "nvidia": "gpu-h100-manufacturing-nvidia",
    "boavizta": "gpu-h100-manufacturing-boavizta",
}
DATA_CENTER_STAGES = ("training", "inference")


@dataclass(frozen=True)
class Scenario:
    mix: str | None = None
    pue: float | None = None
    gpu: str | None = None
    months: float = 18
    tokens: int = 400
    params: tuple = field(default_factory=tuple)  # ((name, value text), ...)

    def label(self) -> str:
        parts = []
        if self.mix:
            parts.append(f"mix={self.mix}")
        if self.pue is not None:
            parts.append(f"pue={self.pue:g}")
        if self.gpu:
            parts.append(f"gpu={self.gpu}")
        parts += [f"{n}={v}" for n, v in self.params]
        parts += [f"months={self.months:g}", f"tokens={self.tokens}"]
        return " ".join(parts)


def grid(mix=(), pue=(), gpu=(), months=(18,), tokens=(400,), params=None) -> list[Scenario]:
    """Every combination of the values given (an empty axis keeps the inventory's)."""
    params = params or {}
    axes = [list(mix) or [None], list(pue) or [None], list(gpu) or [None],
            list(months) or [18], list(tokens) or [400]]
    names = list(params)
    values = [list(params[n]) for n in names]
    out = []
    for m, p, g, mo, t in itertools.product(*axes):
        for combo in itertools.product(*values) if names else [()]:
            out.append(Scenario(m, p, g, float(mo), int(t), tuple(zip(names, combo, strict=True))))
    return out


def apply(inventory, scenario: Scenario, node_codes: set):
    """A copy of ``inventory`` with the scenario's overrides (the inventory is not changed)."""
    inv = copy.copy(inventory)
    exchanges = list(inventory.exchanges)
    data_center = {s.activity for s in inventory.stages if s.stage in DATA_CENTER_STAGES}
    if scenario.mix:
        target = ELECTRICITY_PREFIX + scenario.mix
        if target not in node_codes:
            raise BadArgument(f"--mix {scenario.mix}: no background process {target!r}")
        exchanges = [_switch(e, target) if e.activity in data_center
                     and e.input.startswith(ELECTRICITY_PREFIX) else e for e in exchanges]
    if scenario.gpu:
        if scenario.gpu not in GPU_DATASETS:
            raise BadArgument(f"--gpu {scenario.gpu}: use one of {', '.join(GPU_DATASETS)}")
        target = GPU_DATASETS[scenario.gpu]
        exchanges = [_switch(e, target) if e.input in GPU_DATASETS.values() else e
                     for e in exchanges]
    parameters = list(inventory.parameters)
    overrides = dict(scenario.params)
    if scenario.pue is not None:
        pue_names = [p.name for p in parameters if p.name.endswith("pue")]
        if not pue_names:
            raise BadArgument("--pue: this inventory has no parameter ending in 'pue'")
        overrides.update({n: f"{scenario.pue!r}" for n in pue_names})
    known = {p.name for p in parameters}
    for name in overrides:
        if name not in known:
            raise BadArgument(f"--param {name}: no such parameter in the inventory")
    parameters = [_set_value(p, overrides[p.name]) if p.name in overrides else p
                  for p in parameters]
    inv.exchanges = exchanges
    inv.parameters = parameters
    return inv


def _switch(exchange, new_input: str):
    row = exchange.model_copy(update={"input": new_input})
    row._where = exchange._where
    return row


def _set_value(parameter, value: str):
    # The distribution is for the inventory's own value; a scenario fixes the parameter.
    row = parameter.model_copy(update={"value": str(value), "uncertainty": "", "pedigree": ""})
    row._where = parameter._where
    return row


@dataclass
class ScenarioRow:
    scenario: Scenario
    values: dict  # output -> indicator -> value

    def to_dict(self) -> dict:
        s = self.scenario
        return {"label": s.label(), "mix": s.mix, "pue": s.pue, "gpu": s.gpu,
                "months": s.months, "tokens": s.tokens, "params": dict(s.params),
                **self.values}


def comparison_dict(rows: list[ScenarioRow]) -> dict:
    """The contract of ``lca compare --format json`` (values in ``units``)."""
    return {"units": dict(INDICATOR_UNITS), "scenarios": [r.to_dict() for r in rows]}


@dataclass
class SweepContext:
    """What a worker needs to compute scenarios (picklable)."""

    inventory: Inventory
    base: ResolvedBase
    static: StaticSystem


def compute(context: SweepContext, scenario: Scenario) -> ScenarioRow:
    """The static result of one scenario, on the fast path."""
    inv = apply(context.inventory, scenario, set(context.base.nodes))
    resolved = resolve_model(inv, context.base)
    compiled = compile_model(context.static, resolved, Period(scenario.months, scenario.tokens))
    out = compiled.split().outputs()[0]
    indicators = compiled.static.indicators
    values = {
        name: {ind: float(out[k, j]) for k, ind in enumerate(indicators)}
        for j, name in enumerate(OUTPUTS)
    }
    values = {
        "total": values["total"],
        "per_response_marginal": values["per_response_marginal"],
        "per_response_allocated": values["per_response_allocated"],
        "stages": {s: values[s] for s in STAGES},
    }
    return ScenarioRow(scenario, values)


def compare(model: str | None, scenarios: list[Scenario], inventory=None,
            scheduler: str | None = None) -> list[ScenarioRow]:
    """Compute every scenario (on Dask when ``scheduler`` is given), in order."""
    if not scenarios:
        raise BadArgument("no scenario to compare")
    for s in scenarios:
        Period(s.months, s.tokens)
    if scheduler:
        dask_backend.check_scheduler(scheduler)
    prepared = prepare(model, inventory)
    context = SweepContext(prepared.inventory, prepared.base, prepared.static)
    if scheduler:
        return dask_backend.map_blocks(_Compute(context), scenarios, scheduler)
    return [compute(context, s) for s in scenarios]


@dataclass
class _Compute:
    context: SweepContext

    def __call__(self, scenario: Scenario) -> ScenarioRow:
        return compute(self.context, scenario)
