"""How results look on a terminal (rich tables), and as JSON or CSV on stdout."""

from __future__ import annotations

import csv
import json
import sys

from lca.results import AssessmentResult
from lca.schema import INDICATOR_UNITS, INDICATORS

# Display scales: the JSON keeps SI-like units; people read tonnes and grams more easily.
STAGE_SCALE = {"gwp": (1e-3, "t CO2e"), "water": (1.0, "m3"), "adp": (1.0, "kg Sb eq")}
RESPONSE_SCALE = {"gwp": (1e3, "g CO2e"), "water": (1e6, "mL"), "adp": (1e6, "mg Sb eq")}


def wide_console(min_width: int = 120):
    """A rich console for result tables: at least ``min_width`` columns, so that tables piped
    to a file or another program (80 columns by default) are not folded."""
    from rich.console import Console

    return Console(soft_wrap=False, width=max(min_width, Console().width))


def print_json(result: AssessmentResult) -> None:
    json.dump(result.to_dict(), sys.stdout, indent=2)
    sys.stdout.write("\n")


def print_csv(result: AssessmentResult) -> None:
    """Long format: section, item, indicator, value, unit (units as in the JSON)."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["section", "item", "indicator", "value", "unit"])
    data = result.to_dict()
    for ind in INDICATORS:
        writer.writerow(
            ["total", "life cycle", ind, repr(data["total"][ind]), INDICATOR_UNITS[ind]]
        )
    for stage, values in data["stages"].items():
        for ind in INDICATORS:
            writer.writerow(["stage", stage, ind, repr(values[ind]), INDICATOR_UNITS[ind]])
    for kind, values in data["per_response"].items():
        for ind in INDICATORS:
            writer.writerow(["per_response", kind, ind, repr(values[ind]), INDICATOR_UNITS[ind]])


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 0.01:
        return f"{value:.3g}"
    return f"{value:.3g}"


def print_tables(result: AssessmentResult) -> None:
    from rich.table import Table

    console = wide_console()
    unit_label = (
        f"responses of {result.tokens_per_response} tokens"
        if result.functional_unit == "response"
        else f"{result.functional_unit}s"
    )
    title = (
        f"{result.display_name}: training + {result.months:g} months of use "
        f"({result.responses:,.3g} {unit_label})"
    )
    stages = Table(title=title, title_justify="left")
    stages.add_column("stage")
    for ind in INDICATORS:
        stages.add_column(STAGE_SCALE[ind][1], justify="right")
        stages.add_column("%", justify="right")
    shares = result.shares
    for stage in result.stages.index:
        cells = [stage]
        for ind in INDICATORS:
            scale = STAGE_SCALE[ind][0]
            cells += [_fmt(result.stages.loc[stage, ind] * scale), f"{shares.loc[stage, ind]:.1f}"]
        stages.add_row(*cells)
    total = ["total"]
    for ind in INDICATORS:
        total += [_fmt(result.total[ind] * STAGE_SCALE[ind][0]), "100"]
    stages.add_row(*total, style="bold")
    console.print(stages)

    per_title = (
        f"Per {result.tokens_per_response}-token response"
        if result.functional_unit == "response"
        else f"Per {result.functional_unit} and per 1,000 {result.functional_unit}s"
    )
    per = Table(title=per_title, title_justify="left")
    per.add_column("boundary")
    for ind in INDICATORS:
        per.add_column(RESPONSE_SCALE[ind][1], justify="right")
    labels = {
        "marginal": "marginal (inference + its hardware and data center)",
        "allocated": "allocated (whole life cycle / responses)",
    }
    for kind in ("marginal", "allocated"):
        per.add_row(
            labels[kind],
            *[
                _fmt(result.per_response.loc[kind, ind] * RESPONSE_SCALE[ind][0])
                for ind in INDICATORS
            ],
        )
    if result.functional_unit != "response":  # the per-1,000 figures studies publish
        for kind in ("marginal", "allocated"):
            per.add_row(
                f"{kind}, per 1,000 {result.functional_unit}s",
                *[
                    _fmt(1000 * result.per_response.loc[kind, ind] * RESPONSE_SCALE[ind][0])
                    for ind in INDICATORS
                ],
            )
    console.print(per)

    comparison = result.comparison()
    if len(comparison):
        table = Table(
            title=f"Published figures next to ours ({result.published.source[:60]}...)",
            title_justify="left",
        )
        for column in ("figure", "indicator", "published", "computed", "computed / published"):
            table.add_column(column, justify="left" if column == "figure" else "right")
        for row in comparison.itertuples():
            if isinstance(row.published, str):
                published, computed, ratio = row.published, f"{row.computed:.2f}%", ""
            else:
                scale, unit = (STAGE_SCALE if row.figure == "total" else RESPONSE_SCALE)[
                    row.indicator
                ]
                published = f"{_fmt(row.published * scale)} {unit}"
                computed = f"{_fmt(row.computed * scale)} {unit}"
                ratio = f"{row.computed / row.published:.3f}"
            table.add_row(row.figure, row.indicator, published, computed, ratio)
        console.print(table)


def print_models(entries) -> None:
    from rich.table import Table

    table = Table(
        title="Models (parameters by kind: what is known, and what is assumed)",
        title_justify="left",
    )
    table.add_column("name", no_wrap=True)
    table.add_column("aliases")
    table.add_column("per", no_wrap=True)
    table.add_column("parameters:\nsourced/measured/\nmodeled/calibrated/\nassumed", no_wrap=True)
    table.add_column("published")
    table.add_column("description")
    for e in entries:
        kinds, unit = model_facts(e.directory)
        counts = "/".join(str(kinds.get(k, 0)) for k in KIND_COLUMNS)
        table.add_row(
            e.name,
            ", ".join(e.aliases),
            unit,
            counts,
            "yes" if e.has_published else "no",
            e.description,
        )
    # Wide enough for the descriptions even when piped (rich assumes 80 columns then).
    wide_console(160).print(table)


KIND_COLUMNS = ("sourced", "measured", "modeled", "calibrated", "assumed")


def model_facts(directory) -> tuple[dict, str]:
    """Parameter counts by kind, and the functional unit, read from a model folder."""
    import csv
    import tomllib
    from collections import Counter

    kinds: Counter = Counter()
    try:
        with (directory / "parameters.csv").open(encoding="utf-8-sig", newline="") as fh:
            kinds.update(row.get("kind", "").strip() for row in csv.DictReader(fh))
    except OSError:
        pass
    try:
        card = tomllib.loads((directory / "model.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        card = {}
    unit = card.get("functional_unit", "response")
    return dict(kinds), "response" if unit == "response" else unit
