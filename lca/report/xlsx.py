"""Excel workbook: results (numbers as numbers, in the engine's units) and the inventory, plus
the checklist. openpyxl stamps the document properties and every zip entry with the current
time; both are pinned to the report date so the same report gives the same bytes."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from lca.report.outline import UNCERTAINTY_LABELS
from lca.schema import INDICATOR_NAMES, INDICATORS


def _sheet(wb, title: str, headers: list[str], rows: list[list]):
    ws = wb.create_sheet(title)
    ws.append(headers)
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    for k, header in enumerate(headers):
        longest = max([len(str(header))] + [len(str(r[k])) for r in rows if r[k] is not None])
        ws.column_dimensions[ws.cell(1, k + 1).column_letter].width = min(60, max(10, longest + 2))
    return ws


def render_xlsx(doc: dict) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    ident, ia, h = doc["identification"], doc["impact_assessment"], doc["headline"]
    units = ia["units"]
    _sheet(wb, "Summary", ["item", "value"], [
        ["title", doc["title"]], ["model", ident["model"]], ["report date", ident["date"]],
        ["engine version", ident["engine_version"]], ["inventory hash", ident["inventory_hash"]],
        ["base data hash", ident["base_data_hash"]],
        ["months", doc["scope"]["months"]],
        ["tokens per response", doc["scope"]["tokens_per_response"]],
        ["responses", doc["scope"]["responses"]],
        ["critical review", doc["critical_review"]["status"]],
    ])
    _sheet(wb, "Headline", ["indicator", "name", "unit", "training service (absolute)",
                            "stage training", "marginal per unit",
                            "inference service share (%)", "stage inference share (%)"],
           [[i, INDICATOR_NAMES[i], units[i], h["training_service"][i], h["stage_training"][i],
             h["marginal_per_unit"][i], h["inference_service_share_percent"][i],
             h["stage_inference_share_percent"][i]] for i in INDICATORS])
    rows = [[s, i, units[i], v[i], ia["shares_percent"][s][i]]
            for s, v in ia["stages"].items() for i in INDICATORS]
    rows += [["total", i, units[i], ia["total"][i], 100.0] for i in INDICATORS]
    _sheet(wb, "Results", ["stage", "indicator", "unit", "value", "share (%)"], rows)
    _sheet(wb, "Per response", ["boundary", "indicator", "unit", "value"],
           [[k, i, units[i], ia["per_response"][k][i]]
            for k in ("marginal", "allocated") for i in INDICATORS])
    _sheet(wb, "Inventory", ["name", "value", "unit", "formula", "kind", "source", "comment"],
           [[p["name"], p["value"], p["unit"], p["formula"], p["kind"], p["source"], p["comment"]]
            for p in doc["inventory"]["parameters"]])
    _sheet(wb, "Stages", ["stage", "activity", "amount", "unit", "serves", "marginal", "source"],
           [[r["stage"], r["activity"], r["amount"], r["unit"], r["serves"],
             "yes" if r["marginal"] else "no", r["source"]] for r in doc["allocation"]["rows"]])
    _sheet(wb, "Methods", ["indicator", "name", "unit", "method", "source", "factors file"],
           [[m["indicator"], m["name"], m["unit"], m["method"], m["source"], m["factors_file"]]
            for m in ia["methods"]])
    if doc["published"]["rows"]:
        _sheet(wb, "Published", ["figure", "indicator", "unit", "published", "computed", "ratio"],
               [[r["figure"], r["indicator"], r["unit"], r["published"], r["computed"],
                 r["ratio"]] for r in doc["published"]["rows"]])
    eq = doc["equivalents"]
    _sheet(wb, "Equivalents", ["basis", "indicator", "about (order of magnitude)", "of",
                               "factor", "factor unit", "source"],
           [[basis, e["indicator"], e["count"], e["label"], e["factor"], e["factor_unit"],
             e["source"]] for basis in ("per_response_marginal", "life_cycle_total")
            for e in eq[basis]])
    unc = doc["uncertainty"]
    _sheet(wb, "Uncertainty", ["indicator", "quantity", "unit", "mean", "std", "p2.5", "p50",
                               "p97.5"],
           [[r["indicator"], UNCERTAINTY_LABELS[r["quantity"]], units[r["indicator"]],
             r["mean"], r["std"], r["p2_5"], r["p50"], r["p97_5"]] for r in unc["rows"]]
           or [["not computed", "", "", None, None, None, None, None]])
    _sheet(wb, "Checklist", ["item", "requirement", "standards", "section", "status", "detail"],
           [[c["id"], c["requirement"], c["standards"], c["section"], c["status"], c["detail"]]
            for c in doc["checklist"]])

    stamp = datetime.fromisoformat(ident["date"])
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "lca-ai"
    wb.properties.title = doc["title"]
    raw = io.BytesIO()
    wb.save(raw)
    return _pin_zip_times(raw.getvalue(), stamp)


def _pin_zip_times(data: bytes, stamp: datetime) -> bytes:
    """Rewrite the zip with every entry, and the workbook's 'modified' property, dated
    ``stamp`` (entries in the same order)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps 'modified' at save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                              + rb"\g<2>", data)
            dst.writestr(entry, data)
    return out.getvalue()
