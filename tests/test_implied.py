"""What an assessment implies physically (lca.implied): the quantities against hand
calculations from the inventory's CSV files, the reference table's rules, and the block in
`lca assess --format json`, `--implied` and the report."""

from __future__ import annotations

import json

import pytest
from conftest import cli
from test_hand_calculations import SLOT_KW, P, inference_gpu_hours, training, training_gpu_hours


def implied(result) -> dict:
    return {q["name"]: q for q in result.implied()["quantities"]}


def test_large2_energy_per_response_by_hand(large2):
    """Facility kWh per output token = provisioned GPU-seconds x slot power x load x PUE;
    x 400 tokens, in Wh."""
    gpu_hours_per_token = inference_gpu_hours(1) / P["output_tokens_per_month"]
    wh = gpu_hours_per_token * SLOT_KW * P["inference_power_load"] * P["inference_pue"] * 400e3
    q = implied(large2)["energy_per_unit"]
    assert q["unit"] == "Wh" and q["value"] == pytest.approx(wh, rel=1e-5)
    # and it is flagged against Microsoft's interquartile range, by the factor shown
    microsoft = next(r for r in q["references"] if "Oviedo" in r["source"])
    assert microsoft["status"] == "above" and microsoft["high"] == 0.67
    assert microsoft["factor"] == pytest.approx(wh / 0.67, rel=1e-5)
    assert q["flagged"]


def test_large2_fleet_throughput_and_training_by_hand(large2):
    q = implied(large2)
    # serving: GPUs provisioned on average = tokens a month x GPU-seconds per token / month
    gpu_seconds_per_token = inference_gpu_hours(1) * 3600 / P["output_tokens_per_month"]
    month_s = 365.25 * 24 * 3600 / 12
    fleet = P["output_tokens_per_month"] * gpu_seconds_per_token / month_s
    assert q["serving_gpus"]["value"] == pytest.approx(fleet, rel=1e-5)
    assert q["serving_throughput"]["value"] == pytest.approx(1 / gpu_seconds_per_token, rel=1e-5)
    # power per provisioned GPU, at the meter: slot power x load x PUE
    assert q["serving_power_per_gpu"]["value"] == pytest.approx(
        1000 * SLOT_KW * P["inference_power_load"] * P["inference_pue"], rel=1e-5)
    # training: 6ND / MFU x development multiplier, and its energy per GPU-hour
    assert q["training_gpu_hours"]["value"] == pytest.approx(training_gpu_hours(), rel=1e-5)
    training_kwh = training_gpu_hours() * SLOT_KW * P["training_power_load"] * P["training_pue"]
    assert q["training_energy"]["value"] == pytest.approx(training_kwh / 1000, rel=1e-5)
    assert q["training_energy_per_gpu_hour"]["value"] == pytest.approx(
        training_kwh / training_gpu_hours(), rel=1e-5)
    assert training()["gwp"] > 0  # the same hand model as the stage test


def test_large2_hardware_adp_by_hand(large2):
    q = implied(large2)
    # per 8-GPU server: the ADEME H100 and BoaviztAPI chassis datasets plus the calibrated gap
    server = 0.37 + 8 * 8.95e-3 + P["hardware_adp_gap"]
    assert q["embodied_adp_per_server"]["value"] == pytest.approx(server, rel=1e-5)
    boavizta = q["embodied_adp_per_server"]["references"][0]
    assert boavizta["status"] == "above"
    assert boavizta["factor"] == pytest.approx(server / 0.64, rel=1e-5)  # stored to 6 digits
    hardware = large2.stages.loc["hardware-manufacturing"]
    assert q["hardware_adp_per_gwp"]["value"] == pytest.approx(
        1000 * hardware["adp"] / hardware["gwp"], rel=1e-5)


def test_references_cover_their_models_and_functional_units():
    """A reference for 123B models applies to large-2, not to an 8B model; per-image ones
    to image models only."""
    import lca

    small = lca.assess("ministral-8b", months=12)
    names = {r["source"][:20] for r in implied(small)["energy_per_unit"]["references"]}
    assert not any(n.startswith("EcoLogits 0.11.3 (Ri") for n in names)
    assert "serving_throughput" not in implied(small)  # no fleet declared by its card
    image = lca.assess("sdxl", months=12)
    refs = implied(image)["energy_per_unit"]["references"]
    assert refs and all("image" in r["basis"] or "SD" in r["basis"] for r in refs)


@pytest.mark.parametrize("row, message", [
    ("warp_speed,*,,1,2,Wh,b,s,primary", "unknown quantity"),
    ("energy_per_unit,*,,1,2,kg,b,s,primary", "does not measure"),
    ("energy_per_unit,*,,,,Wh,b,s,primary", "low or a high bound"),
    ("energy_per_unit,*,,3,2,Wh,b,s,primary", "low is above high"),
    ("energy_per_unit,*,,1,2,Wh,b,,primary", "needs its source"),
    ("energy_per_unit,*,,1,2,Wh,b,s,rumour", "evidence must be"),
])
def test_a_bad_reference_row_is_refused_with_its_row(tmp_path, row, message):
    from lca.errors import InventoryError
    from lca.implied import COLUMNS, read_references

    path = tmp_path / "refs.csv"
    path.write_text(",".join(COLUMNS) + "\n" + row + "\n")
    with pytest.raises(InventoryError) as caught:
        read_references(path)
    assert f"{path}, row 2" in str(caught.value) and message in str(caught.value)


def test_every_shipped_reference_reads_and_says_how_it_was_obtained():
    from lca.implied import read_references

    refs = read_references()
    assert len(refs) >= 15
    assert {r.evidence for r in refs} <= {"primary", "secondary", "derived"}


def test_a_bad_model_card_formula_names_the_card_and_key(large2_copy):
    import lca
    from lca.errors import InventoryError

    card = large2_copy / "model.toml"
    card.write_text(card.read_text().replace(
        'serving_gpus = "output_tokens_per_month * gpu_time_per_output_token"',
        'serving_gpus = "output_tokens_per_month"'))
    result = lca.assess(inventory=large2_copy)
    with pytest.raises(InventoryError) as caught:
        result.to_dict()
    assert "model.toml, field 'implied.serving_gpus'" in str(caught.value)
    done = cli("assess", "--inventory", large2_copy, "--format", "json")
    assert done.returncode == 2 and "implied.serving_gpus" in done.stderr


def test_json_contract_and_table():
    done = cli("assess", "--model", "large-2", "--format", "json")
    data = json.loads(done.stdout)
    block = data["implied"]
    assert block["references"] == "reports/implied-references.csv"
    assert "energy_per_unit" in block["flagged"]
    for q in block["quantities"]:
        assert set(q) == {"name", "label", "unit", "value", "how", "references", "flagged"}
        for r in q["references"]:
            assert r["status"] in ("within", "below", "above") and r["source"]
    table = cli("assess", "--model", "large-2", "--implied", columns=200)
    assert "What the result implies" in table.stdout and "! above" in table.stdout
    assert "What the result implies" not in cli("assess", "--model", "large-2").stdout
