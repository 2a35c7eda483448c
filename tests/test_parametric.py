"""The parametric inference model against EcoLogits 0.11.3, run side by side (reference
figures measured in shared/reference/peers-ecologits-boavizta.md, section 2.2)."""

from __future__ import annotations

import filecmp
import math
from pathlib import Path

import pytest

from lca import parametric
from lca.errors import InventoryError

REPO = Path(__file__).resolve().parent.parent
PARAMETRIC_MODELS = sorted(p.parent.name for p in (REPO / "inventories").glob("*/spec.toml"))


def test_gpu_count_follows_the_memory_footprint():
    # 1.2 x 123e9 x 2 B = 295 GB -> 4 x 80 GB (EcoLogits, and Mistral's 297 GB bf16 minimum).
    assert parametric.gpus_needed(123) == 4
    # Large 3 (675 B total): 1.2 x 675 x 2 / 80 = 20.25 -> 21 -> 32 GPUs, as EcoLogits gives.
    assert parametric.gpus_needed(675) == 32
    assert parametric.gpus_needed(8) == 1
    assert parametric.gpus_needed(70.6) == 4  # 169 GB -> 3 -> 4


def test_energy_of_large_2_matches_ecologits():
    # EcoLogits 0.11.3, 123 B dense, 400 output tokens, PUE 1.16: 0.3537 Wh.
    wh = parametric.energy_per_request(123, 123, 400, pue=1.16)
    assert wh == pytest.approx(0.3537, rel=1e-3)


def test_prefill_weight_comes_from_epoch_ai():
    # A 10k-token prompt on a ~500-token answer: about 8 x the energy of the answer alone.
    base = parametric.energy_per_request(123, 123, 500)
    long_prompt = parametric.energy_per_request(123, 123, 500, input_tokens=10_000)
    assert long_prompt / base == pytest.approx(8.0, rel=1e-9)


def test_moe_energy_follows_active_parameters_and_gpu_count_total():
    dense = parametric.it_energy_per_output_token(39, 39)
    moe = parametric.it_energy_per_output_token(39, 141)
    assert parametric.gpus_needed(141) == 8 and parametric.gpus_needed(39) == 2
    assert moe / dense == pytest.approx(4.0, rel=1e-12)  # same per-GPU energy, 4x the GPUs


def _spec_like_ecologits(tmp_path: Path) -> Path:
    """Large 2 with EcoLogits' Mistral defaults (Sweden, PUE 1.16, WUE 0.09), no prompts."""
    spec = (REPO / "inventories" / "mistral-large-2-parametric" / "spec.toml").read_text()
    spec = spec.replace('value = "3e10 token/month"', 'value = "0 token/month"')
    folder = tmp_path / "ecologits-check"
    folder.mkdir()
    (folder / "spec.toml").write_text(spec.replace(
        'name = "mistral-large-2-parametric"', 'name = "ecologits-check"'))
    parametric.write_inventory(folder)
    return folder


def test_engine_reproduces_ecologits_per_response(tmp_path):
    import lca

    folder = _spec_like_ecologits(tmp_path)
    result = lca.assess(None, months=18, tokens_per_response=400, inventory=folder)
    marginal = result.per_response.loc["marginal"]
    # EcoLogits 0.11.3 measured: 0.04448 g CO2e, 2.161 mL, 1.820e-9 kg Sb eq per 400 tokens.
    assert marginal["gwp"] * 1e3 == pytest.approx(0.04448, rel=0.01)
    assert marginal["water"] * 1e6 == pytest.approx(2.161, rel=0.01)
    assert marginal["adp"] == pytest.approx(1.820e-9, rel=0.01)


def test_engine_energy_split_matches_hand_calculation(tmp_path):
    import lca

    folder = _spec_like_ecologits(tmp_path)
    result = lca.assess(None, months=1, tokens_per_response=400, inventory=folder)
    tokens = 1e10  # output tokens a month in the spec
    # Hand calculation (EcoLogits' published constants, 4 GPUs, batch 64):
    f_e = 1.1665e-6 * math.exp(-1.1206e-2 * 64) * 123 + 4.0529e-5  # Wh per GPU per token
    latency = 6.785e-4 * 123 + 3.119e-4 * 64 + 1.947e-2  # s per token
    it_wh = 4 * f_e + latency / 3600 * 1200 * 4 / 8 / 64
    usage_gwp = tokens * it_wh / 1000 * 1.16 * 0.03526
    assert result.stages.loc["inference", "gwp"] == pytest.approx(usage_gwp, rel=1e-3)
    gpu_hours = tokens * 4 * latency / 64 / 3600
    embodied = gpu_hours / (3 * 365.25 * 24) * (273 + 5700 / 8)
    # The marginal boundary holds inference and its hardware share (not training's).
    marginal_total = result.per_response.loc["marginal", "gwp"] * result.responses
    inference_hardware = marginal_total - result.stages.loc["inference", "gwp"]
    assert inference_hardware == pytest.approx(embodied, rel=1e-3)


@pytest.mark.parametrize("name", PARAMETRIC_MODELS)
def test_shipped_inventory_is_what_its_spec_generates(name, tmp_path):
    target = tmp_path / name
    target.mkdir()
    spec = parametric.read_spec(REPO / "inventories" / name / "spec.toml")
    parametric.write_inventory(target, spec)
    for file in ("model.toml", "parameters.csv", "activities.csv", "exchanges.csv", "stages.csv"):
        assert filecmp.cmp(target / file, REPO / "inventories" / name / file, shallow=False), (
            f"{name}/{file} differs from its spec: run python -m lca.parametric inventories/{name}"
        )


def test_every_generated_parameter_has_a_source():
    import csv

    for name in PARAMETRIC_MODELS:
        with (REPO / "inventories" / name / "parameters.csv").open() as fh:
            for row in csv.DictReader(fh):
                assert row["source"].strip(), (name, row["name"])
                assert row["kind"] in ("sourced", "measured", "modeled", "calibrated", "assumed")


def test_incomplete_spec_names_each_missing_field(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text('[card]\nname = "x"\n[serving]\n[parameters.serving_pue]\nvalue = "1.2"\n')
    with pytest.raises(InventoryError) as info:
        parametric.read_spec(path)
    text = str(info.value)
    for field in ("parameters.active_parameters_billions", "parameters.serving_pue.kind",
                  "card.display_name", "serving.country"):
        assert field in text


def test_gpu_count_is_computed_by_the_engine_from_the_parameters(tmp_path):
    import shutil

    from conftest import set_parameter

    import lca

    folder = tmp_path / "ministral-8b"
    shutil.copytree(REPO / "inventories" / "ministral-8b", folder)
    before = lca.assess(None, months=1, inventory=folder).stages.loc["inference", "gwp"]
    # 141 B total parameters: 1.2 x 141 x 2 / 80 = 4.23 -> 5 -> 8 GPUs instead of 1.
    set_parameter(folder, "total_parameters_billions", "141")
    after = lca.assess(None, months=1, inventory=folder).stages.loc["inference", "gwp"]
    assert after / before == pytest.approx(8.0, rel=1e-6)
