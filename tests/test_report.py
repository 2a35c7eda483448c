"""`lca report`: the report data against hand calculations and published figures, the
checklist on complete and deliberately incomplete inventories, equivalents, uncertainty,
same bytes for the same inputs, the JSON Schema, the README examples and the committed
example (which must not be stale)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from conftest import cli

from lca.display import fmt, fmt_response, fmt_total

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
EXAMPLE = REPO / "reports" / "large-2-18-months"
EXAMPLE_DATE = "2026-11-23"
REGENERATE = ("lca report --model large-2 --months 18 -o reports/large-2-18-months "
              f"--date {EXAMPLE_DATE} --overwrite")
SCHEMA = REPO / "reports" / "schema" / "report.schema.json"


def build(result, uncertainty=None, date="2025-07-22"):
    from lca.report.model import build_report

    return build_report(result, date=date, uncertainty=uncertainty)


@pytest.fixture(scope="module")
def doc(large2):
    return build(large2)


def checklist(doc) -> dict:
    return {c["id"]: c for c in doc["checklist"]}


def parameter(inventory: Path, name: str) -> str:
    rows = csv.DictReader((inventory / "parameters.csv").open(encoding="utf-8"))
    return next(r["value"] for r in rows if r["name"] == name)


def run_cli(*args, cwd=REPO):
    return cli(*args, cwd=cwd)


# ------------------------------------------------------------------ numbers and sections


def test_functional_units_follow_the_inventory_by_hand(doc):
    """Responses = output tokens per month x months / 400, from the CSV as a person reads it."""
    from conftest import LARGE2

    per_month = float(parameter(LARGE2, "output_tokens_per_month").split()[0])
    assert doc["scope"]["responses"] == pytest.approx(per_month * 18 / 400, rel=1e-6)
    assert doc["scope"]["served_output_tokens"] == pytest.approx(per_month * 18, rel=1e-6)
    assert [u["name"] for u in doc["scope"]["functional_units"]] == [
        "one unit", "the service over the period"]
    assert "400 output tokens" in doc["scope"]["functional_units"][0]["description"]


def test_headline_indicators_add_up_and_meet_the_published_figures(doc):
    h, ia = doc["headline"], doc["impact_assessment"]
    for ind in ("gwp", "water", "adp"):
        # Training is counted once and holds at least the training stage itself...
        assert h["training_service"][ind] >= ia["stages"]["training"][ind] * (1 - 1e-6)
        # ...and the four parts of the service add up to the life-cycle total.
        parts = sum(ia["by_service"][s][ind] for s in ("development", "training", "inference",
                                                       "users"))
        assert parts == pytest.approx(ia["total"][ind], rel=1e-5)
        share = 100 * ia["by_service"]["inference"][ind] / ia["total"][ind]
        assert h["inference_service_share_percent"][ind] == pytest.approx(share, rel=1e-5)
        # Allocated per response = total / responses (by hand).
        assert h["allocated_per_unit"][ind] == pytest.approx(
            ia["total"][ind] / doc["scope"]["responses"], rel=1e-5)
    # Mistral: 1.14 g CO2e, 45 mL, 0.16 mg Sb eq per 400-token response; 20.4 kt, 281,000 m3,
    # 660 kg Sb eq over the life cycle. The inventory was calibrated on them: fit residuals,
    # within two standard deviations of the calibration's 10 % model discrepancy.
    published = {"gwp": (0.00114, 20.4e6), "water": (45e-6, 281_000), "adp": (0.16e-6, 660)}
    for ind, (per_response, total) in published.items():
        assert h["marginal_per_unit"][ind] == pytest.approx(per_response, rel=0.21)
        assert ia["total"][ind] == pytest.approx(total, rel=0.21)
    assert {r["role"] for r in doc["published"]["rows"]} == {"fit residual"}
    rows = {(r["figure"], r["indicator"]): r for r in doc["published"]["rows"]}
    assert rows[("total", "gwp")]["published"] == pytest.approx(20.4e6)


def test_every_parameter_is_listed_with_value_unit_kind_and_source(doc):
    from conftest import LARGE2

    rows = list(csv.DictReader((LARGE2 / "parameters.csv").open(encoding="utf-8")))
    listed = {p["name"]: p for p in doc["inventory"]["parameters"]}
    assert list(listed) == [r["name"] for r in rows]
    assert listed["server_max_power"]["value"] == "10.2"
    assert listed["server_max_power"]["unit"] == "kW/server"
    assert listed["server_max_power"]["kind"] == "sourced"
    # A formula is shown with its value: 10.2 kW per server / 8 GPUs = 1.275 kW per GPU.
    assert listed["slot_max_power"]["formula"] == "server_max_power / gpus_per_server"
    assert float(listed["slot_max_power"]["value"]) == pytest.approx(10.2 / 8)
    assert all(p["source"] for p in listed.values())
    kinds = {k["kind"]: k["count"] for k in doc["data_quality"]["kinds"]}
    assert sum(kinds.values()) == len(rows)
    assert kinds["calibrated"] == sum(r["kind"] == "calibrated" for r in rows)


def test_scope_lists_every_stage_and_the_declared_exclusion(doc):
    stages = {s["stage"]: s for s in doc["scope"]["stages"]}
    assert len(stages) == 7 and all(s["included"] for s in stages.values())
    assert [e["item"] for e in doc["scope"]["excluded"]] == ["downstream"]
    methods = {m["indicator"]: m for m in doc["impact_assessment"]["methods"]}
    assert "IPCC AR6" in methods["gwp"]["source"]
    assert doc["critical_review"]["status"] == "not reviewed"


def test_equivalents_by_hand():
    """1 t CO2e is 1000 / 0.2485 = 4,024 km in an average petrol car (EPA: 400 g CO2 per
    mile); 1 m3 of water is 1,000 litres."""
    from lca.report.equivalents import equivalents_of, read_equivalences

    factors = read_equivalences()
    assert all(f.source for f in factors)
    counts = {e["name"]: e["count"] for e in equivalents_of({"gwp": 1000.0, "water": 1.0},
                                                            factors)}
    assert counts["petrol_car_km"] == pytest.approx(1000 / (400 / 1609.344), rel=1e-3)
    assert counts["drinking_water_litres"] == pytest.approx(1000.0)
    assert counts["video_streaming_minutes"] == pytest.approx(1000 / (36 / 60 / 1000), rel=1e-9)
    assert counts["smartphone_charges"] == pytest.approx(1000 / 0.0124, rel=1e-9)


def test_equivalents_in_the_report_are_labelled_as_orders_of_magnitude(doc):
    from lca.report.markdown import render_markdown

    per_response = {e["name"]: e for e in doc["equivalents"]["per_response_marginal"]}
    grams = doc["headline"]["marginal_per_unit"]["gwp"] * 1000
    assert per_response["smartphone_charges"]["count"] == pytest.approx(grams / 12.4, rel=1e-5)
    text = render_markdown(doc)["report.md"].decode()
    assert "Equivalents (orders of magnitude)" in text
    assert "US EPA" in text and "IEA" in text


def test_bad_equivalence_table_is_reported_with_row_and_field(tmp_path):
    from lca.errors import InventoryError
    from lca.report.equivalents import read_equivalences

    bad = tmp_path / "equivalents.csv"
    bad.write_text("name,label,indicator,factor,unit,per,source,comment\n"
                   "x,x things,gwp,-1,kg CO2e,thing,somewhere,\n"
                   "y,y things,water,1,L,thing,,\n", encoding="utf-8")
    with pytest.raises(InventoryError) as err:
        read_equivalences(bad)
    message = str(err.value)
    assert "row 2, field 'factor'" in message and "row 3, field 'source'" in message


# ------------------------------------------------------------------ checklist


def test_checklist_on_the_shipped_inventory(doc):
    items = checklist(doc)
    assert items["data-sources"]["status"] == "pass"
    assert items["system-boundary"]["status"] == "pass"
    assert items["headline-indicators"]["status"] == "pass"
    # Honest failures: nobody reviewed our inventory, and no Monte Carlo was given.
    assert items["critical-review"]["status"] == "fail"
    assert items["uncertainty-quantitative"]["status"] == "fail"
    assert {c["section"] for c in doc["checklist"]} <= {
        "identification", "goal", "scope", "allocation", "inventory", "impact-assessment",
        "headline", "published", "uncertainty", "data-quality", "critical-review",
        "communication"}


def test_checklist_fails_on_a_deliberately_incomplete_inventory(large2_copy):
    """A parameter with no real source fails data quality; a stage dropped without a declared
    reason fails the system boundary. Declaring the exclusion and naming reviewers fixes
    what they should, and nothing else."""
    import lca

    params = large2_copy / "parameters.csv"
    rows = list(csv.DictReader(params.open(encoding="utf-8")))
    for row in rows:
        if row["name"] == "training_pue":
            row["source"] = "TODO"
    with params.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    stages = large2_copy / "stages.csv"
    kept = [line for line in stages.read_text(encoding="utf-8").splitlines()
            if not line.startswith("network,")]
    stages.write_text("\n".join(kept) + "\n", encoding="utf-8")

    broken = build(lca.assess(None, 18, 400, large2_copy))
    items = checklist(broken)
    assert items["data-sources"]["status"] == "fail"
    assert "training_pue" in items["data-sources"]["detail"]
    assert items["system-boundary"]["status"] == "fail"
    assert "'network'" in items["system-boundary"]["detail"]
    network = next(s for s in broken["scope"]["stages"] if s["stage"] == "network")
    assert not network["included"] and "NOT DECLARED" in network["note"]

    card = large2_copy / "model.toml"
    text = card.read_text(encoding="utf-8")
    text = text.replace("reviewers = []", 'reviewers = ["A. Reviewer (Example Lab)"]')
    text = text.replace("[excluded]\n", "[excluded]\nnetwork = \"Left out in this test: "
                                        "below 0.1 % of every indicator.\"\n")
    card.write_text(text, encoding="utf-8")
    fixed = build(lca.assess(None, 18, 400, large2_copy))
    items = checklist(fixed)
    assert items["system-boundary"]["status"] == "pass"
    assert items["critical-review"]["status"] == "pass"
    assert fixed["critical_review"]["reviewers"] == ["A. Reviewer (Example Lab)"]
    assert items["data-sources"]["status"] == "fail"  # still unsourced


# ------------------------------------------------------------------ uncertainty


def monte_carlo() -> dict:
    """A small result in issue 5's shape, with round numbers to find in the output."""
    def stats(mean, std, low, mid, high):
        return {"mean": mean, "std": std, "p2_5": low, "p50": mid, "p97_5": high}

    return {"iterations": 2000, "seed": 42, "indicators": {
        # Keys other than the three quantities (a unit, ranges by stage) are accepted, unused.
        "gwp": {"unit": "kg CO2e", "stages": {"training": stats(1, 1, 1, 1, 1)},
                "total": stats(2.1e7, 2.5e6, 1.6e7, 2.05e7, 2.6e7),
                "per_response_marginal": stats(0.00117, 0.0002, 0.0008, 0.00115, 0.0016),
                "per_response_allocated": stats(0.0088, 0.001, 0.007, 0.0087, 0.0109)},
        "water": {"total": stats(280000, 30000, 225000, 278000, 341000),
                  "per_response_marginal": stats(4.6e-5, 6e-6, 3.5e-5, 4.5e-5, 5.9e-5),
                  "per_response_allocated": stats(1.17e-4, 1.3e-5, 9.4e-5, 1.16e-4, 1.45e-4)},
    }}


def test_uncertainty_ranges_are_rendered_as_given(large2):
    from lca.report.html import render_html
    from lca.report.markdown import render_markdown

    mc = monte_carlo()
    doc = build(large2, uncertainty=mc)
    unc = doc["uncertainty"]
    assert unc["computed"] and unc["iterations"] == 2000 and unc["seed"] == 42
    rows = {(r["indicator"], r["quantity"]): r for r in unc["rows"]}
    assert len(rows) == 6
    for (ind, quantity), row in rows.items():
        for key in ("mean", "std", "p2_5", "p50", "p97_5"):
            assert row[key] == mc["indicators"][ind][quantity][key]
    assert checklist(doc)["uncertainty-quantitative"]["status"] == "pass"
    md = render_markdown(doc)["report.md"].decode()
    html = render_html(doc).decode()
    # 1.6e7 kg = 16,000 t CO2e; 2.6e7 kg = 26,000 t; 0.0008 kg = 0.800 g; 3.5e-5 m3 = 35.0 mL.
    table = [x for x in md.splitlines() if x.startswith("| Climate change, GWP100 |")
             or x.startswith("| Water consumption |")]
    line = next(x for x in table if "life-cycle total" in x and "Climate" in x)
    assert "| 16,000 |" in line and "| 26,000 |" in line and "| t CO2e |" in line
    line = next(x for x in table if "Climate" in x and "marginal" in x)
    assert "| g CO2e |" in line and "| 0.800 |" in line and "| 1.60 |" in line
    line = next(x for x in table if "Water" in x and "marginal" in x)
    assert "| mL |" in line and "| 35.0 |" in line and "| 59.0 |" in line
    assert "2,000 iterations" in html and "seed 42" in html


def test_without_uncertainty_the_report_says_not_computed(doc):
    from lca.report.html import render_html

    assert doc["uncertainty"]["statement"] == "not computed"
    assert "Quantitative uncertainty: not computed." in render_html(doc).decode()


@pytest.mark.parametrize("broken, message", [
    ({"iterations": 10, "seed": 1}, "'indicators'"),
    ({"iterations": "10", "seed": 1, "indicators": {}}, "'iterations' must be a whole number"),
    ({"iterations": 10, "seed": 1, "indicators": {"co2": {}}}, "unknown indicator 'co2'"),
    ({"iterations": 10, "seed": 1, "indicators": {"gwp": {"mean": 1}}},
     "indicators.gwp has none of total, per_response_marginal, per_response_allocated"),
    ({"iterations": 10, "seed": 1, "indicators": {"gwp": {"total": {"mean": 1}}}},
     "indicators.gwp.total.std must be a finite number"),
])
def test_malformed_uncertainty_is_a_clear_error(large2, broken, message):
    from lca.errors import BadArgument

    with pytest.raises(BadArgument, match=re.escape(message)):
        build(large2, uncertainty=broken)


# ------------------------------------------------------------------ formats


def test_same_inputs_give_the_same_bytes_in_every_format(large2, doc):
    from lca.report.writer import FORMATS, render

    first = render(doc, list(FORMATS))
    time.sleep(1.1)  # a timestamp to the second (zip entries, document properties) would show
    second = render(build(large2), list(FORMATS))
    assert sorted(first) == sorted(second) == sorted([
        "report.html", "report.pdf", "report.md", "report-boundary-diagram.svg",
        "report-stages-chart.svg", "report.xlsx", "report.json",
        *(f"report-contributions-{i}-chart.svg" for i in ("gwp", "water", "adp", "energy"))])
    for name in first:
        assert first[name] == second[name], f"{name} differs between two runs"
    other_day = render(build(large2, date="2025-07-23"), ["json", "xlsx"])
    assert other_day["report.json"] != first["report.json"]
    with zipfile.ZipFile(io.BytesIO(first["report.xlsx"])) as z:
        assert {i.date_time[:3] for i in z.infolist()} == {(2025, 7, 22)}


def test_json_validates_against_the_schema(doc, large2):
    import jsonschema

    from lca.report.writer import render_json

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(render_json(doc)), schema)
    jsonschema.validate(json.loads(render_json(build(large2, uncertainty=monte_carlo()))),
                        schema)
    broken = json.loads(render_json(doc))
    broken["checklist"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_workbook_holds_results_and_inventory(doc, tmp_path):
    from openpyxl import load_workbook

    from lca.report.xlsx import render_xlsx

    path = tmp_path / "report.xlsx"
    path.write_bytes(render_xlsx(doc))
    wb = load_workbook(path, read_only=True)
    assert {"Results", "Inventory", "Headline", "Checklist"} <= set(wb.sheetnames)
    results = {(r[0], r[1]): r[3] for r in wb["Results"].iter_rows(min_row=2, values_only=True)}
    assert results[("training", "gwp")] == doc["impact_assessment"]["stages"]["training"]["gwp"]
    assert results[("total", "water")] == doc["impact_assessment"]["total"]["water"]
    names = [r[0] for r in wb["Inventory"].iter_rows(min_row=2, values_only=True)]
    assert names == [p["name"] for p in doc["inventory"]["parameters"]]


def test_markdown_and_html_show_the_same_figures(doc):
    from lca.report.html import render_html
    from lca.report.markdown import render_markdown

    html = render_html(doc).decode()
    md = render_markdown(doc)["report.md"].decode()
    total = fmt_total("gwp", doc["impact_assessment"]["total"]["gwp"])
    marginal = fmt_response("water", doc["headline"]["marginal_per_unit"]["water"])
    for text in (html, md):
        assert total in text and marginal in text
    assert "![Impacts by life-cycle stage" in md and "report-stages-chart.svg" in md
    # boundary, stages, and the contribution analysis of each of the four indicators
    assert html.count("<svg") == 6
    assert md.count("-chart.svg)") == 5
    # Every internal link (contents, checklist -> section meeting the item) has a target.
    targets = set(re.findall(r'href="#([^"]+)"', html))
    assert {c["section"] for c in doc["checklist"]} <= targets
    assert targets <= set(re.findall(r'id="([^"]+)"', html))
    assert fmt(21_080_175.7) == "21,100,000" and fmt(0.001167) == "0.00117"


# ------------------------------------------------------------------ CLI and example


def readme_report_examples() -> list[list[str]]:
    section = README.split("<!-- section: report -->", 1)[1].split("<!-- end section", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.split()[1:] for line in block.splitlines() if line.startswith("lca report")]


def test_every_readme_report_example_runs(tmp_path, large2_copy):
    examples = readme_report_examples()
    assert len(examples) == 4
    for args in examples:
        args = [str(large2_copy) if a == "path/to/my-model" else a for a in args]
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "checklist:" in done.stderr
        for line in done.stdout.splitlines():
            assert (tmp_path / line).is_file()
    assert sorted(p.name for p in (tmp_path / "my-report").iterdir()) == sorted([
        "report-boundary-diagram.svg", "report-stages-chart.svg", "report.html", "report.json",
        "report.md", "report.pdf", "report.xlsx",
        *(f"report-contributions-{i}-chart.svg" for i in ("gwp", "water", "adp", "energy"))])
    assert json.loads((tmp_path / "my-model-report" / "report.json").read_text())[
        "identification"]["date"] == "2026-01-31"
    # The last example is the command that regenerates the committed example.
    assert REGENERATE.split()[1:] == examples[-1]


def test_cli_refuses_to_overwrite_and_reports_bad_options(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.json").write_text("keep me", encoding="utf-8")
    done = run_cli("report", "-o", str(tmp_path / "out"), "--format", "json")
    assert done.returncode == 2 and "--overwrite" in done.stderr and done.stdout == ""
    assert (tmp_path / "out" / "report.json").read_text(encoding="utf-8") == "keep me"
    done = run_cli("report", "-o", str(tmp_path / "x"), "--format", "html,docx")
    assert done.returncode == 2 and "error: --format: unknown format(s) docx" in done.stderr
    done = run_cli("report", "-o", str(tmp_path / "x"), "--date", "23/11/2026")
    assert done.returncode == 2 and "--date must be a date written YYYY-MM-DD" in done.stderr
    bad = tmp_path / "mc.json"
    bad.write_text("{not json", encoding="utf-8")
    done = run_cli("report", "-o", str(tmp_path / "x"), "--uncertainty", str(bad))
    assert done.returncode == 2 and "not valid JSON" in done.stderr
    assert not (tmp_path / "x").exists()


def test_cli_uncertainty_file(tmp_path):
    mc = tmp_path / "mc.json"
    mc.write_text(json.dumps(monte_carlo()), encoding="utf-8")
    done = run_cli("report", "-o", str(tmp_path / "out"), "--format", "json",
                   "--uncertainty", str(mc), "--date", "2025-07-22")
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert data["uncertainty"]["iterations"] == 2000


def pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: .ci/run installs Debian's poppler-utils"
    return subprocess.run([tool, "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True, timeout=120).stdout


def workbook_values(path: Path) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_committed_example_is_not_stale(tmp_path):
    """The committed report equals a fresh one: text formats byte for byte; the PDF by its
    text and the workbook by its cells (their bytes also depend on the library versions)."""
    from lca.report import render_report

    hint = f"reports/large-2-18-months is stale; regenerate it with: {REGENERATE}"
    fresh = render_report("large-2", 18, date=EXAMPLE_DATE)
    committed = sorted(p.name for p in EXAMPLE.iterdir()) if EXAMPLE.is_dir() else []
    assert committed == sorted(fresh), hint
    for name, data in fresh.items():
        (tmp_path / name).write_bytes(data)
        if name.endswith(".pdf"):
            assert pdf_text(tmp_path / name) == pdf_text(EXAMPLE / name), hint
        elif name.endswith(".xlsx"):
            assert workbook_values(tmp_path / name) == workbook_values(EXAMPLE / name), hint
        else:
            assert (EXAMPLE / name).read_bytes() == data, f"{name}: {hint}"
