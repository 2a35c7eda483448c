"""The standards checklist: each item a disclosure report must contain, the section that meets
it, and pass or fail computed from the inventory (not asserted by the report's author).

A parameter, exchange or stage row whose source is a placeholder ("unknown", "TODO", "-")
fails data quality; a life-cycle stage with no inventory row that the model card does not
declare excluded fails the system boundary.
"""

from __future__ import annotations

import math
import re

from lca.schema import INDICATORS, STAGES

PLACEHOLDER_SOURCES = {
    "", "-", "?", "na", "n/a", "none", "unknown", "todo", "tbd", "tbc", "missing", "no source",
    "source", "xxx",
}


def is_placeholder(source: str) -> bool:
    """True when a 'source' names nothing a reviewer could check."""
    text = re.sub(r"[\s.!?:;,\-_*()\[\]]+", " ", str(source)).strip().lower()
    return text in PLACEHOLDER_SOURCES or str(source).strip() in PLACEHOLDER_SOURCES


def unsourced_rows(inventory, base) -> list[str]:
    """Every row of the model and the base data whose source is missing or a placeholder."""
    found = []
    tables = [
        ("parameters.csv", inventory.parameters, lambda r: r.name),
        ("exchanges.csv", inventory.exchanges, lambda r: f"{r.activity} <- {r.input}"),
        ("stages.csv", inventory.stages, lambda r: f"{r.stage}: {r.activity}"),
        ("background/exchanges.csv", base.exchanges, lambda r: f"{r.process} <- {r.input}"),
        ("background/processes.csv", base.processes, lambda r: r.code),
        ("biosphere.csv", base.flows, lambda r: r.code),
    ]
    for label, rows, name in tables:
        for row in rows:
            if is_placeholder(row.source):
                found.append(f"{label}: {name(row)} (source {row.source!r})")
    for method in base.methods:
        if is_placeholder(method.spec.source):
            found.append(f"methods.toml: {method.spec.indicator} (source {method.spec.source!r})")
        for factor in method.factors:
            if is_placeholder(factor.source):
                found.append(f"methods/{method.spec.factors}: {factor.flow} "
                             f"(source {factor.source!r})")
    return found


def boundary_problems(inventory) -> list[str]:
    """Stages left out without a declared reason, and declared exclusions with no reason."""
    present = {row.stage for row in inventory.stages}
    excluded = inventory.card.excluded
    problems = [
        f"stage '{stage}' has no row in stages.csv and is not declared in [excluded] of model.toml"
        for stage in STAGES
        if stage not in present and stage not in excluded
    ]
    problems += [f"exclusion '{name}' gives no reason" for name, why in excluded.items()
                 if not str(why).strip()]
    return problems


def build_checklist(inventory, base, result, uncertainty: dict | None) -> list[dict]:
    """Checklist items in report order, each with pass/fail and what decided it."""
    unsourced = unsourced_rows(inventory, base)
    boundary = boundary_problems(inventory)
    marginal_rows = [row for row in inventory.stages if row.marginal]
    stages_finite = all(math.isfinite(float(result.stages.loc[s, i]))
                        for s in result.stages.index for i in INDICATORS)
    water = next((m.spec for m in base.methods if m.spec.indicator == "water"), None)
    reviewers = [r for r in inventory.card.reviewers if str(r).strip()]
    prov = result.provenance
    training_given = float(result.by_service.loc["training", "gwp"]) > 0
    unit = getattr(result, "functional_unit", "response") or "response"
    unit = f"{result.tokens_per_response}-token response" if unit == "response" else unit
    items = [
        ("identification", "Identification: date, engine version, content hashes of the "
         "inventory and methods, standards claimed", "ISO 14044 5.2; GHG Protocol Product "
         "Standard ch. 13", "identification",
         bool(prov.get("inventory_hash") and prov.get("base_data_hash")),
         "hashes of the inventory and of the base data and methods are given"
         if prov.get("inventory_hash") else "the inventory hash is missing"),
        ("goal", "Goal: purpose, audience, comparisons intended or not", "ISO 14044 4.2.2, 5.2",
         "goal", True, "stated in the Goal section"),
        ("functional-unit", "Function, functional units and reference flow",
         "ISO 14044 4.2.3.2; ISO 14067; GHG Protocol ch. 6", "scope",
         result.tokens_per_response > 0 and result.responses > 0,
         f"one {unit}; {result.responses:,.0f} served over {result.months:g} months"),
        ("system-boundary", "System boundary: every life-cycle stage included, or excluded with "
         "a reason; cut-off rules", "ISO 14044 4.2.3.3; GHG Protocol ch. 7; ITU-T L.1410",
         "scope", not boundary,
         "; ".join(boundary) if boundary else
         f"{len({r.stage for r in inventory.stages})} stages included, "
         f"{len(inventory.card.excluded)} exclusion(s) declared with a reason"),
        ("allocation", "Allocation of training, hardware and data center to responses",
         "ISO 14044 4.3.4; GHG Protocol ch. 9", "allocation", bool(marginal_rows),
         f"{len(inventory.stages)} stage rows, each assigned to a part of the service; "
         f"{len(marginal_rows)} rows in the marginal boundary" if marginal_rows else
         "no stage row is flagged marginal: the marginal per-response figure is undefined"),
        ("data-sources", "Inventory: every parameter, exchange and stage row names its source",
         "ISO 14044 4.2.3.6, 5.2; GHG Protocol ch. 8", "inventory", not unsourced,
         ("no source for " + "; ".join(unsourced)) if unsourced else
         f"{len(inventory.parameters)} parameters, {len(inventory.exchanges)} exchanges, "
         f"{len(inventory.stages)} stage rows and the base data all name a source"),
        ("data-kind", "Inventory: every parameter says how it was obtained (sourced, measured, "
         "modeled, calibrated, assumed)", "GSF SCI for AI report template; ISO 14044 4.2.3.6",
         "inventory", all(p.kind for p in inventory.parameters),
         "kinds counted in the Data quality section"),
        ("lcia-methods", "Impact assessment: categories, characterisation methods and factor "
         "versions", "ISO 14044 4.4, 5.2; ISO 14067", "impact-assessment",
         {m.spec.indicator for m in base.methods} >= set(INDICATORS),
         ", ".join(m.spec.source.split(",")[0] for m in base.methods)),
        ("water-indicator", "Water indicator named as what it is (consumption, not EF 3.1 "
         "AWARE)", "EU PEF / EF 3.1", "impact-assessment",
         water is not None and "consum" in water.description.lower(),
         water.description if water is not None else "no water method"),
        ("results-by-stage", "Results per indicator, in total and by life-cycle stage",
         "ISO 14067; GHG Protocol ch. 13", "impact-assessment", stages_finite,
         "table and stacked bar chart"),
        ("headline-indicators", "Mistral's three headline indicators: absolute training "
         "impact, marginal impact per response, inference share", "Mistral AI, Jul 2025",
         "headline", training_given and bool(marginal_rows),
         "all three given for GWP, water and ADP" if training_given and marginal_rows else
         "; ".join(why for ok, why in (
             (training_given, "no absolute training impact: no stage row serves training"),
             (bool(marginal_rows), "no marginal per-response figure: no marginal stage row"))
             if not ok)),
        ("published", "Published figures next to computed ones", "ISO 14044 4.5 (consistency "
         "check)", "published", True,
         "comparison shown" if result.published is not None else
         "the inventory names no published figures"),
        ("uncertainty-qualitative", "Qualitative uncertainty statement", "GHG Protocol ch. 10, 13",
         "data-quality", True, "parameters counted by kind; limitations listed"),
        ("uncertainty-quantitative", "Quantitative uncertainty (Monte Carlo ranges)",
         "ISO 14067; ITU-T L.1410 9.2", "uncertainty", uncertainty is not None,
         f"{uncertainty['iterations']:,} Monte Carlo iterations, seed {uncertainty['seed']}"
         if uncertainty is not None else "not computed (lca report --uncertainty FILE.json)"),
        ("limitations", "Interpretation: data quality, limitations, value choices",
         "ISO 14044 4.5, 5.2", "data-quality", True, "listed in Data quality and limitations"),
        ("critical-review", "Critical review by independent reviewers",
         "ISO 14044 6; ISO/TS 14071", "critical-review", bool(reviewers),
         ("reviewed by " + ", ".join(reviewers)) if reviewers else
         "not reviewed: the inventory names no reviewers"),
        ("communication", "Rules for honest environmental claims", "AFNOR Spec 2314; ISO 14044 "
         "5.2 (relative expressions)", "communication", True, "stated in Communication rules"),
    ]
    return [
        {"id": i, "requirement": req, "standards": std, "section": sec,
         "status": "pass" if ok else "fail", "detail": detail}
        for i, req, std, sec, ok, detail in items
    ]
