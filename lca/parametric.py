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

import csv
import io
import math
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lca.errors import InventoryError, Location, Problem


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


def c(name: str) -> float:
    return COEFFICIENTS[name].value


# ---------------------------------------------------------------------------- pure functions


def gpus_needed(
    total_parameters_billions: float, bytes_per_parameter: float = 2.0, gpu_memory_gb: float = 80.0
) -> int:
    """GPUs in one serving replica: memory footprint over GPU memory, rounded up to 2^n."""
    gb = c("memory_overhead") * total_parameters_billions * bytes_per_parameter
    return 2 ** math.ceil(math.log2(max(1, math.ceil(gb / gpu_memory_gb))))


def gpu_energy_per_output_token(active_parameters_billions: float, batch: float = 64) -> float:
    """Wh per output token for one GPU (EcoLogits' fit)."""
    return c("energy_alpha") * math.exp(c("energy_beta") * batch) * active_parameters_billions + c(
        "energy_gamma"
    )


def latency_per_output_token(active_parameters_billions: float, batch: float = 64) -> float:
    """Seconds per output token of one request (EcoLogits' fit)."""
    return (
        c("latency_per_billion") * active_parameters_billions
        + c("latency_per_batch") * batch
        + c("latency_constant")
    )


def it_energy_per_output_token(active_b: float, total_b: float, batch: float = 64) -> float:
    """Wh of IT energy (GPUs and their share of the server) per output token."""
    gpus = gpus_needed(total_b)
    server = (
        latency_per_output_token(active_b, batch)
        / 3600
        * c("server_power_without_gpus")
        * 1000
        * gpus
        / c("gpus_per_server")
        / batch
    )
    return gpus * gpu_energy_per_output_token(active_b, batch) + server


def energy_per_request(
    active_b: float,
    total_b: float,
    output_tokens: float,
    input_tokens: float = 0.0,
    pue: float = 1.0,
    batch: float = 64,
) -> float:
    """Facility energy (Wh) of one request, prefill included."""
    equivalents = output_tokens + c("input_token_weight") * input_tokens
    return pue * equivalents * it_energy_per_output_token(active_b, total_b, batch)


def gpu_hours_per_output_token(active_b: float, total_b: float, batch: float = 64) -> float:
    """GPU-hours one output token holds: GPUs x latency / batch (EcoLogits' embodied share)."""
    return gpus_needed(total_b) * latency_per_output_token(active_b, batch) / batch / 3600


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


def read_spec(path: Path) -> dict:
    """A spec file: [card] (model.toml fields), [serving], [training], [parameters.NAME]."""
    path = Path(path)
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InventoryError([Problem(Location(str(path)), "file is missing")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InventoryError([Problem(Location(str(path)), f"not valid TOML: {exc}")]) from None
    problems = []
    params = spec.get("parameters", {})
    for name in REQUIRED:
        if name not in params:
            problems.append(Problem(Location(str(path), None, f"parameters.{name}"), "required"))
    if "training" in spec:
        for name in TRAINING:
            if name not in params:
                problems.append(
                    Problem(
                        Location(str(path), None, f"parameters.{name}"),
                        "required when the spec has a [training] table",
                    )
                )
    for name, p in params.items():
        for key in ("value", "kind", "source"):
            if not str(p.get(key, "")).strip():
                problems.append(
                    Problem(Location(str(path), None, f"parameters.{name}.{key}"), "required")
                )
    for key in ("name", "display_name", "developer", "release", "architecture", "description"):
        if not str(spec.get("card", {}).get(key, "")).strip():
            problems.append(Problem(Location(str(path), None, f"card.{key}"), "required"))
    if "country" not in spec.get("serving", {}):
        problems.append(Problem(Location(str(path), None, "serving.country"), "required"))
    if problems:
        raise InventoryError(problems)
    return spec


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
        value = f"{coef.value:.17g}" + (f" {coef.unit}" if coef.unit else "")
        param(name, value, "sourced" if "Assumption" not in coef.source else "assumed", coef.source)
    param("one_gpu", "1 GPU", "modeled", "Unit: the sizing rule counts GPUs as a plain number")
    formulas = [
        (
            "gpus_per_replica",
            "2 ** ceil(log2(ceil(memory_overhead * total_parameters_billions * 1e9"
            " * bytes_per_parameter / gpu_memory))) * one_gpu",
            f"EcoLogits sizing rule: weights x 1.2 over GPU memory, rounded up to 2^n "
            f"({gpus} H100 80GB for {total_b:g}B parameters)",
        ),
        (
            "gpu_energy_per_output_token",
            "energy_alpha * exp(energy_beta * batch_size) * active_parameters_billions"
            " + energy_gamma",
            "EcoLogits GPU energy per output token, per GPU",
        ),
        (
            "latency_per_output_token",
            "latency_per_billion * active_parameters_billions + latency_per_batch * batch_size"
            " + latency_constant",
            "EcoLogits generation latency per output token",
        ),
        (
            "gpu_time_per_output_token",
            "gpus_per_replica * latency_per_output_token / batch_size",
            "GPU time one output token holds (EcoLogits' embodied allocation)",
        ),
        (
            "it_energy_per_output_token",
            "gpus_per_replica * gpu_energy_per_output_token + gpu_time_per_output_token"
            " * server_power_without_gpus / gpus_per_server",
            "IT energy per output token: GPUs plus their share of the server (EcoLogits)",
        ),
    ]
    for name, formula, source in formulas:
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
        "parameters.csv": _csv(["name", "value", "kind", "source", "comment"], rows),
        "activities.csv": _csv(["code", "name", "unit", "location", "comment"], activities),
        "exchanges.csv": _csv(
            ["activity", "input", "amount", "unit", "source", "comment"], exchanges
        ),
        "stages.csv": _csv(
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
    for name, text in generate(spec).items():
        write_atomically(directory / name, text)
        written.append(directory / name)
    return written


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _model_toml(card: dict, spec: dict) -> str:
    lines = [
        f"# {card['display_name']}: generated by lca.parametric from spec.toml "
        "(edit the spec, then run `python -m lca.parametric <folder>`).",
        "",
    ]
    data = dict(card)
    data.setdefault(
        "parameter_count", f"{float(spec['parameters']['total_parameters_billions']['value']):g}e9"
    )
    data.setdefault(
        "active_parameter_count",
        f"{float(spec['parameters']['active_parameters_billions']['value']):g}e9",
    )
    data.setdefault("served_output_tokens", "output_tokens_per_month * months")
    data.setdefault("served_input_tokens", "input_tokens_per_month * months")
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for key, value in data.items():
        if not isinstance(value, dict):
            lines.append(f"{key} = {_toml_value(value)}")
    for key, table in tables.items():
        lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[\n" + "".join(f"  {_toml_value(v)},\n" for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def main(argv: list[str] | None = None) -> int:
    """``python -m lca.parametric FOLDER...``: regenerate inventories from their spec.toml."""
    import sys

    for folder in argv if argv is not None else sys.argv[1:]:
        for path in write_inventory(Path(folder)):
            print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
