"""``lca uncertainty``, ``lca sensitivity`` and ``lca compare``: ranges, drivers, scenarios.
The numbers and JSON contracts are the result objects' (:mod:`lca.uncertainty`); this module
draws them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

import lca
from lca.cli.common import (
    Format,
    FormatOption,
    InventoryOption,
    ModelOption,
    fail,
    handled,
    print_csv,
    print_json,
)
from lca.cli.render import RESPONSE_SCALE, STAGE_SCALE, fmt, text_bars, wide_console

SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Run on dask.distributed: 'dask' (a local cluster on 127.0.0.1) or "
             "tcp://HOST:PORT (your scheduler)."),
]
MonthsOption = Annotated[float, typer.Option(help="Usage period in months.")]
TokensOption = Annotated[int, typer.Option(help="Output tokens per response.")]
SECTIONS = ("total", "per_response_marginal", "per_response_allocated")
STATS = ("mean", "std", "p2_5", "p50", "p97_5")


class _Progress:
    """A rich progress bar on stderr, shown only once a run has taken more than a second."""

    def __init__(self, label: str):
        self.label, self.started, self.bar, self.task = label, time.perf_counter(), None, None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.perf_counter() - self.started < 1.0 or done >= total:
                return
            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@handled
def uncertainty(
    model: ModelOption = "large-2",
    months: MonthsOption = 18,
    tokens: TokensOption = 400,
    iterations: Annotated[int, typer.Option(help="Monte Carlo iterations.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same result).")] = 1,
    output_format: FormatOption = Format.table,
    scheduler: SchedulerOption = None,
    inventory: InventoryOption = None,
) -> None:
    """Monte Carlo ranges by stage, in total and per response (mean, sd, percentiles).

    Parameters are sampled (lognormal, normal, uniform, triangular; ecoinvent pedigree
    defaults for the rest).
    """
    progress = _Progress("Monte Carlo")
    try:
        result = lca.monte_carlo(model if inventory is None else None, months, iterations, seed,
                                 tokens, inventory, scheduler, progress)
    finally:
        progress.close()
    result.save()
    data = result.to_dict()
    if output_format is Format.json:
        print_json(data)
    elif output_format is Format.csv:
        _uncertainty_csv(data)
    else:
        _uncertainty_tables(data)


def _uncertainty_rows(data: dict):
    for ind, block in data["indicators"].items():
        for section in SECTIONS:
            yield ind, section, "", block[section]
        for stage, stats in block["stages"].items():
            yield ind, "stage", stage, stats


def _uncertainty_csv(data: dict) -> None:
    print_csv(["indicator", "section", "item", *STATS, "unit"],
              ([ind, section, item, *(repr(stats[s]) for s in STATS), data["units"][ind]]
               for ind, section, item, stats in _uncertainty_rows(data)))


def _uncertainty_tables(data: dict) -> None:
    console = wide_console()
    for ind, block in data["indicators"].items():
        table = Table(title=f"{ind}: {data['iterations']:,} iterations, seed {data['seed']}, "
                            f"{data['months']:g} months, {data['tokens_per_response']}-token "
                            "responses", title_justify="left")
        table.add_column("", no_wrap=True)
        for label in ("mean", "sd", "2.5 %", "median", "97.5 %", "unit"):
            table.add_column(label, justify="right")
        rows = [(s, block["stages"][s], STAGE_SCALE) for s in block["stages"]]
        rows += [("total", block["total"], STAGE_SCALE),
                 ("per response, marginal", block["per_response_marginal"], RESPONSE_SCALE),
                 ("per response, allocated", block["per_response_allocated"], RESPONSE_SCALE)]
        for label, stats, scales in rows:
            factor, unit = scales[ind]
            table.add_row(label, *(fmt(stats[s] * factor) for s in STATS), unit,
                          style="bold" if label == "total" else None)
        console.print(table)
    defaults = data["defaults"]
    if defaults:
        console.print(f"{len(defaults)} parameters have no written distribution and got an "
                      "ecoinvent pedigree default (Weidema et al. 2013): " + ", ".join(defaults))


@handled
def sensitivity(
    model: ModelOption = "large-2",
    months: MonthsOption = 18,
    tokens: TokensOption = 400,
    output: Annotated[str, typer.Option(
        help="What to explain: total, per_response_marginal, per_response_allocated or a stage."
    )] = "total",
    samples: Annotated[int, typer.Option(
        help="Base samples n, a power of 2: n (parameters + 2) runs.")] = 4096,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    top: Annotated[int, typer.Option(help="Parameters shown per indicator.")] = 10,
    output_format: FormatOption = Format.table,
    chart: Annotated[Path | None, typer.Option(
        help="Also write a tornado chart per indicator as SVG (PATH-gwp.svg, ...).")] = None,
    inventory: InventoryOption = None,
) -> None:
    """Which parameters drive each indicator (Sobol indices and a tornado).

    Sobol first-order and total indices with 95 % bootstrap intervals, and one parameter at a
    time at its 2.5 and 97.5 percentiles.
    """
    result = lca.sensitivity(model if inventory is None else None, months, tokens, output,
                             samples, seed, inventory)
    data = result.to_dict()
    if chart is not None:
        _tornado_charts(chart, result, top)
    if output_format is Format.json:
        print_json(data)
    elif output_format is Format.csv:
        _sensitivity_csv(result)
    else:
        _sensitivity_tables(data, result, top)


def _tornado_charts(chart: Path, result, top: int) -> None:
    charts, svg = lca.report.charts, lca.report.svg
    for ind, drivers in result.drivers.items():
        shown = drivers[:top]
        path = chart.with_name(f"{chart.stem}-{ind}{chart.suffix or '.svg'}")
        fig = charts.tornado_chart(
            f"{ind}, {result.output}: one parameter at a time (2.5-97.5 %)",
            [d.parameter for d in shown], [d.low for d in shown], [d.high for d in shown],
            shown[0].static if shown else 0.0, lca.schema.INDICATOR_UNITS[ind])
        svg.write_svg(path, fig)
        typer.echo(f"wrote {path}", err=True)


def _sensitivity_csv(result) -> None:
    units = result.to_dict()["units"]
    print_csv(["indicator", "rank", "parameter", "distribution", "first_order",
               "first_order_low", "first_order_high", "total", "total_low", "total_high",
               "low", "high", "static", "unit"],
              ([ind, rank, d.parameter, d.distribution, repr(d.first_order),
                *map(repr, d.first_order_interval), repr(d.total), *map(repr, d.total_interval),
                repr(d.low), repr(d.high), repr(d.static), units[ind]]
               for ind, drivers in result.drivers.items()
               for rank, d in enumerate(drivers, start=1)))


def _sensitivity_tables(data, result, top) -> None:
    console = wide_console()
    for ind, drivers in result.drivers.items():
        shown = drivers[:top]
        table = Table(title=f"{ind} ({data['units'][ind]}), {data['output']}: Sobol indices "
                            f"({data['samples']:,} base samples, 95 % intervals) and tornado",
                      title_justify="left")
        table.add_column("parameter", no_wrap=True)
        for column in ("S1", "ST", "ST 95 %", "at 2.5 %", "at 97.5 %"):
            table.add_column(column, justify="right", no_wrap=True)
        table.add_column("", no_wrap=True)
        bars = text_bars([d.parameter for d in shown], [max(d.total, 0.0) for d in shown], 12)
        for d, bar in zip(shown, bars, strict=True):
            low, high = d.total_interval
            table.add_row(d.parameter, f"{d.first_order:.3f}", f"{d.total:.3f}",
                          f"{low:.3f}-{high:.3f}", f"{d.low:.4g}", f"{d.high:.4g}",
                          bar[len(d.parameter):].strip())
        console.print(table)
        console.print("distributions: " + "; ".join(f"{d.parameter} {d.distribution}"
                                                    for d in shown), highlight=False)


def _split(text: str | None, cast, what: str) -> list:
    if text is None or not text.strip():
        return []
    out = []
    for part in text.split(","):
        try:
            out.append(cast(part.strip()))
        except ValueError:
            fail(f"--{what}: cannot read {part.strip()!r}")
    return out


@handled
def compare(
    model: ModelOption = "large-2",
    mix: Annotated[str | None, typer.Option(
        help="Data-center electricity mixes (training and serving), e.g. fr,se,us,de,ie,world."
    )] = None,
    pue: Annotated[str | None, typer.Option(help="PUE values, e.g. 1.1,1.2,1.4.")] = None,
    gpu: Annotated[str | None, typer.Option(
        help="GPU embodied datasets: ademe, nvidia, boavizta.")] = None,
    months: Annotated[str, typer.Option(help="Usage periods in months, e.g. 6,12,18,36.")] = "18",
    tokens: Annotated[str, typer.Option(help="Output tokens per response, e.g. 400,1000.")] = "400",
    param: Annotated[list[str] | None, typer.Option(
        help="Any literal parameter: NAME=VALUE,VALUE (repeatable), e.g. "
             "inference_utilisation=0.02,0.05.")] = None,
    output_format: FormatOption = Format.table,
    chart: Annotated[Path | None, typer.Option(
        help="Also write a bar chart of life-cycle GWP per scenario as SVG.")] = None,
    scheduler: SchedulerOption = None,
    inventory: InventoryOption = None,
) -> None:
    """Scenarios over a grid of settings: life-cycle totals and per-response figures."""
    params = {}
    for item in param or []:
        name, _, values = item.partition("=")
        if not name.strip() or not values.strip():
            fail(f"--param {item!r}: write NAME=VALUE,VALUE")
        params[name.strip()] = _split(values, str, "param")
    scenarios = lca.uncertainty.scenarios
    grid = scenarios.grid(_split(mix, str, "mix"), _split(pue, float, "pue"),
                          _split(gpu, str, "gpu"), _split(months, float, "months"),
                          _split(tokens, int, "tokens"), params)
    rows = lca.compare(model if inventory is None else None, grid, inventory, scheduler)
    if chart is not None:
        fig = lca.report.charts.bar_chart("Life-cycle GWP by scenario",
                                          [r.scenario.label() for r in rows],
                                          [r.values["total"]["gwp"] for r in rows],
                                          lca.schema.INDICATOR_UNITS["gwp"])
        path = lca.report.svg.write_svg(chart, fig)
        typer.echo(f"wrote {path}", err=True)
    if output_format is Format.json:
        print_json(scenarios.comparison_dict(rows))
    elif output_format is Format.csv:
        _compare_csv(rows, sorted(params))
    else:
        _compare_table(rows)


def _compare_csv(rows, names) -> None:
    indicators = tuple(STAGE_SCALE)

    def cells(r):
        s, p = r.scenario, dict(r.scenario.params)
        return [s.mix or "", "" if s.pue is None else repr(s.pue), s.gpu or "", repr(s.months),
                s.tokens, *(p.get(n, "") for n in names),
                *(repr(r.values[sec][i]) for sec in SECTIONS for i in indicators)]

    print_csv(["mix", "pue", "gpu", "months", "tokens", *names,
               *(f"{s}_{i}" for s in SECTIONS for i in indicators)], (cells(r) for r in rows))


def _compare_table(rows) -> None:
    indicators = tuple(STAGE_SCALE)
    console = wide_console()
    table = Table(title="Scenarios", title_justify="left")
    table.add_column("scenario")
    for ind in indicators:
        table.add_column(f"total {STAGE_SCALE[ind][1]}", justify="right")
    for ind in indicators:
        table.add_column(f"marginal {RESPONSE_SCALE[ind][1]}", justify="right")
    for r in rows:
        table.add_row(r.scenario.label(),
                      *(fmt(r.values["total"][i] * STAGE_SCALE[i][0]) for i in indicators),
                      *(fmt(r.values["per_response_marginal"][i] * RESPONSE_SCALE[i][0])
                        for i in indicators))
    console.print(table)
    console.print("Life-cycle GWP, t CO2e:")
    for line in text_bars([r.scenario.label() for r in rows],
                          [r.values["total"]["gwp"] * 1e-3 for r in rows]):
        console.print(line, highlight=False)


def register(app: typer.Typer) -> None:
    app.command(name="uncertainty")(uncertainty)
    app.command(name="sensitivity")(sensitivity)
    app.command(name="compare")(compare)
