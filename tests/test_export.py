"""`lca export`: a Brightway project that bw2data opens and bw2calc scores as `lca assess`
does; an openLCA JSON-LD zip that olca-schema reads back with amounts and units intact; an
SPDX 3.0.1 AI package that the SPDX bindings read back, with the energy of the assessment."""

from __future__ import annotations

import contextlib
import json
import warnings

import pytest
from conftest import cli

from lca.resolve import stage_amount

INDICATORS = ("gwp", "water", "adp", "energy")
FOREGROUND = "lca-model-large-2"


# ------------------------------------------------------------------------------ Brightway


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("brightway-export")
    done = cli("export", "--model", "large-2", "--format", "brightway", "--project", "my-lca",
               "--brightway-dir", folder, "--with-background")
    assert done.returncode == 0, done.stderr
    return folder, json.loads(done.stdout)


def open_project(folder, project="my-lca"):
    """bw2data and bw2calc on the exported project, as a user would open it."""
    from lca.engine.build import quiet_import_bw2data

    bd = quiet_import_bw2data(folder)
    with contextlib.redirect_stdout(None):
        bd.projects.change_base_directories(folder, base_logs_dir=folder / "logs",
                                            project_name=project, update=False)
    import bw2calc

    return bd, bw2calc


def scores(folder, demands: dict) -> dict:
    """{name: {indicator: score}} of demands {name: {(database, code): amount}}."""
    bd, bc = open_project(folder)
    methods = {
        "gwp": ("lca-ai", "climate change", "GWP100", "IPCC AR6"),
        "water": ("lca-ai", "water use", "water consumption", "m3 consumed"),
        "adp": ("lca-ai", "resource use", "ADP minerals and metals", "ultimate reserves"),
        "energy": ("lca-ai", "inventory indicator", "electricity use", "at the meter"),
    }
    fus = {name: {bd.get_node(database=db, code=code).id: amount
                  for (db, code), amount in d.items()} for name, d in demands.items()}
    config = {"impact_categories": list(methods.values())}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = bd.get_multilca_data_objs(functional_units=fus, method_config=config)
        mlca = bc.MultiLCA(demands=fus, method_config=config, data_objs=data)
        mlca.lci()
        mlca.lcia()
    return {name: {ind: float(mlca.scores[(m, name)]) for ind, m in methods.items()}
            for name in fus}


def test_the_project_opens_with_bw2data(exported):
    folder, written = exported
    bd, _ = open_project(folder)
    assert {"lca-biosphere", "lca-background", FOREGROUND} <= set(bd.databases)
    life_cycle = bd.get_node(database=FOREGROUND, code="large-2-life-cycle")
    assert life_cycle["name"].startswith("large-2 | life cycle")
    assert len(list(life_cycle.technosphere())) == 7  # the seven stages
    assert ("lca-ai", "climate change", "GWP100", "IPCC AR6") in bd.methods
    assert written["activities"]["life cycle"] == ["large-2-life-cycle"]


def test_bw2calc_gives_the_scores_of_lca_assess(exported, large2):
    """The stage rows demanded as `lca assess` demands them, scored by bw2calc in the
    exported project: each stage equals `lca assess` to 1e-9 relative (a stage that is 0,
    such as the energy of hardware manufacturing, to 1e-12 of the life-cycle total: the
    solver's rounding in a matrix ordered otherwise)."""
    folder, _ = exported
    rows = large2.prepared.resolved.stages
    demands = {str(i): {(FOREGROUND, r.row.activity): stage_amount(r, large2.values)}
               for i, r in enumerate(rows)}
    found = scores(folder, demands)
    for stage in large2.stages.index:
        for ind in INDICATORS:
            total = sum(found[str(i)][ind] for i, r in enumerate(rows) if r.row.stage == stage)
            assert total == pytest.approx(large2.stages.loc[stage, ind], rel=1e-9,
                                          abs=1e-12 * large2.total[ind]), (stage, ind)


def test_stage_life_cycle_and_response_activities(exported, large2):
    """The activities that stand for the assessment score its stages, total and
    per-response figures; their exchanges hold the stage amounts, which Brightway stores as
    32-bit floats (hence 1e-6)."""
    folder, _ = exported
    demands = {"life cycle": {(FOREGROUND, "large-2-life-cycle"): 1.0},
               "marginal": {(FOREGROUND, "large-2-per-unit-marginal"): 1.0},
               "allocated": {(FOREGROUND, "large-2-per-unit-allocated"): 1.0}}
    demands |= {stage: {(FOREGROUND, f"large-2-stage-{stage}"): 1.0}
                for stage in large2.stages.index}
    found = scores(folder, demands)
    for ind in INDICATORS:
        assert found["life cycle"][ind] == pytest.approx(large2.total[ind], rel=1e-6)
        for kind in ("marginal", "allocated"):
            assert found[kind][ind] == pytest.approx(large2.per_response.loc[kind, ind],
                                                     rel=1e-6)
        for stage in large2.stages.index:
            assert found[stage][ind] == pytest.approx(large2.stages.loc[stage, ind], rel=1e-6,
                                                      abs=1e-12 * large2.total[ind])


def test_an_existing_project_is_not_replaced_without_force(exported):
    folder, _ = exported
    args = ("export", "--format", "brightway", "--project", "my-lca", "--brightway-dir", folder)
    done = cli(*args)
    assert done.returncode == 2 and "already has lca-model-large-2" in done.stderr
    assert "--force" in done.stderr
    done = cli(*args, "--force")  # the foreground alone, over our background written before
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["databases"] == [FOREGROUND]


def test_the_foreground_alone_needs_our_background(tmp_path):
    done = cli("export", "--format", "brightway", "--project", "empty", "--brightway-dir",
               tmp_path)
    assert done.returncode == 2 and "--with-background" in done.stderr
    assert not (tmp_path / "projects.db").exists()  # refused before anything was written


# ------------------------------------------------------------------------------ openLCA


# Our units as openLCA's reference data name them (kg CO2e and kg Sb eq flows are masses; a
# GPU, a server, a device are items); the others get unit groups of their own.
OLCA_UNITS = {"kWh": "kWh", "kg": "kg", "m3": "m3", "kg CO2e": "kg", "kg Sb eq": "kg",
              "GPU": "Item(s)", "server": "Item(s)", "device": "Item(s)"}


@pytest.fixture(scope="module")
def olca_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("olca") / "large-2.zip"
    done = cli("export", "--format", "jsonld", "-o", path)
    assert done.returncode == 0, done.stderr
    return path


def read_zip(path):
    import olca_schema as o
    from olca_schema.zipio import ZipReader

    with ZipReader(path) as reader:
        return {kind: {e.id: e for e in reader.read_each(getattr(o, kind))}
                for kind in ("Process", "Flow", "FlowProperty", "UnitGroup", "ImpactCategory",
                             "ImpactMethod", "Location")}


def test_olca_schema_reads_back_every_amount_and_unit(olca_zip, large2):
    """Every exchange of every foreground and background process comes back from the zip with
    its amount and unit: the unit openLCA names ours by, in a unit group the zip defines."""
    from olca_schema import units as olca_units

    data = read_zip(olca_zip)
    processes = {p.name: p for p in data["Process"].values()}
    nodes = dict(large2.prepared.base.nodes, **large2.prepared.resolved.nodes)
    units_of_group = {g.id: {u.id: u.name for u in g.units} for g in data["UnitGroup"].values()}
    links = large2.prepared.resolved.links + large2.prepared.base.links
    checked = 0
    for link in links:
        process = processes[nodes[link.activity].name]
        flow_name = nodes[link.input].name
        found = [e for e in process.exchanges if e.flow.name == flow_name
                 and not e.is_quantitative_reference]
        assert len(found) == 1, (link.activity, link.input)
        e = found[0]
        unit = nodes[link.input].unit
        assert e.unit.name == OLCA_UNITS.get(unit, unit), (link.input, unit)
        assert e.amount == link.amount  # every factor here is 1: the float comes back as is
        group = data["FlowProperty"][e.flow_property.id].unit_group.id
        assert units_of_group[group][e.unit.id] == e.unit.name
        if unit in OLCA_UNITS:  # openLCA's reference data: its own unit and group ids
            assert e.unit.id == olca_units.unit_ref(e.unit.name).id
            assert group == olca_units.group_ref(e.unit.name).id
        checked += 1
    assert checked == len(links)


def test_the_assessment_processes_and_the_method(olca_zip):
    data = read_zip(olca_zip)
    processes = {p.name: p for p in data["Process"].values()}
    life = processes["large-2 | life cycle, training and 18 months of use"]
    assert len([e for e in life.exchanges if e.is_input]) == 7
    training = processes["large-2 | stage training, training and 18 months of use"]
    (run,) = [e for e in training.exchanges if e.is_input]
    assert run.amount == 1.0 and run.unit.name == "run"
    categories = {c.name: c for c in data["ImpactCategory"].values()}
    gwp = categories["Climate change, GWP100 (lca-ai)"]
    assert gwp.ref_unit == "kg CO2e"
    factors = {f.flow.name: f.value for f in gwp.impact_factors}
    assert factors["Methane, fossil"] == pytest.approx(29.8)
    assert factors["Greenhouse gases, aggregated as GWP100 CO2e by the data source"] == 1.0
    (method,) = data["ImpactMethod"].values()
    assert len(method.impact_categories) == 4


def test_a_second_export_needs_force(olca_zip):
    done = cli("export", "--format", "jsonld", "-o", olca_zip)
    assert done.returncode == 2 and "--force" in done.stderr
    assert cli("export", "--format", "jsonld", "-o", olca_zip, "--force").returncode == 0


# ------------------------------------------------------------------------------ SPDX


# The documented fields of the SPDX 3.0.1 AI profile for energy (spdx.github.io/spdx-spec
# v3.0.1, AI/Classes/EnergyConsumption and EnergyConsumptionDescription).
ENERGY_FIELDS = {"ai_finetuningEnergyConsumption", "ai_inferenceEnergyConsumption",
                 "ai_trainingEnergyConsumption"}
ENERGY_UNITS = {"kilowattHour", "megajoule", "other"}


def test_spdx_reads_back_with_the_energy_of_the_assessment(tmp_path, large2):
    from lca.export.spdx import read_back

    path = tmp_path / "large-2.spdx.json"
    done = cli("export", "--format", "spdx", "-o", path)
    assert done.returncode == 0, done.stderr
    raw = path.read_bytes()
    objects = read_back(raw)  # the SPDX 3.0.1 bindings check types and cardinalities
    (package,) = [o for o in objects if type(o).__name__ == "ai_AIPackage"]
    energy = package.ai_energyConsumption
    (training,) = energy.ai_trainingEnergyConsumption
    (inference,) = energy.ai_inferenceEnergyConsumption
    assert training.ai_energyQuantity == pytest.approx(large2.stages.loc["training", "energy"],
                                                       rel=1e-12)
    assert inference.ai_energyQuantity == pytest.approx(
        large2.stages.loc["inference", "energy"], rel=1e-12)
    assert str(training.ai_energyUnit).endswith("kilowattHour")
    assert len(energy.ai_finetuningEnergyConsumption) == 0  # not assessed: left out
    # Against the documented fields, in the JSON as written
    doc = json.loads(raw)
    assert doc["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    (node,) = [n for n in doc["@graph"] if n["type"] == "ai_AIPackage"]
    consumption = node["ai_energyConsumption"]
    assert consumption["type"] == "ai_EnergyConsumption"
    assert set(consumption) - {"type"} <= ENERGY_FIELDS
    for key in set(consumption) - {"type"}:
        for description in consumption[key]:
            assert description["type"] == "ai_EnergyConsumptionDescription"
            assert description["ai_energyUnit"] in ENERGY_UNITS
            float(description["ai_energyQuantity"])
    assert node["software_primaryPurpose"] == "model"
    assert "18 months" in node["comment"]
