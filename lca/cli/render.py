"""How results look on a terminal (rich tables), and as JSON or CSV on stdout. Presentation
only: every number comes from a result object of :mod:`lca`, every contract from its
``to_dict()``."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from lca.cli.common import print_csv, print_json
from lca.display import RESPONSE_DISPLAY as RESPONSE_SCALE
from lca.display import TOTAL_DISPLAY as STAGE_SCALE
from lca.display import fmt, fmt_percent

# The JSON keeps SI-like units; people read tonnes and grams (scales in lca.display).
INDICATORS = tuple(STAGE_SCALE)
BAR = "█"


def wide_console(min_width: int = 120) -> Console:
    """A rich console for result tables: at least ``min_width`` columns, so that tables piped
    to a file or another program (80 columns by default) are not folded."""
    return Console(soft_wrap=False, width=max(min_width, Console().width))


def text_bars(labels: list[str], values: list[float], width: int = 40) -> list[str]:
    """One line per label: a bar proportional to the value (the largest fills ``width``)."""
    top = max((abs(v) for v in values), default=0.0) or 1.0
    pad = max((len(s) for s in labels), default=0)
    return [f"{label:<{pad}} {BAR * max(0, round(width * abs(v) / top))} {v:.3g}"
            for label, v in zip(labels, values, strict=True)]


# ------------------------------------------------------------------------- lca assess


def print_assessment(result, output_format: str, contributions=None, top: int = 5,
                     implied: bool = False) -> None:
    """The assessment; with ``contributions`` (:class:`lca.contributions.Contributions`), its
    top ``top`` processes and flows per indicator and scope as well; with ``implied``, the
    physical quantities it implies next to public references (the JSON always has them)."""
    if output_format == "json":
        data = result.to_dict()
        if contributions is not None:
            data["contributions"] = contributions.to_dict(top)
        print_json(data)
    elif output_format == "csv":
        assessment_csv(result.to_dict(), contributions.to_dict(top) if contributions else None)
    else:
        print_tables(result)
        if contributions is not None:
            for table in contribution_tables(contributions, top):
                wide_console(160).print(table)
        if implied:
            wide_console().print(implied_table(result.implied()))


def implied_table(data: dict) -> Table:
    """The implied quantities, each reference on its own line, flagged when outside it."""
    table = Table(title="What the result implies, next to public references (! outside the "
                        "reference)", title_justify="left")
    for column in ("quantity", "value", "reference", "", "source"):
        table.add_column(column, justify="right" if column in ("value", "") else "left")
    for q in data["quantities"]:
        value = f"{fmt(q['value'])} {q['unit']}"
        refs = q["references"] or [None]
        for i, r in enumerate(refs):
            label, shown = (q["label"], value) if i == 0 else ("", "")
            if r is None:
                table.add_row(label, shown, "no independent reference", "", "")
                continue
            table.add_row(label, shown, reference_range(r), reference_status(r),
                          r["source"][:70])
    return table


def reference_range(r: dict) -> str:
    low, high, unit = r["low"], r["high"], r["unit"]
    if low is not None and high is not None:
        text = fmt(low) if low == high else f"{fmt(low)} to {fmt(high)}"
    elif low is not None:
        text = f"at least {fmt(low)}"
    else:
        text = f"at most {fmt(high)}"
    return f"{text} {unit}"


def reference_status(r: dict) -> str:
    if r["status"] == "within":
        return "within"
    factor = "" if r["factor"] is None else f" x{r['factor']:.3g}"
    return f"! {r['status']}{factor}"


def assessment_csv(data: dict, contributions: dict | None = None) -> None:
    """Long format: section, item, indicator, value, unit (units as in the JSON); the
    contributions as sections ``process`` and ``flow``, item ``scope/code``."""
    units = data["units"]
    rows = [["total", "life cycle", ind, repr(data["total"][ind]), units[ind]] for ind in units]
    rows += [["stage", stage, ind, repr(values[ind]), units[ind]]
             for stage, values in data["stages"].items() for ind in units]
    rows += [["per_response", kind, ind, repr(values[ind]), units[ind]]
             for kind, values in data["per_response"].items() for ind in units]
    for ind, scopes in (contributions or {}).get("indicators", {}).items():
        for scope, part in scopes.items():
            for section, key in (("process", "processes"), ("flow", "flows")):
                rows += [[section, f"{scope}/{item['code']}", ind, repr(item["value"]),
                          units[ind]] for item in part[key]]
    print_csv(["section", "item", "indicator", "value", "unit"], rows)


def print_tables(result) -> None:
    console = wide_console()
    console.print(_stage_table(result))
    if len(result.substages):
        console.print(_substage_table(result))
    console.print(_per_unit_table(result))
    if result.background is not None:
        for table in background_tables(result.background):
            console.print(table)
    comparison = result.comparison()
    if len(comparison):
        console.print(_comparison_table(result, comparison))


def background_tables(background: dict) -> list[Table]:
    """What stands for our background: each link, the codes left to ours, and each
    indicator's methods."""
    links = Table(title=f"Background linked to Brightway project {background['project']} "
                        "(read only; linked activities enter as system processes)",
                  title_justify="left")
    for column in ("our code", "database", "activity", "location", "unit", "factor"):
        links.add_column(column, justify="right" if column == "factor" else "left")
    for k in background["links"]:
        links.add_row(k["code"], k["database"], k["name"], k["location"], k["unit"],
                      f"{k['factor']:g}")
    if background["unlinked"]:
        links.caption = "Not linked (our background): " + ", ".join(background["unlinked"])
        links.caption_justify = "left"
    methods = Table(title="Indicator mapping", title_justify="left")
    for column in ("indicator", "linked activities' flows", "engine's flows"):
        methods.add_column(column)
    for ind, m in background["methods"].items():
        theirs = (f"{' / '.join(m['linked'])} ({m['unit']}, x {m['factor']:g})"
                  if m["linked"] else "engine's method (inventory indicator)")
        methods.add_row(ind, theirs, " / ".join(m["engine"]))
    return [links, methods]


def contribution_tables(contributions, top: int) -> list[Table]:
    """One table per indicator: for the life cycle and each stage, its total and the
    ``top`` processes and elementary flows with their shares (the rest as "other")."""
    tables = []
    for ind in contributions.totals.columns:
        scale, unit = STAGE_SCALE[ind]
        table = Table(title=f"{ind}: contributions by process and by elementary flow ({unit})",
                      title_justify="left")
        for column in ("scope", "total", "process", unit, "%", "elementary flow", unit + " ",
                       "% "):
            number = column.strip() in (unit, "%", "total")
            table.add_column(column, justify="right" if number else "left", no_wrap=True,
                             min_width=7 if number else None)
        for scope in contributions.totals.index:
            total = contributions.totals.loc[scope, ind]
            processes = contributions.top("processes", ind, scope, top)
            flows = contributions.top("flows", ind, scope, top)
            for i in range(max(len(processes), len(flows), 1)):
                cells = [scope, fmt(total * scale)] if i == 0 else ["", ""]
                for part in (processes, flows):
                    if i < len(part):
                        row = part.iloc[i]
                        cells += [_clip(row["label"]), fmt(row["value"] * scale),
                                  fmt_percent(100.0 * row["share"]).replace(" %", "")]
                    else:
                        cells += ["", "", ""]
                table.add_row(*cells, end_section=i == max(len(processes), len(flows), 1) - 1)
        tables.append(table)
    return tables


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _stage_table(result) -> Table:
    unit_label = (f"responses of {result.tokens_per_response} tokens"
                  if result.functional_unit == "response" else f"{result.functional_unit}s")
    title = (f"{result.display_name}: training + {result.months:g} months of use "
             f"({result.responses:,.3g} {unit_label})")
    table = Table(title=title, title_justify="left")
    table.add_column("stage")
    for ind in INDICATORS:
        table.add_column(STAGE_SCALE[ind][1], justify="right")
        table.add_column("%", justify="right")
    shares = result.shares
    for stage in result.stages.index:
        cells = [stage]
        for ind in INDICATORS:
            scale = STAGE_SCALE[ind][0]
            cells += [fmt(result.stages.loc[stage, ind] * scale),
                      fmt_percent(shares.loc[stage, ind]).replace(" %", "")]
        table.add_row(*cells)
    total = ["total"]
    for ind in INDICATORS:
        covered = result.coverage().get(ind, {}).get("complete", True)
        total += [fmt(result.total[ind] * STAGE_SCALE[ind][0]), "100" if covered else "100*"]
    table.add_row(*total, style="bold")
    return table


def _substage_table(result) -> Table:
    table = Table(title="The study's own parts of stages", title_justify="left")
    table.add_column("stage/substage")
    for ind in INDICATORS:
        table.add_column(STAGE_SCALE[ind][1], justify="right")
    for label in result.substages.index:
        table.add_row(label, *[fmt(result.substages.loc[label, ind] * STAGE_SCALE[ind][0])
                               for ind in INDICATORS])
    return table


def _per_unit_table(result) -> Table:
    unit = result.functional_unit
    title = (f"Per {result.tokens_per_response}-token response" if unit == "response"
             else f"Per {unit} and per 1,000 {unit}s")
    table = Table(title=title, title_justify="left")
    table.add_column("boundary")
    for ind in INDICATORS:
        table.add_column(RESPONSE_SCALE[ind][1], justify="right")
    labels = {
        "marginal": "marginal (inference + its hardware and data center)",
        "allocated": "allocated (whole life cycle / responses)",
    }
    per = result.per_response
    for kind in ("marginal", "allocated"):
        table.add_row(labels[kind], *[fmt(per.loc[kind, i] * RESPONSE_SCALE[i][0])
                                      for i in INDICATORS])
    if unit in ("image", "inference", "request"):  # the per-1,000 figures studies publish
        for kind in ("marginal", "allocated"):
            table.add_row(f"{kind}, per 1,000 {unit}s",
                          *[fmt(1000 * per.loc[kind, i] * RESPONSE_SCALE[i][0])
                            for i in INDICATORS])
    return table


def _comparison_table(result, comparison) -> Table:
    source = result.published.source if result.published is not None else "published figures"
    table = Table(title=f"Published figures next to ours ({source[:60]}...)",
                  title_justify="left")
    for column in ("figure", "indicator", "published", "computed", "computed / published",
                   "role"):
        table.add_column(column, justify="left" if column in ("figure", "role") else "right")
    for row in comparison.itertuples():
        if row.unit == "%":
            published, computed = row.published_text, fmt_percent(row.computed)
        else:
            per_unit = " per unit" in row.figure
            scale, unit = (RESPONSE_SCALE if per_unit else STAGE_SCALE)[row.indicator]
            published = f"{fmt(row.published * scale)} {unit}"
            computed = (f"{fmt(row.computed * scale)} {unit}" if row.computed == row.computed
                        else "by Monte Carlo: lca validation")
        ratio = "" if row.ratio != row.ratio else f"{row.ratio:.3f}"  # NaN: a bound
        table.add_row(row.figure, row.indicator, published, computed, ratio, row.role)
    return table


# ------------------------------------------------------------------------- lca models

KIND_COLUMNS = ("sourced", "measured", "modeled", "calibrated", "assumed")


def published_label(entry) -> str:
    """What the published figures are for this model: fit residuals when a calibration was
    fitted on them (calibration.toml), else independent checks."""
    if not entry.has_published:
        return "none"
    return "fit residuals" if entry.calibrated_on_published else "independent checks"


def print_models(entries, tokens: dict | None = None, studies=()) -> None:
    """The models, with what each counts besides output tokens (``tokens``: name ->
    :class:`lca.inventories.TokenAssumption`), then the validation studies, apart."""
    tokens = tokens or {}
    table = Table(title="Models (parameters by kind: what is known, and what is assumed)",
                  title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("aliases")
    table.add_column("per", no_wrap=True)
    table.add_column("parameters:\nsourced/measured/\nmodeled/calibrated/\nassumed", no_wrap=True)
    table.add_column("tokens counted per output token\n(kind of token per output, weight)")
    table.add_column("published figures")
    table.add_column("description")
    for e in entries:
        kinds = dict(e.kinds)
        assumption = tokens.get(e.name)
        table.add_row(e.name, ", ".join(e.aliases), e.functional_unit,
                      "/".join(str(kinds.get(k, 0)) for k in KIND_COLUMNS),
                      "-" if assumption is None else assumption.describe(),
                      published_label(e), e.description)
    # Wide enough for the descriptions even when piped (rich assumes 80 columns then).
    console = wide_console(160)
    console.print(table)
    if studies:
        console.print(_studies_table(studies))


def _studies_table(studies) -> Table:
    table = Table(title="Validation studies (`lca validation`): published studies written from "
                        "their inputs, nothing calibrated", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("per", no_wrap=True)
    table.add_column("parameters:\nsourced/measured/\nmodeled/calibrated/\nassumed", no_wrap=True)
    table.add_column("description")
    for e in studies:
        kinds = dict(e.kinds)
        table.add_row(e.name, e.functional_unit,
                      "/".join(str(kinds.get(k, 0)) for k in KIND_COLUMNS), e.display_name)
    return table
