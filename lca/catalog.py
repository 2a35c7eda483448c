"""Where the shipped data lives, and which models it holds.

In a checkout the data are the repository's ``inventories/`` and ``methods/``; in an installed
wheel they are copied under ``lca/_data/``. ``LCA_DATA`` points elsewhere (a user's own set).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lca.errors import UnknownModel

_PACKAGE = Path(__file__).resolve().parent


def data_root() -> Path:
    """The folder holding ``inventories/`` and ``methods/``."""
    override = os.environ.get("LCA_DATA")
    if override:
        return Path(override).resolve()
    checkout = _PACKAGE.parent
    if (checkout / "inventories").is_dir() and (checkout / "methods").is_dir():
        return checkout
    return _PACKAGE / "_data"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    display_name: str
    aliases: tuple[str, ...]
    directory: Path
    description: str
    has_published: bool


def model_entries(root: Path | None = None) -> list[ModelEntry]:
    """Every model folder under ``inventories/`` (a folder with a model.toml)."""
    root = root or data_root()
    entries = []
    for card in sorted((root / "inventories").glob("*/model.toml")):
        try:
            data = tomllib.loads(card.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        entries.append(
            ModelEntry(
                name=str(data.get("name", card.parent.name)),
                display_name=str(data.get("display_name", card.parent.name)),
                aliases=tuple(data.get("aliases", [])),
                directory=card.parent,
                description=str(data.get("description", "")),
                has_published="published" in data,
            )
        )
    return entries


def find_model(name: str, root: Path | None = None) -> ModelEntry:
    wanted = name.strip().lower()
    entries = model_entries(root)
    for entry in entries:
        if wanted == entry.name.lower() or wanted in (a.lower() for a in entry.aliases):
            return entry
    known = ", ".join(e.name for e in entries) or "none"
    raise UnknownModel(f"unknown model {name!r}; known models: {known} (see `lca models`)")
