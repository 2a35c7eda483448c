"""Exports that other tools open (``lca export``), from one assessment:

- ``brightway``: the model's foreground, with the assessment's stages, life cycle and
  functional units as activities, into a Brightway project you name (and our background and
  methods if asked), ready for Activity Browser (:mod:`.brightway`);
- ``jsonld``: an openLCA JSON-LD zip with processes, flows, units and our methods
  (:mod:`.jsonld`);
- ``spdx``: the SPDX 3.0.1 AI package with its energy consumption for training and inference
  (:mod:`.spdx`).

Every export uses the engine's own background and the static amounts of ``lca assess``
(:mod:`.model`).
"""

from __future__ import annotations

from pathlib import Path

from lca.assessment import assess
from lca.engine.background import base_directory
from lca.errors import BadArgument
from lca.files import check_output_file, write_atomic

from .brightway import export_brightway
from .jsonld import write_jsonld
from .model import ExportModel, export_model
from .spdx import spdx_document

FORMATS = ("brightway", "jsonld", "spdx")
SUFFIXES = {"jsonld": ".zip", "spdx": ".json"}

__all__ = ["FORMATS", "ExportModel", "export", "export_model"]


def export(model: str | None, fmt: str, output: str | Path | None = None, *,
           project: str | None = None, brightway_dir: str | Path | None = None,
           with_background: bool = False, force: bool = False, months: float = 18,
           tokens_per_response: int = 400, inventory: str | Path | None = None) -> dict:
    """Assess the model and export it as ``fmt``; returns what was written."""
    if fmt not in FORMATS:
        raise BadArgument(f"--format {fmt!r}: choose among {', '.join(FORMATS)}")
    if fmt == "brightway":
        if not project:
            raise BadArgument("--format brightway writes into a Brightway project: name it "
                              "with --project")
        folder = base_directory(Path(brightway_dir) if brightway_dir else None)
    else:
        if output is None:
            raise BadArgument(f"--format {fmt} writes a file: give it with -o "
                              f"(*{SUFFIXES[fmt]})")
        output = check_output_file(Path(output), force, SUFFIXES[fmt])
    result = assess(model, months, tokens_per_response, inventory)
    if fmt == "brightway":
        written = export_brightway(result, export_model(result), project, folder,
                                   with_background, force)
        return {"format": fmt, "model": result.model, **written}
    if fmt == "jsonld":
        write_jsonld(export_model(result), output)
    else:
        write_atomic(output, spdx_document(result))
    return {"format": fmt, "model": result.model, "output": str(output)}
