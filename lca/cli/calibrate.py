"""``lca calibrate``: run, ship or check the calibration kept beside an inventory
(calibration.toml). Numbers and the JSON contract are :mod:`lca.calibrate`'s; this module
draws them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

import lca
from lca.cli.common import (
    Format,
    FormatOption,
    InventoryOption,
    ModelOption,
    fail,
    handled,
    print_json,
)
from lca.cli.render import fmt, wide_console
from lca.cli.uncertainty import _Progress
from lca.display import fmt_percent, fmt_response, fmt_total

EXIT_CHECK_FAILED = 1


def compact(value) -> str:
    """Three significant digits, powers of ten written short (1.31e13) in tables."""
    if value is None:
        return "n.a."
    if value != 0 and not 1e-3 <= abs(value) < 1e5:
        mantissa, exponent = f"{value:.3g}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return fmt(value)


@handled
def calibrate(
    model: ModelOption = "large-2",
    inventory: InventoryOption = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Recompute and fail (exit 1) when the shipped values or "
                        "calibration.json differ from what the calibration gives.")] = False,
    write: Annotated[bool, typer.Option(
        "--write", help="Write the calibrated values into parameters.csv and the result "
                        "into calibration.json (atomically).")] = False,
    alternatives: Annotated[bool, typer.Option(
        "--alternatives", help="Also calibrate every structural alternative and leave-out "
                               "group of calibration.toml (minutes).")] = False,
    output_format: FormatOption = Format.table,
) -> None:
    """Fit free parameters (priors from public evidence) to published figures: posterior,
    residuals and tension."""
    if check and write:
        fail("--check and --write exclude each other: check first, then write")
    if output_format is Format.csv:
        fail("lca calibrate writes a table or JSON (--format table|json)")
    prepared, spec = lca.calibrate.load(model if inventory is None else None, inventory)
    progress = _Progress("Calibration: prior draws")
    try:
        result = lca.calibrate.calibrate(prepared=prepared, spec=spec, progress=progress,
                                         alternatives=alternatives)
    finally:
        progress.close()
    if check:
        _check(result, prepared, output_format, alternatives)
        return
    if write:
        changed = lca.calibrate.write(result, prepared)
        typer.echo(f"wrote {', '.join(changed) or 'nothing (already up to date)'} in "
                   f"{prepared.inventory.directory}", err=True)
    if output_format is Format.json:
        print_json(result.to_dict())
    else:
        print_calibration(result.to_dict())


def _check(result, prepared, output_format, alternatives: bool) -> None:
    problems, notes = lca.calibrate.check(result, prepared, alternatives)
    if output_format is Format.json:
        print_json({"model": result.model, "ok": not problems, "differences": problems,
                    "notes": notes, "seconds": round(result.seconds, 2)})
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        typer.echo(f"error: the shipped calibration of {result.model} is not what "
                   f"calibration.toml gives ({len(problems)} differences):\n{lines}\n"
                   f"Run `lca calibrate --model {result.model} --write` to ship the "
                   "recomputed values, and review the diff.", err=True)
        raise typer.Exit(EXIT_CHECK_FAILED)
    if output_format is not Format.json:
        n = len(result.parameters)
        typer.echo(f"ok: the shipped calibration of {result.model} is what calibration.toml "
                   f"gives ({n} parameter{'s' if n != 1 else ''}, {result.seconds:.1f} s)")


# ----------------------------------------------------------------------------- tables


def print_calibration(data: dict) -> None:
    console = wide_console(140)
    d = data["diagnostics"]
    title = (f"{data['model']}: {data['method']} calibration"
             + (f", {d.get('method', '')} over {data['draws']:,} prior draws, seed "
                f"{data['seed']}" if data["method"] == "bayes" else ""))
    console.print(_parameter_table(data, title))
    if data["targets"]:
        console.print(_target_table(data))
    if data["watch"]:
        console.print(_watch_table(data))
    for point in data["points"]:
        verdict = "survives" if point["survives"] else "does not survive"
        beyond = ", ".join(f"{p['name']} at the prior's {p['prior_percentile']:.3g}th "
                           "percentile" for p in point["parameters_beyond_prior_95"])
        missed = ", ".join(point["targets_missed"])
        console.print(f"[bold]{point['name']}[/bold] {verdict}: "
                      + "; ".join(x for x in (f"beyond the priors: {beyond}" if beyond else "",
                                              f"missed: {missed}" if missed else "") if x))
    if data["alternatives"]:
        console.print(_alternatives_table(data))
    if data["leave_out"]:
        console.print(_leave_out_table(data))
    tension = data.get("tension")
    if tension and tension["statements"]:
        console.print("[bold]Tension[/bold]")
        for sentence in tension["statements"]:
            console.print(f" - {sentence}")


def _parameter_table(data: dict, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("parameter", "unit", "prior", "prior 2.5-50-97.5 %", "posterior 2.5-50-97.5 %",
                   "shipped", "prior pct of post. median"):
        table.add_column(column, justify="left" if column in ("parameter", "prior") else "right")
    for p in data["parameters"]:
        flag = " !" if p["beyond_prior_95"] else ""
        table.add_row(p["name"], p["unit"], p["prior"], _three(p, "prior"),
                      _three(p, "posterior"), p["shipped"],
                      f"{p['prior_percentile_of_posterior_median']:.3g}{flag}")
    return table


def _three(row: dict, prefix: str) -> str:
    return " / ".join(compact(row[f"{prefix}_{k}"]) for k in ("p2_5", "p50", "p97_5"))


def show_target(row: dict, value) -> str:
    if value is None:
        return "n.a."
    if row["unit"] == "%":
        return fmt_percent(value)
    if "per unit" in row["label"]:
        return fmt_response(row["indicator"], value)
    return fmt_total(row["indicator"], value)


def _target_table(data: dict) -> Table:
    table = Table(title="Targets: published figures, what the priors give and the fit "
                        "residual at the shipped values", title_justify="left")
    for column in ("figure", "published", "prior median (95 %)", "prior p", "shipped",
                   "residual", "z", "met"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for t in data["targets"]:
        prior = (f"{show_target(t, t['prior_p50'])} ({show_target(t, t['prior_p2_5'])} to "
                 f"{show_target(t, t['prior_p97_5'])})")
        residual = "" if t["residual"] is None else f"{100 * t['residual']:+.1f} %"
        z = "" if t["z"] is None else f"{t['z']:+.1f}"
        table.add_row(t["label"], t["published_text"], prior,
                      f"{t['prior_predictive_p']:.2g}", show_target(t, t["computed_at_shipped"]),
                      residual, z, "yes" if t["met"] else "NO")
    return table


def _watch_table(data: dict) -> Table:
    table = Table(title="Followed, not fitted: prior and posterior (2.5 / 50 / 97.5 %)",
                  title_justify="left")
    for column in ("quantity", "unit", "prior", "posterior", "at shipped values"):
        table.add_column(column, justify="left" if column == "quantity" else "right")
    for w in data["watch"]:
        table.add_row(w["label"], w["unit"], " / ".join(compact(v) for v in w["prior"]),
                      " / ".join(compact(v) for v in w["posterior"]), compact(w["at_shipped"]))
    return table


def _alternatives_table(data: dict) -> Table:
    table = Table(title="Structural alternatives, each calibrated on the same figures "
                        "(log Bayes factor against the shipped structure)", title_justify="left")
    for column in ("structure", "log BF", "consistent", "figures missed",
                   "parameters beyond their prior's 95 %", *[w["label"] for w in data["watch"]
                                                              [:1]]):
        table.add_column(column, justify="left" if column == "structure" else "right")
    for a in data["alternatives"]:
        watch = [" / ".join(fmt(v) for v in w["posterior"]) for w in a["watch"][:1]]
        table.add_row(a["name"], f"{a['log_bayes_factor_vs_primary']:+.1f}",
                      "yes" if a["consistent"] else "no", ", ".join(a["targets_missed"]) or "-",
                      ", ".join(a["parameters_beyond_prior_95"]) or "-", *watch)
    return table


def _leave_out_table(data: dict) -> Table:
    table = Table(title="Figures left out in turn: what the others need, and how surprising "
                        "the group is then", title_justify="left")
    for column in ("left out", "parameters beyond their prior's 95 %", "left-out figures: "
                   "predicted median (predictive p)"):
        table.add_column(column)
    for row in data["leave_out"]:
        left = "; ".join(f"{x['label']} {x['published_text']}: {fmt(x['predicted_median'])} "
                         f"(p {x['predictive_p']:.2g})" for x in row["left_out"])
        table.add_row(row["name"], ", ".join(row["parameters_beyond_prior_95"]) or "-", left)
    return table
