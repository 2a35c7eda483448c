"""``assess``: read and check the data, make sure the Brightway project exists, solve one
functional unit per stage row, and split the scores by stage and per response.

Allocation rules (also stated in the README):
- every row of ``stages.csv`` is one demand on the graph; its scores go to its stage;
- *marginal* per response = the rows flagged ``marginal`` (Mistral's boundary: inference with
  its share of hardware and data center, no user devices) / responses served;
- *allocated* per response = the whole life-cycle total / responses served;
- responses served = output tokens served in the period / tokens per response.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lca import __version__, store
from lca.catalog import data_root, find_model
from lca.errors import BadArgument, BadValue, InventoryError, Location, Problem, Problems
from lca.resolve import (
    ResolvedBase,
    ResolvedModel,
    resolve_base,
    resolve_model,
    scenario_values,
    served_field,
    served_input_tokens,
    served_units,
    stage_amount,
)
from lca.results import AssessmentResult, empty_frame
from lca.schema import INDICATORS, SERVES, STAGES
from lca.text_inventory import BaseData, Inventory, read_base, read_inventory


def load_inventory(
    model: str | None = None, inventory: str | Path | None = None, problems: Problems | None = None
) -> Inventory:
    """The inventory of a shipped model, of the folder ``inventory`` or of an xlsx workbook
    (``inventory`` a file). With ``problems``,
    reading problems are collected there instead of raised (to report them with later ones)."""
    root = data_root()
    if inventory is not None:
        path = Path(inventory)
        if not path.exists():
            raise BadArgument(f"--inventory {path}: no such file or folder")
        if path.is_file():  # an xlsx workbook (lca.workbook reads it with the same spec)
            from lca.workbook import read_workbook

            return read_workbook(path, problems)
        return read_inventory(path, problems=problems)
    if not model:
        raise BadArgument("give a model name (--model) or an inventory (--inventory)")
    return read_inventory(find_model(model, root).directory, root=root, problems=problems)


@dataclass
class PreparedModel:
    """A model read, checked against the base data, and its Brightway project built (or
    found in the store): what every calculation starts from."""

    inventory: Inventory
    base_text: BaseData
    base: ResolvedBase
    resolved: ResolvedModel
    project: Path
    manifest: dict
    key: str


def prepare(
    model: str | None = None, inventory: str | Path | None = None, inv: Inventory | None = None
) -> PreparedModel:
    """Read (unless ``inv`` is given, e.g. an edited copy in memory), check every problem in
    one pass, and make sure the Brightway project exists."""
    problems = Problems()
    if inv is None:
        inv = load_inventory(model, inventory, problems)
    base_text = read_base(data_root())
    base = resolve_base(base_text)
    resolved = resolve_model(inv, base, problems)
    key = store.content_hash(base_text.files, inv.files)

    from lca.brightway_graph import build_project  # imports bw2data only when a build is due

    project, manifest = store.ensure_project(key, lambda d: build_project(d, base, resolved))
    return PreparedModel(inv, base_text, base, resolved, project, manifest, key)


def assess(
    model: str | None = "large-2",
    months: float = 18,
    tokens_per_response: int = 400,
    inventory: str | Path | None = None,
) -> AssessmentResult:
    """Life-cycle impacts of a model over ``months`` of use, by stage and per response."""
    if not (isinstance(months, int | float) and math.isfinite(months) and 0 < months <= 1200):
        raise BadArgument(f"--months must be a number of months above 0 (got {months})")
    if not (isinstance(tokens_per_response, int) and tokens_per_response > 0):
        raise BadArgument(f"--tokens must be a whole number above 0 (got {tokens_per_response})")
    prepared = prepare(model, inventory)
    inv, base_text, base, resolved = (prepared.inventory, prepared.base_text, prepared.base,
                                      prepared.resolved)
    project, manifest, key = prepared.project, prepared.manifest, prepared.key

    values = scenario_values(resolved, months)
    nodes = dict(base.nodes, **resolved.nodes)
    demands = {}
    for i, row in enumerate(resolved.stages):
        try:
            demands[f"row{i}"] = {row.activity: stage_amount(row, values, nodes[row.activity])}
        except BadValue as exc:
            raise InventoryError([Problem(row.at("amount"), str(exc))]) from None
    unit_name = inv.card.functional_unit
    where = Location(str(inv.directory / "model.toml"), None, served_field(inv))
    try:
        served = served_units(inv, values)
        served_inputs = served_input_tokens(inv, values)
    except BadValue as exc:
        raise InventoryError([Problem(where, str(exc))]) from None
    if served <= 0:
        what = "output tokens" if unit_name == "response" else f"{unit_name}s"
        raise InventoryError([Problem(where, f"no {what} served in the period")])

    from lca.calculate import score

    scores = score(project, manifest, demands)
    stages = empty_frame(STAGES)
    by_service = empty_frame(SERVES)
    marginal = empty_frame(["marginal"]).iloc[0]
    for i, row in enumerate(resolved.stages):
        for ind in INDICATORS:
            value = scores[(ind, f"row{i}")]
            stages.loc[row.stage, ind] += value
            by_service.loc[row.serves, ind] += value
            if row.marginal:
                marginal[ind] += value
    # A response is tokens_per_response output tokens; any other functional unit is counted.
    responses = served / tokens_per_response if unit_name == "response" else served
    per_response = empty_frame(["marginal", "allocated"])
    per_response.loc["marginal"] = marginal / responses
    per_response.loc["allocated"] = stages.sum(axis=0) / responses
    for frame in (stages, by_service, per_response):
        frame.attrs["units"] = dict(zip(INDICATORS, ("kg CO2e", "m3", "kg Sb eq"), strict=True))
    return AssessmentResult(
        model=inv.name,
        display_name=inv.card.display_name,
        months=float(months),
        tokens_per_response=tokens_per_response,
        served_output_tokens=served if unit_name == "response" else 0.0,
        stages=stages,
        by_service=by_service,
        per_response=per_response,
        published=inv.published,
        provenance={
            "engine_version": __version__,
            "project_key": key,
            "inventory_hash": store.content_hash(inv.files),
            "base_data_hash": store.content_hash(base_text.files),
            "computed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "brightway": {"bw2data": manifest.get("bw2data", "")},
        },
        functional_unit=unit_name,
        units_served=served if unit_name != "response" else None,
        served_input_tokens=served_inputs,
    )
