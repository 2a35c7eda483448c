"""A synthetic inventory with known parameters, for testing calibration: ten parameters with
priors, fifteen published figures, written as a person would write the text files.

The figures are passed in (generated from true parameter values by the test), so a test can
calibrate and compare the posterior with the truth. Everything else is plain CSV and TOML.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

# name: (value, prior)
PARAMETERS = {
    "training_energy": ("2e6 kWh/run", "lognormal(gsd=2)"),
    "training_wue": ("0.5 L/kWh", "lognormal(gsd=2)"),
    "serving_energy_per_token": ("5e-4 kWh/token", "lognormal(gsd=2)"),
    "serving_wue": ("0.3 L/kWh", "lognormal(gsd=2)"),
    "tokens_per_month": ("1e10 token/month", "lognormal(gsd=2)"),
    "gpu_seconds_per_token": ("0.01 GPU*s/token", "lognormal(gsd=2)"),
    "training_gpu_hours": ("2e6 GPU*h", "lognormal(gsd=2)"),
    "hardware_lifetime": ("4 year", "uniform(min=3 year, max=6 year)"),
    "hardware_adp_extra": ("0.1 kg Sb eq/server", "lognormal(gsd=2)"),
    "device_energy_per_token": ("2e-5 kWh/token", "lognormal(gsd=2)"),
}
FREE = list(PARAMETERS)

# (scope, per_unit, indicator): the fifteen figures of the benchmark and of the checks
FIGURES = [
    ("total", False, "gwp"), ("total", False, "water"), ("total", False, "adp"),
    ("total", False, "energy"),
    ("marginal", True, "gwp"), ("marginal", True, "water"), ("marginal", True, "adp"),
    ("marginal", True, "energy"),
    ("training", False, "gwp"), ("inference", False, "energy"),
    ("hardware-manufacturing", False, "gwp"), ("hardware-manufacturing", False, "adp"),
    ("end-user-equipment", False, "energy"), ("training", False, "water"),
    ("inference", False, "water"),
]
UNITS = {"gwp": "kg CO2e", "water": "m3", "adp": "kg Sb eq", "energy": "kWh"}


def _csv(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_synthetic(folder: Path, figures: dict | None = None, free=None, seed: int = 7,
                    draws: int = 20_000, particles: int = 2_000, discrepancy: float = 0.0,
                    relative_uncertainty: float = 0.1, values: dict | None = None) -> Path:
    """Write the inventory into ``folder``. ``figures``: (scope, per_unit, indicator) ->
    value in the indicator's unit (default: 1 for each, to be replaced); each is published
    with a 95 % half-width of 1.96 x ``relative_uncertainty``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    values = values or {}
    rows = [[name, values.get(name, value), "calibrated",
             "Calibrated by calibration.toml beside this inventory (synthetic test)", "", prior,
             "Synthetic prior for the calibration tests", ""]
            for name, (value, prior) in PARAMETERS.items()]
    (folder / "parameters.csv").write_text(_csv(
        ["name", "value", "kind", "source", "comment", "uncertainty", "uncertainty_source",
         "pedigree"], rows))
    (folder / "activities.csv").write_text(_csv(["code", "name", "unit", "location"], [
        ["syn-train", "training run", "run", "US"],
        ["syn-serve", "serving one output token", "token", "FR"],
        ["syn-hardware", "GPU slot, manufacturing share per GPU-hour", "GPU*h", "GLO"],
        ["syn-users", "user devices per output token", "token", "SE"],
    ]))
    src = "synthetic"
    (folder / "exchanges.csv").write_text(_csv(
        ["activity", "input", "amount", "unit", "source"], [
            ["syn-train", "electricity-us", "training_energy", "kWh", src],
            ["syn-train", "water-consumed", "training_energy * training_wue", "m3", src],
            ["syn-serve", "electricity-fr", "serving_energy_per_token", "kWh", src],
            ["syn-serve", "water-consumed", "serving_energy_per_token * serving_wue", "m3", src],
            ["syn-hardware", "gpu-h100-manufacturing", "1 / hardware_lifetime", "GPU", src],
            ["syn-hardware", "gpu-server-chassis-manufacturing",
             "1 / (8 GPU/server * hardware_lifetime)", "server", src],
            ["syn-hardware", "minerals-metals-sb-eq",
             "hardware_adp_extra / (8 GPU/server * hardware_lifetime)", "kg Sb eq", src],
            ["syn-users", "electricity-se", "device_energy_per_token", "kWh", src],
        ]))
    (folder / "stages.csv").write_text(_csv(
        ["stage", "activity", "amount", "unit", "serves", "marginal", "source"], [
            ["training", "syn-train", "1", "run", "training", "false", src],
            ["inference", "syn-serve", "tokens_per_month * months", "token", "inference",
             "true", src],
            ["hardware-manufacturing", "syn-hardware", "training_gpu_hours", "GPU*h",
             "training", "false", src],
            ["hardware-manufacturing", "syn-hardware",
             "tokens_per_month * months * gpu_seconds_per_token", "GPU*h", "inference", "true",
             src],
            ["end-user-equipment", "syn-users", "tokens_per_month * months", "token", "users",
             "false", src],
        ]))
    (folder / "model.toml").write_text('''name = "synthetic-calibration"
display_name = "Synthetic model for calibration tests"
developer = "tests"
release = "2026-01-01"
architecture = "none"
parameter_count = "0"
active_parameter_count = "0"
description = "Known parameters, figures generated from them"
sources = ["synthetic"]
served_output_tokens = "tokens_per_month * months"

[excluded]
model-conception = "not modelled"
data-center-construction = "not modelled"
network = "not modelled"

[published]
source = "generated by the test from known parameters"
months = 12
tokens_per_response = 400
''')
    figures = figures or {key: 1.0 for key in FIGURES}
    pub = []
    for (scope, per_unit, indicator), value in figures.items():
        pub.append([scope, "true" if per_unit else "false", indicator,
                    f"{float(value)!r} {UNITS[indicator]}", f"{196 * relative_uncertainty:g} %", "",
                    src])
    (folder / "published_figures.csv").write_text(_csv(
        ["scope", "per_unit", "indicator", "value", "uncertainty", "boundary", "source"], pub))
    free = FREE if free is None else free
    (folder / "calibration.toml").write_text(f'''method = "bayes"
seed = {seed}
draws = {draws}
particles = {particles}
months = 12
tokens_per_response = 400
discrepancy = {discrepancy}
free = [{", ".join(f'"{n}"' for n in free)}]
''')
    return folder
