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
from pathlib import Path

from lca.resolve import Link, Node, ResolvedBase, ResolvedModel

BIOSPHERE_DB = "lca-biosphere"
BACKGROUND_DB = "lca-background"
PROJECT = "lca"


def foreground_db(model_name: str) -> str:
    return f"lca-model-{model_name}"


def quiet_import_bw2data(directory: Path):
    """Import bw2data pointed at ``directory`` with its logging kept off stdout."""
    os.environ.setdefault("BRIGHTWAY_NO_STRUCTLOG", "1")
    warnings.filterwarnings("ignore", message=r"(?s).*pypardiso")
    if "bw2data" not in sys.modules or sys.modules["bw2data"] is None:
        sys.modules.pop("bw2data", None)
        os.environ["BRIGHTWAY2_DIR"] = str(directory)
    # bw2data logs "Using environment variable BRIGHTWAY2_DIR" at import, to a handler it
    # binds to the streams of that moment: give it a sink so that neither stdout nor stderr
    # carries it.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import bw2data
    bw2data.config.is_test = True  # in bw2data 4.8 its only effect: no tqdm bars
    return bw2data


def build_project(directory: Path, base: ResolvedBase, model: ResolvedModel) -> dict:
    """Build the project inside ``directory``; returns the manifest the calculator needs."""
    directory = Path(directory)
    (directory / "logs").mkdir(exist_ok=True)
    bd = quiet_import_bw2data(directory)
    with contextlib.redirect_stdout(sys.stderr):
        bd.projects.change_base_directories(
            base_dir=directory, base_logs_dir=directory / "logs", project_name=PROJECT, update=False
        )
        fg = foreground_db(model.inventory.name)
        db_of = {"biosphere": BIOSPHERE_DB, "background": BACKGROUND_DB, "foreground": fg}
        nodes = dict(base.nodes, **model.nodes)

        bd.Database(BIOSPHERE_DB).write(
            {
                (BIOSPHERE_DB, n.code): {
                    "name": n.name,
                    "unit": n.unit,
                    "categories": (n.compartment,),
                    "type": n.flow_type,
                }
                for n in base.nodes.values()
                if n.kind == "biosphere"
            }
        )
        background = [n for n in base.nodes.values() if n.kind == "background"]
        bd.Database(BACKGROUND_DB).write(
            _processes(BACKGROUND_DB, background, base.links, nodes, db_of)
        )
        bd.Database(fg).write(_processes(fg, list(model.nodes.values()), model.links, nodes, db_of))

        methods = {}
        for m in base.methods:
            method = bd.Method(m.name)
            method.register(unit=m.unit, description=m.description, source=m.source)
            method.write([((BIOSPHERE_DB, flow), cf) for flow, cf in m.factors])
            methods[m.indicator] = {
                "name": list(m.name),
                "datapackage": _relative(method.filepath_processed(), directory),
            }
        packages = [
            _relative(bd.Database(name).filepath_processed(), directory)
            for name in (BIOSPHERE_DB, BACKGROUND_DB, fg)
        ]
        ids = {}
        for name in (BACKGROUND_DB, fg):
            for activity in bd.Database(name):
                ids[activity["code"]] = activity.id
        # Elementary flow ids place biosphere entries in bw2calc's matrices (lca.uncertainty).
        flow_ids = {flow["code"]: flow.id for flow in bd.Database(BIOSPHERE_DB)}
    return {
        "databases": packages,
        "methods": methods,
        "node_ids": ids,
        "flow_ids": flow_ids,
        "bw2data": ".".join(map(str, bd.__version__)),
    }


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
