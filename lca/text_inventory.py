"""Read (and write) the text form of the data: CSV tables and TOML cards that diff well in git.

Layout (paths relative to the data root)::

    inventories/biosphere.csv                 elementary flows
    inventories/background/processes.csv      background activities (electricity, hardware...)
    inventories/background/exchanges.csv      their inputs and emissions, each with its source
    inventories/<model>/model.toml            model card and published figures
    inventories/<model>/parameters.csv        name, value (with unit), kind, source
    inventories/<model>/activities.csv        foreground activities and their reference unit
    inventories/<model>/exchanges.csv         activity, input, amount (number or formula), unit
    inventories/<model>/stages.csv            what the life cycle demands of each activity
    methods/methods.toml + methods/*.csv      impact methods and characterisation factors

Reading collects every problem of every file before raising (see :mod:`lca.errors`).
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from lca.errors import Location, Problems
from lca.schema import (
    OPTIONAL_TABLES,
    TABLE_COLUMNS,
    TABLE_MODELS,
    Activity,
    BackgroundExchange,
    BackgroundProcess,
    Exchange,
    Factor,
    Flow,
    MethodSpec,
    ModelCard,
    Parameter,
    PublishedFigure,
    PublishedFigures,
    StageDemand,
)

MODEL_FILES = ("model.toml", *(f"{table}.csv" for table in TABLE_MODELS))


@dataclass
class Inventory:
    """One model's foreground inventory, as read (values still text)."""

    directory: Path
    card: ModelCard
    published: PublishedFigures | None
    parameters: list[Parameter]
    activities: list[Activity]
    exchanges: list[Exchange]
    stages: list[StageDemand]
    files: dict[str, bytes] = field(default_factory=dict)
    published_figures: list[PublishedFigure] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.card.name

    def table(self, name: str) -> list:
        """The rows of table ``name`` (see :data:`lca.schema.TABLE_MODELS`)."""
        return getattr(self, name)


@dataclass
class Method:
    spec: MethodSpec
    factors: list[Factor]


@dataclass
class BaseData:
    """What every model shares: elementary flows, background activities, impact methods."""

    flows: list[Flow]
    processes: list[BackgroundProcess]
    exchanges: list[BackgroundExchange]
    methods: list[Method]
    files: dict[str, bytes] = field(default_factory=dict)


def read_table(path: Path, model: type[BaseModel], problems: Problems, label: str | None = None):
    """Rows of a CSV file as ``model`` instances; problems recorded with row and field."""
    label = label or str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        problems.add(Location(label), "file is missing")
        return []
    except UnicodeDecodeError as exc:
        problems.add(Location(label), f"not UTF-8 text ({exc.reason})")
        return []
    return parse_rows(csv.reader(io.StringIO(text)), model, problems, label)


EXTRA_PREFIX = "extra:"  # a column the engine keeps but does not read (see lca.workbook)


def parse_rows(rows, model: type[BaseModel], problems: Problems, label: str, sheet=None, start=2):
    """Validate rows (header first) against ``model``; shared by the CSV and Excel readers.
    ``start`` is the number of the first row after the header. Columns named ``extra:...``
    are kept on each row (``row._extra``), unread."""
    rows = iter(rows)
    header = [str(h).strip() for h in next(rows, [])]
    expected = list(model.model_fields)
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    missing = [c for c in required if c not in header]
    for column in missing:
        problems.add(Location(label, start - 1, column, sheet), "required column is missing")
    unknown = [h for h in header if h and h not in expected and not h.startswith(EXTRA_PREFIX)]
    extras = [h for h in header if h.startswith(EXTRA_PREFIX)]
    for column in unknown:
        problems.add(
            Location(label, start - 1, column, sheet),
            f"unknown column; expected columns: {', '.join(expected)} "
            f"(or '{EXTRA_PREFIX}<name>' for a column kept but not read)",
        )
    if missing or unknown:
        return []
    out = []
    for number, cells in enumerate(rows, start=start):
        values = {h: ("" if c is None else str(c)) for h, c in zip(header, cells, strict=False)}
        if not any(v.strip() for v in values.values()):
            continue  # blank line
        data = {
            k: v
            for k, v in values.items()
            if k in model.model_fields and (v.strip() or model.model_fields[k].is_required())
        }
        where = Location(label, number, None, sheet)
        try:
            out.append(model(**data).located(where))
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                found = values.get(column, "") if column else ""
                problems.add(
                    Location(label, number, column, sheet),
                    f"{err['msg']} (found {found!r})",
                )
            # Keep the row, unvalidated, so that the checks that need the whole inventory
            # still run: one pass reports every problem, not only the first file's.
            out.append(_unvalidated(model, values).located(where))
        if extras:
            out[-1]._extra = {h: values.get(h, "").strip() for h in extras}
    return out


def _unvalidated(model: type[BaseModel], values: dict) -> BaseModel:
    data = {}
    for name, spec in model.model_fields.items():
        if values.get(name, "").strip():
            data[name] = values[name].strip()
        else:
            data[name] = "" if spec.is_required() else spec.get_default(call_default_factory=True)
    return model.model_construct(**data)


def read_toml(path: Path, problems: Problems, label: str) -> dict:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        problems.add(Location(label), "file is missing")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.add(Location(label), f"not valid TOML: {exc}")
    return {}


def build_record(
    model: type[BaseModel], data: dict, problems: Problems, where: Location, prefix=""
):
    """A pydantic record from a TOML table, problems named by their key."""
    try:
        return model(**data).located(where)
    except ValidationError as exc:
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            problems.add(Location(where.file, None, prefix + key, where.sheet), err["msg"])
    return None


def read_model_card(data: dict, problems: Problems, label: str):
    where = Location(label)
    card_data = {k: v for k, v in data.items() if k != "published"}
    card = build_record(ModelCard, card_data, problems, where)
    published = None
    if "published" in data:
        published = build_record(PublishedFigures, data["published"], problems, where, "published.")
    return card, published


def read_inventory(directory: Path, root: Path | None = None, problems: Problems | None = None):
    """Read a model's text inventory. Raises InventoryError listing every problem found."""
    own = problems is None
    problems = problems or Problems()
    directory = Path(directory)

    def label(name: str) -> str:
        path = directory / name
        if root is not None:
            try:
                return str(path.relative_to(root))
            except ValueError:
                pass
        return str(path)

    if not directory.is_dir():
        problems.add(Location(str(directory)), "inventory directory does not exist")
        problems.raise_if_any()
    files = {}
    for name in MODEL_FILES:
        path = directory / name
        if path.is_file():
            files[name] = path.read_bytes()
    card, published = read_model_card(
        read_toml(directory / "model.toml", problems, label("model.toml")),
        problems,
        label("model.toml"),
    )
    tables = {
        t: read_table(directory / f"{t}.csv", TABLE_MODELS[t], problems, label(f"{t}.csv"))
        for t in TABLE_COLUMNS
        if t not in OPTIONAL_TABLES or (directory / f"{t}.csv").exists()
    }
    if own:
        problems.raise_if_any()
    return Inventory(directory=directory, card=card, published=published, files=files,
                     **{t: tables.get(t, []) for t in TABLE_MODELS})


def read_base(root: Path) -> BaseData:
    """Read the biosphere, the background database and the methods under a data root."""
    problems = Problems()
    files: dict[str, bytes] = {}

    def table(rel: str, model):
        path = root / rel
        if path.is_file():
            files[rel] = path.read_bytes()
        return read_table(path, model, problems, rel)

    flows = table("inventories/biosphere.csv", Flow)
    processes = table("inventories/background/processes.csv", BackgroundProcess)
    exchanges = table("inventories/background/exchanges.csv", BackgroundExchange)
    methods = []
    toml_rel = "methods/methods.toml"
    if (root / toml_rel).is_file():
        files[toml_rel] = (root / toml_rel).read_bytes()
    listing = read_toml(root / toml_rel, problems, toml_rel)
    for i, entry in enumerate(listing.get("method", []), start=1):
        spec = build_record(MethodSpec, entry, problems, Location(toml_rel), f"method[{i}].")
        if spec is not None:
            methods.append(Method(spec, table(f"methods/{spec.factors}", Factor)))
    if not listing.get("method") and listing:
        problems.add(Location(toml_rel), "no [[method]] tables")
    problems.raise_if_any()
    return BaseData(flows, processes, exchanges, methods, files)
