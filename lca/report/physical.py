"""Two report sections a reviewer checks first: which published figures the inventory was
fitted on (the calibration shipped beside it, ``calibration.json``, with its priors,
posteriors and tension), and what the results imply physically, next to public references
(:mod:`lca.implied`). Data here, blocks for :mod:`lca.report.outline` below."""

from __future__ import annotations

from lca.calibrate.result import compact
from lca.calibrate.ship import RESULT_FILE, inputs_hash, stored_result
from lca.calibrate.spec import FILE as SPEC_FILE
from lca.calibrate.spec import read_spec
from lca.display import fmt, fmt_percent, fmt_response, fmt_total, stored

PARAMETER_KEYS = ("name", "unit", "prior", "prior_source", "prior_p2_5", "prior_p50",
                  "prior_p97_5", "posterior_p2_5", "posterior_p50", "posterior_p97_5", "shipped",
                  "prior_percentile_of_posterior_median", "beyond_prior_95")
TARGET_KEYS = ("label", "indicator", "unit", "published_text", "prior_p2_5", "prior_p50",
               "prior_p97_5", "prior_predictive_p", "computed_at_shipped", "residual", "z",
               "met")


def calibration_block(result) -> dict:
    """The calibration shipped with the inventory, as the report shows it."""
    directory = result.prepared.inventory.directory
    spec = read_spec(directory)
    if spec is None:
        return {"present": False, "fresh": None, "method": None,
                "statement": "No calibration: no parameter of this inventory was fitted to "
                             "published figures by a calibration shipped with it.",
                "parameters": [], "targets": [], "tension": [], "alternatives": None,
                "points": [], "watch": []}
    stored_doc = stored_result(directory)
    if stored_doc is None:
        return {"present": True, "fresh": False, "method": spec.method,
                "statement": f"{SPEC_FILE} is present but its result ({RESULT_FILE}) is not: "
                             f"run lca calibrate --model {result.model} --write.",
                "parameters": [], "targets": [], "tension": [], "alternatives": None,
                "points": [], "watch": []}
    names = [p["name"] for p in stored_doc.get("parameters", [])]
    fresh = stored_doc.get("inputs_hash") == inputs_hash(result.prepared, names)
    tension = (stored_doc.get("tension") or {}).get("statements", [])
    return {
        "present": True, "fresh": fresh, "method": stored_doc["method"],
        "statement": _statement(stored_doc, fresh),
        "parameters": [{k: p.get(k) for k in PARAMETER_KEYS} for p in stored_doc["parameters"]],
        "targets": [{k: t.get(k) for k in TARGET_KEYS} for t in stored_doc.get("targets", [])],
        "tension": list(tension),
        "alternatives": stored_doc.get("alternatives"),
        "points": [{"name": p["name"], "survives": p["survives"],
                    "targets_missed": p["targets_missed"],
                    "parameters_beyond_prior_95": p["parameters_beyond_prior_95"]}
                   for p in stored_doc.get("points", [])],
        "watch": stored_doc.get("watch", []),
    }


def _statement(doc: dict, fresh: bool) -> str:
    n = len(doc["parameters"])
    if doc["method"] == "formula":
        text = (f"{n} parameter(s) are set by a closed formula from published figures "
                f"({SPEC_FILE}); the figures they come from are fit residuals, not "
                "reproductions.")
    else:
        d = doc.get("diagnostics", {})
        text = (f"{n} parameters were calibrated ({SPEC_FILE}) on {len(doc['targets'])} "
                f"published figures, each with its own uncertainty plus a model discrepancy of "
                f"{100 * (doc.get('discrepancy') or 0):.0f} %: priors from public evidence, "
                f"{doc['draws']:,} prior draws, {d.get('method', '')}, seed {doc['seed']}. "
                "Those figures are fit residuals: meeting them is not a validation. The "
                "shipped value of each parameter is its posterior mode.")
    if not fresh:
        text += (f" WARNING: {RESULT_FILE} was computed from other inputs than this inventory; "
                 f"run lca calibrate --check.")
    return text


def implied_block(result) -> dict:
    return result.implied()


# ----------------------------------------------------------------------------- outline rows


def target_value(row: dict, value) -> str:
    if value is None:
        return "n.a."
    if row["unit"] == "%":
        return fmt_percent(value)
    if "per unit" in row["label"]:
        return fmt_response(row["indicator"], value)
    return fmt_total(row["indicator"], value)


def parameter_rows(block: dict) -> list[list[str]]:
    def three(p, prefix):
        return " / ".join(compact(p[f"{prefix}_{k}"]) for k in ("p2_5", "p50", "p97_5"))

    return [[p["name"], p["prior"], three(p, "prior"), three(p, "posterior"), p["shipped"],
             f"{p['prior_percentile_of_posterior_median']:.3g}"
             + (" (beyond the prior's 95 %)" if p["beyond_prior_95"] else "")]
            for p in block["parameters"]]


def target_rows(block: dict) -> list[list[str]]:
    out = []
    for t in block["targets"]:
        residual = "" if t["residual"] is None else f"{100 * t['residual']:+.1f} %"
        out.append([t["label"], t["published_text"],
                    f"{target_value(t, t['prior_p50'])} (p {t['prior_predictive_p']:.2g})",
                    target_value(t, t["computed_at_shipped"]), residual,
                    "yes" if t["met"] else "NO"])
    return out


def alternative_rows(block: dict) -> list[list[str]]:
    out = []
    for a in block["alternatives"] or []:
        watch = a["watch"][0]["posterior"] if a["watch"] else None
        out.append([a["name"], f"{a['log_bayes_factor_vs_primary']:+.1f}",
                    "yes" if a["consistent"] else "no",
                    ", ".join(a["targets_missed"]) or "-",
                    ", ".join(a["parameters_beyond_prior_95"]) or "-",
                    " / ".join(compact(v) for v in watch) if watch else ""])
    return out


def implied_rows(block: dict) -> list[list[str]]:
    out = []
    for q in block["quantities"]:
        value = f"{fmt(q['value'])} {q['unit']}"
        if not q["references"]:
            out.append([q["label"], value, "no independent reference", "", ""])
        for i, r in enumerate(q["references"]):
            low, high = r["low"], r["high"]
            if low is not None and high is not None:
                span = fmt(low) if low == high else f"{fmt(low)} to {fmt(high)}"
            else:
                span = f"at least {fmt(low)}" if low is not None else f"at most {fmt(high)}"
            status = r["status"] if r["status"] == "within" else (
                f"OUTSIDE: {r['status']}, x{stored(r['factor']):.3g}" if r["factor"] else
                f"OUTSIDE: {r['status']}")
            out.append([q["label"] if i == 0 else "", value if i == 0 else "",
                        f"{span} {r['unit']}: {r['basis']}", status,
                        f"{r['source']} ({r['evidence']})"])
    return out
