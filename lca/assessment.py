"""``assess``: prepare the model (read, check, build or find its Brightway project), solve one
demand per stage row with bw2calc, and split the scores by the boundary rules
(:mod:`lca.boundary`) into stages, services and per-response figures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lca import __version__, engine
from lca.boundary import Period
from lca.errors import InventoryError, Problem
from lca.results import AssessmentResult
from lca.text_inventory import Inventory


def assess(
    model: str | None = "large-2",
    months: float = 18,
    tokens_per_response: int = 400,
    inventory: str | Path | None = None,
    inv: Inventory | None = None,
) -> AssessmentResult:
    """Life-cycle impacts of a model over ``months`` of use, by stage and per response.
    ``inv``: an inventory already in memory (an edited copy) instead of reading one."""
    period = Period(months, tokens_per_response)
    prepared = engine.prepare(model, inventory, inv)
    split, values = prepared.solve(period)
    if not split.units[0] > 0:
        unit = prepared.inventory.card.functional_unit
        what = "output tokens" if unit == "response" else f"{unit}s"
        raise InventoryError([Problem(prepared.served_location(),
                                      f"no {what} served in the period")])
    served_input = 0.0
    if prepared.resolved.served_input is not None:
        served_input = float(prepared.resolved.served_input.magnitude(values))
    return AssessmentResult.from_split(
        prepared, period, split, values, served_input,
        provenance={
            "engine_version": __version__,
            "project_key": prepared.key,
            "inventory_hash": engine.content_hash(prepared.inventory.files),
            "base_data_hash": engine.content_hash(prepared.base_text.files),
            "computed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "brightway": {"bw2data": prepared.manifest.get("bw2data", "")},
        },
    )
