"""Benchmark: export, validate and import times for large-2 and a generated 5,000-row
inventory (target: at most 2 s each for the 5,000 rows). Run on demand:

    python -m pytest tests/benchmarks/test_bench_workbook.py -s
"""

from __future__ import annotations

import time
from pathlib import Path

from conftest import LARGE2

from lca.schema import Activity, Exchange, Parameter, StageDemand
from lca.text_inventory import Inventory, read_inventory
from lca.workbook import export_workbook, import_workbook, validate
from lca.workbook.canonical import canonical_files, comments_of

TARGET_SECONDS = 2.0


def generated_inventory(rows: int = 5000) -> Inventory:
    """A valid inventory of ``rows`` rows: 40 % parameters (half literal with units, half
    formulas), 4 % activities, 54 % exchanges, 2 % stages."""
    card = read_inventory(LARGE2).card
    n_par, n_act, n_stage = rows * 40 // 100, rows * 4 // 100, rows * 2 // 100
    n_ex = rows - n_par - n_act - n_stage
    half = n_par // 2
    parameters = [Parameter(name=f"p_{i}", value=f"{1 + i % 7}.5e-6 kWh", kind="sourced",
                            source=f"Datasheet {i}, table 3", comment="generated")
                  for i in range(half)]
    parameters += [Parameter(name=f"q_{i}", value=f"p_{i} * 1.1 + p_{(i + 1) % half} / 2",
                             kind="modeled", source="Sum of two measured parts")
                   for i in range(n_par - half - 1)]
    parameters.append(Parameter(name="tokens_per_month", value="1e6 token/month",
                                kind="assumed", source="Generated load"))
    activities = [Activity(code=f"act-{j}", name=f"Serving path {j}", unit="token",
                           location="FR") for j in range(n_act)]
    exchanges = [Exchange(activity=f"act-{k % n_act}", input="electricity-fr",
                          amount=f"q_{k % (n_par - half - 1)}", unit="kWh",
                          source="Energy per token, modelled") for k in range(n_ex)]
    stages = [StageDemand(stage="inference", activity=f"act-{s % n_act}",
                          amount="tokens_per_month * months",
                          unit="token", serves="inference", marginal=True,
                          source="Tokens served") for s in range(n_stage)]
    card = card.model_copy(update={"name": "generated-5000", "served_output_tokens":
                                   f"{n_stage} * tokens_per_month * months"})
    inventory = Inventory(Path("generated"), card, None, parameters, activities, exchanges,
                          stages)
    inventory.files = canonical_files(inventory, {})
    return inventory


def timed(label: str, action) -> float:
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    print(f"  {label:<28} {seconds:6.2f} s")
    return seconds


def test_bench_workbook(tmp_path):
    cases = {"large-2": read_inventory(LARGE2), "generated 5,000 rows": generated_inventory()}
    times = {}
    print()
    for name, inventory in cases.items():
        rows = sum(len(getattr(inventory, t)) for t in ("parameters", "activities", "exchanges",
                                                         "stages"))
        book = tmp_path / f"{inventory.name}.xlsx"
        print(f"{name} ({rows} rows)")
        times[(name, "export")] = timed("export", lambda inv=inventory, b=book:
                                        export_workbook(inv, b, force=True))
        report = None

        def check(b=book):
            nonlocal report
            report = validate(b)

        times[(name, "validate")] = timed("validate (every check)", check)
        assert report.problems == [], report.problems[:3]
        times[(name, "import")] = timed("import (every check)", lambda b=book, n=name:
                                        import_workbook(b, tmp_path / n, force=True))
        expected = canonical_files(inventory, comments_of(inventory))
        assert all((tmp_path / name / f).read_bytes() == d for f, d in expected.items())
    for step in ("export", "validate", "import"):
        assert times[("generated 5,000 rows", step)] <= TARGET_SECONDS, step
    # The same through the command line, Python's start and imports included (not a target).
    import subprocess
    import sys

    folder = tmp_path / "generated 5,000 rows"
    book = tmp_path / "generated-5000.xlsx"
    print("generated 5,000 rows, command line (process start included)")
    for label, args in (
        ("lca inventory export", ["export", "--inventory", str(folder), "-o", str(book),
                                  "--force"]),
        ("lca inventory validate", ["validate", str(book)]),
        ("lca inventory import", ["import", str(book), "-o", str(folder), "--force"]),
    ):
        timed(label, lambda a=args: subprocess.run(
            [sys.executable, "-m", "lca.cli.main", "inventory", *a], check=True,
            capture_output=True))
