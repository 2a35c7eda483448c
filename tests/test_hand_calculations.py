"""The engine against hand calculations from the inventory's own inputs.

Inputs (parameter values, grid factors, hardware footprints) are read from the CSV files as
plain numbers; the arithmetic below is written out by hand, independently of the engine's
unit layer, formula evaluator and Brightway graph. The calibrated values are whatever
parameters.csv holds (``lca calibrate --write`` puts them there), so a recalibration changes
the inputs here, never the arithmetic.
"""

import csv
from pathlib import Path

import pytest

import lca

REPO = Path(__file__).resolve().parent.parent
YEAR_H = 365.25 * 24  # Pint's year is the Julian year


def numbers(path: Path, key: str, value: str) -> dict:
    out = {}
    for row in csv.DictReader(path.open(encoding="utf-8")):
        try:
            out[row[key]] = float(row[value].split()[0])
        except ValueError:
            pass  # a formula: recomputed by hand below
    return out


P = numbers(REPO / "inventories/large-2/parameters.csv", "name", "value")
BG = {}
for row in csv.DictReader((REPO / "inventories/background/exchanges.csv").open(encoding="utf-8")):
    BG[(row["process"], row["input"])] = float(row["amount"])


def grid(process):
    """(kg CO2e, m3 water, kg Sb eq) per kWh of a background electricity process."""
    return (
        BG[(process, "ghg-co2e")],
        BG[(process, "water-consumed")] / 1000,
        BG[(process, "minerals-metals-sb-eq")],
    )


SLOT_KW = 10.2 / 8  # server_max_power / gpus_per_server
H100_PEAK_FLOPS = 989.4e12  # per GPU and second (gpu_peak_flop_rate)


def training_gpu_hours():
    """6 N D / (peak x MFU), times the development multiplier (formulas written out)."""
    flops = 6 * P["active_parameters_billions"] * 1e9 * P["training_tokens"]
    final_run = flops / (H100_PEAK_FLOPS * P["training_mfu"]) / 3600
    return final_run * P["development_multiplier"]


def training():
    it_kwh = training_gpu_hours() * SLOT_KW * P["training_power_load"]
    kwh = it_kwh * P["training_pue"]
    g, w, a = grid("electricity-us")
    return {
        "gwp": kwh * g,
        "water": it_kwh * P["training_wue"] / 1000 + kwh * w,
        "adp": kwh * (a + P["support_equipment_adp"]),
    }


def inference_gpu_hours(months):
    latency = (
        P["ecologits_latency_per_billion"] * P["active_parameters_billions"]
        + P["ecologits_latency_per_batch"] * P["batch_size"]
        + P["ecologits_latency_constant"]
    )  # s per output token
    gpu_s_per_token = P["gpus_per_replica"] * latency / P["batch_size"] / P["inference_utilisation"]
    return P["output_tokens_per_month"] * months * gpu_s_per_token / 3600


def french_grid():
    """France between Our World in Data's factor and ADEME's, by fr_grid_ademe_weight (the
    two background processes have the same water and ADP factors)."""
    weight = P["fr_grid_ademe_weight"]
    low, high = grid("electricity-fr"), grid("electricity-fr-ademe")
    return tuple((1 - weight) * a + weight * b for a, b in zip(low, high, strict=True))


def inference(months):
    it_kwh = inference_gpu_hours(months) * SLOT_KW * P["inference_power_load"]
    kwh = it_kwh * P["inference_pue"]
    assert P["serving_share_us"] == 0 and P["serving_share_se"] == 0  # all in France
    g, w, a = french_grid()
    return {
        "gwp": kwh * g,
        "water": it_kwh * P["inference_wue"] / 1000 + kwh * w,
        "adp": kwh * (a + P["support_equipment_adp"]),
    }


def hardware_per_gpu_hour():
    life_h = P["hardware_lifetime"] * YEAR_H
    gpus = P["gpus_per_server"]
    gpu_gwp = BG[("gpu-h100-manufacturing", "ghg-co2e")] + (
        P["gpu_embodied_gwp"] - P["gpu_embodied_gwp_in_dataset"])  # the deviation exchange
    return {
        "gwp": (gpu_gwp + BG[("gpu-server-chassis-manufacturing", "ghg-co2e")] / gpus) / life_h,
        "water": P["hardware_water"] / gpus / life_h,
        "adp": (
            BG[("gpu-h100-manufacturing", "minerals-metals-sb-eq")]
            + (
                BG[("gpu-server-chassis-manufacturing", "minerals-metals-sb-eq")]
                + P["hardware_adp_gap"]
            )
            / gpus
        )
        / life_h,
    }


def data_center_per_gpu_hour():
    life_h = P["dc_lifetime"] * YEAR_H
    return {
        "gwp": SLOT_KW * P["dc_ghg_per_kw"] / life_h,
        "water": 0.0,
        "adp": SLOT_KW * P["dc_copper_per_kw"] * 1.37e-3 / life_h,  # CML-IA copper factor
    }


INDICATORS = ("gwp", "water", "adp")


@pytest.mark.parametrize("indicator", INDICATORS)
def test_training_stage(large2, indicator):
    assert large2.stages.loc["training", indicator] == pytest.approx(
        training()[indicator], rel=1e-6
    )


@pytest.mark.parametrize("indicator", INDICATORS)
def test_inference_stage(large2, indicator):
    assert large2.stages.loc["inference", indicator] == pytest.approx(
        inference(18)[indicator], rel=1e-6
    )


@pytest.mark.parametrize("indicator", INDICATORS)
def test_hardware_stage(large2, indicator):
    gpu_hours = training_gpu_hours() + inference_gpu_hours(18)
    expected = gpu_hours * hardware_per_gpu_hour()[indicator]
    assert large2.stages.loc["hardware-manufacturing", indicator] == pytest.approx(
        expected, rel=1e-6
    )


@pytest.mark.parametrize("indicator", INDICATORS)
def test_marginal_response_is_inference_with_its_hardware_and_data_center(large2, indicator):
    responses = P["output_tokens_per_month"] * 18 / 400
    per_gpu_hour = hardware_per_gpu_hour()[indicator] + data_center_per_gpu_hour()[indicator]
    expected = (inference(18)[indicator] + inference_gpu_hours(18) * per_gpu_hour) / responses
    assert large2.per_response.loc["marginal", indicator] == pytest.approx(expected, rel=1e-6)


def test_allocated_response_divides_the_whole_life_cycle(large2):
    responses = P["output_tokens_per_month"] * 18 / 400
    assert large2.responses == pytest.approx(responses)
    for ind in INDICATORS:
        assert large2.per_response.loc["allocated", ind] == pytest.approx(
            large2.total[ind] / responses, rel=1e-12
        )


def test_months_scale_use_but_count_training_once(large2):
    longer = lca.assess("large-2", months=36)
    for ind in INDICATORS:
        assert longer.stages.loc["training", ind] == pytest.approx(
            large2.stages.loc["training", ind]
        )
        assert longer.stages.loc["inference", ind] == pytest.approx(inference(36)[ind], rel=1e-6)
        assert longer.stages.loc["model-conception", ind] == pytest.approx(
            large2.stages.loc["model-conception", ind]
        )
        # marginal per response does not depend on the period
        assert longer.per_response.loc["marginal", ind] == pytest.approx(
            large2.per_response.loc["marginal", ind], rel=1e-9
        )
    gpu_h = training_gpu_hours() + inference_gpu_hours(36)
    assert longer.stages.loc["hardware-manufacturing", "gwp"] == pytest.approx(
        gpu_h * hardware_per_gpu_hour()["gwp"], rel=1e-6
    )


def test_tokens_per_response_scale_per_response_figures_only(large2):
    long_answers = lca.assess("large-2", months=18, tokens_per_response=800)
    for ind in INDICATORS:
        assert long_answers.total[ind] == pytest.approx(large2.total[ind])
        for kind in ("marginal", "allocated"):
            assert long_answers.per_response.loc[kind, ind] == pytest.approx(
                2 * large2.per_response.loc[kind, ind], rel=1e-9
            )
