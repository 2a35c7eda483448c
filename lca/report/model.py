"""The report as data: one plain dict (the JSON format, checked by
``reports/schema/report.schema.json``) that every renderer reads, so HTML, PDF, Markdown and
Excel cannot disagree. Built from an :class:`~lca.assessment.AssessmentResult`, the text inventory
and the base data; numbers are rounded to six significant digits (see :mod:`.numbers`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from datetime import date as Date
from typing import NoReturn

from lca.boundary import HEADLINES
from lca.display import stored
from lca.engine import content_hash
from lca.errors import BadArgument
from lca.report.checklist import build_checklist
from lca.report.equivalents import equivalents_of, read_equivalences
from lca.report.physical import calibration_block, implied_block
from lca.schema import INDICATOR_NAMES, INDICATOR_UNITS, INDICATORS, KINDS, STAGES
from lca.units import split_number_unit

REPORT_FORMAT = "lca-ai/report/2"

STANDARDS = [
    {"name": "ISO 14040:2006 and ISO 14044:2006",
     "claim": "life-cycle assessment principles, framework and requirements (structure of this "
              "report; no third-party verification of conformance)"},
    {"name": "GHG Protocol Product Life Cycle Accounting and Reporting Standard (2011)",
     "claim": "product boundary, allocation and reporting items for the climate indicator"},
    {"name": "AFNOR Spec 2314 (June 2024), Frugal AI",
     "claim": "AI-specific scope and the rules for honest environmental claims"},
]

STAGE_LABELS = {
    "model-conception": "Model conception",
    "data-center-construction": "Data-center construction",
    "hardware-manufacturing": "Hardware manufacturing",
    "training": "Training",
    "inference": "Inference",
    "network": "Network",
    "end-user-equipment": "End-user equipment",
}

KIND_MEANINGS = {
    "sourced": "taken from a public document named in its source",
    "measured": "measured by the practitioner",
    "modeled": "computed by a formula from other parameters",
    "calibrated": "fitted to published figures by the calibration shipped with the inventory "
                  "(those figures are then fit residuals, not reproductions)",
    "assumed": "an assumption of the practitioner, stated as such",
}

COMMUNICATION_RULES = [
    "Say what the figure covers: name the functional unit (one response of N output tokens, or "
    "the whole service over the period) and the boundary (marginal or allocated) next to every "
    "number.",
    "Make every claim verifiable: publish the inventory, the methods and this report with their "
    "content hashes, so that anyone can recompute the figures.",
    "Do not call a model 'green', 'sustainable', 'carbon neutral' or 'climate friendly': "
    "offsets and renewable-energy certificates do not reduce the impacts reported here.",
    "Do not compare with another model or service unless both studies share the functional "
    "unit, boundary, methods and period, and the comparison was critically reviewed "
    "(ISO 14044 requires a review for comparative assertions disclosed to the public).",
    "Report the three indicators together (climate, water, abiotic resources): do not "
    "select the one that looks best.",
    "Present equivalents as orders of magnitude, with their sources; they are not results.",
    "State the uncertainty and the share of calibrated and assumed data; round figures to "
    "the precision the data support (here two or three significant digits).",
    "Relative expressions: results are relative to the functional unit and do not predict "
    "effects on ecosystems, human health or resource availability (ISO 14044 5.2).",
]


def parse_date(text: str | None) -> str:
    """The report date as YYYY-MM-DD (today, UTC, if not given)."""
    if text is None:
        return datetime.now(UTC).strftime("%Y-%m-%d")
    try:
        return Date.fromisoformat(str(text).strip()).isoformat()
    except ValueError:
        raise BadArgument(f"--date must be a date written YYYY-MM-DD (got {text!r})") from None


def _row(series) -> dict:
    return {i: stored(series[i]) for i in INDICATORS}


def _parameter_rows(inventory, values: dict, formula_names: set[str]) -> list[dict]:
    """Every parameter with its value and unit; a formula with the value it took."""
    rows = []
    for p in inventory.parameters:
        literal = None if p.name in formula_names else split_number_unit(p.value)
        if literal is not None:
            value, unit, formula = literal[0], literal[1] or "-", ""
        else:
            q = values.get(p.name)
            value = f"{stored(q.magnitude):.4g}" if q is not None else ""
            unit = (f"{q.units:~C}" or "-") if q is not None else ""
            formula = p.value
        rows.append({"name": p.name, "value": value, "unit": unit, "formula": formula,
                     "kind": p.kind, "source": p.source, "comment": p.comment})
    return rows


def _scope(inventory, result) -> dict:
    present = {row.stage for row in inventory.stages}
    stage_notes = {}
    for row in inventory.stages:
        stage_notes.setdefault(row.stage, []).append(row.source)
    stages = []
    for stage in STAGES:
        if stage in present:
            stages.append({"stage": stage, "label": STAGE_LABELS[stage], "included": True,
                           "note": "; ".join(dict.fromkeys(stage_notes[stage]))})
        else:
            reason = inventory.card.excluded.get(stage, "")
            stages.append({"stage": stage, "label": STAGE_LABELS[stage], "included": False,
                           "note": reason or "NOT DECLARED: no inventory row and no reason given"})
    excluded = [{"item": name, "reason": why} for name, why in inventory.card.excluded.items()
                if name not in STAGES]
    unit = functional_unit(result)
    if unit == "response":
        one = (f"one response of {result.tokens_per_response} output tokens (the unit of "
               "Mistral's per-response figures)")
        served = (f"{result.responses:,.0f} responses ({result.served_output_tokens:,.0f} "
                  "output tokens)")
        flow = (f"{result.served_output_tokens:,.0f} output tokens served in "
                f"{result.months:g} months")
    else:
        one = f"one {unit}"
        served = f"{result.responses:,.0f} {unit}s"
        flow = f"{result.responses:,.0f} {unit}s served in {result.months:g} months"
    linked = {"background": result.background} if result.background is not None else {}
    return linked | {
        "function": f"Answering users' requests with {result.display_name}, through the "
                    "developer's chat assistant and API, over the period assessed.",
        "functional_units": [
            {"name": "one unit", "description": one},
            {"name": "the service over the period",
             "description": f"training the model once plus {result.months:g} months of use: "
                            + served},
        ],
        "functional_unit": unit,
        "unit_label": unit_label(result),
        "reference_flow": flow,
        "months": stored(result.months),
        "tokens_per_response": result.tokens_per_response,
        "responses": stored(result.responses),
        "served_output_tokens": stored(result.served_output_tokens),
        "stages": stages,
        "excluded": excluded,
        "cutoff": "No mass, energy or impact cut-off is applied: every flow of the inventory is "
                  "counted, however small. What is left out is declared as an exclusion, with its "
                  "reason, above. Background processes are simplified (electricity, GPU, server "
                  "and device manufacturing), not a full database.",
        "electricity": "Location-based grid factors, by country of training and serving, as "
                       "named in the inventory's exchanges.",
    }


def functional_unit(result) -> str:
    """'response' (a text answer of N output tokens) or a counted unit such as 'image'."""
    return getattr(result, "functional_unit", "response") or "response"


def unit_label(result) -> str:
    """How the per-unit figures are named: '400-token response' or 'image'."""
    unit = functional_unit(result)
    return f"{result.tokens_per_response}-token response" if unit == "response" else unit


def _allocation(inventory, result) -> dict:
    rows = [{"stage": r.stage, "activity": r.activity, "amount": r.amount, "unit": r.unit,
             "serves": r.serves, "marginal": r.marginal, "source": r.source}
            for r in inventory.stages]
    return {
        "rules": [
            "Each row below demands an amount of one activity over the period; its impacts go to "
            "its stage and to the part of the service it serves (development, training, "
            "inference, users).",
            "Training and model conception are counted once, whatever the period.",
            "Hardware and data-center construction are shared by GPU-hours: the GPU-hours of "
            "training, and the GPU-hours provisioned for serving over the period, each over the "
            "hardware's and the building's lifetime.",
            (f"Responses served = output tokens served in the period / "
             f"{result.tokens_per_response} tokens per response."
             if functional_unit(result) == "response" else
             f"Units served ({functional_unit(result)}s) are counted by the model card."),
            "Marginal per response = the rows flagged marginal (inference with its hardware and "
            "data-center share, no network and no user devices: Mistral's boundary) / responses.",
            "Allocated per response = the whole life-cycle total / responses: it falls as the "
            "period grows, because training is spread over more responses.",
        ],
        "rows": rows,
    }


def _headline(result) -> dict:
    """Mistral's three headline indicators, as :mod:`lca.boundary` defines them, with the
    stage figures they are not to be confused with."""
    indicators = list(result.prepared.indicators)
    headlines = result.split.headlines()

    def row(name) -> dict:
        values = headlines[name][0]
        return {i: stored(float(values[indicators.index(i)])) if i in indicators else 0.0
                for i in INDICATORS}

    return {
        "training_service": row("training_service"),
        "marginal_per_unit": row("marginal_per_unit"),
        "allocated_per_unit": _row(result.per_response.loc["allocated"]),
        "inference_service_share_percent": row("inference_service_share_percent"),
        "stage_training": _row(result.stages.loc["training"]),
        "stage_inference_share_percent": _row(result.shares.loc["inference"]),
        "definitions": dict(HEADLINES),
    }


def _methods(base) -> list[dict]:
    out = []
    for m in base.methods:
        rel = f"methods/{m.spec.factors}"
        out.append({
            "indicator": m.spec.indicator,
            "name": INDICATOR_NAMES[m.spec.indicator],
            "method": " / ".join(m.spec.name),
            "unit": m.spec.unit,
            "description": m.spec.description,
            "source": m.spec.source,
            "factors_file": rel,
            "factors": len(m.factors),
            "factors_hash": content_hash({rel: base.files.get(rel, b"")}),
        })
    return out


CONTRIBUTION_TOP = 5


def _contributions(result) -> dict:
    """The life cycle's largest processes and elementary flows per indicator (the rest as
    "other"), from :mod:`lca.contributions`; n.a. indicators are left out."""
    analysis = result.contributions()
    out = {}
    for ind in analysis.totals.columns:
        total = analysis.totals.loc["life cycle", ind]
        if total != total:  # NaN: not assessed
            continue
        out[ind] = {"total": stored(total)}
        for kind, key in (("processes", "process"), ("flows", "flow")):
            top = analysis.top(kind, ind, "life cycle", CONTRIBUTION_TOP)
            out[ind][kind] = [{"code": r[key], "label": r["label"], "name": r["name"],
                               "value": stored(r["value"]),
                               "share_percent": stored(100.0 * r["share"])}
                              for _, r in top.iterrows()]
    return out


def _published(result) -> list[dict] | None:
    """Every published figure next to its computed value (numbers stored, texts kept)."""
    table = result.comparison()
    if not len(table):
        return None
    return [{"figure": r.figure, "indicator": r.indicator, "unit": r.unit,
             "published": stored(r.published), "published_text": r.published_text,
             "computed": stored(r.computed), "ratio": stored(r.ratio),
             "within": r.within if r.within is None else bool(r.within),
             "boundary": r.boundary, "source": r.source, "role": r.role}
            for r in table.itertuples()]


def _data_quality(inventory) -> dict:
    counts = {k: 0 for k in KINDS}
    for p in inventory.parameters:
        counts[p.kind] += 1
    n = len(inventory.parameters)
    calibrated = [p.name for p in inventory.parameters if p.kind == "calibrated"]
    return {
        "kinds": [{"kind": k, "count": counts[k], "meaning": KIND_MEANINGS[k]} for k in KINDS],
        "statement": (
            f"Of {n} parameters, {counts['sourced'] + counts['measured']} come from public "
            f"documents or measurements, {counts['modeled']} are computed from others, "
            f"{counts['assumed']} are assumptions and {counts['calibrated']} are calibrated on "
            "published figures. Calibrated parameters meet the published figures they were "
            "fitted on by construction: those figures are fit residuals, and agreement with "
            "them is not an independent validation."
        ),
        "limitations": [
            "The developer published results, not its inventory: calibrated parameters ("
            + ", ".join(calibrated) + ") absorb what is not public (training energy, fleet "
            "utilisation, hardware impacts beyond public data)." if calibrated else
            "No parameter is calibrated.",
            "Background data are simplified factors (grid mixes, GPU and server manufacturing), "
            "not a full life-cycle database; their sources are listed with each exchange.",
            "Water is water consumed (m3), not scarcity-weighted (EF 3.1 AWARE).",
            "The training site and the serving sites are assumptions; the grid mix of each is "
            "the main lever on the climate result.",
            "Downstream second-order effects of use are outside the boundary.",
        ],
    }


def _uncertainty(uncertainty: dict | None) -> dict:
    if uncertainty is None:
        return {"computed": False, "statement": "not computed", "iterations": None,
                "seed": None, "rows": []}
    rows = []
    for ind in INDICATORS:
        by_quantity = uncertainty["indicators"].get(ind)
        if by_quantity is None:
            continue
        for quantity in UNCERTAINTY_QUANTITIES:
            if quantity in by_quantity:
                stats = by_quantity[quantity]
                rows.append({"indicator": ind, "quantity": quantity,
                             **{k: stored(stats[k]) for k in UNCERTAINTY_KEYS}})
    return {"computed": True,
            "statement": f"Monte Carlo over {uncertainty['iterations']:,} iterations "
                         f"(seed {uncertainty['seed']}): 95 % of the draws fall between p2.5 and "
                         "p97.5.",
            "iterations": int(uncertainty["iterations"]), "seed": int(uncertainty["seed"]),
            "rows": rows}


UNCERTAINTY_KEYS = ("mean", "std", "p2_5", "p50", "p97_5")
UNCERTAINTY_QUANTITIES = ("total", "per_response_marginal", "per_response_allocated")


def check_uncertainty(data) -> dict:
    """Check the shape of a Monte Carlo result (issue 5's contract) with a clear error."""
    if not isinstance(data, dict):
        _bad_uncertainty("expected a JSON object")
    for key in ("iterations", "seed"):
        if not _is_whole(data.get(key)):
            _bad_uncertainty(f"'{key}' must be a whole number")
    indicators = data.get("indicators")
    if not isinstance(indicators, dict) or not indicators:
        _bad_uncertainty("'indicators' must map gwp, water or adp to their statistics")
    for ind, quantities in indicators.items():
        _check_indicator_uncertainty(ind, quantities)
    return data


def _bad_uncertainty(why: str) -> NoReturn:
    raise BadArgument(f"--uncertainty: {why}")


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(value) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _check_indicator_uncertainty(ind: str, quantities) -> None:
    """One indicator's statistics: at least one quantity the report shows, each complete."""
    if ind not in INDICATORS:
        _bad_uncertainty(f"unknown indicator {ind!r}; expected {', '.join(INDICATORS)}")
    if not isinstance(quantities, dict):
        _bad_uncertainty(f"indicators.{ind} must be an object")
    known = [q for q in UNCERTAINTY_QUANTITIES if q in quantities]
    if not known:
        _bad_uncertainty(f"indicators.{ind} has none of {', '.join(UNCERTAINTY_QUANTITIES)}")
    for quantity in known:  # other keys (ranges by stage...) are not shown
        stats = quantities[quantity]
        for key in UNCERTAINTY_KEYS:
            value = stats.get(key) if isinstance(stats, dict) else None
            if not _is_finite_number(value):
                _bad_uncertainty(f"indicators.{ind}.{quantity}.{key} must be a finite number")


def build_report(result, date: str | None = None, uncertainty: dict | None = None) -> dict:
    """The whole report as a JSON-ready dict, in section order, from an assessment result
    (which carries the inventory, the base data and the parameter values it used)."""
    if uncertainty is not None:
        check_uncertainty(uncertainty)
    inventory, base = result.prepared.inventory, result.prepared.base_text
    report_date = parse_date(date)
    prov = result.provenance
    card = inventory.card
    reviewers = [r for r in card.reviewers if str(r).strip()]
    headline = _headline(result)
    factors = read_equivalences()
    per_response = {i: float(result.per_response.loc["marginal", i]) for i in INDICATORS}
    totals = {i: float(result.total[i]) for i in INDICATORS}
    equivalents = {
        "note": "Orders of magnitude, to give a sense of scale; they are not results of this "
                "assessment. Each factor is from the source named.",
        "per_response_marginal": [dict(e, count=stored(e["count"]))
                                  for e in equivalents_of(per_response, factors)],
        "life_cycle_total": [dict(e, count=stored(e["count"]))
                             for e in equivalents_of(totals, factors)],
    }
    return {
        "report_format": REPORT_FORMAT,
        "title": f"Environmental footprint of {result.display_name}: training and "
                 f"{result.months:g} months of use",
        "identification": {
            "model": result.model,
            "display_name": result.display_name,
            "developer": card.developer,
            "release": card.release,
            "architecture": card.architecture,
            "date": report_date,
            "engine": "lca-ai",
            "engine_version": prov.get("engine_version", ""),
            "inventory_hash": prov.get("inventory_hash", ""),
            "base_data_hash": prov.get("base_data_hash", ""),
            "commissioner": "not named in the inventory",
            "practitioner": "the publisher of this report, with the lca-ai engine",
            "model_sources": list(card.sources),
            "standards": STANDARDS,
        },
        "goal": {
            "purpose": f"Disclose the life-cycle impacts of {result.display_name} on climate, "
                       "water and abiotic resources, from building the hardware and training the "
                       "model to serving one response, with every number traceable to its "
                       "source.",
            "audience": "Reviewers checking the study against ISO 14040/44, the GHG Protocol "
                        "Product Standard and AFNOR Spec 2314, and the public.",
            "comparative": "No comparative assertion is intended. Published figures are shown "
                           "next to ours only to check the inventory against them.",
        },
        "scope": _scope(inventory, result),
        "allocation": _allocation(inventory, result),
        "inventory": {
            "parameters": _parameter_rows(inventory, result.values,
                                          result.prepared.resolved.formula_parameters),
            "activities": len(inventory.activities),
            "exchanges": len(inventory.exchanges),
            "stage_rows": len(inventory.stages),
        },
        "impact_assessment": {
            "methods": _methods(base),
            "units": dict(INDICATOR_UNITS),
            "stages": {s: _row(result.stages.loc[s]) for s in result.stages.index},
            "shares_percent": {s: _row(result.shares.loc[s]) for s in result.shares.index},
            "total": _row(result.total),
            "per_response": {"marginal": headline["marginal_per_unit"],
                             "allocated": headline["allocated_per_unit"]},
            "by_service": {s: _row(result.by_service.loc[s]) for s in result.by_service.index},
            "contributions": _contributions(result),
        },
        "headline": headline,
        "published": {
            "source": result.published.source if result.published is not None else None,
            "rows": _published(result),
        },
        "calibration": calibration_block(result),
        "implied": implied_block(result),
        "equivalents": equivalents,
        "uncertainty": _uncertainty(uncertainty),
        "data_quality": _data_quality(inventory),
        "critical_review": {
            "status": "reviewed" if reviewers else "not reviewed",
            "reviewers": reviewers,
            "statement": ("Reviewed by " + ", ".join(reviewers) + ".") if reviewers else
                         "This assessment has not been critically reviewed. It must not support "
                         "a comparative assertion disclosed to the public.",
        },
        "communication_rules": COMMUNICATION_RULES,
        "checklist": build_checklist(inventory, base, result, uncertainty),
    }
