"""The standardized disclosure report (``lca report``): sections, checklist, equivalents and
charts built once as data (:mod:`.model`), then rendered as HTML, PDF, Markdown, Excel and
JSON (one module per format). Same inputs and ``date`` give the same bytes.

    >>> from lca.report import make_report, report_data
    >>> doc = report_data("large-2", months=18, date="2025-07-22")      # the JSON form
    >>> paths = make_report("large-2", months=18, date="2025-07-22", output="my-report")
"""

from __future__ import annotations

from pathlib import Path

from lca.assessment import assess
from lca.report.model import build_report
from lca.report.writer import FORMATS, render, write_files

__all__ = ["make_report", "render_report", "report_data", "FORMATS"]


def report_data(model: str | None = "large-2", months: float = 18,
                tokens_per_response: int = 400, inventory: str | Path | None = None,
                date: str | None = None, uncertainty: dict | None = None,
                **background) -> dict:
    """Assess the model and build the report data (the JSON format). ``background``:
    ``background``, ``link`` and ``brightway_dir`` as :func:`lca.assess` takes them."""
    result = assess(model, months, tokens_per_response, inventory, **background)
    return build_report(result, date=date, uncertainty=uncertainty)


def render_report(model: str | None = "large-2", months: float = 18,
                  tokens_per_response: int = 400, inventory: str | Path | None = None,
                  date: str | None = None, uncertainty: dict | None = None,
                  formats=FORMATS) -> dict[str, bytes]:
    """The report files (name -> bytes) in the formats asked, written nowhere."""
    doc = report_data(model, months, tokens_per_response, inventory, date, uncertainty)
    return render(doc, list(formats))


def make_report(model: str | None = "large-2", months: float = 18,
                tokens_per_response: int = 400, inventory: str | Path | None = None,
                date: str | None = None, uncertainty: dict | None = None,
                formats=FORMATS, *, output: str | Path, overwrite: bool = False) -> list[Path]:
    """Write the report files into the folder ``output``; returns the paths written."""
    files = render_report(model, months, tokens_per_response, inventory, date, uncertainty,
                          formats)
    return write_files(Path(output), files, overwrite=overwrite)
