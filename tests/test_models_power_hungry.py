"""Image generation and the study's task means: Luccioni, Jernite, Strubell, 'Power Hungry
Processing', arXiv 2311.16863 (FAccT '24), measured with CodeCarbon on AWS us-west-2.

Fit residuals (per 1,000 inferences, at the study's 297.6 g CO2e/kWh): each model's input
energy is set from the published figure (its calibration.toml, a closed formula), so these
rows check the engine's chain (units, grid, functional unit), not the study:

| figure                        | published        | computed by the engine          |
|-------------------------------|------------------|---------------------------------|
| SDXL-base-1.0                 | 1,594 g CO2e     | inference stage / images x 1000 |
| image generation, mean energy | 2.907 kWh        | GWP / 0.2976                    |
| text generation, mean energy  | 0.047 kWh        | GWP / 0.2976                    |

The SDXL energy input (5.356 kWh per 1,000 images) is derived from the published 1,594 g and
297.6 g/kWh; the two means are the published energies themselves.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GRID = 0.2976  # kg CO2e per kWh, AWS us-west-2 in the study


@pytest.fixture(scope="module")
def sdxl():
    import lca

    return lca.assess("sdxl", months=12)


def test_sdxl_emits_1594_g_per_1000_images_a_fit_residual(sdxl):
    per_1000 = sdxl.stages.loc["inference", "gwp"] / sdxl.responses * 1000 * 1000  # g
    assert per_1000 == pytest.approx(1594, rel=0.05)
    row = sdxl.comparison().iloc[0]
    assert row.role == "fit residual" and row.ratio == pytest.approx(1.0, rel=1e-3)


@pytest.mark.parametrize("name, kwh_per_1000", [
    ("image-generation-mean", 2.907),
    ("text-generation-mean", 0.047),
])
def test_mean_energy_per_task_echoes_the_input(name, kwh_per_1000):
    """The input is the published mean: the figure is a fit residual (an echo through the
    engine's units and grid), shown as such next to the published one."""
    import lca

    result = lca.assess(name, months=6)
    energy = result.stages.loc["inference", "gwp"] / GRID / result.responses * 1000
    assert energy == pytest.approx(kwh_per_1000, rel=0.05)
    row = result.comparison().iloc[0]
    assert row.role == "fit residual"
    assert row.computed == pytest.approx(kwh_per_1000 / 1000, rel=1e-6)  # kWh per inference


def test_image_generation_costs_60_times_text_generation():
    # The study's headline contrast: 2.907 / 0.047 = 62 x per inference.
    import lca

    image = lca.assess("image-generation-mean", months=6).stages.loc["inference", "gwp"]
    text = lca.assess("text-generation-mean", months=6).stages.loc["inference", "gwp"]
    assert image / text == pytest.approx(2.907 / 0.047, rel=1e-6)


def test_functional_unit_is_one_image(sdxl):
    assert sdxl.functional_unit == "image"
    # 1e6 images a month (assumed in parameters.csv) over 12 months.
    assert sdxl.responses == pytest.approx(12e6)
    data = sdxl.to_dict()
    assert data["functional_unit"] == "image" and data["units_served"] == pytest.approx(12e6)
    assert data["per_1000_images"]["marginal"]["gwp"] == pytest.approx(
        1000 * data["per_response"]["marginal"]["gwp"])
    # Marginal = inference + A100 share: 13.39 GPU-s per image (5.356 Wh at 400 W) over 3 years.
    gpu_hours = 5.356 / 400
    hardware = gpu_hours / (3 * 365.25 * 24) * (181 + 5700 / 8)
    electricity = 5.356e-3 * 0.2976  # kWh per image x kg CO2e per kWh
    marginal = data["per_response"]["marginal"]["gwp"]
    assert marginal == pytest.approx(electricity + hardware, rel=1e-3)


def test_response_models_keep_the_json_contract(large2):
    data = large2.to_dict()
    assert "functional_unit" not in data and "units_served" not in data
    assert data["responses"] == pytest.approx(data["served_output_tokens"] / 400)


def test_cli_assess_image_model_json(run_cli):
    data = json.loads(run_cli(["assess", "--model", "sdxl", "--format", "json"]))
    assert data["functional_unit"] == "image"
    grams = data["stages"]["inference"]["gwp"] / data["units_served"] * 1e6
    assert grams == pytest.approx(1594, rel=0.05)


def test_cli_assess_image_model_table(run_cli):
    out = run_cli(["assess", "--model", "sdxl-base-1.0"], columns=200)
    assert "Per image" in out and "images)" in out and "per 1,000 images" in out


@pytest.mark.parametrize("change, message", [
    (('served = "images_per_month * months"\n', ""),
     "field 'served': required for functional unit"),
    (('functional_unit = "image"', 'functional_unit = "widget"'),
     "unknown functional unit 'widget'"),
    (('served = "images_per_month * months"', 'served = "months"'), "expected image"),
])
def test_bad_functional_unit_cards_are_refused(tmp_path, change, message):
    import shutil

    import lca
    from lca.errors import InventoryError

    folder = tmp_path / "sdxl"
    repo = Path(__file__).resolve().parent.parent
    shutil.copytree(repo / "inventories" / "sdxl-base-1.0", folder)
    card = folder / "model.toml"
    old, new = change
    assert old in card.read_text()
    card.write_text(card.read_text().replace(old, new))
    with pytest.raises(InventoryError) as info:
        lca.assess(None, months=12, inventory=folder)
    assert message in str(info.value) and "model.toml" in str(info.value)
