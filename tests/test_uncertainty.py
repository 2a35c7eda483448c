"""Monte Carlo over parameters: distributions and their load-time checks, the vectorised path
against Pint and against bw2calc (same samples, 1e-9), and hand-calculated expectations."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from conftest import set_parameter
from typer.testing import CliRunner

from lca.cli.main import app
from lca.errors import BadValue, InventoryError
from lca.units import quantity

runner = CliRunner()


def _set_cell(inventory, name: str, column: str, value: str) -> None:
    path = inventory / "parameters.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        if row["name"] == name:
            row[column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def loaded():
    from lca.uncertainty.montecarlo import load_model

    return load_model("large-2")


@pytest.fixture(scope="module")
def compiled(loaded):
    from lca.uncertainty.montecarlo import compile_for

    return compile_for(loaded, 18, 400)


# ---------------------------------------------------------------- distributions


def test_distributions_read_with_units_and_defaults():
    from lca.distributions import parse_distribution

    d = parse_distribution("gpu", "triangular(min=164 kg CO2e/GPU, max=575 kg CO2e/GPU)",
                           quantity("273 kg CO2e/GPU"), "three studies", "273 kg CO2e/GPU")
    assert (d.family, d.args) == ("triangular", {"min": 164.0, "max": 575.0, "mode": 273.0})
    assert d.unit == "kg CO2e/GPU"
    # a bound in another unit of the same dimension is converted: 0.5 t = 500 kg
    d = parse_distribution("x", "uniform(min=0.1 t CO2e/GPU, max=0.5 t CO2e/GPU)",
                           quantity("273 kg CO2e/GPU"), "s")
    assert d.args == pytest.approx({"min": 100.0, "max": 500.0})
    d = parse_distribution("pue", "normal(sd=0.05)", quantity("1.2"), "s")
    assert d.args == {"sd": 0.05}


@pytest.mark.parametrize("text, message", [
    ("uniform(min=1.3, max=1.5)", "outside"),
    ("triangular(min=1.0, mode=1.6, max=1.5)", "mode"),
    ("lognormal(gsd=1)", "above 1"),
    ("lognormal(gsd=0.5)", "above 1"),
    ("normal(sd=-0.1)", "above 0"),
    ("normal(sd=0.1 kWh)", "dimensionless"),
    ("beta(a=1)", "unknown distribution"),
    ("uniform(min=1.1)", "missing max"),
    ("uniform(low=1, max=2)", "unknown argument"),
])
def test_bad_distributions_are_refused(text, message):
    from lca.distributions import parse_distribution

    with pytest.raises(BadValue, match=message):
        parse_distribution("p", text, quantity("1.2"), "s")


def test_a_bound_without_unit_is_refused_for_a_quantity():
    from lca.distributions import parse_distribution

    with pytest.raises(BadValue, match="give a unit"):
        parse_distribution("p", "uniform(min=100, max=700)", quantity("273 kg CO2e/GPU"), "s")
    with pytest.raises(BadValue, match="dimension"):
        parse_distribution("p", "uniform(min=1 kWh, max=7 kWh)", quantity("273 kg CO2e/GPU"), "s")


def test_pedigree_gsd_by_hand():
    """ecoinvent v3: variances of ln x add up (basic 0.0006 + one per indicator)."""
    from lca.distributions import parse_pedigree, pedigree_gsd

    assert pedigree_gsd((1, 1, 1, 1, 1)) == pytest.approx(math.exp(math.sqrt(0.0006)))
    # Weidema et al. 2013, table 10.5, scores 5: 0.04, 0.008, 0.04, 0.002, 0.12
    assert pedigree_gsd((5, 5, 5, 5, 5)) == pytest.approx(
        math.exp(math.sqrt(0.0006 + 0.04 + 0.008 + 0.04 + 0.002 + 0.12)))
    assert pedigree_gsd(parse_pedigree("2,3,1,2,4")) == pytest.approx(
        math.exp(math.sqrt(0.0006 + 0.0006 + 0.0006 + 0 + 0.000025 + 0.04)))
    for bad in ("2,3,1,2", "2,3,1,2,6", "a,b,c,d,e"):
        with pytest.raises(BadValue, match="five scores"):
            parse_pedigree(bad)


def test_report_says_which_parameters_got_defaults(loaded):
    from lca.distributions import parameter_distributions

    found = {d.name: d for d in parameter_distributions(loaded.resolved)}
    gpu = found["gpu_embodied_gwp"]
    assert not gpu.is_default and gpu.family == "triangular"
    assert (gpu.args["min"], gpu.args["mode"], gpu.args["max"]) == (164.0, 273.0, 575.0)
    assert "NVIDIA" in gpu.source and "BoaviztAPI" in gpu.source
    # written pedigree, and a kind default (calibrated: 3,2,1,1,3)
    assert found["network_intensity_2015"].is_default
    assert "2,3,3,3,3 (written)" in found["network_intensity_2015"].basis
    # a calibrated parameter carries its prior from public evidence, centred on the evidence
    # (its own median), not on the calibrated value
    cal = found["training_tokens"]
    assert not cal.is_default and cal.family == "lognormal"
    assert cal.args["median"] == pytest.approx(9e12) and cal.value != cal.args["median"]
    assert "Qwen2.5" in cal.source
    # an assumption without a distribution gets its kind's default (assumed: 4,4,3,3,4)
    assumed = found["dc_lifetime"]
    assert assumed.is_default and "kind 'assumed'" in assumed.basis
    assert assumed.args["gsd"] == pytest.approx(
        math.exp(math.sqrt(0.0006 + 0.008 + 0.002 + 0.002 + 0.0001 + 0.04)))
    assert found["gpus_per_server"].family == "fixed"
    assert "slot_max_power" not in found  # a formula follows the parameters it uses
    assert "training_gpu_hours" not in found  # 6ND x development multiplier: a formula


def test_bounds_are_checked_when_the_inventory_is_read(large2_copy):
    """Not when sampling starts: ``assess`` itself refuses, naming file, row and field."""
    import lca

    _set_cell(large2_copy, "training_pue", "uncertainty", "uniform(min=1.3, max=1.5)")
    _set_cell(large2_copy, "laptop_power", "uncertainty_source", "")
    _set_cell(large2_copy, "slot_max_power", "pedigree", "2,2,2,2,2")
    with pytest.raises(InventoryError) as caught:
        lca.assess(inventory=large2_copy)
    text = str(caught.value)
    row = 2 + [r["name"] for r in csv.DictReader((large2_copy / "parameters.csv").open())].index(
        "training_pue")
    assert f"parameters.csv, row {row}, field 'uncertainty'" in text and "outside" in text
    assert "field 'uncertainty_source'" in text and "laptop_power" in text
    assert "row 5, field 'pedigree'" in text and "formula" in text
    result = runner.invoke(app, ["uncertainty", "--inventory", str(large2_copy),
                                 "--iterations", "100"])
    assert result.exit_code == 2 and "error:" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- the fast path


def test_static_point_equals_assess(compiled, large2):
    """Our matrices solved at the static values against bw2calc's ``assess``. Brightway
    stores exchange amounts in float32 datapackages, ours stay float64: 1e-6 relative."""
    from lca.boundary import OUTPUTS
    from lca.schema import STAGES

    out = compiled.split().outputs()[0]
    for k, ind in enumerate(compiled.static.indicators):
        for stage in STAGES:
            assert out[k, OUTPUTS.index(stage)] == pytest.approx(large2.stages.loc[stage, ind],
                                                                 rel=1e-6, abs=1e-12)
        assert out[k, OUTPUTS.index("per_response_marginal")] == pytest.approx(
            large2.per_response.loc["marginal", ind], rel=1e-6)
        assert out[k, OUTPUTS.index("per_response_allocated")] == pytest.approx(
            large2.per_response.loc["allocated", ind], rel=1e-6)


def test_vectorised_formulas_equal_pint_sample_by_sample(loaded, compiled):
    """Each sampled exchange amount equals what ``resolve_model`` (Pint, one value at a time)
    gives for an inventory whose parameters are set to that sample."""
    from lca.resolve import resolve_model
    from lca.uncertainty.montecarlo import chunk_generator, draw, sampled_distributions

    dists = sampled_distributions(loaded.resolved)
    samples = draw(dists, chunk_generator(5, 0), 3)
    values = compiled.values(samples)
    amounts = compiled.entry_amounts(values, 3)
    by_name = {d.name: d for d in dists}
    for i in range(3):
        inv = loaded.inventory
        params = []
        for p in inv.parameters:
            if p.name in by_name:
                d = by_name[p.name]
                text = f"{float(samples[p.name].magnitude[i])!r} {d.unit}".strip()
                p = p.model_copy(update={"value": text, "uncertainty": "", "pedigree": ""})
            params.append(p)
        edited = type(inv)(**{**inv.__dict__, "parameters": params})
        links = resolve_model(edited, loaded.base).links
        for k, link in enumerate(links):
            assert amounts[i, k] == pytest.approx(link.amount, rel=1e-12, abs=0), link


def test_same_samples_give_bw2calc_results_to_1e9(loaded, compiled):
    """The exactness proof: the values we sample go to bw2calc as an array datapackage (one
    column per iteration); its per-iteration scores equal ours to 1e-9 relative."""
    from lca.engine.reference import bw2calc_unit_scores
    from lca.uncertainty.montecarlo import chunk_generator, draw, sampled_distributions

    n = 40
    samples = draw(sampled_distributions(loaded.resolved), chunk_generator(11, 0), n)
    values = compiled.values(samples)
    amounts = compiled.entry_amounts(values, n)
    ours = compiled.unit_scores(amounts)
    theirs = bw2calc_unit_scores(loaded, compiled, amounts)
    assert np.ptp(theirs[:, 0, 0]) > 0  # bw2calc really walked the iterations
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)
    # and the same samples give the same life-cycle totals through the stage rows
    full = compiled.split(samples).outputs()
    from lca.boundary import OUTPUTS

    fg = {c: j for j, c in enumerate(compiled.foreground)}
    total = np.zeros((n, len(compiled.static.indicators)))
    for stage in compiled.resolved.stages:
        amount = np.broadcast_to(stage.amount.magnitude(values), (n,))
        total += amount[:, None] * theirs[:, :, fg[stage.row.activity]]
    np.testing.assert_allclose(full[:, :, OUTPUTS.index("total")], total, rtol=1e-9)


def large2_gpu_hours(months: float = 18) -> float:
    """Training plus serving GPU-hours of large-2, by hand from the numbers of its
    parameters.csv: 6 N D / (989.4 TFLOPS x MFU) x development multiplier, and output tokens x
    4 GPUs x EcoLogits latency / batch 64 / utilisation."""
    from test_hand_calculations import P, inference_gpu_hours, training_gpu_hours

    assert P["gpu_peak_flop_rate"] == 989.4e12 and P["gpus_per_replica"] == 4
    return training_gpu_hours() + inference_gpu_hours(months)


def csv_number(name: str) -> float:
    from test_hand_calculations import P

    return P[name]


def test_gpu_embodied_mean_by_hand(loaded, compiled, large2):
    """Only the H100 embodied GWP sampled, triangular(164, 273, 575): the hardware stage
    moves by (E[X] - value) kg per GPU, times GPU-hours over the lifetime, all by hand from
    parameters.csv (6ND training GPU-hours, EcoLogits latency, 4 GPUs, batch 64)."""
    from lca.boundary import OUTPUTS
    from lca.uncertainty.montecarlo import chunk_generator, draw, sampled_distributions

    gpu = [d for d in sampled_distributions(loaded.resolved) if d.name == "gpu_embodied_gwp"]
    n = 200_000
    out = compiled.split(draw(gpu, chunk_generator(3, 0), n)).outputs()[:, 0, OUTPUTS.index(
        "hardware-manufacturing")]
    gpu_hours = large2_gpu_hours(18)
    lifetime_hours = csv_number("hardware_lifetime") * 365.25 * 24
    a, c, b = 164.0, 273.0, 575.0
    mean_shift = ((a + b + c) / 3 - csv_number("gpu_embodied_gwp")) * gpu_hours / lifetime_hours
    per_gpu_sd = math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    sd = per_gpu_sd * gpu_hours / lifetime_hours
    static = large2.stages.loc["hardware-manufacturing", "gwp"]
    tolerance = 4 * sd / math.sqrt(n) + 1e-6 * static
    assert out.mean() - static == pytest.approx(mean_shift, abs=tolerance)
    assert out.std() == pytest.approx(sd, rel=0.01)


def test_same_seed_same_numbers_and_chunks_do_not_matter():
    from lca.uncertainty import monte_carlo
    from lca.uncertainty.montecarlo import chunk_sizes

    a = monte_carlo("large-2", 18, 30_000, seed=4, keep_samples=True)
    b = monte_carlo("large-2", 18, 30_000, seed=4, keep_samples=True)
    c = monte_carlo("large-2", 18, 30_000, seed=5, keep_samples=True)
    assert np.array_equal(a.samples, b.samples) and not np.array_equal(a.samples, c.samples)
    assert chunk_sizes(30_000, 20_000) == [20_000, 10_000]
    # the total is the sum of the stages in every iteration
    np.testing.assert_allclose(a.samples[:, :, 7], a.samples[:, :, :7].sum(axis=2), rtol=1e-12)


# ---------------------------------------------------------------- statistics against bw2calc


def test_means_and_percentiles_agree_with_bw2calc_use_distributions(loaded, compiled):
    """bw2calc samples exchanges, we sample parameters: the two agree when each uncertain
    parameter feeds exactly one exchange, linearly, and no stage amount. Five such parameters
    of large-2 (hardware_water, dc_ghg_per_kw, dc_copper_per_kw, training_wue, inference_wue)
    get one distribution of each family; their exchanges get the same distribution scaled by
    amount / parameter value, as stats_arrays parameters for bw2calc's own Monte Carlo
    (``use_distributions=True``). Everything else is static on both sides. Means must agree
    within 4 standard errors, and bw2calc's share of draws below each of our percentiles
    must be that percentile within 4 binomial standard errors."""
    from lca.boundary import OUTPUTS
    from lca.distributions import parse_distribution
    from lca.engine import reference as ref
    from lca.uncertainty.montecarlo import chunk_generator, draw

    params = loaded.resolved.parameters
    written = {
        "hardware_water": "lognormal(gsd=1.6)",
        "dc_ghg_per_kw": "triangular(min=60 kg CO2e/kW, mode=100 kg CO2e/kW, max=400 kg CO2e/kW)",
        "dc_copper_per_kw": "uniform(min=4 kg/kW, max=20 kg/kW)",
        "training_wue": "normal(sd=0.15 L/kWh)",
        "inference_wue": "lognormal(gsd=2)",
    }
    text = {p.name: p.value for p in loaded.inventory.parameters}
    dists = [parse_distribution(n, t, params[n], "test", text[n]) for n, t in written.items()]
    # the exchange each parameter feeds, found from the formulas
    exchange_of = {}
    for k, e in enumerate(compiled.entries):
        used = set(e.rule.formula.names) if e.rule is not None else set()
        for name in written:
            if name in used:
                assert name not in exchange_of, f"{name} feeds two exchanges"
                exchange_of[name] = k
    assert set(exchange_of) == set(written)
    exchange_params = {}
    for d in dists:
        k = exchange_of[d.name]
        scale = compiled.entries[k].static / d.value
        a = d.args
        if d.family == "lognormal":
            exchange_params[k] = ref.lognormal_params(compiled.entries[k].static, a["gsd"])
        elif d.family == "normal":
            exchange_params[k] = ref.normal_params(compiled.entries[k].static, a["sd"] * scale)
        elif d.family == "uniform":
            exchange_params[k] = ref.uniform_params(a["min"] * scale, a["max"] * scale)
        else:
            exchange_params[k] = ref.triangular_params(a["min"] * scale, a["mode"] * scale,
                                                       a["max"] * scale)
    static_values = compiled.values()
    demands = {f"row{i}": {t.row.activity: t.amount.magnitude(static_values)}
               for i, t in enumerate(compiled.resolved.stages)}
    n_bw = 1000
    theirs = ref.bw2calc_monte_carlo(loaded, compiled, exchange_params, demands, n_bw, seed=42)
    assert np.ptp(theirs[:, 1]) > 0
    ours = compiled.split(draw(dists, chunk_generator(42, 0), 200_000)).outputs()[
        :, :, OUTPUTS.index("total")]
    for k, ind in enumerate(compiled.static.indicators):
        a, b = ours[:, k], theirs[:, k]
        se = math.sqrt(a.var() / a.size + b.var() / b.size)
        assert abs(a.mean() - b.mean()) < 4 * se + 1e-6 * abs(b.mean()), ind
        if b.std() < 1e-6 * abs(b.mean()):  # nothing sampled feeds it: float32 noise only
            assert a.std() < 1e-6 * abs(a.mean()), ind
            continue
        assert a.std() == pytest.approx(b.std(), rel=0.12), ind
        for p in (2.5, 50, 97.5):
            share = np.mean(b <= np.percentile(a, p))
            q = p / 100
            assert abs(share - q) < 4 * math.sqrt(q * (1 - q) / n_bw) + 1e-3, (ind, p)


# ---------------------------------------------------------------- command line


def test_cli_json_contract_and_saved_ranges():
    """The README example: ``lca uncertainty --model large-2 --months 18 --iterations 10000
    --seed 1 --format json``; the summary is also kept for the disclosure report."""
    from lca.uncertainty.montecarlo import computed_ranges

    result = runner.invoke(app, ["uncertainty", "--model", "large-2", "--months", "18",
                                 "--iterations", "10000", "--seed", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["iterations"] == 10000 and data["seed"] == 1
    keys = {"mean", "std", "p2_5", "p50", "p97_5"}
    for ind in ("gwp", "water", "adp"):
        block = data["indicators"][ind]
        for section in ("total", "per_response_marginal", "per_response_allocated"):
            assert set(block[section]) >= keys
            s = block[section]
            assert s["p2_5"] < s["p50"] < s["p97_5"] and s["std"] > 0
        assert len(block["stages"]) == 7
        total_mean = sum(v["mean"] for v in block["stages"].values())
        assert block["total"]["mean"] == pytest.approx(total_mean, rel=1e-9)
    assert "dc_lifetime" in data["defaults"] and "training_tokens" not in data["defaults"]
    assert computed_ranges("large-2", 18, 400)["indicators"] == data["indicators"]


def test_cli_table_and_csv():
    table = runner.invoke(app, ["uncertainty", "--model", "large-2", "--months", "18",
                                "--iterations", "10000", "--seed", "1"])
    assert table.exit_code == 0, table.output
    assert "97.5 %" in table.stdout and "pedigree default" in table.stdout
    out = runner.invoke(app, ["uncertainty", "--iterations", "2000", "--format", "csv"])
    rows = list(csv.DictReader(out.stdout.splitlines()))
    assert len(rows) == 4 * (3 + 7)  # four indicators: three sections and seven stages each
    assert {r["unit"] for r in rows} == {"kg CO2e", "m3", "kg Sb eq", "kWh"}


@pytest.mark.parametrize("args, message", [
    (["--iterations", "1"], "--iterations"),
    (["--months", "-1"], "--months"),
    (["--scheduler", "udp://x"], "--scheduler"),
])
def test_cli_bad_arguments(args, message):
    result = runner.invoke(app, ["uncertainty", *args])
    assert result.exit_code == 2 and message in result.output


def test_changed_parameter_moves_the_static_point(large2_copy):
    """A scenario sanity check through the text files: setting the H100 figure to 546 kg
    adds 546 minus the shipped value per GPU over its lifetime (the deviation exchange)."""
    import lca

    set_parameter(large2_copy, "gpu_embodied_gwp", "546 kg CO2e/GPU")
    _set_cell(large2_copy, "gpu_embodied_gwp", "uncertainty", "")
    base = lca.assess("large-2")
    edited = lca.assess(inventory=large2_copy)
    gpu_hours = large2_gpu_hours(18)
    shift = 546.0 - csv_number("gpu_embodied_gwp")
    expected = shift * gpu_hours / (csv_number("hardware_lifetime") * 365.25 * 24)
    delta = edited.stages.loc["hardware-manufacturing", "gwp"] - \
        base.stages.loc["hardware-manufacturing", "gwp"]
    assert delta == pytest.approx(expected, rel=1e-6)


def test_one_parameter_moves_all_its_exchanges_together(loaded, compiled):
    """Sampling parameters, not exchanges: training_pue feeds both the electricity and the
    support-equipment ADP of the training run, so the two amounts keep their static ratio in
    every iteration (correlation 1), which exchange-level sampling would lose."""
    from lca.uncertainty.montecarlo import chunk_generator, draw, sampled_distributions

    n = 5000
    values = compiled.values(
        draw(sampled_distributions(loaded.resolved), chunk_generator(8, 0), n))
    amounts = compiled.entry_amounts(values, n)
    k = {(e.activity, e.input): i for i, e in enumerate(compiled.entries)}
    power = amounts[:, k[("large2-training-run", "electricity-us")]]  # kWh per run
    adp = amounts[:, k[("large2-training-run", "minerals-metals-sb-eq")]]  # kg Sb eq per run
    # adp = facility kWh x support_equipment_adp (kg Sb eq per kWh)
    ratio = values["support_equipment_adp"].to("kg Sb_eq/kWh").magnitude
    np.testing.assert_allclose(adp, power * ratio, rtol=1e-12)
    assert np.std(power) / np.mean(power) > 0.1  # and the facility energy did vary


def test_progress_bar_appears_only_on_runs_longer_than_a_second():
    from lca.cli.uncertainty import _Progress

    progress = _Progress("Monte Carlo")
    progress(20_000, 1_000_000)
    assert progress.bar is None  # under a second: nothing drawn
    progress.started -= 2.0
    progress(40_000, 1_000_000)
    assert progress.bar is not None
    assert progress.bar.tasks[0].completed == 40_000
    progress.close()
