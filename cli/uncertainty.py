"""``lca uncertainty``, ``lca sensitivity`` and ``lca compare``: ranges, drivers, scenarios.

Heavy imports (numpy, Brightway, Dask) happen inside the commands.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


ModelOption = Annotated[str, typer.Option("--model", "-m", help="Model name or alias.")]
InventoryOption = Annotated[
    Path | None, typer.Option(help="An inventory folder instead of a shipped model.")
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")]
SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Run on dask.distributed: 'dask' (a local cluster on 127.0.0.1) or "
             "tcp://HOST:PORT (your scheduler)."),
]
SECTIONS = ("total", "per_response_marginal", "per_response_allocated")
STATS = ("mean", "std", "p2_5", "p50", "p97_5")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


class _Progress:
    """A rich progress bar on stderr, shown only once a run has taken more than a second."""

    def __init__(self, label: str):
        self.label, self.started, self.bar, self.task = label, time.perf_counter(), None, None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.perf_counter() - self.started < 1.0 or done >= total:
                return
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _scales():
    from cli.render import RESPONSE_SCALE, STAGE_SCALE

    return STAGE_SCALE, RESPONSE_SCALE


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def uncertainty(
    model: ModelOption = "large-2",
    months: Annotated[float, typer.Option(help="Usage period in months.")] = 18,
    tokens: Annotated[int, typer.Option(help="Output tokens per response.")] = 400,
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
    from lca.errors import LCAError

    progress = _Progress("Monte Carlo")
    try:
        from lca.uncertainty.montecarlo import monte_carlo

        if scheduler:
            from lca.uncertainty.dask_backend import check_scheduler

            check_scheduler(scheduler)
        result = monte_carlo(model if inventory is None else None, months, iterations, seed,
                             tokens, inventory, scheduler, progress)
        result.save()
    except LCAError as exc:
        progress.close()
        _fail(str(exc))
    progress.close()
    data = result.to_dict()
    if output_format is Format.json:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
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
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["indicator", "section", "item", *STATS, "unit"])
    for ind, section, item, stats in _uncertainty_rows(data):
        writer.writerow([ind, section, item, *(repr(stats[s]) for s in STATS), data["units"][ind]])


def _uncertainty_tables(data: dict) -> None:
    from rich.table import Table

    stage_scale, response_scale = _scales()
    from cli.render import wide_console

    console = wide_console()
    for ind, block in data["indicators"].items():
        table = Table(title=f"{ind}: {data['iterations']:,} iterations, seed {data['seed']}, "
                            f"{data['months']:g} months, {data['tokens_per_response']}-token "
                            "responses", title_justify="left")
        table.add_column("", no_wrap=True)
        for label in ("mean", "sd", "2.5 %", "median", "97.5 %", "unit"):
            table.add_column(label, justify="right")
        rows = [(s, block["stages"][s], stage_scale) for s in block["stages"]]
        rows += [("total", block["total"], stage_scale),
                 ("per response, marginal", block["per_response_marginal"], response_scale),
                 ("per response, allocated", block["per_response_allocated"], response_scale)]
        for label, stats, scales in rows:
            factor, unit = scales[ind]
            table.add_row(label, *(_fmt(stats[s] * factor) for s in STATS), unit,
                          style="bold" if label == "total" else None)
        console.print(table)
    defaults = data["defaults"]
    if defaults:
        console.print(f"{len(defaults)} parameters have no written distribution and got an "
                      "ecoinvent pedigree default (Weidema et al. 2013): " + ", ".join(defaults))


def sensitivity(
    model: ModelOption = "large-2",
    months: Annotated[float, typer.Option(help="Usage period in months.")] = 18,
    tokens: Annotated[int, typer.Option(help="Output tokens per response.")] = 400,
    output: Annotated[str, typer.Option(
        help="What to explain: total, per_response_marginal, per_response_allocated or a stage."
    )] = "total",
    samples: Annotated[int, typer.Option(help="Base samples n: n (parameters + 2) runs.")] = 16384,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    top: Annotated[int, typer.Option(help="Parameters shown per indicator.")] = 10,
    output_format: FormatOption = Format.table,
    chart: Annotated[Path | None, typer.Option(
        help="Also write a tornado chart per indicator as SVG (PATH-gwp.svg, ...).")] = None,
    inventory: InventoryOption = None,
) -> None:
    """Which parameters drive each indicator (Sobol indices and a tornado).

    Sobol first-order and total indices, and one parameter at a time at its 2.5 and 97.5
    percentiles.
    """
    from lca.errors import BadArgument, LCAError

    try:
        from lca.uncertainty.montecarlo import compile_for, load_model, sampled_distributions
        from lca.uncertainty.sensitivity import sensitivity as run
        from lca.uncertainty.system import OUTPUTS

        if output not in OUTPUTS:
            raise BadArgument(f"--output must be one of {', '.join(OUTPUTS)} (got {output!r})")
        if not 64 <= samples <= 1_000_000:
            raise BadArgument(f"--samples must be from 64 to 1,000,000 (got {samples})")
        loaded = load_model(model if inventory is None else None, inventory)
        compiled = compile_for(loaded, months, tokens)
        result = run(compiled, sampled_distributions(loaded.resolved), output, samples, seed)
    except LCAError as exc:
        _fail(str(exc))
    from lca.schema import INDICATOR_UNITS

    data = {
        "model": loaded.inventory.name, "months": months, "tokens_per_response": tokens,
        "output": output, "samples": samples, "seed": seed, "units": dict(INDICATOR_UNITS),
        "indicators": {ind: [d.__dict__ for d in drivers] for ind, drivers in result.items()},
    }
    if chart is not None:
        from lca.uncertainty.charts import tornado_svg

        for ind, drivers in result.items():
            shown = drivers[:top]
            path = chart.with_name(f"{chart.stem}-{ind}{chart.suffix or '.svg'}")
            tornado_svg(path, f"{ind}, {output}: one parameter at a time (2.5-97.5 %)",
                        [d.parameter for d in shown], [d.low for d in shown],
                        [d.high for d in shown], shown[0].static if shown else 0.0,
                        INDICATOR_UNITS[ind])
            typer.echo(f"wrote {path}", err=True)
    if output_format is Format.json:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if output_format is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["indicator", "rank", "parameter", "distribution", "first_order", "total",
                         "low", "high", "static", "unit"])
        for ind, drivers in result.items():
            for rank, d in enumerate(drivers, start=1):
                writer.writerow([ind, rank, d.parameter, d.distribution, repr(d.first_order),
                                 repr(d.total), repr(d.low), repr(d.high), repr(d.static),
                                 INDICATOR_UNITS[ind]])
        return
    _sensitivity_tables(data, result, top)


def _sensitivity_tables(data, result, top) -> None:
    from rich.table import Table

    from cli.render import wide_console
    from lca.uncertainty.charts import text_bars

    console = wide_console()
    for ind, drivers in result.items():
        shown = drivers[:top]
        table = Table(title=f"{ind} ({data['units'][ind]}), {data['output']}: Sobol indices "
                            f"({data['samples']:,} base samples) and tornado",
                      title_justify="left")
        table.add_column("parameter", no_wrap=True)
        for column in ("S1", "ST", "at 2.5 %", "at 97.5 %"):
            table.add_column(column, justify="right", no_wrap=True)
        table.add_column("", no_wrap=True)
        bars = text_bars([d.parameter for d in shown], [max(d.total, 0.0) for d in shown], 12)
        for d, bar in zip(shown, bars, strict=True):
            table.add_row(d.parameter, f"{d.first_order:.3f}", f"{d.total:.3f}",
                          f"{d.low:.4g}", f"{d.high:.4g}", bar[len(d.parameter):].strip())
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
            _fail(f"--{what}: cannot read {part.strip()!r}")
    return out


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
    from lca.errors import LCAError

    params = {}
    for item in param or []:
        name, _, values = item.partition("=")
        if not name.strip() or not values.strip():
            _fail(f"--param {item!r}: write NAME=VALUE,VALUE")
        params[name.strip()] = _split(values, str, "param")
    try:
        from lca.uncertainty.scenarios import compare as run
        from lca.uncertainty.scenarios import grid

        if scheduler:
            from lca.uncertainty.dask_backend import check_scheduler

            check_scheduler(scheduler)
        scenarios = grid(_split(mix, str, "mix"), _split(pue, float, "pue"),
                         _split(gpu, str, "gpu"), _split(months, float, "months"),
                         _split(tokens, int, "tokens"), params)
        rows = run(model if inventory is None else None, scenarios, inventory, scheduler)
    except LCAError as exc:
        _fail(str(exc))
    from lca.schema import INDICATOR_UNITS, INDICATORS

    if chart is not None:
        from lca.uncertainty.charts import bar_chart_svg

        path = bar_chart_svg(chart, "Life-cycle GWP by scenario",
                             [r.scenario.label() for r in rows],
                             [r.values["total"]["gwp"] for r in rows], INDICATOR_UNITS["gwp"])
        typer.echo(f"wrote {path}", err=True)
    if output_format is Format.json:
        json.dump({"units": dict(INDICATOR_UNITS), "scenarios": [r.to_dict() for r in rows]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if output_format is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        names = sorted(params)
        writer.writerow(["mix", "pue", "gpu", "months", "tokens", *names,
                         *(f"{s}_{i}" for s in SECTIONS for i in INDICATORS)])
        for r in rows:
            s = r.scenario
            p = dict(s.params)
            writer.writerow([s.mix or "", "" if s.pue is None else repr(s.pue), s.gpu or "",
                             repr(s.months), s.tokens, *(p.get(n, "") for n in names),
                             *(repr(r.values[sec][i]) for sec in SECTIONS for i in INDICATORS)])
        return
    _compare_table(rows)


def _compare_table(rows) -> None:
    from rich.table import Table

    from lca.uncertainty.charts import text_bars

    stage_scale, response_scale = _scales()
    from cli.render import wide_console

    console = wide_console()
    table = Table(title="Scenarios", title_justify="left")
    table.add_column("scenario")
    for ind in ("gwp", "water", "adp"):
        table.add_column(f"total {stage_scale[ind][1]}", justify="right")
    for ind in ("gwp", "water", "adp"):
        table.add_column(f"marginal {response_scale[ind][1]}", justify="right")
    for r in rows:
        table.add_row(r.scenario.label(),
                      *(_fmt(r.values["total"][i] * stage_scale[i][0])
                        for i in ("gwp", "water", "adp")),
                      *(_fmt(r.values["per_response_marginal"][i] * response_scale[i][0])
                        for i in ("gwp", "water", "adp")))
    console.print(table)
    console.print("Life-cycle GWP, t CO2e:")
    for line in text_bars([r.scenario.label() for r in rows],
                          [r.values["total"]["gwp"] * 1e-3 for r in rows]):
        console.print(line, highlight=False)


def register(app: typer.Typer) -> None:
    app.command(name="uncertainty")(uncertainty)
    app.command(name="sensitivity")(sensitivity)
    app.command(name="compare")(compare)
