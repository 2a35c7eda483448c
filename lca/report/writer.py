"""Render the report in the formats asked for and write them into a folder: each file through
a temporary file and an atomic rename, and never over an existing file unless asked
(``overwrite``), so a report already saved is not lost by accident."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from lca.errors import BadArgument, LCAError

FORMATS = ("html", "pdf", "md", "xlsx", "json")
STEM = "report"


class ReportExists(LCAError):
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


def render(doc: dict, formats: list[str]) -> dict[str, bytes]:
    """File name -> bytes, for every format asked."""
    files: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "html":
            from lca.report.html import render_html

            files[f"{STEM}.html"] = render_html(doc)
        elif fmt == "pdf":
            from lca.report.pdf import render_pdf

            files[f"{STEM}.pdf"] = render_pdf(doc)
        elif fmt == "md":
            from lca.report.markdown import render_markdown

            files.update(render_markdown(doc, STEM))
        elif fmt == "xlsx":
            from lca.report.xlsx import render_xlsx

            files[f"{STEM}.xlsx"] = render_xlsx(doc)
        elif fmt == "json":
            files[f"{STEM}.json"] = render_json(doc)
    return files


def write_files(folder: Path, files: dict[str, bytes], overwrite: bool = False) -> list[Path]:
    """Write every file atomically; refuse to replace existing ones unless ``overwrite``."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise BadArgument(f"-o {folder}: exists and is not a folder")
    existing = sorted(name for name in files if (folder / name).exists())
    if existing and not overwrite:
        raise ReportExists(f"{folder} already holds {', '.join(existing)}; "
                           "pass --overwrite to replace them")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadArgument(f"-o {folder}: cannot create the folder ({exc.strerror})") from None
    written = []
    for name, data in files.items():
        target = folder / name
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    return written
