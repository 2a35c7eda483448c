"""The standardized disclosure report (``lca report``): sections, checklist, equivalents and
charts built once as data (:mod:`.model`), then rendered as HTML, PDF, Markdown, Excel and
JSON (one module per format). Same inputs and ``date`` give the same bytes.

    >>> from lca.report import make_report
    >>> files = make_report("large-2", months=18, date="2025-07-22")   # name -> bytes
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["make_report", "report_data", "FORMATS"]

FORMATS = ("html", "pdf", "md", "xlsx", "json")


def report_data(model: str | None = "large-2", months: float = 18,
                tokens_per_response: int = 400, inventory: str | Path | None = None,
                date: str | None = None, uncertainty: dict | None = None) -> dict:
    """Assess the model and build the report data (the JSON format)."""
    from lca.assessment import assess, load_inventory
    from lca.catalog import data_root
    from lca.report.model import build_report
    from lca.text_inventory import read_base

    result = assess(model, months, tokens_per_response, inventory)
    inv = load_inventory(model, inventory)
    base = read_base(data_root())
    return build_report(result, inv, base, date=date, uncertainty=uncertainty)


def make_report(model: str | None = "large-2", months: float = 18,
                tokens_per_response: int = 400, inventory: str | Path | None = None,
                date: str | None = None, uncertainty: dict | None = None,
                formats=FORMATS) -> dict[str, bytes]:
    """The report files (name -> bytes) in the formats asked."""
    from lca.report.writer import render

    doc = report_data(model, months, tokens_per_response, inventory, date, uncertainty)
    return render(doc, list(formats))
