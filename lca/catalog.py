"""Where inventories come from: the shipped data, which models it holds, and
:func:`load_inventory`, the one way to read a model by name, a text folder or a workbook.

In a checkout the data are the repository's ``inventories/``, ``methods/`` and ``validation/``
(published studies written from their inputs, listed apart); in an installed wheel they are
copied under ``lca/_data/``. ``LCA_DATA`` points elsewhere (a user's own set).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lca import workbook
from lca.errors import BadArgument, Problems, UnknownModel
from lca.schema import KINDS, Parameter
from lca.text_inventory import BaseData, Inventory, read_base, read_inventory, read_table

PACKAGE = Path(__file__).resolve().parent


def data_root() -> Path:
    """The folder holding ``inventories/`` and ``methods/``."""
    override = os.environ.get("LCA_DATA")
    if override:
        return Path(override).resolve()
    checkout = PACKAGE.parent
    if (checkout / "inventories").is_dir() and (checkout / "methods").is_dir():
        return checkout
    return PACKAGE / "_data"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    display_name: str
    aliases: tuple[str, ...]
    directory: Path
    description: str
    has_published: bool
    functional_unit: str = "response"
    kinds: tuple[tuple[str, int], ...] = ()  # parameters counted by kind, in KINDS order
    # A calibration ships beside the inventory (calibration.toml): the published figures it
    # was fitted on are fit residuals, not reproductions.
    calibrated_on_published: bool = False


def model_entries(root: Path | None = None, folder: str = "inventories") -> list[ModelEntry]:
    """Every model folder under ``inventories/`` (a folder with a model.toml); with
    ``folder="validation"``, the validation studies."""
    root = root or data_root()
    entries = []
    for card in sorted((root / folder).glob("*/model.toml")):
        try:
            data = tomllib.loads(card.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        parameters = read_table(card.parent / "parameters.csv", Parameter, Problems())
        counts = Counter(p.kind for p in parameters)
        entries.append(
            ModelEntry(
                name=str(data.get("name", card.parent.name)),
                display_name=str(data.get("display_name", card.parent.name)),
                aliases=tuple(data.get("aliases", [])),
                directory=card.parent,
                description=str(data.get("description", "")),
                has_published="published" in data
                or (card.parent / "published_figures.csv").is_file(),
                functional_unit=str(data.get("functional_unit", "response")),
                kinds=tuple((k, counts.get(k, 0)) for k in KINDS),
                calibrated_on_published=(card.parent / "calibration.toml").is_file(),
            )
        )
    return entries


def validation_root(root: Path | None = None) -> Path:
    """The folder of validation studies (published studies written from their inputs),
    shipped beside ``inventories/`` and listed apart from the models."""
    return (root or data_root()) / "validation"


def study_directories(root: Path | None = None) -> list[Path]:
    """Every validation study: a folder of ``validation/`` with a model.toml."""
    return [card.parent for card in sorted(validation_root(root).glob("*/model.toml"))]


def list_studies(root: Path | None = None) -> list[ModelEntry]:
    """The validation studies, as :func:`list_models` lists the models (apart from them)."""
    return model_entries(root, "validation")


def list_models(root: Path | None = None) -> list[ModelEntry]:
    """The models shipped under inventories/ (name, aliases, description)."""
    return model_entries(root)


def find_model(name: str, root: Path | None = None) -> ModelEntry:
    wanted = name.strip().lower()
    entries = model_entries(root)
    for entry in entries:
        if wanted == entry.name.lower() or wanted in (a.lower() for a in entry.aliases):
            return entry
    spellings = {n.lower(): e.name for e in entries for n in (e.name, *e.aliases)}
    close = difflib.get_close_matches(wanted, list(spellings), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(spellings[c] for c in close))
    if suggestions:
        raise UnknownModel(f"unknown model {name!r}; did you mean "
                           f"{' or '.join(repr(s) for s in suggestions)}? (see `lca models`)")
    known = ", ".join(e.name for e in entries) or "none"
    raise UnknownModel(f"unknown model {name!r}; known models: {known} (see `lca models`)")


def load_inventory(model: str | None = None, inventory: str | Path | None = None,
                   problems: Problems | None = None) -> Inventory:
    """The inventory of a shipped model, of the folder ``inventory`` or of an xlsx workbook
    (``inventory`` a file). With ``problems``, reading problems are collected there instead of
    raised (to report them with later ones)."""
    if inventory is not None:
        path = Path(inventory)
        if not path.exists():
            raise BadArgument(f"--inventory {path}: no such file or folder")
        if path.is_file():  # an xlsx workbook, read with the same spec
            return workbook.read_workbook(path, problems)
        return read_inventory(path, problems=problems)
    if not model:
        raise BadArgument("give a model name (--model) or an inventory (--inventory)")
    root = data_root()
    return read_inventory(find_model(model, root).directory, root=root, problems=problems)


def load_source(source: str | Path) -> Inventory:
    """An inventory from a model name, a text inventory folder or a workbook."""
    path = Path(source)
    if path.exists():
        return load_inventory(None, path)
    return load_inventory(str(source), None)


def base_data(root: Path | None = None) -> BaseData:
    """The biosphere, background database and methods every model shares."""
    return read_base(root or data_root())
