"""A user's Brightway project (ecoinvent, a company database...) as background, read and
never written.

A link file maps our background codes (electricity by country, GPU and server manufacturing,
devices...) to activities of that project, by (database, code) or by name, location and
unit; the match must be unique and the units must convert (Pint). Impact methods come from
that project too, one per impact indicator.

How the two are combined, and why:

- **Read through files, never through bw2data.** bw2data has no read-only mode: in bw2data
  4.8 ``projects.set_current`` creates a missing project and runs automatic updates, and
  ``writable=False`` only sets a flag that no write checks. So the project is read the way
  bw2calc reads it: its ``projects.db`` and ``lci/databases.db`` opened by SQLite in
  read-only mode (names, locations, units), and its processed datapackages (the matrices)
  loaded by bw_processing from their zip files. Nothing in the user's folder is opened for
  writing; a test checks every file's bytes and times before and after.
- **Linked activities become aggregated (system) processes in our own store project.** For
  each linked activity, bw2calc solves the user's system once (read-only) and gives its life
  cycle inventory: every elementary flow per unit. That inventory, converted to our node's
  unit, replaces the exchanges of our background process of the same code; the flows are
  copied (name, compartment, unit) into a database of their own, ``lca-linked-biosphere``.
  Our foreground, stages, Monte Carlo and contribution analysis then run unchanged on a
  project we own, and contributions still name the elementary flows of the user's data
  (carbon dioxide, fossil...), which aggregated scores alone would lose. The user's
  methods characterise the copied flows; our methods keep characterising our own flows
  (the foreground's direct emissions and the background codes left unlinked), so each
  indicator's method is the union of both, stated in the output and the report.
- **Inventory indicators stay ours.** ``energy`` (electricity at the meter) is a
  definition of this engine, not an impact: a linked electricity process keeps its
  ``electricity-delivered`` exchange, so the energy indicator is the same linked or not.
- Codes not linked fall back to our background and are listed.

The user's project enters the store key through its identity (folder, project, and the
size and time of its processed datapackages and metadata files) and the link file's bytes;
without a link file nothing changes, not even the key.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import sqlite3
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from bw_processing import safe_filename
from platformdirs import PlatformDirs

from lca.errors import (
    BadArgument,
    BadValue,
    InventoryError,
    LCAError,
    Location,
    Problem,
    Problems,
)
from lca.resolve import Node, ResolvedBase
from lca.schema import INDICATOR_UNITS
from lca.units import normalise_unit_text, registry

from .solve import import_bw2calc, load_package

LINKED_BIOSPHERE_DB = "lca-linked-biosphere"
IMPACT_INDICATORS = ("gwp", "water", "adp")  # characterised with the user's methods
INVENTORY_INDICATOR_TYPE = "inventory indicator"  # flow type of our own definitions
# Brightway (ecoinvent) unit names that Pint does not read as they are.
BRIGHTWAY_UNITS = {
    "kilowatt hour": "kWh", "megajoule": "MJ", "kilogram": "kg", "gram": "g",
    "cubic meter": "m**3", "cubic metre": "m**3", "litre": "L", "liter": "L",
    "square meter": "m**2", "ton": "tonne", "ton kilometer": "tonne*km",
    "kilometer": "km", "meter": "m", "hour": "hour", "kilowatt": "kW",
}
COUNTS = ("unit", "item", "items", "piece", "pieces", "p")  # one of what the activity makes


class BackgroundError(LCAError):
    """The user's Brightway project cannot be found or read."""


@dataclass(frozen=True)
class BackgroundSpec:
    """``--background PROJECT[:DATABASE] --link FILE [--brightway-dir DIR]``."""

    project: str
    link_file: Path
    database: str | None = None
    brightway_dir: Path | None = None

    @classmethod
    def parse(cls, background: str | None, link: str | Path | None,
              brightway_dir: str | Path | None = None) -> BackgroundSpec | None:
        if background is None and link is None:
            return None
        if background is None or link is None:
            raise BadArgument("--background PROJECT[:DATABASE] and --link FILE go together: "
                              "the link file says which activity of the project stands for "
                              "each of our background codes")
        project, _, database = str(background).partition(":")
        if not project.strip():
            raise BadArgument(f"--background {background!r}: name a Brightway project")
        link = Path(link)
        if not link.is_file():
            raise BadArgument(f"--link {link}: no such file")
        return cls(project.strip(), link, database.strip() or None,
                   Path(brightway_dir) if brightway_dir else None)


@dataclass
class Link:
    """One of our background codes and the activity of the user's project it stands for."""

    code: str
    database: str
    activity: str  # the activity's code in that database
    name: str
    location: str
    unit: str
    factor: float  # units of the activity per unit of our node
    node_id: int = 0
    scores: dict = field(default_factory=dict)  # indicator -> per unit of our node (theirs)


@dataclass
class MethodLink:
    indicator: str
    name: tuple[str, ...]
    unit: str
    factor: float  # our indicator's unit per unit of the method


@dataclass
class LinkedBackground:
    """What the build needs: each link with its life cycle inventory (flow code -> amount per
    unit of our node), the copied flows, and each impact indicator's characterisation factors
    on them (in our indicator's unit)."""

    project: str
    directory: Path
    links: list[Link]
    unlinked: list[str]
    methods: dict[str, MethodLink]
    flows: dict[str, dict]  # code -> name, categories, unit, type, database
    inventories: dict[str, dict[str, float]]  # our code -> {flow code: amount}
    factors: dict[str, dict[str, float]]  # indicator -> {flow code: factor}

    def manifest(self, engine_methods: dict) -> dict:
        """The manifest's ``linked`` entry (flow ids are added by the build)."""
        return {
            "project": self.project,
            "brightway_dir": str(self.directory),
            "biosphere": LINKED_BIOSPHERE_DB,
            "links": [{"code": k.code, "database": k.database, "activity": k.activity,
                       "name": k.name, "location": k.location, "unit": k.unit,
                       "factor": k.factor, "scores": k.scores} for k in self.links],
            "unlinked": list(self.unlinked),
            # each indicator: the project's method on its flows (None: ours alone), and ours
            "methods": {ind: {"linked": list(self.methods[ind].name)
                              if ind in self.methods else None,
                              "unit": self.methods[ind].unit if ind in self.methods else None,
                              "factor": self.methods[ind].factor if ind in self.methods else None,
                              "engine": list(name)}
                        for ind, name in engine_methods.items()},
            "flows": self.flows,
        }


# ---------------------------------------------------------------------------- the project


def base_directory(brightway_dir: Path | None) -> Path:
    """The user's Brightway folder: ``--brightway-dir``, else ``BRIGHTWAY2_DIR``, else
    Brightway's own default (platformdirs, as bw2data finds it)."""
    if brightway_dir is not None:
        return Path(brightway_dir).expanduser().resolve()
    env = os.environ.get("BRIGHTWAY2_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return Path(PlatformDirs("Brightway3", "pylca").user_data_dir)


def _read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise BackgroundError(f"{path}: no such file")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def project_directory(spec: BackgroundSpec) -> Path:
    """The folder of the project named in ``spec``, from ``projects.db`` (read-only)."""
    base = base_directory(spec.brightway_dir)
    catalogue = base / "projects.db"
    if not catalogue.is_file():
        raise BackgroundError(f"no Brightway projects in {base} (no projects.db); give the "
                              "folder with --brightway-dir or BRIGHTWAY2_DIR")
    with _read_only(catalogue) as db:
        rows = db.execute("SELECT name, full_hash FROM projectdataset").fetchall()
    found = {name: full for name, full in rows}
    if spec.project not in found:
        raise BackgroundError(f"no Brightway project {spec.project!r} in {base}; projects: "
                              f"{', '.join(sorted(found)) or 'none'}")
    folder = base / safe_filename(spec.project, full=bool(found[spec.project]))
    if not folder.is_dir():
        raise BackgroundError(f"project {spec.project!r} is registered but {folder} is missing")
    return folder


def project_contents(base: Path, project: str) -> tuple[set[str], set[tuple]] | None:
    """(databases, methods) of a project, read from its metadata files; None when the
    folder has no such project."""
    try:
        folder = project_directory(BackgroundSpec(project, Path(), None, base))
    except BackgroundError:
        return None
    databases = set(_read_json(folder / "databases.json", {}))
    methods = {tuple(name) for name, _ in _read_json(folder / "methods.json", [])}
    return databases, methods


def fingerprint(spec: BackgroundSpec) -> dict[str, bytes]:
    """The file set that enters the store key: the link file and the project's identity
    (its folder, and the size and time of every processed datapackage and metadata file)."""
    folder = project_directory(spec)
    identity = {"project": spec.project, "database": spec.database, "folder": str(folder)}
    for name in ("databases.json", "methods.json"):
        identity[name] = _stat(folder / name)
    processed = folder / "processed"
    if processed.is_dir():
        for path in sorted(processed.iterdir()):
            identity[f"processed/{path.name}"] = _stat(path)
    return {"link": spec.link_file.read_bytes(),
            "brightway-project": json.dumps(identity, sort_keys=True).encode()}


def _stat(path: Path) -> list:
    try:
        info = path.stat()
    except OSError:
        return []
    return [info.st_size, info.st_mtime_ns]


# ---------------------------------------------------------------------------- the link file


@dataclass
class _Request:
    index: int
    code: str
    database: str | None
    activity: str | None
    name: str | None
    location: str | None
    unit: str | None

    def at(self, field_name: str, path: Path) -> Location:
        return Location(str(path), None, f"link[{self.index}].{field_name}")


def read_link_file(path: Path, default_database: str | None, problems: Problems):
    """([_Request], {indicator: method name}) from the TOML link file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InventoryError([Problem(Location(str(path)), f"not a TOML file: {exc}")]) from None
    default_database = data.get("database", default_database)
    requests = []
    for i, entry in enumerate(data.get("link", [])):
        if not isinstance(entry, dict) or not str(entry.get("code", "")).strip():
            problems.add(Location(str(path), None, f"link[{i}].code"),
                         "each [[link]] names one of our background codes in 'code'")
            continue
        activity = entry.get("activity")
        if activity is None and not entry.get("name"):
            problems.add(Location(str(path), None, f"link[{i}]"),
                         "give the activity's code ('activity', with 'database'), or its "
                         "'name', 'location' and 'unit'")
            continue
        requests.append(_Request(i, str(entry["code"]).strip(),
                                 entry.get("database", default_database), activity,
                                 entry.get("name"), entry.get("location"), entry.get("unit")))
    methods = {}
    for indicator, name in (data.get("methods") or {}).items():
        where = Location(str(path), None, f"methods.{indicator}")
        if indicator not in INDICATOR_UNITS:
            problems.add(where, f"unknown indicator {indicator!r}; use "
                                f"{', '.join(IMPACT_INDICATORS)}")
        elif indicator not in IMPACT_INDICATORS:
            problems.add(where, f"{indicator} is an inventory indicator of this engine "
                                "(electricity at the meter), computed from our own flows; it "
                                "takes no method from the project")
        elif not (isinstance(name, list) and name and all(isinstance(p, str) for p in name)):
            problems.add(where, "a method is named by the list of strings Brightway uses, "
                                'like ["EF v3.1", "climate change", "global warming '
                                'potential (GWP100)"]')
        else:
            methods[indicator] = tuple(name)
    return requests, methods




# ---------------------------------------------------------------------------- units


def brightway_unit(text: str):
    """A Pint quantity of one unit as Brightway (ecoinvent) writes it, or None for a count
    ("unit": one of whatever the activity makes)."""
    text = str(text or "").strip()
    if text.lower() in COUNTS:
        return None
    text = BRIGHTWAY_UNITS.get(text.lower(), text)
    # "kg CO2-Eq", "kg Sb-Eq": the spellings of ecoinvent's method units
    text = re.sub(r"(?i)[-_ ]eq\.?$", " eq", text)
    try:
        return registry().Quantity(1.0, normalise_unit_text(text))
    except Exception:
        raise BadValue(f"unknown unit {text!r}") from None


def _is_count(unit) -> bool:
    dims = dict(unit.dimensionality)
    return len(dims) == 1 and next(iter(dims.values())) == 1 and next(iter(dims)) not in (
        "[length]", "[mass]", "[time]", "[current]", "[temperature]", "[substance]",
        "[luminosity]")


def link_factor(our_unit: str, their_unit: str) -> float:
    """Units of the linked activity per one unit of our node: kWh -> MJ gives 3.6; a
    counted node (GPU, server, device) against Brightway's "unit" gives 1."""
    ours = registry().Quantity(1.0, our_unit)
    theirs = brightway_unit(their_unit)
    if theirs is None:
        if _is_count(ours) or ours.dimensionless:
            return 1.0
        raise BadValue(f"our unit {our_unit} is not a count; the activity's unit is "
                       f"{their_unit!r}")
    if ours.dimensionality != theirs.dimensionality:
        raise BadValue(f"our unit {our_unit} (dimension {ours.dimensionality}) does not "
                       f"convert to the activity's unit {their_unit!r} (dimension "
                       f"{theirs.dimensionality})")
    return float((ours / theirs).to("dimensionless").magnitude)


def method_factor(indicator: str, unit: str) -> float:
    """Our indicator's unit per unit of the user's method ("kg CO2-Eq" -> 1 for gwp)."""
    target = registry().Quantity(1.0, INDICATOR_UNITS[indicator])
    try:
        theirs = brightway_unit(unit)
    except BadValue:
        theirs = None
    if theirs is None or theirs.dimensionality != target.dimensionality:
        hint = (" (a scarcity-weighted water indicator such as AWARE is not water consumed; "
                "use a water consumption method in m3, such as ReCiPe 2016's)"
                if indicator == "water" else "")
        raise BadValue(f"the method's unit {unit!r} does not convert to "
                       f"{INDICATOR_UNITS[indicator]}{hint}")
    return float((theirs / target).to("dimensionless").magnitude)


# ---------------------------------------------------------------------------- reading


def _read_json(path: Path, default):
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackgroundError(f"{path}: not JSON ({exc})") from None


class _Project:
    """The files of a user's project, opened read-only."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.databases = _read_json(folder / "databases.json", {})
        self.methods = {tuple(name): meta
                        for name, meta in _read_json(folder / "methods.json", [])}
        self.sqlite = _read_only(folder / "lci" / "databases.db")

    def close(self) -> None:
        self.sqlite.close()

    def activities(self, where: str, args: tuple) -> list[dict]:
        rows = self.sqlite.execute(
            f"SELECT id, code, database, name, location, data FROM activitydataset WHERE {where}",
            args).fetchall()
        out = []
        for node_id, code, database, name, location, data in rows:
            # bw2data stores each node as a pickle (its PickleField), which runs code when
            # read: this reads the user's own project, as bw2data itself would.
            meta = pickle.loads(bytes(data)) if data is not None else {}
            out.append({"id": node_id, "code": code, "database": database, "name": name,
                        "location": location or "", "unit": meta.get("unit", ""),
                        "categories": list(meta.get("categories") or ()),
                        "type": meta.get("type", "")})
        return out

    def nodes(self, ids: list[int]) -> dict[int, dict]:
        out = {}
        for start in range(0, len(ids), 500):
            chunk = tuple(int(i) for i in ids[start:start + 500])
            marks = ",".join("?" * len(chunk))
            out.update({a["id"]: a for a in self.activities(f"id IN ({marks})", chunk)})
        return out

    def package(self, name: str, kind: str) -> Path:
        if kind == "database":
            meta = self.databases.get(name)
            if meta is None:
                raise BackgroundError(f"no database {name!r} in project {self.folder.name}; "
                                      f"databases: {', '.join(sorted(self.databases))}")
            if meta.get("dirty"):
                raise BackgroundError(f"database {name!r} has changes not yet processed: open "
                                      f"the project in Brightway and run "
                                      f"Database({name!r}).process()")
            path = self.folder / "processed" / f"{safe_filename(name, full=False)}.zip"
        else:
            path = self.folder / "processed" / f"{self.methods[name]['abbreviation']}.zip"
        if not path.is_file():
            raise BackgroundError(f"{path} is missing: process {name!r} in Brightway first")
        return path

    def depends(self, names: set[str]) -> list[str]:
        """The databases named and every database they depend on."""
        todo, seen = list(names), []
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.append(name)
            todo += list(self.databases.get(name, {}).get("depends", []))
        return sorted(seen)


def _find(project: _Project, request: _Request, our: Node, path: Path,
          problems: Problems) -> Link | None:
    """The one activity a request names, with the unit check."""
    if request.database is None:
        problems.add(request.at("database", path), "name the database (here or at the top "
                                                   "of the file, or --background PROJECT:DB)")
        return None
    if request.database not in project.databases:
        problems.add(request.at("database", path),
                     f"no database {request.database!r} in the project; databases: "
                     f"{', '.join(sorted(project.databases))}")
        return None
    if request.activity is not None:
        found = project.activities("database = ? AND code = ?",
                                   (request.database, str(request.activity)))
        what = f"code {request.activity!r}"
        field_name = "activity"
    else:
        where, args = "database = ? AND name = ?", [request.database, request.name]
        if request.location is not None:
            where, args = where + " AND location = ?", [*args, request.location]
        found = project.activities(where, tuple(args))
        if request.unit is not None:
            found = [a for a in found if a["unit"] == request.unit]
        what = (f"name {request.name!r}, location {request.location!r}, unit "
                f"{request.unit!r}")
        field_name = "name"
    found = [a for a in found if a["type"] in ("process", "processwithreferenceproduct", "")]
    if len(found) != 1:
        problems.add(request.at(field_name, path),
                     f"{'no' if not found else len(found)} activities of {request.database!r} "
                     f"match {what}; a link needs exactly one"
                     + (": " + "; ".join(f"{a['name']} ({a['location']}, {a['unit']})"
                                         for a in found[:5]) if found else ""))
        return None
    activity = found[0]
    try:
        factor = link_factor(our.unit, activity["unit"])
    except BadValue as exc:
        problems.add(request.at("unit", path), f"{request.code} -> {activity['name']}: {exc}")
        return None
    return Link(request.code, activity["database"], activity["code"], activity["name"],
                activity["location"], activity["unit"], factor, activity["id"])


def read_background(spec: BackgroundSpec, base: ResolvedBase) -> LinkedBackground:
    """Resolve the links, then solve each linked activity's inventory with bw2calc on the
    user's datapackages (read-only); every problem of the link file is reported at once."""
    folder = project_directory(spec)
    problems = Problems()
    requests, method_names = read_link_file(spec.link_file, spec.database, problems)
    project = _Project(folder)
    try:
        links = _links(project, requests, base, spec.link_file, problems)
        methods = _methods(project, method_names, spec.link_file, links, problems)
        problems.raise_if_any()
        inventories, flows, factors = _inventories(project, links, methods)
    finally:
        project.close()
    linked = {k.code for k in links}
    unlinked = [n.code for n in base.nodes.values() if n.kind == "background"
                and n.code not in linked]
    return LinkedBackground(spec.project, base_directory(spec.brightway_dir), links,
                            unlinked, methods, flows, inventories, factors)


def _links(project, requests, base, path, problems) -> list[Link]:
    links, seen = [], set()
    for request in requests:
        node = base.nodes.get(request.code)
        if node is None or node.kind != "background":
            codes = sorted(n.code for n in base.nodes.values() if n.kind == "background")
            problems.add(request.at("code", path), f"{request.code!r} is not one of our "
                                                   f"background codes: {', '.join(codes)}")
            continue
        if request.code in seen:
            problems.add(request.at("code", path), f"{request.code!r} is linked twice")
            continue
        seen.add(request.code)
        link = _find(project, request, node, path, problems)
        if link is not None:
            links.append(link)
    return links


def _methods(project, names: dict, path: Path, links: list, problems) -> dict[str, MethodLink]:
    out = {}
    for indicator in IMPACT_INDICATORS:
        where = Location(str(path), None, f"methods.{indicator}")
        name = names.get(indicator)
        if name is None:
            if links:
                problems.add(where, f"linked activities need a method of the project for "
                                    f"{indicator} (their inventories hold the project's own "
                                    "elementary flows, which only its methods characterise)")
            continue
        if name not in project.methods:
            close = [" / ".join(m) for m in project.methods if m[0] == name[0]][:5]
            problems.add(where, f"no method {list(name)} in the project"
                                + (f"; methods of {name[0]!r}: {'; '.join(close)}"
                                   if close else ""))
            continue
        unit = project.methods[name].get("unit", "")
        try:
            out[indicator] = MethodLink(indicator, name, unit, method_factor(indicator, unit))
        except BadValue as exc:
            problems.add(where, str(exc))
    return out


def _inventories(project: _Project, links: list[Link], methods: dict[str, MethodLink]):
    """Each link's life cycle inventory per unit of our node, the flows it holds, and each
    method's factors on them (bw2calc, on the user's datapackages, nothing written)."""
    if not links:
        return {}, {}, {ind: {} for ind in methods}
    bc = import_bw2calc()
    databases = project.depends({k.database for k in links})
    packages = [load_package(project.package(name, "database")) for name in databases]
    packages += [load_package(project.package(m.name, "method")) for m in methods.values()]
    demands = {k.code: {k.node_id: 1.0} for k in links}
    config = {"impact_categories": [m.name for m in methods.values()]}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mlca = bc.MultiLCA(demands=demands, method_config=config, data_objs=packages)
            mlca.lci()
            mlca.lcia()
    except Exception as exc:  # bw2calc's errors on a broken project: say which project
        raise BackgroundError(f"bw2calc cannot solve project {project.folder.name}: "
                              f"{type(exc).__name__}: {exc}") from None
    flow_of_row = {row: flow_id for flow_id, row in mlca.dicts.biosphere.items()}
    amounts = {k.code: np.asarray(mlca.inventories[k.code].sum(axis=1)).ravel() * k.factor
               for k in links}
    used = sorted({row for a in amounts.values() for row in np.flatnonzero(a)})
    meta = project.nodes([flow_of_row[r] for r in used])
    flows = {meta[flow_of_row[r]]["code"]: _flow(meta[flow_of_row[r]]) for r in used}
    inventories = {code: {meta[flow_of_row[r]]["code"]: float(a[r]) for r in used if a[r]}
                   for code, a in amounts.items()}
    factors = {}
    for ind, m in methods.items():
        cf = np.asarray(mlca.characterization_matrices[m.name].diagonal()).ravel()
        factors[ind] = {meta[flow_of_row[r]]["code"]: float(cf[r]) * m.factor
                        for r in used if cf[r]}
        for k in links:
            k.scores[ind] = float(mlca.scores[(m.name, k.code)]) * k.factor * m.factor
    return inventories, flows, factors


def _flow(meta: dict) -> dict:
    return {"name": meta["name"], "categories": meta["categories"], "unit": meta["unit"],
            "type": meta["type"] or "emission", "database": meta["database"]}
