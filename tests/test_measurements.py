"""CodeCarbon's emissions.csv into an inventory: a real file written by CodeCarbon itself
(OfflineEmissionsTracker), and files built from its documented columns for the error cases."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from lca.errors import BadArgument, InventoryError
from lca.measurements import add_measurement, read_codecarbon

REPO = Path(__file__).resolve().parent.parent
LLAMA = REPO / "inventories" / "llama-3.1-8b"
# CodeCarbon 3.x columns (codecarbon/output_methods/emissions_data.py, EmissionsData fields).
COLUMNS = ["timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions",
           "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy",
           "ram_energy", "energy_consumed", "water_consumed", "country_name", "country_iso_code",
           "region", "cloud_provider", "cloud_region", "os", "python_version",
           "codecarbon_version", "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude",
           "latitude", "ram_total_size", "tracking_mode", "cpu_utilization_percent",
           "gpu_utilization_percent", "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue",
           "wue"]


@pytest.fixture(scope="module")
def real_emissions_csv(tmp_path_factory) -> Path:
    """An emissions.csv written by CodeCarbon, tracking a short CPU loop in France."""
    from codecarbon import OfflineEmissionsTracker

    folder = tmp_path_factory.mktemp("codecarbon")
    tracker = OfflineEmissionsTracker(country_iso_code="FRA", output_dir=str(folder),
                                      log_level="error", project_name="lca-test",
                                      measure_power_secs=1)
    tracker.start()
    total = 0
    for i in range(300_000):
        total += i * i
    tracker.stop()
    return folder / "emissions.csv"


def documented_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return path


def gpu_run(**changes) -> dict:
    row = {"timestamp": "2025-03-01T10:00:00", "project_name": "train", "duration": "3600",
           "energy_consumed": "5.6", "water_consumed": "0.0", "country_name": "Sweden",
           "country_iso_code": "SWE", "codecarbon_version": "3.3.2", "cpu_model": "AMD EPYC 7R13",
           "gpu_count": "8", "gpu_model": "8 x NVIDIA H100 80GB HBM3", "pue": "1.0", "wue": "0.0"}
    row.update(changes)
    return row


@pytest.fixture()
def llama_copy(tmp_path) -> Path:
    target = tmp_path / "llama-3.1-8b"
    shutil.copytree(LLAMA, target)
    return target


def _params(folder: Path) -> dict:
    with (folder / "parameters.csv").open() as fh:
        return {r["name"]: r for r in csv.DictReader(fh)}


def test_real_codecarbon_file_is_read(real_emissions_csv):
    m = read_codecarbon(real_emissions_csv)
    with real_emissions_csv.open() as fh:
        rows = list(csv.DictReader(fh))
    assert m.runs == len(rows) == 1
    assert m.energy_kwh == pytest.approx(float(rows[0]["energy_consumed"]))
    assert m.duration_s == pytest.approx(float(rows[0]["duration"]))
    assert m.country_iso3 == "FRA"
    assert m.sha256 == hashlib.sha256(real_emissions_csv.read_bytes()).hexdigest()


def test_training_measurement_enters_the_assessment(real_emissions_csv, llama_copy):
    import lca

    changed = add_measurement(llama_copy, read_codecarbon(real_emissions_csv), "training",
                              replace=True)
    assert {p.name for p in changed} == {"parameters.csv", "activities.csv", "exchanges.csv",
                                         "stages.csv"}
    params = _params(llama_copy)
    energy = params["measured_training_energy"]
    assert energy["kind"] == "measured"
    digest = hashlib.sha256(real_emissions_csv.read_bytes()).hexdigest()
    assert f"sha256:{digest}" in energy["source"]
    with real_emissions_csv.open() as fh:
        kwh = float(next(csv.DictReader(fh))["energy_consumed"])
    after = lca.assess(None, months=12, inventory=llama_copy)
    # The measured run replaces Meta's training: the French grid (EcoLogits FRA) x its energy.
    assert after.stages.loc["training", "gwp"] == pytest.approx(kwh * 0.04144, rel=1e-3)


def test_inference_measurement_replaces_the_modeled_rows(llama_copy, tmp_path):
    import lca

    path = documented_csv(tmp_path / "emissions.csv", [
        gpu_run(), gpu_run(timestamp="2025-03-01T11:00:00", energy_consumed="4.4")])
    add_measurement(llama_copy, read_codecarbon(path), "inference", per="1e7 token",
                    replace=True)
    result = lca.assess(None, months=12, inventory=llama_copy)
    # 10 kWh for 1e7 output tokens, on the Swedish grid, for 1e10 tokens a month x 12 months.
    expected = 10 / 1e7 * 1e10 * 12 * 0.03526
    assert result.stages.loc["inference", "gwp"] == pytest.approx(expected, rel=1e-3)
    with (llama_copy / "stages.csv").open() as fh:
        inference_rows = [r for r in csv.DictReader(fh) if r["stage"] == "inference"]
    assert [r["activity"] for r in inference_rows] == ["llama-3.1-8b-measured-inference"]
    # Importing again replaces the measurement instead of adding a second one.
    add_measurement(llama_copy, read_codecarbon(path), "inference", per="1e7 token")
    again = lca.assess(None, months=12, inventory=llama_copy)
    assert again.stages.loc["inference", "gwp"] == pytest.approx(expected, rel=1e-3)


def test_cli_add_to_an_inventory(real_emissions_csv, llama_copy, run_cli):
    out = run_cli(["inventory", "measurements", "add", str(real_emissions_csv),
                   "--inventory", str(llama_copy), "--stage", "training"])
    assert "FRA" in out
    assert "measured_training_energy" in (llama_copy / "parameters.csv").read_text()


@pytest.mark.parametrize("rows, columns, message", [
    ([gpu_run(energy_consumed="abc")], None, "row 2, field 'energy_consumed': not a number"),
    ([gpu_run(), gpu_run(duration="-5")], None, "row 3, field 'duration': must be a finite"),
    ([gpu_run(), gpu_run(country_iso_code="USA")], None, "row 3, field 'country_iso_code'"),
    ([], None, "no runs"),
    ([gpu_run()], [c for c in COLUMNS if c != "energy_consumed"],
     "row 1, field 'energy_consumed': required column is missing"),
])
def test_bad_files_are_refused_with_row_and_field(tmp_path, rows, columns, message):
    path = tmp_path / "emissions.csv"
    fields = columns or COLUMNS
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(InventoryError) as info:
        read_codecarbon(path)
    assert message in str(info.value)


def test_truncated_row_is_refused(tmp_path):
    path = documented_csv(tmp_path / "emissions.csv", [gpu_run()])
    text = path.read_text()
    path.write_text(text + "2025-03-01T12:00:00,train,abc,def,12\n")
    with pytest.raises(InventoryError, match="row 3: 5 cells for 38 columns"):
        read_codecarbon(path)


def test_unknown_country_and_missing_per(tmp_path, llama_copy):
    path = documented_csv(tmp_path / "emissions.csv", [gpu_run(country_iso_code="ZAF")])
    with pytest.raises(BadArgument, match="no background electricity for country 'ZAF'"):
        add_measurement(llama_copy, read_codecarbon(path), "training")
    ok = documented_csv(tmp_path / "ok.csv", [gpu_run()])
    with pytest.raises(BadArgument, match="--per is required"):
        add_measurement(llama_copy, read_codecarbon(ok), "inference")
    # --electricity chooses the grid when the country has none.
    add_measurement(llama_copy, read_codecarbon(path), "training", electricity="electricity-world")
    assert "electricity-world" in (llama_copy / "exchanges.csv").read_text()


def test_a_failed_import_changes_nothing(tmp_path, llama_copy):
    path = documented_csv(tmp_path / "emissions.csv", [gpu_run()])
    before = {p.name: p.read_bytes() for p in llama_copy.iterdir()}
    with pytest.raises(BadArgument):
        add_measurement(llama_copy, read_codecarbon(path), "inference", per="12 kg")
    assert {p.name: p.read_bytes() for p in llama_copy.iterdir()} == before


def test_cli_error_exits_2_without_traceback(tmp_path, run_cli):
    path = documented_csv(tmp_path / "emissions.csv", [gpu_run(energy_consumed="")])
    err = run_cli(["inventory", "measurements", "add", str(path), "--model", "llama-3.1-8b",
                   "--stage", "training"], expect=2)
    assert err.startswith("error:") and "field 'energy_consumed': empty value" in err
