"""Contribution analysis (`lca assess --contributions`, `result.contributions()`): processes
and elementary flows that add up to each stage total, checked against hand calculations."""

from __future__ import annotations

import json

import pytest
from conftest import cli
from test_hand_calculations import (
    SLOT_KW,
    P,
    french_grid,
    grid,
    inference,
    inference_gpu_hours,
    training,
)

import lca
from lca.schema import INDICATORS, STAGES

SCOPES = ("life cycle", *STAGES)


@pytest.fixture(scope="module")
def analysis(large2):
    return large2.contributions()


@pytest.fixture(scope="module")
def as_json():
    done = cli("assess", "--model", "large-2", "--months", "18", "--contributions", "--top",
               "3", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("kind", ["processes", "flows"])
def test_every_contribution_adds_up_to_its_stage_total(analysis, large2, kind):
    """Summed over every process (or every flow), each stage and the life cycle give the
    totals of `lca assess`, within 1e-9 relative."""
    table = getattr(analysis, kind)
    for ind in INDICATORS:
        for scope in SCOPES:
            total = (large2.total[ind] if scope == "life cycle"
                     else large2.stages.loc[scope, ind])
            part = table[(table.indicator == ind) & (table.scope == scope)]
            assert part.value.sum() == pytest.approx(total, rel=1e-9, abs=1e-12), (ind, scope)
            if total:
                assert part.share.sum() == pytest.approx(1.0, rel=1e-9), (ind, scope)


def test_json_top_and_other_add_up_to_each_stage_total(as_json):
    """The CLI's JSON: the top 3 and "other" of every scope add up to its total (1e-9), and
    the totals are those of the assessment itself."""
    c = as_json["contributions"]
    assert c["top"] == 3
    for ind in INDICATORS:
        for scope in SCOPES:
            part = c["indicators"][ind][scope]
            expected = (as_json["total"][ind] if scope == "life cycle"
                        else as_json["stages"][scope][ind])
            assert part["total"] == pytest.approx(expected, rel=1e-12)
            for kind in ("processes", "flows"):
                items = part[kind]
                assert len(items) <= 4
                assert sum(i["value"] for i in items) == pytest.approx(
                    expected, rel=1e-9, abs=1e-12), (ind, scope, kind)
                if expected:
                    assert sum(i["share_percent"] for i in items) == pytest.approx(100,
                                                                                   rel=1e-9)


def test_training_is_the_us_grid_by_hand(analysis):
    """Training's GWP comes from one process, the US grid, and one flow, the grid's CO2e:
    training GPU-hours x power x load x PUE x 0.3844 kg CO2e/kWh."""
    top = analysis.top("processes", "gwp", "training")
    assert list(top.process) == ["electricity-us"]
    assert top.value[0] == pytest.approx(training()["gwp"], rel=1e-6)
    flows = analysis.top("flows", "gwp", "training")
    assert list(flows.flow) == ["ghg-co2e"]


def test_inference_water_on_site_and_off_site_by_hand(analysis):
    """Inference water splits into the data center's own cooling water (the foreground
    activity's exchange: IT kWh x WUE) and the French grid's off-site water (kWh x 3.67 L),
    the facility kWh shared between the two French factors by fr_grid_ademe_weight."""
    it_kwh = inference_gpu_hours(18) * SLOT_KW * P["inference_power_load"]
    on_site = it_kwh * P["inference_wue"] / 1000
    weight = P["fr_grid_ademe_weight"]
    facility = it_kwh * P["inference_pue"]
    table = analysis.processes
    part = table[(table.indicator == "water") & (table.scope == "inference")]
    values = dict(zip(part.process, part.value, strict=True))
    assert values["large2-inference-token"] == pytest.approx(on_site, rel=1e-6)
    assert values["electricity-fr"] == pytest.approx(
        facility * (1 - weight) * grid("electricity-fr")[1], rel=1e-6)
    assert values["electricity-fr-ademe"] == pytest.approx(
        facility * weight * grid("electricity-fr-ademe")[1], rel=1e-6)
    assert off_site_total(facility) == pytest.approx(
        values["electricity-fr"] + values["electricity-fr-ademe"], rel=1e-6)
    assert sum(values.values()) == pytest.approx(inference(18)["water"], rel=1e-6)


def off_site_total(facility_kwh: float) -> float:
    return facility_kwh * french_grid()[1]


def test_an_indicator_not_assessed_has_no_contribution(large2_copy):
    """A stage that does not assess water is n.a. in the contributions too, and the life
    cycle's contributions still add up to its total."""
    card = large2_copy / "model.toml"
    card.write_text(card.read_text(encoding="utf-8") + '\n[not_assessed]\nnetwork = "water"\n',
                    encoding="utf-8")
    result = lca.assess(None, 18, inventory=large2_copy)
    c = result.contributions()
    assert c.totals.loc["network", "water"] != c.totals.loc["network", "water"]  # NaN
    assert c.processes[(c.processes.indicator == "water")
                       & (c.processes.scope == "network")].empty
    water = c.processes[(c.processes.indicator == "water") & (c.processes.scope == "life cycle")]
    assert water.value.sum() == pytest.approx(result.total["water"], rel=1e-9)
    data = c.to_dict()
    assert data["indicators"]["water"]["network"] == {"total": None, "processes": [],
                                                      "flows": []}


def test_the_table_and_csv(large2):
    done = cli("assess", "--contributions", "--top", "2")
    assert done.returncode == 0, done.stderr
    assert "gwp: contributions by process and by elementary flow" in done.stdout
    assert "electricity-us" in done.stdout
    done = cli("assess", "--contributions", "--format", "csv")
    lines = [line.split(",") for line in done.stdout.splitlines()]
    processes = [r for r in lines if r[0] == "process" and r[2] == "gwp"
                 and r[1].startswith("training/")]
    assert sum(float(r[3]) for r in processes) == pytest.approx(
        float(large2.stages.loc["training", "gwp"]), rel=1e-9)


def test_without_the_flag_the_json_contract_is_unchanged():
    done = cli("assess", "--format", "json")
    assert "contributions" not in json.loads(done.stdout)
