"""The report's reading order: sections made of a few block kinds (paragraph, list, table,
figure, headline cards), built once from the report data so that HTML, PDF and Markdown show
the same content with the same number formatting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lca.display import (
    RESPONSE_DISPLAY,
    TOTAL_DISPLAY,
    fmt,
    fmt_percent,
    fmt_response,
    fmt_total,
    order_of_magnitude,
)
from lca.report import charts, physical
from lca.schema import INDICATOR_NAMES, INDICATORS


@dataclass
class Block:
    kind: str  # p | list | table | figure | headline | note
    text: str = ""
    items: list = field(default_factory=list)
    headers: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    figure: charts.Figure | None = None
    ident: str = ""
    widths: list = field(default_factory=list)  # relative column widths (PDF)
    link_column: int | None = None  # cells of this column name a section (HTML links)


@dataclass
class Section:
    ident: str
    title: str
    blocks: list[Block]


def P(text: str) -> Block:
    return Block("p", text=text)


def L(items: list[str]) -> Block:
    return Block("list", items=list(items))


def T(headers, rows, ident="", widths=None, link_column=None) -> Block:
    return Block("table", headers=list(headers), rows=[list(r) for r in rows], ident=ident,
                 widths=list(widths or []), link_column=link_column)


def headline_cards(doc: dict) -> list[dict]:
    """The three headline indicators, one card per indicator and quantity, with stable ids."""
    h = doc["headline"]
    cards = []
    for ind in INDICATORS:
        cards.append({"id": f"headline-training-{ind}", "indicator": ind,
                      "label": f"Training service, absolute: runs with their hardware and "
                               f"data-center share ({INDICATOR_NAMES[ind]}; the stage "
                               f"'training' alone: {fmt_total(ind, h['stage_training'][ind])})",
                      "value": fmt_total(ind, h["training_service"][ind])})
    for ind in INDICATORS:
        cards.append({"id": f"headline-marginal-{ind}", "indicator": ind,
                      "label": f"Marginal, per {doc['scope']['unit_label']} "
                               f"({INDICATOR_NAMES[ind]})",
                      "value": fmt_response(ind, h["marginal_per_unit"][ind])})
    for ind in INDICATORS:
        stage_share = fmt_percent(h["stage_inference_share_percent"][ind])
        cards.append({"id": f"headline-inference-share-{ind}", "indicator": ind,
                      "label": f"Inference service share of the life-cycle total, serving with "
                               f"its hardware and data-center share ({INDICATOR_NAMES[ind]}; "
                               f"the stage 'inference' alone: {stage_share})",
                      "value": fmt_percent(h["inference_service_share_percent"][ind])})
    return cards


def stage_rows(doc: dict) -> tuple[list, list]:
    ia = doc["impact_assessment"]
    headers = ["stage"]
    for ind in INDICATORS:
        headers += [TOTAL_DISPLAY[ind][1], "%"]
    rows = []
    for stage, values in ia["stages"].items():
        row = [stage]
        for ind in INDICATORS:
            row += [fmt(values[ind] * TOTAL_DISPLAY[ind][0]),
                    fmt_percent(ia["shares_percent"][stage][ind])]
        rows.append(row)
    total = ["total"]
    for ind in INDICATORS:
        total += [fmt(ia["total"][ind] * TOTAL_DISPLAY[ind][0]), "100 %"]
    rows.append(total)
    return headers, rows


def _published_rows(doc: dict) -> list[list[str]]:
    out = []
    for r in doc["published"]["rows"] or []:
        ind = r["indicator"]
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.3f}"
        if r["unit"] == "%":
            row = [r["figure"], ind, r["published_text"], fmt_percent(r["computed"]), ratio]
        elif " per unit" in r["figure"]:  # "inference per unit" or "..., p50"
            row = [r["figure"], ind, fmt_response(ind, r["published"]),
                   fmt_response(ind, r["computed"]), ratio]
        else:
            row = [r["figure"], ind, fmt_total(ind, r["published"]),
                   fmt_total(ind, r["computed"]), ratio]
        out.append(row + [r["role"]])
    return out


def calibration_section(doc: dict) -> Section:
    """9. What the inventory was fitted on, how, and the tension with the evidence."""
    cal = doc["calibration"]
    blocks = [P(cal["statement"])]
    if cal["parameters"]:
        blocks.append(T(["parameter", "prior (public evidence)", "prior 2.5 / 50 / 97.5 %",
                         "posterior 2.5 / 50 / 97.5 %", "shipped", "prior percentile of the "
                         "posterior median"], physical.parameter_rows(cal),
                        ident="calibration-parameters-table",
                        widths=[1.6, 1.8, 1.4, 1.4, 1.1, 1]))
    if cal["targets"]:
        blocks.append(T(["figure", "published", "the priors give (median, p)", "shipped",
                         "residual", "met"], physical.target_rows(cal),
                        ident="calibration-targets-table", widths=[2, 1, 1.6, 1.1, 0.8, 0.5]))
    if cal["tension"]:
        blocks += [P("Tension between the published figures and the public evidence:"),
                   L(cal["tension"])]
    if cal["alternatives"]:
        blocks += [P("Structural assumptions the developer did not publish, every combination "
                     "calibrated on the same figures (log Bayes factor against the shipped "
                     "structure; consistent = every figure met with no parameter beyond its "
                     "prior's 95 % interval):"),
                   T(["structure", "log BF", "consistent", "figures missed",
                      "parameters beyond their prior's 95 %", "energy per response, Wh "
                      "(2.5 / 50 / 97.5 %)"], physical.alternative_rows(cal),
                     ident="calibration-alternatives-table",
                     widths=[2.2, 0.5, 0.6, 1.8, 1.6, 1.1])]
    for point in cal["points"]:
        verdict = "survives" if point["survives"] else "does not survive"
        beyond = ", ".join(f"{p['name']} (prior percentile {p['prior_percentile']:.3g})"
                           for p in point["parameters_beyond_prior_95"])
        blocks.append(P(f"{point['name']}: {verdict}"
                        + (f"; beyond the priors: {beyond}" if beyond else "")
                        + (f"; missed: {', '.join(point['targets_missed'])}"
                           if point["targets_missed"] else "") + "."))
    return Section("calibration", "9. Calibration and fit residuals", blocks)


def implied_section(doc: dict) -> Section:
    """10. The physical quantities the results imply, next to public references."""
    block = doc["implied"]
    flagged = block["flagged"]
    summary = (f"{len(flagged)} of {len(block['quantities'])} quantities lie outside at "
               "least one reference: " + ", ".join(flagged) + "." if flagged else
               "Every quantity lies within its references.")
    return Section("implied", "10. What the results imply", [
        P("An inventory can meet published figures and still imply a system no one would "
          "build. The quantities below follow from the results (and from formulas the model "
          f"card declares), each next to independent references ({block['references']}, one "
          "source per row). " + summary),
        T(["quantity", "value", "reference", "status", "source"], physical.implied_rows(block),
          ident="implied-table", widths=[1.6, 1, 2.8, 0.9, 2.2]),
    ])


def _equivalent_rows(entries: list[dict], amount_text) -> list[list[str]]:
    return [[amount_text(e["indicator"]), f"~ {order_of_magnitude(e['count'])} {e['label']}",
             f"{e['factor']:g} {e['factor_unit']}", e["source"]] for e in entries]


UNCERTAINTY_LABELS = {
    "total": "life-cycle total",
    "per_response_marginal": "per response, marginal",
    "per_response_allocated": "per response, allocated",
}


def uncertainty_rows(doc: dict) -> list[list[str]]:
    out = []
    for r in doc["uncertainty"]["rows"]:
        ind, q = r["indicator"], r["quantity"]
        scale, unit = (TOTAL_DISPLAY if q == "total" else RESPONSE_DISPLAY)[ind]
        out.append([INDICATOR_NAMES[ind], UNCERTAINTY_LABELS[q], unit] +
                   [fmt(r[k] * scale) for k in ("mean", "std", "p2_5", "p50", "p97_5")])
    return out


def _background_blocks(background: dict | None) -> list[Block]:
    """A linked background: which activities of the user's Brightway project stand for our
    background codes, which codes stay ours, and which method characterises what."""
    if not background:
        return []
    rows = [[k["code"], k["database"], f"{k['name']} ({k['location']})", k["unit"],
             f"{k['factor']:g}"] for k in background["links"]]
    methods = [[ind, (" / ".join(m["linked"]) + f" ({m['unit']})") if m["linked"] else
                "none: an inventory indicator of this engine", " / ".join(m["engine"])]
               for ind, m in background["methods"].items()]
    return [
        P(f"Background linked to the Brightway project {background['project']} (read, never "
          "written): each linked activity enters as an aggregated system process, its life "
          "cycle inventory computed by bw2calc in that project. Background codes not linked "
          "keep this engine's data: " + (", ".join(background["unlinked"]) or "none") + "."),
        T(["our code", "database", "activity", "unit", "factor"], rows,
          ident="background-links-table", widths=[1.5, 1.5, 3, 0.8, 0.6]),
        P("Indicator mapping: the project's method characterises the elementary flows of the "
          "linked inventories; this engine's method characterises its own flows (the "
          "foreground's direct exchanges and the codes not linked)."),
        T(["indicator", "linked activities' flows", "engine's flows"], methods,
          ident="background-methods-table", widths=[0.8, 3, 3]),
    ]


def _contribution_blocks(ia: dict) -> list[Block]:
    """Contribution analysis: for each indicator, the life cycle split by stage, by process
    and by elementary flow (the processes' own emissions and resource use, characterised)."""
    found = ia.get("contributions") or {}
    if not found:
        return []
    blocks = [P("Contribution analysis: what makes each indicator's life-cycle total. A "
                "process contributes its own exchanges with nature (emissions and resources, "
                "characterised); an elementary flow contributes its amount over every process. "
                "Each bar adds up to the total.")]
    for ind, part in found.items():
        shares = {s: v[ind] for s, v in ia["shares_percent"].items()}
        blocks.append(Block("figure", figure=charts.contribution_chart(
            ind, ia["units"][ind], shares, part["processes"], part["flows"]),
            ident=f"contributions-{ind}-chart"))
    return blocks


def build_outline(doc: dict) -> list[Section]:
    ident, scope, ia = doc["identification"], doc["scope"], doc["impact_assessment"]
    h = doc["headline"]
    sections = []

    sections.append(Section("identification", "1. Identification", [
        T(["item", "value"], [
            ["model", f"{ident['display_name']} ({ident['model']})"],
            ["developer", ident["developer"]], ["release", ident["release"]],
            ["report date", ident["date"]],
            ["engine", f"{ident['engine']} {ident['engine_version']}"],
            ["inventory hash (SHA-256)", ident["inventory_hash"]],
            ["base data and methods hash (SHA-256)", ident["base_data_hash"]],
            ["commissioner", ident["commissioner"]], ["practitioner", ident["practitioner"]],
        ], ident="identification-table", widths=[1, 3]),
        P("Standards claimed:"),
        L([f"{s['name']}: {s['claim']}." for s in ident["standards"]]),
        P("Sources on the model:"), L(ident["model_sources"]),
    ]))

    goal = doc["goal"]
    sections.append(Section("goal", "2. Goal", [
        P(goal["purpose"]), P("Audience: " + goal["audience"]), P(goal["comparative"]),
    ]))

    stage_table = [[s["stage"], "included" if s["included"] else "excluded", s["note"]]
                   for s in scope["stages"]]
    stage_table += [[e["item"], "excluded", e["reason"]] for e in scope["excluded"]]
    sections.append(Section("scope", "3. Scope", [
        P("Function: " + scope["function"]),
        P("Functional units:"),
        L([f"{u['name']}: {u['description']}" for u in scope["functional_units"]]),
        P(f"Reference flow: {scope['reference_flow']}."),
        Block("figure", figure=charts.boundary_diagram(scope), ident="boundary-diagram"),
        T(["stage", "status", "why"], stage_table, ident="stages-table", widths=[1.3, 0.7, 4]),
        P("Cut-off rules: " + scope["cutoff"]),
        P("Electricity: " + scope["electricity"]),
        *_background_blocks(scope.get("background")),
    ]))

    alloc = doc["allocation"]
    sections.append(Section("allocation", "4. Allocation", [
        L(alloc["rules"]),
        T(["stage", "activity", "amount over the period", "unit", "serves", "marginal",
           "source"],
          [[r["stage"], r["activity"], r["amount"], r["unit"], r["serves"],
            "yes" if r["marginal"] else "no", r["source"]] for r in alloc["rows"]],
          ident="allocation-table", widths=[1.2, 1.3, 1.8, 0.5, 0.7, 0.6, 2]),
    ]))

    inv = doc["inventory"]
    sections.append(Section("inventory", "5. Inventory", [
        P(f"{len(inv['parameters'])} parameters, {inv['activities']} foreground activities, "
          f"{inv['exchanges']} exchanges and {inv['stage_rows']} stage rows. Every parameter "
          "with its value, unit, kind and source (formulas are shown with their value):"),
        T(["parameter", "value", "unit", "kind", "source"],
          [[p["name"], p["value"] + (f" = {p['formula']}" if p["formula"] else ""), p["unit"],
            p["kind"], p["source"]] for p in inv["parameters"]],
          ident="parameters-table", widths=[1.5, 1.6, 0.9, 0.8, 3.2]),
    ]))

    headers, rows = stage_rows(doc)
    sections.append(Section("impact-assessment", "6. Impact assessment", [
        T(["indicator", "unit", "method", "source", "factors"],
          [[m["name"], m["unit"], m["description"], m["source"],
            f"{m['factors']} in {m['factors_file']} (sha256 {m['factors_hash'][:12]})"]
           for m in ia["methods"]], ident="methods-table", widths=[1, 0.6, 2.2, 2.2, 1.3]),
        P(f"Results of the life cycle (training plus {scope['months']:g} months of use), by "
          "stage:"),
        T(headers, rows, ident="results-table", widths=[1.8] + [0.8, 0.6] * 3),
        Block("figure", figure=charts.stacked_shares_chart(ia), ident="stages-chart"),
        *_contribution_blocks(ia),
        P(f"Per {scope['unit_label']}:"),
        T(["boundary"] + [RESPONSE_DISPLAY[i][1] for i in INDICATORS],
          [[f"{k}", *[fmt(ia["per_response"][k][i] * RESPONSE_DISPLAY[i][0])
                      for i in INDICATORS]] for k in ("marginal", "allocated")],
          ident="per-response-table"),
    ]))

    sections.append(Section("headline", "7. Headline indicators", [
        P("The three indicators Mistral AI proposed that every model disclose:"),
        Block("headline", items=headline_cards(doc), ident="headline-cards"),
        L([f"{k.replace('_', ' ')}: {v}" for k, v in h["definitions"].items()]),
    ]))

    pub = doc["published"]
    if pub["rows"]:
        blocks = [P("Source: " + (pub["source"] or "the rows below") + ". A figure marked "
                    "'fit residual' is one the inventory was calibrated on: meeting it is by "
                    "construction, not a reproduction."),
                  T(["figure", "indicator", "published", "computed", "computed / published",
                     "role"], _published_rows(doc), ident="published-table",
                    widths=[2.2, 0.7, 1.1, 1.1, 1, 1])]
    else:
        blocks = [P("The developer published no figures for this model.")]
    sections.append(Section("published", "8. Published figures next to ours", blocks))
    sections.append(calibration_section(doc))
    sections.append(implied_section(doc))

    eq = doc["equivalents"]
    sections.append(Section("equivalents", "11. Equivalents (orders of magnitude)", [
        P(eq["note"]),
        T(["amount", "is about", "factor", "source"],
          _equivalent_rows(eq["per_response_marginal"],
                           lambda i: f"one {scope['functional_unit']}: " + fmt_response(
                               i, h["marginal_per_unit"][i]))
          + _equivalent_rows(eq["life_cycle_total"],
                             lambda i: "life cycle: " + fmt_total(i, ia["total"][i])),
          ident="equivalents-table", widths=[1.6, 1.8, 1.2, 3.2]),
    ]))

    unc = doc["uncertainty"]
    if unc["computed"]:
        blocks = [P(unc["statement"]),
                  T(["indicator", "quantity", "unit", "mean", "std", "p2.5", "p50", "p97.5"],
                    uncertainty_rows(doc), ident="uncertainty-table",
                    widths=[1.8, 1.5, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8])]
    else:
        blocks = [P("Quantitative uncertainty: not computed. Run a Monte Carlo analysis and "
                    "pass its result with --uncertainty FILE.json.")]
    sections.append(Section("uncertainty", "12. Uncertainty", blocks))

    dq = doc["data_quality"]
    sections.append(Section("data-quality", "13. Data quality and limitations", [
        P(dq["statement"]),
        T(["kind", "parameters", "meaning"], [[k["kind"], str(k["count"]), k["meaning"]]
                                               for k in dq["kinds"]], ident="kinds-table",
          widths=[1, 0.8, 4]),
        P("Limitations:"), L(dq["limitations"]),
    ]))

    review = doc["critical_review"]
    sections.append(Section("critical-review", "14. Critical review", [
        P(f"Status: {review['status']}. {review['statement']}"),
    ]))

    sections.append(Section("communication", "15. Communication rules (AFNOR Spec 2314)", [
        P("Rules for honest environmental claims made with these figures:"),
        L(doc["communication_rules"]),
    ]))

    checklist = doc["checklist"]
    passed = sum(1 for c in checklist if c["status"] == "pass")
    sections.append(Section("checklist", "16. Standards checklist", [
        P(f"{passed} of {len(checklist)} items pass. Each item is computed from the inventory "
          "and the results, not declared by the author."),
        T(["item", "requirement", "standards", "section", "status", "detail"],
          [[c["id"], c["requirement"], c["standards"], c["section"], c["status"].upper(),
            c["detail"]] for c in checklist], ident="checklist-table",
          widths=[1.1, 2, 1.3, 1, 0.6, 2.6], link_column=3),
    ]))
    return sections


def summary_line(doc: dict) -> str:
    """One sentence with the headline figures (page subtitle)."""
    h, ia = doc["headline"], doc["impact_assessment"]
    return (f"Life cycle: {fmt_total('gwp', ia['total']['gwp'])}, "
            f"{fmt_total('water', ia['total']['water'])}, {fmt_total('adp', ia['total']['adp'])}. "
            f"Per {doc['scope']['unit_label']} (marginal): "
            f"{fmt_response('gwp', h['marginal_per_unit']['gwp'])}, "
            f"{fmt_response('water', h['marginal_per_unit']['water'])}, "
            f"{fmt_response('adp', h['marginal_per_unit']['adp'])}.")
