"""Scenarios: one row of ``lca compare`` equals ``lca assess`` of the inventory edited by hand
the same way; the grid, its CSV and chart."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import set_parameter
from typer.testing import CliRunner

from lca.cli.main import app

runner = CliRunner()


def _switch_inputs(inventory, switch: dict, activities: set | None = None) -> None:
    """Edit exchanges.csv as a person would: replace some inputs by others."""
    path = inventory / "exchanges.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        if row["input"] in switch and (activities is None or row["activity"] in activities):
            row["input"] = switch[row["input"]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_a_scenario_equals_assess_of_the_edited_inventory(large2_copy):
    """Swedish grid for training and serving, PUE 1.4, NVIDIA's H100 figure, 12 months,
    1000-token responses. The edited inventory is assessed by bw2calc (a new project);
    Brightway keeps amounts in float32, the scenario path in float64: 1e-6 relative."""
    import lca
    from lca.uncertainty.scenarios import Scenario, compare

    row = compare("large-2", [Scenario(mix="se", pue=1.4, gpu="nvidia", months=12,
                                       tokens=1000)])[0]
    _switch_inputs(large2_copy, {"electricity-us": "electricity-se",
                                 "electricity-fr": "electricity-se",
                                 "electricity-fr-ademe": "electricity-se"},
                   {"large2-training-run", "large2-inference-token"})
    _switch_inputs(large2_copy, {"gpu-h100-manufacturing": "gpu-h100-manufacturing-nvidia"})
    set_parameter(large2_copy, "training_pue", "1.4")
    set_parameter(large2_copy, "inference_pue", "1.4")
    expected = lca.assess(inventory=large2_copy, months=12, tokens_per_response=1000)
    for ind in ("gwp", "water", "adp"):
        assert row.values["total"][ind] == pytest.approx(expected.total[ind], rel=1e-6)
        for stage in expected.stages.index:
            assert row.values["stages"][stage][ind] == pytest.approx(
                expected.stages.loc[stage, ind], rel=1e-6, abs=1e-12)
        for kind in ("marginal", "allocated"):
            assert row.values[f"per_response_{kind}"][ind] == pytest.approx(
                expected.per_response.loc[kind, ind], rel=1e-6)
    # and the network and user devices kept the French grid: their GWP did not change
    base = lca.assess("large-2", months=12, tokens_per_response=1000)
    assert row.values["stages"]["network"]["gwp"] == pytest.approx(
        base.stages.loc["network", "gwp"], rel=1e-6)


def test_grid_is_every_combination():
    from lca.uncertainty.scenarios import grid

    scenarios = grid(["fr", "se"], [1.1, 1.2, 1.4], [], [6, 36], [400],
                     {"inference_utilisation": ["0.02", "0.05"]})
    assert len(scenarios) == 2 * 3 * 1 * 2 * 1 * 2
    assert len({s.label() for s in scenarios}) == len(scenarios)


def test_cli_compare_table_csv_json_and_chart(tmp_path):
    """README: ``lca compare --model large-2 --mix fr,se,us --pue 1.1,1.4 --gpu
    ademe,nvidia,boavizta --months 6,18,36 --format csv --chart gwp.svg``."""
    chart = tmp_path / "gwp.svg"
    out = runner.invoke(app, ["compare", "--model", "large-2", "--mix", "fr,se,us", "--pue",
                              "1.1,1.4", "--gpu", "ademe,nvidia,boavizta", "--months", "6,18,36",
                              "--format", "csv", "--chart", str(chart)])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(out.stdout.splitlines()))
    assert len(rows) == 3 * 2 * 3 * 3
    assert chart.read_text().startswith("<svg") and "mix=us" in chart.read_text()
    by = {(r["mix"], r["pue"], r["gpu"], float(r["months"])): r for r in rows}
    # more months of serving: more inference, same training
    assert float(by[("fr", "1.1", "ademe", 36.0)]["total_gwp"]) > \
        float(by[("fr", "1.1", "ademe", 6.0)]["total_gwp"])
    # the same PUE everywhere: total GWP grows with PUE in proportion to the facility energy
    assert float(by[("us", "1.4", "ademe", 18.0)]["total_gwp"]) > \
        float(by[("us", "1.1", "ademe", 18.0)]["total_gwp"])
    # per response, a Swedish serving grid beats the US one
    assert float(by[("se", "1.1", "ademe", 18.0)]["per_response_marginal_gwp"]) < \
        float(by[("us", "1.1", "ademe", 18.0)]["per_response_marginal_gwp"])
    table = runner.invoke(app, ["compare", "--gpu", "ademe,nvidia,boavizta"])
    assert table.exit_code == 0 and "gpu=boavizta" in table.stdout
    js = runner.invoke(app, ["compare", "--tokens", "400,1000", "--param",
                             "inference_utilisation=0.02,0.05", "--format", "json"])
    data = json.loads(js.stdout)
    assert len(data["scenarios"]) == 4
    assert data["scenarios"][0]["params"] == {"inference_utilisation": "0.02"}


@pytest.mark.parametrize("args, message", [
    (["--mix", "mars"], "electricity-mars"),
    (["--gpu", "intel"], "--gpu"),
    (["--param", "no_such=1"], "no_such"),
    (["--months", "-1"], "--months"),
    (["--pue", "abc"], "--pue"),
])
def test_cli_compare_bad_arguments(args, message):
    result = runner.invoke(app, ["compare", *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
