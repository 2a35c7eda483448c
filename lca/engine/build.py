"""Write the resolved data into a Brightway project: biosphere, background and one foreground
database, and the three impact methods. Only this module imports bw2data, and only when a
project has to be built (importing it costs about 1.2 s).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from lca.resolve import Link, Node, ResolvedBase, ResolvedModel

from .background import INVENTORY_INDICATOR_TYPE, LINKED_BIOSPHERE_DB, LinkedBackground
from .solve import BIOSPHERE_DB

BACKGROUND_DB = "lca-background"
PROJECT = "lca"


def foreground_db(model_name: str) -> str:
    return f"lca-model-{model_name}"


def quiet_import_bw2data(directory: Path):
    """Import bw2data pointed at ``directory`` with its logging kept off stdout."""
    os.environ.setdefault("BRIGHTWAY_NO_STRUCTLOG", "1")
    warnings.filterwarnings("ignore", message=r"(?s).*pypardiso")
    previous = os.environ.get("BRIGHTWAY2_DIR")
    if "bw2data" not in sys.modules or sys.modules["bw2data"] is None:
        sys.modules.pop("bw2data", None)
        os.environ["BRIGHTWAY2_DIR"] = str(directory)
    # bw2data logs "Using environment variable BRIGHTWAY2_DIR" at import, to a handler it
    # binds to the streams of that moment: give it a sink so that neither stdout nor stderr
    # carries it.
    try:
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            import bw2data
    finally:
        # bw2data reads the variable at import only: give the user's own setting back (it
        # names their Brightway folder, see lca.engine.background).
        if previous is None:
            os.environ.pop("BRIGHTWAY2_DIR", None)
        else:
            os.environ["BRIGHTWAY2_DIR"] = previous
    bw2data.config.is_test = True  # in bw2data 4.8 its only effect: no tqdm bars
    return bw2data


def build_project(directory: Path, base: ResolvedBase, model: ResolvedModel,
                  linked: LinkedBackground | None = None) -> dict:
    """Build the project inside ``directory``; returns the manifest the calculator needs.
    ``linked``: activities of a user's project standing for some background codes (see
    :mod:`.background`)."""
    directory = Path(directory)
    (directory / "logs").mkdir(exist_ok=True)
    bd = quiet_import_bw2data(directory)
    with contextlib.redirect_stdout(sys.stderr):
        bd.projects.change_base_directories(
            base_dir=directory, base_logs_dir=directory / "logs", project_name=PROJECT, update=False
        )
        fg = foreground_db(model.inventory.name)
        data = database_data(base, model, linked)
        for name, processes in data.items():
            bd.Database(name).write(processes)
        methods = {}
        for m in method_data(base, linked):
            method = bd.Method(m.name)
            method.register(unit=m.unit, description=m.description, source=m.source)
            method.write(m.factors)
            methods[m.indicator] = {
                "name": list(m.name),
                "datapackage": _relative(method.filepath_processed(), directory),
            }
        packages = [_relative(bd.Database(name).filepath_processed(), directory)
                    for name in data]
        ids = {}
        for name in (BACKGROUND_DB, fg):
            for activity in bd.Database(name):
                ids[activity["code"]] = activity.id
        # Elementary flow ids place biosphere entries in bw2calc's matrices (lca.uncertainty).
        flow_ids = {flow["code"]: flow.id for flow in bd.Database(BIOSPHERE_DB)}
        manifest = {
            "databases": packages,
            "methods": methods,
            "node_ids": ids,
            "flow_ids": flow_ids,
            "bw2data": ".".join(map(str, bd.__version__)),
        }
        if linked is not None:
            engine_methods = {m.indicator: m.name for m in base.methods}
            manifest["linked"] = linked.manifest(engine_methods)
            manifest["linked"]["flow_ids"] = {flow["code"]: flow.id
                                              for flow in bd.Database(LINKED_BIOSPHERE_DB)}
    return manifest


def database_data(base: ResolvedBase, model: ResolvedModel | None,
                  linked: LinkedBackground | None = None) -> dict[str, dict]:
    """Every database as bw2data writes it ({name: {(database, code): data}}), in the order
    they depend on each other: biosphere, linked biosphere, background, the model's
    foreground (none when ``model`` is None)."""
    db_of = {"biosphere": BIOSPHERE_DB, "background": BACKGROUND_DB}
    if model is not None:
        db_of["foreground"] = foreground_db(model.inventory.name)
    nodes = dict(base.nodes, **(model.nodes if model is not None else {}))
    out = {BIOSPHERE_DB: {
        (BIOSPHERE_DB, n.code): {"name": n.name, "unit": n.unit,
                                 "categories": (n.compartment,), "type": n.flow_type}
        for n in base.nodes.values() if n.kind == "biosphere"}}
    if linked is not None:
        out[LINKED_BIOSPHERE_DB] = _linked_flows(linked)
    background = [n for n in base.nodes.values() if n.kind == "background"]
    out[BACKGROUND_DB] = _processes(BACKGROUND_DB, background, base.links, nodes, db_of)
    if linked is not None:
        _link_processes(out[BACKGROUND_DB], linked, base)
    if model is not None:
        fg = db_of["foreground"]
        out[fg] = _processes(fg, list(model.nodes.values()), model.links, nodes, db_of)
    return out


@dataclass(frozen=True)
class MethodData:
    indicator: str
    name: tuple[str, ...]
    unit: str
    description: str
    source: str
    factors: list  # [((database, flow code), factor)]


def method_data(base: ResolvedBase, linked: LinkedBackground | None = None) -> list[MethodData]:
    """The methods as bw2data registers them; with a linked background, each impact method
    adds the user's factors on the copied flows to ours (the name says so)."""
    out = []
    for m in base.methods:
        name, factors = m.name, [((BIOSPHERE_DB, flow), cf) for flow, cf in m.factors]
        description = m.description
        if linked is not None and m.indicator in linked.methods:
            own = linked.methods[m.indicator]
            name = ("lca-ai linked background", m.indicator, *own.name)
            factors += [((LINKED_BIOSPHERE_DB, flow), cf)
                        for flow, cf in linked.factors[m.indicator].items()]
            description = (f"{' / '.join(own.name)} of project {linked.project} on its "
                           f"elementary flows (x {own.factor:g}: {own.unit} -> {m.unit}), "
                           f"and {' / '.join(m.name)} on the engine's flows")
        out.append(MethodData(m.indicator, tuple(name), m.unit, description, m.source, factors))
    return out


def _linked_flows(linked: LinkedBackground) -> dict:
    """The user's elementary flows that the linked inventories hold, copied."""
    return {(LINKED_BIOSPHERE_DB, code): {"name": f["name"], "unit": f["unit"],
                                          "categories": tuple(f["categories"]),
                                          "type": f["type"], "database": f["database"]}
            for code, f in linked.flows.items()}


def _link_processes(processes: dict, linked: LinkedBackground, base: ResolvedBase) -> None:
    """Replace the exchanges of each linked background process with the linked activity's
    inventory (an aggregated system process), keeping our inventory indicators."""
    for link in linked.links:
        data = processes[(BACKGROUND_DB, link.code)]
        kept = [e for e in data["exchanges"] if e["type"] == "production" or (
            e["type"] == "biosphere"
            and base.nodes[e["input"][1]].flow_type == INVENTORY_INDICATOR_TYPE)]
        kept += [{"input": (LINKED_BIOSPHERE_DB, flow), "amount": amount, "type": "biosphere"}
                 for flow, amount in linked.inventories[link.code].items()]
        data["exchanges"] = kept
        data["name"] = (f"{data['name']} [linked: {link.name} ({link.location}), "
                        f"{link.database}, system process]")
        data["linked to"] = [link.database, link.activity]


def _processes(db: str, members: list[Node], links: list[Link], nodes: dict, db_of: dict) -> dict:
    codes = {n.code for n in members}
    data = {
        (db, n.code): {
            "name": n.name,
            "unit": n.unit,
            "location": n.location or "GLO",
            "reference product": n.name,
            "type": "process",
            "exchanges": [{"input": (db, n.code), "amount": 1.0, "type": "production"}],
        }
        for n in members
    }
    for link in links:
        if link.activity not in codes:
            continue
        source = nodes[link.input]
        data[(db, link.activity)]["exchanges"].append(
            {"input": (db_of[source.kind], link.input), "amount": link.amount, "type": link.type}
        )
    return data


def _relative(path, directory: Path) -> str:
    return str(Path(path).resolve().relative_to(directory.resolve()))
