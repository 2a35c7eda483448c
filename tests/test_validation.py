"""The validation suite: published studies written from their inputs, compared with their
published outputs. Each test recomputes the engine's figures by hand from the inputs the
study published, then states how they meet the published figures: within 5 %, or a gap
whose cause is written here with its numbers. Nothing is fitted to a published output."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import cli

import lca
from lca.catalog import list_studies, study_directories
from lca.errors import Problems
from lca.schema import Parameter, PublishedFigure
from lca.text_inventory import read_table

REPO = Path(__file__).resolve().parent.parent
VALIDATION = REPO / "validation"
STUDIES = ["meta-llama-3.1", "meta-llama-3.2", "meta-llama-3.3", "meta-llama-4", "ai2-olmo-2",
           "ai2-olmo-3", "microsoft-oviedo-2025", "microsoft-oviedo-2025-long",
           "google-gemini-2025", "power-hungry-processing-sdxl", "ai-energy-score-sdxl"]
US_2023 = 0.369473  # kg CO2e/kWh, OWID/Ember United States 2023 (the studies' public factor)
H100 = 0.7  # kW per GPU, Meta's cards
TONNE = 1000.0


@pytest.fixture(scope="module")
def frame():
    return lca.validation.compare()


def rows(frame, study):
    return frame[frame["study"] == study].reset_index(drop=True)


def ratio(frame, study, figure, published=None):
    sel = rows(frame, study)
    sel = sel[sel["figure"] == figure]
    if published is not None:
        sel = sel[sel["published_text"] == published]
    assert len(sel) == 1, (study, figure, published)
    return sel.iloc[0]


def assess(study):
    return lca.assess(None, 0, inventory=VALIDATION / study)


# ------------------------------------------------------------------ the suite's rules


def test_the_suite_holds_every_study_listed_apart_from_the_models():
    assert [d.name for d in study_directories()] == sorted(STUDIES)
    assert {e.name for e in list_studies()} == set(STUDIES)
    assert not {e.name for e in lca.list_models()} & set(STUDIES)


@pytest.mark.parametrize("study", STUDIES)
def test_no_validation_inventory_has_a_calibrated_parameter(study):
    problems = Problems()
    parameters = read_table(VALIDATION / study / "parameters.csv", Parameter, problems)
    assert not problems.items and parameters
    calibrated = [p.name for p in parameters if p.kind == "calibrated"]
    assert not calibrated, f"{study}: calibrated parameters {calibrated}"


@pytest.mark.parametrize("study", STUDIES)
def test_published_outputs_carry_a_source_and_a_boundary_row_by_row(study):
    problems = Problems()
    figures = read_table(VALIDATION / study / "published_figures.csv", PublishedFigure, problems)
    assert not problems.items and figures
    for f in figures:
        assert f.source.strip() and f.boundary.strip(), f
    assert not (VALIDATION / study / "model.toml").read_text().count("[published]")


def test_every_figure_is_within_5_percent_or_a_documented_gap(frame):
    assert set(frame["study"]) == set(STUDIES)
    failing = frame[~frame["ok"]]
    assert failing.empty, failing[["study", "figure", "published_text", "computed", "status"]]
    for row in frame.itertuples():
        assert row.status in ("within 5 %", "documented gap"), row
        if row.status == "within 5 %":
            assert abs(row.ratio - 1) <= 0.05
        else:
            assert row.cause and any(ch.isdigit() for ch in row.cause)


# ------------------------------------------------------------------ Meta


@pytest.mark.parametrize("study, figure, gpu_hours, published", [
    ("meta-llama-3.1", "training/llama-3-1-8b", 1.46e6, 420),
    ("meta-llama-3.1", "training/llama-3-1-70b", 7.0e6, 2040),
    ("meta-llama-3.1", "training/llama-3-1-405b", 30.84e6, 8930),
    ("meta-llama-3.1", "training", 39.3e6, 11390),
    ("meta-llama-3.2", "training/llama-3-2-1b", 370e3, 107),
    ("meta-llama-3.2", "training/llama-3-2-3b", 460e3, 133),
    ("meta-llama-3.2", "training/llama-3-2-1b-qlora", 1.3e3, 0.381),
    ("meta-llama-3.2", "training/llama-3-2-3b-qlora", 1.6e3, 0.461),
    ("meta-llama-3.3", "training/llama-3-3-70b", 7.0e6, 2040),
    ("meta-llama-4", "training/llama-4-scout", 5.0e6, 1354),
    ("meta-llama-4", "training/llama-4-maverick", 2.38e6, 645),
    ("meta-llama-4", "training", 7.38e6, 1999),
])
def test_meta_cards_from_gpu_hours_and_a_public_grid_factor(frame, study, figure, gpu_hours,
                                                           published):
    """GPU-hours x 700 W x the OWID/Ember 2023 US average. The gap is Meta's undisclosed grid
    factor: its tonnes imply 0.41 kg/kWh for Llama 3.x (11 to 13 % above 0.369) and 0.387 for
    Llama 4 (4.7 % above, so within 5 %)."""
    row = ratio(frame, study, figure, None if study != "meta-llama-3.3" else "2040 t CO2e")
    by_hand = gpu_hours * H100 * US_2023 / TONNE  # t
    assert row.computed == pytest.approx(by_hand, rel=1e-6)
    implied = published * TONNE / (gpu_hours * H100)  # Meta's implicit kg CO2e/kWh
    assert row.ratio == pytest.approx(US_2023 / implied, rel=1e-6)
    if study == "meta-llama-4":
        assert implied / US_2023 - 1 == pytest.approx(0.047, abs=0.002)
        assert row.status == "within 5 %"
    else:
        assert 0.11 <= implied / US_2023 - 1 <= 0.134
        assert row.status == "documented gap" and "not disclosed" in row.cause


def test_meta_3_2_total_counts_the_model_rows_not_the_logit_generation(frame):
    """The card's 240 t equals 107 + 133 + 0.381 + 0.461 = 240.8 t: its 86k GPU-hours of logit
    generation (60.2 MWh, 22.2 t at the public factor) carry none."""
    result = assess("meta-llama-3.2")
    logits = result.substages.loc["training/logit-generation"]
    assert logits["energy"] == pytest.approx(86e3 * H100, rel=1e-6)
    assert logits["gwp"] / TONNE == pytest.approx(22.24, abs=0.01)
    total = [r for r in rows(frame, "meta-llama-3.2").itertuples() if "+" in r.figure][0]
    models = (370e3 + 460e3 + 1.7 + 2.4 + 1.3e3 + 1.6e3) * H100 * US_2023 / TONNE
    assert total.computed == pytest.approx(models, rel=1e-6)
    assert total.ratio == pytest.approx(0.8976, abs=1e-4)


def test_meta_3_3_current_card_is_flagged_as_implausible_not_fitted(frame):
    """12.9 t for 7.0M GPU-hours x 0.7 kW = 4,900 MWh is 0.0026 kg CO2e/kWh, below the
    life-cycle intensity of onshore wind (0.011): an error of the card, kept as a gap."""
    row = ratio(frame, "meta-llama-3.3", "training/llama-3-3-70b", "12.9 t CO2e")
    assert 12.9 * TONNE / (7.0e6 * H100) == pytest.approx(0.0026, abs=1e-4)
    assert row.ratio == pytest.approx(7.0e6 * H100 * US_2023 / (12.9 * TONNE), rel=1e-6)
    assert row.status == "documented gap"
    assert row.note.startswith("Implausible") and "0.0026 kg CO2e/kWh" in row.note
    other = ratio(frame, "meta-llama-3.3", "training/llama-3-3-70b", "2040 t CO2e")
    assert not other.note


# ------------------------------------------------------------------ AI2


@pytest.mark.parametrize("model, mwh, pue, ci, wue, tonnes, kl", [
    ("olmo-7b", 104, 1.1, 0.610, 4.26, 70, 487),
    ("olmo-2-7b", 131, 1.2, 0.332, 1.29, 52, 202),
    ("olmo-2-13b", 257, 1.12, 0.351, 3.10, 101, 892),
])
def test_olmo_2_table_19_from_its_inputs(frame, model, mwh, pue, ci, wue, tonnes, kl):
    """GPU energy x PUE x carbon intensity (water: x off-site WUE): within 1 %, the paper
    rounding to the tonne and the kL."""
    energy = mwh * 1000 * pue  # kWh
    gwp = rows(frame, "ai2-olmo-2")
    gwp_row = gwp[(gwp.figure == f"training/{model}") & (gwp.indicator == "gwp")].iloc[0]
    water_row = gwp[(gwp.figure == f"training/{model}") & (gwp.indicator == "water")].iloc[0]
    assert gwp_row.computed == pytest.approx(energy * ci / TONNE, rel=1e-6)
    assert water_row.computed == pytest.approx(energy * wue / 1000, rel=1e-6)  # kL
    assert abs(gwp_row.computed / tonnes - 1) < 0.01 and abs(water_row.computed / kl - 1) < 0.01


def test_olmo_3_from_the_abstract_with_development_runs_as_a_sub_stage(frame):
    """12.3 GWh x 0.332 kg/kWh = 4,084 t against 4,251 (-3.9 %: the figures imply 0.346
    kg/kWh); x 1.29 L/kWh = 15,867 kL against 15,887. Development: 82.2 % of the energy."""
    result = assess("ai2-olmo-3")
    dev = result.substages.loc["training/development-runs", "energy"]
    final = result.substages.loc["training/final-runs", "energy"]
    assert dev == pytest.approx(0.822 * 12.3e6, rel=1e-6)
    assert dev + final == pytest.approx(12.3e6, rel=1e-6)
    assert result.by_service.loc["development", "gwp"] == pytest.approx(0.822 * 12.3e6 * 0.332)
    sel = rows(frame, "ai2-olmo-3")
    gwp = sel[sel.indicator == "gwp"].iloc[0]
    water = sel[sel.indicator == "water"].iloc[0]
    assert gwp.computed == pytest.approx(12.3e6 * 0.332 / TONNE, rel=1e-6)
    assert gwp.ratio == pytest.approx(0.9606, abs=1e-4)
    assert 4251 * TONNE / 12.3e6 == pytest.approx(0.3456, abs=1e-4)
    assert water.computed == pytest.approx(12.3e6 * 1.29 / 1000, rel=1e-6)
    assert water.ratio == pytest.approx(0.9987, abs=1e-4)


# ------------------------------------------------------------------ Microsoft


def _fit(points):
    a = np.array(points, dtype=float)
    x = np.column_stack([np.ones(len(a)), np.log(a[:, 0]), np.log(a[:, 1])])
    return np.linalg.lstsq(x, np.log(a[:, 2]), rcond=None)[0], a[:, 2].max()


def test_oviedo_throughput_coefficients_are_fitted_on_the_studys_inputs():
    """The regressions are the study's own treatment of its throughput table (an input),
    refitted here from the rows shipped beside the inventory."""
    table = list(csv.DictReader((VALIDATION / "microsoft-oviedo-2025" / "throughput.csv").open()))
    values = {p.name: p.value for p in read_table(
        VALIDATION / "microsoft-oviedo-2025" / "parameters.csv", Parameter, Problems())}
    for model, key in (("Llama 3.1 405B", "llama_405b"), ("DeepSeek-R1", "deepseek_r1")):
        pts = [(r["input_tokens"], r["output_tokens"], r["tokens_per_second"]) for r in table
               if r["model"] == model]
        beta, cap = _fit(pts)
        assert float(values[f"tps_{key}_intercept"]) == pytest.approx(beta[0], rel=1e-6)
        assert float(values[f"tps_{key}_input_exponent"]) == pytest.approx(beta[1], rel=1e-6)
        assert float(values[f"tps_{key}_output_exponent"]) == pytest.approx(beta[2], rel=1e-6)
        assert values[f"tps_{key}_cap"] == f"{cap:g} token/s"
    nemotron = [float(r["tokens_per_second"]) for r in table if "Nemotron" in r["model"]]
    assert values["tps_nemotron_ultra"] == f"{max(nemotron):g} token/s"


def _oviedo_by_hand(median_tokens: int, n: int = 200_000) -> np.ndarray:
    """An independent Monte Carlo of the study's method in numpy (another generator than
    the engine's): energy = PUE x node power x power fraction x L_out / TPS, pooled over the
    three models after trimming each to P5-P95 then P10-P90."""
    rng = np.random.default_rng(2024)
    z = 1.6448536269514722
    table = list(csv.DictReader((VALIDATION / "microsoft-oviedo-2025" / "throughput.csv").open()))
    pooled = []
    for model, power in (("DeepSeek-R1", 12.8), ("Llama 3.1 405B", 10.2),
                         ("Llama-3.1 Nemotron Ultra 253B", 10.2)):
        pts = [(r["input_tokens"], r["output_tokens"], r["tokens_per_second"]) for r in table
               if r["model"] == model]
        out = rng.exponential(median_tokens / math.log(2), n)
        if len(pts) >= 3:
            beta, cap = _fit(pts)
            tps = np.minimum(np.exp(beta[0] + beta[1] * np.log(500) + beta[2] * np.log(out)), cap)
        else:
            tps = max(float(p[2]) for p in pts)
        pu = rng.lognormal(math.log(math.sqrt(0.4 * 0.9)), math.log(0.9 / 0.4) / (2 * z), n)
        pue = rng.lognormal(math.log(math.sqrt(1.05 * 1.6)), math.log(1.6 / 1.05) / (2 * z), n)
        energy = pue * power * pu * out / tps / 3.6  # Wh (kW x s = kJ; / 3.6 = Wh)
        for low, high in ((5, 95), (10, 90)):
            a, b = np.percentile(energy, [low, high])
            energy = energy[(energy >= a) & (energy <= b)]
        pooled.append(energy)
    return np.concatenate(pooled)


@pytest.mark.parametrize("study, median_tokens, published", [
    ("microsoft-oviedo-2025", 300, {"p50": 0.31, "p25": 0.16, "p75": 0.60}),
    ("microsoft-oviedo-2025-long", 5000, {"p50": 3.91, "p25": 2.15, "p75": 7.05}),
])
def test_oviedo_monte_carlo_reproduces_the_median_and_quartiles(frame, study, median_tokens,
                                                                published):
    """v2's figures within 5 % (and within 2 % of an independent numpy run of the same
    method); v1's (0.34, 0.18-0.67 and 4.32 Wh) are 0.90 of the computed: its inputs are not
    public, a documented gap."""
    by_hand = _oviedo_by_hand(median_tokens)
    sel = rows(frame, study)
    for stat, value in published.items():
        row = sel[(sel.statistic == stat) & (sel.published == value)].iloc[0]
        assert row.status == "within 5 %", row
        assert row.computed == pytest.approx(np.percentile(by_hand, float(stat[1:])), rel=0.02)
    for row in sel[sel.status == "documented gap"].itertuples():
        assert 0.89 <= row.ratio <= 0.92 and "v1" in row.cause


# ------------------------------------------------------------------ Google


def test_gemini_comprehensive_boundary_and_its_split(frame):
    """(0.14 + 0.06 + 0.02) Wh x PUE 1.09 = 0.2398 Wh; water 0.22 Wh x 1.15 L/kWh = 0.253 mL;
    shares 58.4 / 25.0 / 8.3 / 8.3 %. The idle share is 8.3 % against 10 %: the paper rounds
    component energies to 0.01 Wh (0.02 Wh covers 6.3 to 10.4 % of 0.24 Wh)."""
    it = 0.14 + 0.06 + 0.02
    total = it * 1.09
    sel = rows(frame, "google-gemini-2025")
    energy = sel[(sel.figure == "inference per request") & (sel.indicator == "energy")].iloc[0]
    water = sel[(sel.figure == "inference per request") & (sel.indicator == "water")].iloc[0]
    assert energy.computed == pytest.approx(total, rel=1e-6)  # Wh
    assert water.computed == pytest.approx(it * 1.15, rel=1e-6)  # mL (Wh x L/kWh)
    shares = {r.figure: r for r in sel[sel.unit == "%"].itertuples()}
    assert shares["inference/accelerator"].computed == pytest.approx(100 * 0.14 / total)
    assert shares["inference/overhead"].computed == pytest.approx(100 * 0.09 * it / total)
    idle = shares["inference/idle-reserve"]
    assert idle.computed == pytest.approx(100 * 0.02 / total)
    assert idle.status == "documented gap" and 100 * 0.015 / 0.24 < 10 < 100 * 0.025 / 0.24


def test_gemini_existing_approach_is_a_boundary_gap(frame):
    """The existing approach (active accelerators only, most efficient data centres): 0.10 Wh
    against the comprehensive accelerator energy 0.14 Wh (1.4x); 0.24 / 0.10 = 2.4x overall."""
    sel = rows(frame, "google-gemini-2025")
    narrow = sel[sel.figure == "inference/accelerator per request"]
    energy = narrow[narrow.indicator == "energy"].iloc[0]
    assert energy.ratio == pytest.approx(1.4, rel=1e-6) and energy.status == "documented gap"
    water = narrow[narrow.indicator == "water"].iloc[0]
    assert water.computed == pytest.approx(0.14 * 1.15, rel=1e-6)


# ------------------------------------------------------------------ image generation


PHP_GPU = 6.97025732  # kWh per 1,000 SDXL images, mean of the ten logged DiffusionDB runs
PHP_TIME = 33749.98  # s per 1,000 images
PHP_HOST_W = 42.5 + 0.375 * 1148.738  # CodeCarbon 2.3.1: constant CPU, 3/8 W per GB of RAM
OREGON = 305.891 * 0.45359237 / 1000  # lb/MWh -> kg/kWh (CodeCarbon's conversion)


def test_power_hungry_processing_from_its_logged_inputs(frame):
    """GPU + (CPU + RAM) x time = 11.41 kWh per 1,000 images, x 138.75 g/kWh = 1,583 g: within
    1 % of the paper's 11.49 kWh and 1,594 g (its highest run). At the 297.6 g/kWh the paper
    is quoted as stating, the same energy would be 3,395 g, 2.14 times its own figure."""
    energy = PHP_GPU + PHP_HOST_W * PHP_TIME / 3.6e6
    sel = rows(frame, "power-hungry-processing-sdxl")
    e = sel[sel.indicator == "energy"].iloc[0]
    g = sel[sel.indicator == "gwp"].iloc[0]
    assert e.computed == pytest.approx(energy, rel=1e-6)
    assert g.computed == pytest.approx(energy * OREGON * 1000, rel=1e-6)  # g
    assert OREGON == pytest.approx(0.13875, abs=1e-5)
    assert 1594 / 11.49 == pytest.approx(138.7, abs=0.1)
    assert energy * 297.6 / 1594 == pytest.approx(2.13, abs=0.01)
    assert e.status == g.status == "within 5 %"


def test_the_two_image_studies_differ_by_their_inputs():
    """Same model (SDXL), two studies: Power Hungry Processing's node (8 A100, one working,
    CPU and RAM heuristic) against AI Energy Score's one H100, GPU only. On the GPU boundary
    6.97 / 1.64 = 4.25x; the working A100 drew at most its 400 W TDP x 33.75 s = 3.75 kWh per
    1,000 images, so at least 46 % of the node's GPU energy was the seven other GPUs."""
    php = assess("power-hungry-processing-sdxl")
    aies = assess("ai-energy-score-sdxl")
    gpu = php.substages.loc["inference/gpu", "energy"]
    h100 = aies.total["energy"]
    assert gpu == pytest.approx(PHP_GPU, rel=1e-6)
    assert h100 == pytest.approx(1.6398454721, rel=1e-6)
    assert gpu / h100 == pytest.approx(4.25, abs=0.01)
    assert php.total["energy"] / h100 == pytest.approx(6.96, abs=0.01)
    working = 0.400 * PHP_TIME / 3600  # kWh, upper bound
    assert working == pytest.approx(3.75, abs=0.01)
    assert 1 - working / gpu == pytest.approx(0.46, abs=0.01)
    assert working / h100 == pytest.approx(2.29, abs=0.01)
    ram = php.substages.loc["inference/ram", "energy"]
    assert ram / php.total["energy"] == pytest.approx(0.354, abs=0.002)


# ------------------------------------------------------------------ command, JSON, README


def test_cli_prints_every_study_with_ratio_and_status():
    done = cli("validation", columns=200)
    assert done.returncode == 0, done.stderr
    for study in STUDIES:
        assert study in done.stdout
    assert "documented gap [1]" in done.stdout and "within 5 %" in done.stdout
    assert "[1] Meta's grid factor is not disclosed" in done.stdout


def test_cli_json_and_csv():
    done = cli("validation", "--study", "meta-llama-4", "--study", "ai2-olmo-2", "-f", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [s["study"] for s in data["studies"]] == ["meta-llama-4", "ai2-olmo-2"]
    assert data["all_ok"] is True and data["tolerance"] == 0.05
    figure = data["studies"][0]["figures"][0]
    assert figure["unit"] == "t CO2e" and figure["published"] == 1354
    assert figure["source"].startswith("Meta, Llama 4 model card")
    done = cli("validation", "--study", "ai2-olmo-3", "-f", "csv")
    assert done.returncode == 0 and done.stdout.splitlines()[0].startswith("study,figure")


def test_cli_unknown_study_is_a_clear_error():
    done = cli("validation", "--study", "nope")
    assert done.returncode == 2 and "unknown validation study 'nope'" in done.stderr


def _data_root(tmp_path: Path, study: str) -> Path:
    root = tmp_path / "data"
    shutil.copytree(REPO / "methods", root / "methods")
    (root / "inventories").mkdir(parents=True)
    shutil.copy(REPO / "inventories" / "biosphere.csv", root / "inventories")
    shutil.copytree(REPO / "inventories" / "background", root / "inventories" / "background")
    shutil.copytree(VALIDATION / study, root / "validation" / study)
    return root


def test_an_undocumented_gap_fails_the_command(tmp_path):
    """Without its documented cause, a 10 % gap is a failure (exit 1), never a pass."""
    root = _data_root(tmp_path, "meta-llama-3.1")
    card = root / "validation" / "meta-llama-3.1" / "validation.toml"
    card.write_text(card.read_text().split("[[gap]]")[0])
    done = cli("validation", "-f", "json", env={"LCA_DATA": str(root)})
    assert done.returncode == 1
    figures = json.loads(done.stdout)["studies"][0]["figures"]
    assert {f["status"] for f in figures} == {"outside 5 %, no documented cause"}
    assert not any(f["ok"] for f in figures)


def test_a_bad_study_card_names_its_file_and_field(tmp_path):
    root = _data_root(tmp_path, "meta-llama-4")
    card = root / "validation" / "meta-llama-4" / "validation.toml"
    card.write_text(card.read_text() + '\n[[gap]]\nscope = "training"\nindicator = "gwp"\n'
                    'ratio = [2, 1]\ncause = "x"\n')
    done = cli("validation", env={"LCA_DATA": str(root)})
    assert done.returncode == 2
    assert "validation.toml" in done.stderr and "gap[1].ratio" in done.stderr


def test_python_api_returns_a_dataframe(frame):
    assert list(frame.columns) == lca.validation.COLUMNS
    assert frame.attrs["tolerance"] == 0.05
    assert len(frame) >= 40


def test_readme_validation_table_is_generated_from_the_engine(frame):
    """Regenerate with `lca validation --format markdown` (see the README)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- section: validation -->", 1)[1].split(
        "<!-- end section: validation -->", 1)[0]
    table = section.split("<!-- validation-table -->\n", 1)[1].split(
        "<!-- end validation-table -->", 1)[0]
    assert table == lca.validation.markdown(frame), (
        "the README's validation table is stale: run `lca validation --format markdown` and "
        "paste its output between the validation-table markers")
