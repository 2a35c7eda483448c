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


def print_assessment(result, output_format: str, implied: bool = False) -> None:
    if output_format == "json":
        print_json(result.to_dict())
    elif output_format == "csv":
        assessment_csv(result.to_dict())
    else:
        print_tables(result)
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


def assessment_csv(data: dict) -> None:
    """Long format: section, item, indicator, value, unit (units as in the JSON)."""
    units = data["units"]
    rows = [["total", "life cycle", ind, repr(data["total"][ind]), units[ind]] for ind in units]
    rows += [["stage", stage, ind, repr(values[ind]), units[ind]]
             for stage, values in data["stages"].items() for ind in units]
    rows += [["per_response", kind, ind, repr(values[ind]), units[ind]]
             for kind, values in data["per_response"].items() for ind in units]
    print_csv(["section", "item", "indicator", "value", "unit"], rows)


def print_tables(result) -> None:
    console = wide_console()
    console.print(_stage_table(result))
    if len(result.substages):
        console.print(_substage_table(result))
    console.print(_per_unit_table(result))
    comparison = result.comparison()
    if len(comparison):
        console.print(_comparison_table(result, comparison))


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
            per_unit = row.figure.endswith("per unit")
            scale, unit = (RESPONSE_SCALE if per_unit else STAGE_SCALE)[row.indicator]
            published = f"{fmt(row.published * scale)} {unit}"
            computed = f"{fmt(row.computed * scale)} {unit}"
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


def print_models(entries) -> None:
    table = Table(title="Models (parameters by kind: what is known, and what is assumed)",
                  title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("aliases")
    table.add_column("per", no_wrap=True)
    table.add_column("parameters:\nsourced/measured/\nmodeled/calibrated/\nassumed", no_wrap=True)
    table.add_column("published figures")
    table.add_column("description")
    for e in entries:
        kinds = dict(e.kinds)
        table.add_row(e.name, ", ".join(e.aliases), e.functional_unit,
                      "/".join(str(kinds.get(k, 0)) for k in KIND_COLUMNS),
                      published_label(e), e.description)
    # Wide enough for the descriptions even when piped (rich assumes 80 columns then).
    wide_console(160).print(table)
