"""Render the report in the formats asked for and write them into a folder: each file through
a temporary file and an atomic rename, and never over an existing file unless asked
(``overwrite``), so a report already saved is not lost by accident."""

from __future__ import annotations

import json
from pathlib import Path

from lca import files as files_module
from lca.errors import BadArgument, OutputExists
from lca.report.html import render_html
from lca.report.markdown import render_markdown
from lca.report.pdf import render_pdf
from lca.report.xlsx import render_xlsx

FORMATS = ("html", "pdf", "md", "xlsx", "json")
STEM = "report"


class ReportExists(OutputExists):
    """The output folder already holds report files and overwriting was not asked for."""


def parse_formats(text: str | None) -> list[str]:
    """'html,pdf' -> ['html', 'pdf'] in the canonical order; all formats when empty."""
    if not text or not text.strip():
        return list(FORMATS)
    asked = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in asked if f not in FORMATS]
    if unknown:
        raise BadArgument(f"--format: unknown format(s) {', '.join(unknown)}; "
                          f"choose among {','.join(FORMATS)}")
    return [f for f in FORMATS if f in asked]


def render_json(doc: dict) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


RENDERERS = {"html": render_html, "pdf": render_pdf, "xlsx": render_xlsx, "json": render_json}


def render(doc: dict, formats: list[str]) -> dict[str, bytes]:
    """File name -> bytes, for every format asked."""
    files: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "md":
            files.update(render_markdown(doc, STEM))
        else:
            files[f"{STEM}.{fmt}"] = RENDERERS[fmt](doc)
    return files


def write_files(folder: Path, files: dict[str, bytes], overwrite: bool = False) -> list[Path]:
    """Write every file atomically; refuse to replace existing ones unless ``overwrite``."""
    folder = Path(folder)
    existing = sorted(name for name in files if (folder / name).exists())
    if existing and not overwrite:
        raise ReportExists(f"{folder} already holds {', '.join(existing)}; "
                           "pass --overwrite to replace them")
    try:
        files_module.write_files(folder, files, force=True)
    except OSError as exc:
        raise BadArgument(f"-o {folder}: cannot write the report ({exc.strerror})") from None
    return [folder / name for name in files]
