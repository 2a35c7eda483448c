"""A user's Brightway project as background (`lca assess --background --link`): a small
project the test writes itself (named as ecoinvent names things), linked to large-2, checked
against hand calculations; the project is never written; without a link nothing changes."""

from __future__ import annotations

import json

import pytest
from conftest import cli
from test_hand_calculations import (
    BG,
    SLOT_KW,
    YEAR_H,
    P,
    inference_gpu_hours,
    training_gpu_hours,
)
from user_project import (
    ADP,
    AWARE,
    COMPANY,
    ECOINVENT,
    GWP,
    LINK_FILE,
    PROJECT,
    WATER,
    electricity_lci,
    gpu_lci,
    score,
    snapshot,
    write_project,
)

import lca
from lca import engine

METHODS = {"gwp": GWP, "water": WATER, "adp": ADP}


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory):
    return write_project(tmp_path_factory.mktemp("brightway-user"))


@pytest.fixture(scope="module")
def link_file(user_dir):
    path = user_dir.parent / "link.toml"
    path.write_text(LINK_FILE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def linked(user_dir, link_file):
    before = snapshot(user_dir)
    result = lca.assess("large-2", 18, background=PROJECT, link=link_file,
                        brightway_dir=user_dir)
    return result, before


def test_the_user_project_is_never_written(linked, user_dir):
    """Every file of the user's Brightway folder keeps its bytes, size and time."""
    _, before = linked
    assert snapshot(user_dir) == before


def per_kwh(indicator):
    return score(electricity_lci(), METHODS[indicator])


def per_gpu(indicator):
    return score(gpu_lci(), METHODS[indicator])


def test_training_on_the_linked_grid_by_hand(linked):
    """Training draws on electricity-us, linked to the project's US market for electricity:
    kWh x the market's inventory characterised by the project's methods, plus large-2's own
    on-site water and support-equipment ADP (characterised by ours)."""
    result, _ = linked
    it_kwh = training_gpu_hours() * SLOT_KW * P["training_power_load"]
    kwh = it_kwh * P["training_pue"]
    expected = {
        "gwp": kwh * per_kwh("gwp"),
        "water": it_kwh * P["training_wue"] / 1000 + kwh * per_kwh("water"),
        "adp": kwh * (per_kwh("adp") + P["support_equipment_adp"]),
        "energy": kwh,  # an inventory indicator of the engine: the same linked or not
    }
    for ind, value in expected.items():
        # Brightway stores exchange amounts as 32-bit floats: 1e-6 relative
        assert result.stages.loc["training", ind] == pytest.approx(value, rel=1e-6), ind


def test_hardware_with_the_linked_gpu_by_hand(linked):
    """The H100 is linked by (database, code) to a company database's GPU ("unit" = one
    GPU); the server chassis stays ours."""
    result, _ = linked
    hours = training_gpu_hours() + inference_gpu_hours(18)
    life_h = P["hardware_lifetime"] * YEAR_H
    gpus = P["gpus_per_server"]
    # the H100 figure of the inventory above the dataset's, as a deviation exchange
    deviation = P["gpu_embodied_gwp"] - P["gpu_embodied_gwp_in_dataset"]
    expected = {
        "gwp": (per_gpu("gwp") + deviation
                + BG[("gpu-server-chassis-manufacturing", "ghg-co2e")] / gpus) / life_h,
        "water": (per_gpu("water") + P["hardware_water"] / gpus) / life_h,
        "adp": (per_gpu("adp") + (BG[("gpu-server-chassis-manufacturing",
                                      "minerals-metals-sb-eq")] + P["hardware_adp_gap"])
                / gpus) / life_h,
    }
    for ind, value in expected.items():
        assert result.stages.loc["hardware-manufacturing", ind] == pytest.approx(
            hours * value, rel=1e-6), ind


def test_stages_without_linked_codes_are_unchanged(linked, large2):
    result, _ = linked
    for stage in ("inference", "network", "end-user-equipment", "model-conception",
                  "data-center-construction"):
        for ind in ("gwp", "water", "adp", "energy"):
            assert result.stages.loc[stage, ind] == pytest.approx(
                large2.stages.loc[stage, ind], rel=1e-12, abs=1e-300), (stage, ind)
    assert (result.total["energy"] == pytest.approx(large2.total["energy"], rel=1e-12))


def test_the_output_states_links_fallbacks_and_the_indicator_mapping(linked):
    result, _ = linked
    data = result.to_dict()["background"]
    assert data["project"] == PROJECT
    links = {k["code"]: k for k in data["links"]}
    assert links["electricity-us"]["database"] == ECOINVENT
    assert links["electricity-us"]["activity"] == "market-us"
    assert links["gpu-h100-manufacturing"]["database"] == COMPANY
    assert links["electricity-us"]["scores"]["gwp"] == pytest.approx(per_kwh("gwp"), rel=1e-6)
    assert "electricity-fr" in data["unlinked"] and "electricity-us" not in data["unlinked"]
    assert data["methods"]["gwp"]["linked"] == list(GWP)
    assert data["methods"]["water"]["linked"] == list(WATER)
    assert data["methods"]["energy"]["linked"] is None  # energy: the engine's own


def test_contributions_name_the_linked_flows(linked):
    """Contribution analysis reaches into the linked inventory: the project's carbon dioxide
    and methane are flows of their own, adding up to the stage total."""
    result, _ = linked
    c = result.contributions()
    flows = c.flows[(c.flows.indicator == "gwp") & (c.flows.scope == "training")]
    by_name = dict(zip(flows.name, flows.value, strict=True))
    it_kwh = training_gpu_hours() * SLOT_KW * P["training_power_load"]
    kwh = it_kwh * P["training_pue"]
    assert by_name["Carbon dioxide, fossil"] == pytest.approx(kwh * electricity_lci()["co2"],
                                                              rel=1e-6)
    assert by_name["Methane, fossil"] == pytest.approx(kwh * electricity_lci()["ch4"] * 29.8,
                                                       rel=1e-6)
    assert flows.value.sum() == pytest.approx(result.stages.loc["training", "gwp"], rel=1e-9)
    processes = c.processes[(c.processes.indicator == "gwp") & (c.processes.scope == "training")]
    assert processes.iloc[0]["kind"] == "linked background"


def test_a_link_file_that_links_nothing_changes_nothing(user_dir, tmp_path, large2):
    """The methods of the project apply to its flows only: with no activity linked, every
    number is the engine's own."""
    path = tmp_path / "methods-only.toml"
    path.write_text(LINK_FILE.split("[[link]]")[0], encoding="utf-8")
    result = lca.assess("large-2", 18, background=PROJECT, link=path, brightway_dir=user_dir)
    for stage in result.stages.index:
        for ind in ("gwp", "water", "adp", "energy"):
            assert result.stages.loc[stage, ind] == pytest.approx(
                large2.stages.loc[stage, ind], rel=1e-12, abs=1e-300)


def test_without_a_link_file_the_result_and_its_key_are_unchanged(large2):
    """No link file: the project key is that of the inventory and base data alone, and the
    JSON contract has no background key."""
    prepared = large2.prepared
    assert prepared.key == engine.project_key(prepared.base_text.files,
                                              prepared.inventory.files)
    assert "background" not in large2.to_dict()
    assert "linked" not in prepared.manifest


def write_link(tmp_path, text):
    path = tmp_path / "link.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_ambiguous_match_a_unit_that_does_not_convert_and_a_scarcity_method(
        user_dir, tmp_path):
    """Every problem of the link file at once, each at its field: a name found in two
    locations, a GPU linked to a kWh, a water-scarcity method for water consumed."""
    text = (LINK_FILE.replace('location = "US"\n', "")
            .replace('code = "gpu-h100-manufacturing"\ndatabase = "company-hardware"\n'
                     'activity = "h100"',
                     'code = "gpu-h100-manufacturing"\nactivity = "market-us"')
            .replace(json.dumps(list(WATER)), json.dumps(list(AWARE))))
    path = write_link(tmp_path, text)
    done = cli("assess", "--background", PROJECT, "--link", path, "--brightway-dir", user_dir)
    assert done.returncode == 2, done.stderr
    err = done.stderr
    assert "link[0].name" in err and "2 activities" in err
    assert "link[1].unit" in err and "GPU" in err and "kilowatt hour" in err
    assert "methods.water" in err and "water consumption" in err
    assert "Traceback" not in err


def test_unknown_project_and_missing_link(user_dir, tmp_path):
    path = write_link(tmp_path, LINK_FILE)
    done = cli("assess", "--background", "nope", "--link", path, "--brightway-dir", user_dir)
    assert done.returncode == 2 and PROJECT in done.stderr
    done = cli("assess", "--background", PROJECT, "--brightway-dir", user_dir)
    assert done.returncode == 2 and "--link" in done.stderr


def test_cli_json_and_table(user_dir, link_file):
    done = cli("assess", "--background", f"{PROJECT}:{ECOINVENT}", "--link", link_file,
               "--brightway-dir", user_dir, "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {k["code"] for k in data["background"]["links"]} == {"electricity-us",
                                                                 "gpu-h100-manufacturing"}
    done = cli("assess", "--background", PROJECT, "--link", link_file, "--brightway-dir",
               user_dir, columns=200)
    assert done.returncode == 0, done.stderr
    assert f"Background linked to Brightway project {PROJECT}" in done.stdout
    assert "Indicator mapping" in done.stdout


def test_the_report_states_the_links_and_the_indicator_mapping(user_dir, link_file,
                                                               tmp_path):
    """`lca report` with a linked background: the scope says what stands for what, in the
    JSON (valid against the report schema) and in the HTML."""
    import jsonschema
    from test_report import SCHEMA

    out = tmp_path / "report"
    done = cli("report", "-o", out, "--format", "json,html", "--date", "2026-11-23",
               "--background", PROJECT, "--link", link_file, "--brightway-dir", user_dir)
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert doc["scope"]["background"]["project"] == PROJECT
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="background-links-table"' in html and "market for electricity" in html
    assert "global warming potential (GWP100)" in html


def test_units_of_links_and_methods_convert_with_pint():
    """Our node's unit against the activity's, as Brightway spells it; a method's unit
    against our indicator's."""
    from lca.engine.background import link_factor, method_factor
    from lca.errors import BadValue

    assert link_factor("kWh", "megajoule") == pytest.approx(3.6)
    assert link_factor("kWh", "kilowatt hour") == 1.0
    assert link_factor("GPU", "unit") == 1.0 and link_factor("server", "unit") == 1.0
    assert link_factor("kg", "ton") == pytest.approx(1e-3)  # ecoinvent's ton is a tonne
    with pytest.raises(BadValue, match="does not convert"):
        link_factor("GPU", "kilowatt hour")
    with pytest.raises(BadValue, match="not a count"):
        link_factor("kWh", "unit")
    assert method_factor("gwp", "kg CO2-Eq") == 1.0
    assert method_factor("gwp", "g CO2-Eq") == pytest.approx(1e-3)
    assert method_factor("adp", "kg Sb-Eq") == 1.0
    assert method_factor("water", "m3") == 1.0
    with pytest.raises(BadValue, match="scarcity"):
        method_factor("water", "m3 world eq. deprived")
