"""A parametric inference model for any text model, from its active and total parameter counts.

Two faces of the same model:

- pure functions (``gpus_needed``, ``gpu_energy_per_output_token`` ...) that compute it in
  Python, for checks and for ``lca allocate``'s prefill weight;
- :func:`generate` / :func:`write_inventory`, which turn a short spec (``spec.toml`` in a model
  folder) into a text inventory whose formulas are the same equations, so the engine computes
  the model on its Brightway graph and every coefficient shows up, with its source, in
  parameters.csv.

The equations are EcoLogits' (Rincé & Banse, JOSS 2025; methodology read in EcoLogits 0.11.3,
see shared/reference/peers-ecologits-boavizta.md section 1.2), extended with a prefill term for
input tokens that EcoLogits leaves out (its issue #183).
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lca import formulas
from lca.boundary import token_equivalents
from lca.errors import InventoryError, Location, Problem
from lca.files import csv_text, write_atomic
from lca.schema import ModelCard
from lca.units import magnitude_in, quantity
from lca.workbook.canonical import write_model_toml


@dataclass(frozen=True)
class Coefficient:
    value: float
    unit: str
    source: str


ECOLOGITS = "EcoLogits 0.11.3 (Rince & Banse, JOSS 10(111):7471, 2025), ecologits/impacts/llm.py"
# Every number of the model, with its source.
COEFFICIENTS = {
    # GPU energy per output token: alpha * exp(beta * batch) * P_active[billions] + gamma,
    # fitted on ML.ENERGY (vLLM, H100 80GB, batch <= 512, models <= 200 B).
    "energy_alpha": Coefficient(
        1.1665273170451914e-06, "Wh/(GPU*token)", f"{ECOLOGITS}: GPU energy fit on ML.ENERGY, alpha"
    ),
    "energy_beta": Coefficient(
        -1.1205921025579175e-02,
        "",
        f"{ECOLOGITS}: GPU energy fit on ML.ENERGY, beta (per request in the batch)",
    ),
    "energy_gamma": Coefficient(
        4.052928146734005e-05, "Wh/(GPU*token)", f"{ECOLOGITS}: GPU energy fit on ML.ENERGY, gamma"
    ),
    # Generation latency per output token: a * P_active + b * batch + c (fit on ML.ENERGY).
    "latency_per_billion": Coefficient(
        6.785088094353663e-4,
        "s/token",
        f"{ECOLOGITS}: latency fit on ML.ENERGY, active-parameter term",
    ),
    "latency_per_batch": Coefficient(
        3.119310311688259e-4, "s/token", f"{ECOLOGITS}: latency fit on ML.ENERGY, batch term"
    ),
    "latency_constant": Coefficient(
        1.9473717579473387e-2, "s/token", f"{ECOLOGITS}: latency fit on ML.ENERGY, constant"
    ),
    "batch_size": Coefficient(64, "", f"{ECOLOGITS}: default batch size"),
    # Sizing: 1.2 x parameters x bytes per parameter over GPU memory, rounded up to 2^n.
    "memory_overhead": Coefficient(
        1.2, "", f"{ECOLOGITS}: memory overhead factor in the GPU count"
    ),
    "bytes_per_parameter": Coefficient(2, "B", f"{ECOLOGITS}: 16-bit weights (Q = 16 bits)"),
    "gpu_memory": Coefficient(80, "GB", "NVIDIA H100 SXM 80GB datasheet: 80 GB HBM3"),
    "gpus_per_server": Coefficient(
        8, "GPU/server", "NVIDIA HGX / DGX H100 system: 8 GPUs per server"
    ),
    "server_power_without_gpus": Coefficient(
        1.2,
        "kW/server",
        f"{ECOLOGITS}: server power without GPUs, BoaviztAPI p5.48xlarge avg_power",
    ),
    "hardware_lifetime": Coefficient(3, "year", f"{ECOLOGITS}: hardware lifetime 3 years"),
    # Prefill is not free: energy of one input token as a share of one output token's.
    # Epoch AI (Feb 2025, 'How much energy does ChatGPT use?') puts a typical GPT-4o query
    # (about 500 output tokens) at 0.3 Wh and one with 10k input tokens at about 8 times that
    # (as EcoLogits' issue #183 and blog quote it): (8 - 1) x 500 / 10,000 = 0.35.
    "input_token_weight": Coefficient(
        0.35,
        "",
        "Derived from Epoch AI, Feb 2025 "
        "(epoch.ai/gradient-updates/how-much-energy-does-chatgpt-use): "
        "10k input tokens make a ~500-output-token query use ~8x the energy, as quoted in "
        "EcoLogits issue #183: (8 - 1) x 500 / 10000 = 0.35 output-token equivalents "
        "per input token",
    ),
    # Network: fixed-line transmission intensity, halving every two years (2015 -> 2024).
    "network_intensity": Coefficient(
        0.06 * 0.5**4.5,
        "kWh/GB",
        "Aslan, Mayers, Koomey, France 2018, J. Ind. Ecol. 22(4):785-798: 0.06 kWh/GB in 2015, "
        "halving every 2 years, extrapolated to 2024",
    ),
    "bytes_per_output_token": Coefficient(
        1,
        "kB/token",
        "Assumption shared with the large-2 inventory: one small streamed event per token",
    ),
}


# The model's equations, declared once: the inventory's formula parameters are these texts,
# and the functions below evaluate the same texts (lca.formulas) for a quick answer.
EQUATIONS = {
    "gpus_per_replica": (
        "2 ** ceil(log2(ceil(memory_overhead * total_parameters_billions * 1e9"
        " * bytes_per_parameter / gpu_memory))) * one_gpu",
        "EcoLogits sizing rule: weights x 1.2 over GPU memory, rounded up to 2^n",
    ),
    "gpu_energy_per_output_token": (
        "energy_alpha * exp(energy_beta * batch_size) * active_parameters_billions"
        " + energy_gamma",
        "EcoLogits GPU energy per output token, per GPU",
    ),
    "latency_per_output_token": (
        "latency_per_billion * active_parameters_billions + latency_per_batch * batch_size"
        " + latency_constant",
        "EcoLogits generation latency per output token",
    ),
    "gpu_time_per_output_token": (
        "gpus_per_replica * latency_per_output_token / batch_size",
        "GPU time one output token holds (EcoLogits' embodied allocation)",
    ),
    "it_energy_per_output_token": (
        "gpus_per_replica * gpu_energy_per_output_token + gpu_time_per_output_token"
        " * server_power_without_gpus / gpus_per_server",
        "IT energy per output token: GPUs plus their share of the server (EcoLogits)",
    ),
}
ONE_GPU = ("1 GPU", "Unit: the sizing rule counts GPUs as a plain number")


def coefficient_text(coef: Coefficient) -> str:
    """A coefficient as parameters.csv writes it ("1.2 kW/server")."""
    return f"{coef.value:.17g}" + (f" {coef.unit}" if coef.unit else "")


# ---------------------------------------------------------------------------- quick answers


def evaluate(active_b: float, total_b: float, batch: float = 64) -> dict:
    """Every quantity of the model (coefficients, inputs and :data:`EQUATIONS`) for a model of
    ``active_b`` and ``total_b`` billion parameters, as Pint quantities."""
    values = {name: quantity(coefficient_text(coef)) for name, coef in COEFFICIENTS.items()}
    values.update(active_parameters_billions=quantity(float(active_b)),
                  total_parameters_billions=quantity(float(total_b)),
                  batch_size=quantity(float(batch)), one_gpu=quantity(ONE_GPU[0]))
    for name, (text, _source) in EQUATIONS.items():
        values[name] = formulas.evaluate(text, values)
    return values


def gpus_needed(total_parameters_billions: float) -> int:
    """GPUs in one serving replica: memory footprint over GPU memory, rounded up to 2^n."""
    q = evaluate(total_parameters_billions, total_parameters_billions)["gpus_per_replica"]
    return round(magnitude_in(q, "GPU"))


def it_energy_per_output_token(active_b: float, total_b: float, batch: float = 64) -> float:
    """Wh of IT energy (GPUs and their share of the server) per output token."""
    return magnitude_in(evaluate(active_b, total_b, batch)["it_energy_per_output_token"],
                        "Wh/token")


def energy_per_request(
    active_b: float,
    total_b: float,
    output_tokens: float,
    input_tokens: float = 0.0,
    pue: float = 1.0,
    batch: float = 64,
) -> float:
    """Facility energy (Wh) of one request, prefill included."""
    weight = COEFFICIENTS["input_token_weight"].value
    equivalents = token_equivalents(output_tokens, input_tokens, weight)
    return pue * equivalents * it_energy_per_output_token(active_b, total_b, batch)


# ---------------------------------------------------------------------------- the generator

SPEC_FILE = "spec.toml"
REQUIRED = (
    "active_parameters_billions",
    "total_parameters_billions",
    "serving_pue",
    "serving_wue",
    "output_tokens_per_month",
    "input_tokens_per_month",
)
TRAINING = ("training_gpu_hours", "training_gpu_power", "training_pue", "training_wue")


CARD_FIELDS = ("name", "display_name", "developer", "release", "architecture", "description")
PARAMETER_FIELDS = ("value", "kind", "source")


def read_spec(path: Path) -> dict:
    """A spec file: [card] (model.toml fields), [serving], [training], [parameters.NAME]."""
    path = Path(path)
    spec = _load_toml(path)
    params = spec.get("parameters", {})
    problems = _absent(path, params, REQUIRED, "parameters.")
    if "training" in spec:
        problems += _absent(path, params, TRAINING, "parameters.",
                            "required when the spec has a [training] table")
    for name, p in params.items():
        problems += _blank(path, p, PARAMETER_FIELDS, f"parameters.{name}.")
    problems += _blank(path, spec.get("card", {}), CARD_FIELDS, "card.")
    problems += _absent(path, spec.get("serving", {}), ("country",), "serving.")
    if problems:
        raise InventoryError(problems)
    return spec


def _load_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InventoryError([Problem(Location(str(path)), "file is missing")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InventoryError([Problem(Location(str(path)), f"not valid TOML: {exc}")]) from None


def _absent(path: Path, table: dict, keys, prefix: str, message: str = "required"
            ) -> list[Problem]:
    """A problem for each key the TOML table lacks (an empty value is accepted)."""
    return [Problem(Location(str(path), None, f"{prefix}{key}"), message)
            for key in keys if key not in table]


def _blank(path: Path, table: dict, keys, prefix: str) -> list[Problem]:
    """A problem for each key the TOML table lacks or leaves blank."""
    return [Problem(Location(str(path), None, f"{prefix}{key}"), "required")
            for key in keys if not str(table.get(key, "")).strip()]


def generate(spec: dict) -> dict[str, str]:
    """The text inventory of a spec: file name -> content."""
    card, params = spec["card"], spec["parameters"]
    m = card["name"]
    total_b = float(params["total_parameters_billions"]["value"])
    gpus = gpus_needed(total_b)
    rows: list[list[str]] = []

    def param(name, value, kind, source, comment=""):
        rows.append([name, str(value), kind, source, comment])

    for name, p in params.items():
        param(name, p["value"], p["kind"], p["source"], p.get("comment", ""))
    for name, coef in COEFFICIENTS.items():
        if name in params:
            continue  # the spec overrides a default coefficient
        kind = "sourced" if "Assumption" not in coef.source else "assumed"
        param(name, coefficient_text(coef), kind, coef.source)
    param("one_gpu", ONE_GPU[0], "modeled", ONE_GPU[1])
    for name, (formula, source) in EQUATIONS.items():
        if name == "gpus_per_replica":
            source += f" ({gpus} H100 80GB for {total_b:g}B parameters)"
        param(name, formula, "modeled", source)

    country = spec["serving"]["country"]
    activities = [
        [
            f"{m}-inference-token",
            f"{card['display_name']} inference, per output-token equivalent"
            " (an input token counts input_token_weight)",
            "token",
            country.upper(),
            "Parametric model (lca.parametric)",
        ],
        [
            f"{m}-gpu-hardware",
            "H100 server slot, manufacturing share per GPU-hour of use",
            "GPU*h",
            "GLO",
            "Allocation by use time over the hardware lifetime (EcoLogits)",
        ],
        [
            f"{m}-network-token",
            "Network transmission of a streamed answer, per output token",
            "token",
            country.upper(),
            "",
        ],
    ]
    elec = f"electricity-{country.lower()}"
    exchanges = [
        [
            f"{m}-inference-token",
            elec,
            "it_energy_per_output_token * serving_pue",
            "kWh",
            "IT energy x PUE (EcoLogits step 5)",
            "",
        ],
        [
            f"{m}-inference-token",
            "water-consumed",
            "it_energy_per_output_token * serving_wue",
            "m3",
            "On-site cooling water: IT energy x WUE (EcoLogits step 7)",
            "",
        ],
        [
            f"{m}-gpu-hardware",
            "gpu-h100-manufacturing",
            "1 / hardware_lifetime",
            "GPU",
            "One GPU per slot over its lifetime",
            "",
        ],
        [
            f"{m}-gpu-hardware",
            "gpu-server-chassis-manufacturing",
            "1 / (gpus_per_server * hardware_lifetime)",
            "server",
            "One eighth of a server per slot over its lifetime",
            "",
        ],
        [
            f"{m}-network-token",
            elec,
            "bytes_per_output_token * network_intensity",
            "kWh",
            "Energy intensity of data transmission x bytes sent",
            "",
        ],
    ]
    equivalents = "(output_tokens_per_month + input_token_weight * input_tokens_per_month) * months"
    stages = [
        [
            "inference",
            f"{m}-inference-token",
            equivalents,
            "token",
            "inference",
            "yes",
            "Output tokens plus weighted input tokens served over the period",
            "",
        ],
        [
            "hardware-manufacturing",
            f"{m}-gpu-hardware",
            f"{equivalents} * gpu_time_per_output_token",
            "GPU*h",
            "inference",
            "yes",
            "Hardware share of inference: GPU-hours held",
            "",
        ],
        [
            "network",
            f"{m}-network-token",
            "output_tokens_per_month * months",
            "token",
            "inference",
            "no",
            "Transmission of every output token",
            "",
        ],
    ]
    if "training" in spec:
        training_country = spec["training"]["country"].lower()
        activities.append(
            [
                f"{m}-training-run",
                f"{card['display_name']} training: power and on-site water",
                "run",
                training_country.upper(),
                "",
            ]
        )
        exchanges += [
            [
                f"{m}-training-run",
                f"electricity-{training_country}",
                "training_gpu_hours * training_gpu_power * training_pue",
                "kWh",
                "GPU-hours x power per GPU x PUE (the method of Meta's model cards)",
                "",
            ],
            [
                f"{m}-training-run",
                "water-consumed",
                "training_gpu_hours * training_gpu_power * training_wue",
                "m3",
                "On-site cooling water: IT energy x WUE",
                "",
            ],
        ]
        stages += [
            [
                "training",
                f"{m}-training-run",
                "1",
                "run",
                "training",
                "no",
                "Counted once, whatever the usage period",
                "",
            ],
            [
                "hardware-manufacturing",
                f"{m}-gpu-hardware",
                "training_gpu_hours",
                "GPU*h",
                "training",
                "no",
                "Hardware share of training: GPU-hours used",
                "",
            ],
        ]
    files = {
        "model.toml": _model_toml(card, spec),
        "parameters.csv": csv_text(["name", "value", "kind", "source", "comment"], rows),
        "activities.csv": csv_text(["code", "name", "unit", "location", "comment"], activities),
        "exchanges.csv": csv_text(
            ["activity", "input", "amount", "unit", "source", "comment"], exchanges
        ),
        "stages.csv": csv_text(
            ["stage", "activity", "amount", "unit", "serves", "marginal", "source", "comment"],
            stages,
        ),
    }
    return files


def write_inventory(directory: Path, spec: dict | None = None) -> list[Path]:
    """(Re)write a model folder's inventory from its spec.toml; each file replaced atomically."""
    directory = Path(directory)
    spec = spec if spec is not None else read_spec(directory / SPEC_FILE)
    written = []
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in generate(spec).items():
        write_atomic(directory / name, text)
        written.append(directory / name)
    return written


def _model_toml(card: dict, spec: dict) -> str:
    """model.toml of a generated inventory, written by the one canonical TOML writer."""
    data = dict(card)
    params = spec["parameters"]
    data.setdefault("parameter_count",
                    f"{float(params['total_parameters_billions']['value']):g}e9")
    data.setdefault("active_parameter_count",
                    f"{float(params['active_parameters_billions']['value']):g}e9")
    data.setdefault("served_output_tokens", "output_tokens_per_month * months")
    data.setdefault("served_input_tokens", "input_tokens_per_month * months")
    header = (f"{card['display_name']}: generated by lca.parametric from spec.toml (edit the "
              "spec, then run `python -m lca.parametric <folder>`).")
    return write_model_toml(ModelCard(**data), None, {(("name",), 0): header})


def main(argv: list[str] | None = None) -> int:
    """``python -m lca.parametric FOLDER...``: regenerate inventories from their spec.toml."""
    for folder in argv if argv is not None else sys.argv[1:]:
        for path in write_inventory(Path(folder)):
            print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
