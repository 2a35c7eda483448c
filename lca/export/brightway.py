"""``lca export --format brightway``: the model's foreground, with the assessment's stages,
life cycle and functional units as activities, written as a database into a Brightway
project you name (and, with ``with_background``, our biosphere, background and methods), so
that Activity Browser and bw2calc open it. bw2calc then gives the scores of ``lca assess``:
to 1e-9 for the same demands (the same amounts, stored alike), and to Brightway's 32-bit
storage of amounts (about 1e-7) for the activities that stand for stages and the life cycle.
"""

from __future__ import annotations

from pathlib import Path

from lca.engine.build import (
    BACKGROUND_DB,
    BIOSPHERE_DB,
    database_data,
    foreground_db,
    method_data,
)
from lca.engine.export import write_to_project

from .model import Activity, ExportModel


def foreground_data(model: ExportModel) -> dict:
    """The foreground database as bw2data writes it (the model's activities and the
    assessment's), every exchange with its formula and source in its comment."""
    db = foreground_db(model.model)
    own = {a.code for a in model.foreground}

    def key(code: str) -> tuple[str, str]:
        if code in own:
            return (db, code)
        node = model.nodes[code]
        return (BIOSPHERE_DB if node.kind == "biosphere" else BACKGROUND_DB, code)

    return {(db, a.code): _process(a, key) for a in model.foreground}


def _process(activity: Activity, key) -> dict:
    exchanges = [{"input": key(activity.code), "amount": 1.0, "type": "production"}]
    for e in activity.exchanges:
        exchange = {"input": key(e.input), "amount": e.amount, "type": e.type}
        if e.comment:
            exchange["comment"] = f"formula: {e.comment}"
        exchanges.append(exchange)
    return {"name": activity.name, "unit": activity.unit, "location": activity.location,
            "reference product": activity.name, "type": "process",
            "comment": activity.comment or f"lca-ai {activity.kind} activity",
            "exchanges": exchanges}


def export_brightway(result, model: ExportModel, project: str, brightway_dir: Path,
                     with_background: bool = False, force: bool = False) -> dict:
    """Write the export into ``project`` of the Brightway folder ``brightway_dir``."""
    databases = {}
    methods = []
    if with_background:
        ours = database_data(result.prepared.base, None)
        databases.update({BIOSPHERE_DB: ours[BIOSPHERE_DB], BACKGROUND_DB: ours[BACKGROUND_DB]})
        methods = method_data(result.prepared.base)
    databases[foreground_db(model.model)] = foreground_data(model)
    needs = () if with_background else (BIOSPHERE_DB, BACKGROUND_DB)
    written = write_to_project(brightway_dir, project, databases, methods, needs, force)
    written["activities"] = {a.kind: [] for a in model.foreground}
    for a in model.foreground:
        written["activities"][a.kind].append(a.code)
    return written
