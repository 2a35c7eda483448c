"""Measured energy in: read CodeCarbon's emissions.csv and write it into a model's inventory.

CodeCarbon (codecarbon.io) writes one row per tracked run: ``duration`` (s),
``energy_consumed`` (kWh, CPU + GPU + RAM, already multiplied by the tracker's ``pue``),
``country_iso_code`` (ISO 3166 alpha-3), hardware columns (``cpu_model``, ``gpu_model``,
``gpu_count``) and, since 2.x/3.x, ``water_consumed`` (L, energy x the tracker's ``wue``).

The import adds *measured* parameters (kind ``measured``, source: the file's SHA-256) and one
activity with its stage row, so the measured energy is computed with the grid of the country
where it was measured. A second import for the same stage replaces the first. Every file is
checked as a whole inventory before anything is replaced, and each is replaced atomically.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lca import catalog
from lca.errors import BadArgument, InventoryError, Location, Problem, Problems
from lca.files import csv_text, write_atomic
from lca.resolve import resolve_base, resolve_model
from lca.text_inventory import read_inventory
from lca.units import magnitude_in, quantity

REQUIRED_COLUMNS = ("duration", "energy_consumed", "country_iso_code")
STAGES = ("training", "inference")
# ISO 3166 alpha-3 (CodeCarbon) -> alpha-2 (the location of the background electricity).
ISO3_TO_ISO2 = {
    "FRA": "FR",
    "USA": "US",
    "SWE": "SE",
    "DEU": "DE",
    "IRL": "IE",
    "GBR": "GB",
    "CAN": "CA",
    "NLD": "NL",
    "BEL": "BE",
    "ESP": "ES",
    "ITA": "IT",
    "FIN": "FI",
    "NOR": "NO",
    "DNK": "DK",
    "CHE": "CH",
    "AUT": "AT",
    "POL": "PL",
    "JPN": "JP",
    "KOR": "KR",
    "CHN": "CN",
    "IND": "IN",
    "AUS": "AU",
    "BRA": "BR",
    "SGP": "SG",
}


@dataclass(frozen=True)
class Measurement:
    """The runs of one emissions.csv, summed."""

    path: str
    sha256: str
    runs: int
    energy_kwh: float
    duration_s: float
    water_l: float | None
    country_iso3: str
    country_name: str
    pue: str
    hardware: str
    codecarbon_version: str
    period: str

    @property
    def source(self) -> str:
        return (
            f"CodeCarbon {self.codecarbon_version or '(version not recorded)'} emissions.csv "
            f"sha256:{self.sha256} ({self.runs} run{'s' if self.runs != 1 else ''}, "
            f"{self.period})"
        )


def read_codecarbon(path: str | Path) -> Measurement:
    """Read and sum an emissions.csv; every problem is reported with its row and field."""
    path = Path(path)
    label = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadArgument(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadArgument(f"{path}: is a folder, not CodeCarbon's emissions.csv") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InventoryError([Problem(Location(label), f"not UTF-8 text ({exc.reason})")]) from None
    rows = list(csv.reader(io.StringIO(text)))
    problems = Problems()
    if not rows or not any(cell.strip() for cell in rows[0]):
        problems.add(
            Location(label), "empty file: expected CodeCarbon's emissions.csv with a header"
        )
        problems.raise_if_any()
    header = [h.strip() for h in rows[0]]
    for column in REQUIRED_COLUMNS:
        if column not in header:
            problems.add(
                Location(label, 1, column),
                "required column is missing (is this CodeCarbon's emissions.csv?)",
            )
    problems.raise_if_any()
    records = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.add(
                Location(label, number),
                f"{len(cells)} cells for {len(header)} columns (truncated or partial row)",
            )
            continue
        records.append((number, dict(zip(header, (c.strip() for c in cells), strict=True))))
    if not records and not problems.items:
        problems.add(Location(label), "no runs: the file has a header but no rows")
    energy = duration = 0.0
    water: float | None = 0.0 if "water_consumed" in header else None
    countries: dict[str, int] = {}
    for number, record in records:
        e = _number(record, "energy_consumed", label, number, problems)
        d = _number(record, "duration", label, number, problems)
        energy += e or 0.0
        duration += d or 0.0
        if water is not None:
            w = _number(record, "water_consumed", label, number, problems, allow_empty=True)
            water += w or 0.0
        country = record["country_iso_code"].upper()
        if not country:
            problems.add(Location(label, number, "country_iso_code"), "empty country code")
        else:
            countries.setdefault(country, number)
    if len(countries) > 1:
        first, *others = countries.items()
        for country, number in others:
            problems.add(
                Location(label, number, "country_iso_code"),
                f"runs in {country} and {first[0]} (row {first[1]}): import one country "
                "per file, since each country has its own grid",
            )
    problems.raise_if_any()
    first_record = records[0][1]

    def distinct(column: str) -> str:
        values = sorted({r.get(column, "") for _, r in records if r.get(column, "")})
        return "; ".join(values)

    hardware = "; ".join(
        part
        for part in (
            f"CPU {distinct('cpu_model')}" if distinct("cpu_model") else "",
            f"GPU {distinct('gpu_count')} x {distinct('gpu_model')}"
            if distinct("gpu_model")
            else "no GPU recorded",
        )
        if part
    )
    stamps = sorted(r.get("timestamp", "") for _, r in records if r.get("timestamp", ""))
    period = f"{stamps[0]} to {stamps[-1]}" if stamps else "no timestamps"
    return Measurement(
        path=label,
        sha256=hashlib.sha256(data).hexdigest(),
        runs=len(records),
        energy_kwh=energy,
        duration_s=duration,
        water_l=water,
        country_iso3=next(iter(countries)),
        country_name=first_record.get("country_name", ""),
        pue=distinct("pue") or "not recorded",
        hardware=hardware,
        codecarbon_version=distinct("codecarbon_version"),
        period=period,
    )


def _number(record, column, label, number, problems, allow_empty=False) -> float | None:
    text = record.get(column, "")
    if not text:
        if not allow_empty:
            problems.add(Location(label, number, column), "empty value")
        return None
    try:
        value = float(text)
    except ValueError:
        problems.add(Location(label, number, column), f"not a number: {text!r}")
        return None
    if not math.isfinite(value) or value < 0:
        problems.add(
            Location(label, number, column), f"must be a finite number of 0 or more: {text!r}"
        )
        return None
    return value


def electricity_for(country_iso3: str, processes: list, override: str | None = None) -> str:
    """The background electricity process of the measured country (or ``override``)."""
    codes = {p.code for p in processes}
    if override:
        if override not in codes or not override.startswith("electricity-"):
            known = ", ".join(sorted(c for c in codes if c.startswith("electricity-")))
            raise BadArgument(
                f"--electricity {override}: not a background electricity process (known: {known})"
            )
        return override
    code = country_iso3.upper()
    iso2 = ISO3_TO_ISO2.get(code, code if len(code) == 2 else "")
    matches = [
        p.code
        for p in processes
        if p.code.startswith("electricity-")
        and p.location.upper() == iso2
        and p.code == f"electricity-{iso2.lower()}"
    ]
    if not matches:
        known = ", ".join(sorted(c for c in codes if c.startswith("electricity-")))
        raise BadArgument(
            f"no background electricity for country {country_iso3!r}; pass "
            f"--electricity with one of: {known} (or add the country's grid to "
            "inventories/background)"
        )
    return matches[0]


def add_measurement(
    directory: str | Path,
    measurement: Measurement,
    stage: str,
    per: str | None = None,
    electricity: str | None = None,
    replace: bool = False,
    root: Path | None = None,
) -> list[Path]:
    """Write ``measurement`` into the inventory folder ``directory`` as the ``stage``'s energy.

    ``per`` (inference only) is what the measured runs served, as a quantity in the model's
    functional unit ("20000 token", "1000 image"). ``replace`` also drops the stage's other rows
    (the modeled ones the measurement stands in for). Returns the files changed.
    """
    if stage not in STAGES:
        raise BadArgument(f"--stage must be training or inference (got {stage!r})")
    directory = Path(directory)
    inv = read_inventory(directory)
    base_text = catalog.base_data(root)
    process = electricity_for(measurement.country_iso3, base_text.processes, electricity)
    card = inv.card
    m = card.name
    prefix = f"measured_{stage}_"
    activity = f"{m}-measured-{stage}"
    served_unit = "token" if card.functional_unit == "response" else card.functional_unit
    if stage == "inference":
        if not per:
            raise BadArgument(
                f"--per is required for inference: what the measured runs served, "
                f"in {served_unit}s (for example --per '20000 {served_unit}')"
            )
        try:
            served_count = magnitude_in(quantity(per), served_unit)
        except Exception as exc:
            raise BadArgument(f"--per {per!r}: {exc}") from None
        if served_count <= 0:
            raise BadArgument(f"--per {per!r}: must be above 0")
    elif per:
        raise BadArgument("--per is for inference only: training is counted once")

    tables = {
        name: _read_rows(directory / f"{name}.csv")
        for name in ("parameters", "activities", "exchanges", "stages")
    }
    params = [r for r in tables["parameters"][1] if not r["name"].startswith(prefix)]
    activities = [r for r in tables["activities"][1] if r["code"] != activity]
    exchanges = [r for r in tables["exchanges"][1] if r["activity"] != activity]
    stages = [r for r in tables["stages"][1] if r["activity"] != activity]
    if replace:
        stages = [r for r in stages if r["stage"] != stage]

    hardware = (
        f"{measurement.hardware}; country {measurement.country_iso3}; "
        f"CodeCarbon PUE {measurement.pue}"
    )
    source = measurement.source

    def param(name, value, comment=""):
        params.append(
            {
                "name": prefix + name,
                "value": value,
                "kind": "measured",
                "source": source,
                "comment": comment,
            }
        )

    param(
        "energy",
        f"{measurement.energy_kwh!r} kWh",
        f"CodeCarbon energy_consumed summed over the runs (includes its PUE setting); {hardware}",
    )
    param("duration", f"{measurement.duration_s!r} s", "CodeCarbon duration summed over the runs")
    if measurement.water_l is not None:
        param("water", f"{measurement.water_l!r} L", "CodeCarbon water_consumed (energy x its WUE)")
    iso2 = process.removeprefix("electricity-").upper()
    if stage == "training":
        unit, per_text, amount, serves, marginal = "run", "", "1", "training", "no"
    else:
        params.append(
            {
                "name": prefix + "units",
                "value": f"{served_count!r} {served_unit}",
                "kind": "measured",
                "source": f"{source}; served during the measured runs, "
                "as given to `lca inventory measurements add --per`",
                "comment": "",
            }
        )
        unit, per_text = served_unit, f" / {prefix}units"
        amount = card.served_output_tokens if card.functional_unit == "response" else card.served
        serves, marginal = "inference", "yes"
    activities.append(
        {
            "code": activity,
            "name": f"{card.display_name} {stage}, measured with CodeCarbon",
            "unit": unit,
            "location": iso2,
            "comment": f"sha256:{measurement.sha256[:16]}",
        }
    )
    exchanges.append(
        {
            "activity": activity,
            "input": process,
            "amount": f"{prefix}energy{per_text}",
            "unit": "kWh",
            "source": f"Measured energy, grid of the measured country ({measurement.country_iso3})",
            "comment": "",
        }
    )
    if measurement.water_l is not None:
        exchanges.append(
            {
                "activity": activity,
                "input": "water-consumed",
                "amount": f"{prefix}water{per_text}",
                "unit": "m3",
                "source": "Measured on-site water (CodeCarbon water_consumed)",
                "comment": "",
            }
        )
    stages.append(
        {
            "stage": stage,
            "activity": activity,
            "amount": amount,
            "unit": unit,
            "serves": serves,
            "marginal": marginal,
            "source": f"Measured with CodeCarbon ({measurement.runs} runs)",
            "comment": "",
        }
    )

    new = {
        "parameters.csv": _write_rows(tables["parameters"][0], params),
        "activities.csv": _write_rows(tables["activities"][0], activities),
        "exchanges.csv": _write_rows(tables["exchanges"][0], exchanges),
        "stages.csv": _write_rows(tables["stages"][0], stages),
    }
    # Check the whole inventory as it will be, in a scratch copy, before touching the original.
    with tempfile.TemporaryDirectory(prefix="lca-measure-") as scratch:
        trial = Path(scratch) / directory.name
        shutil.copytree(directory, trial)
        for name, text in new.items():
            (trial / name).write_text(text, encoding="utf-8")
        resolve_model(read_inventory(trial), resolve_base(base_text))
    changed = []
    for name, text in new.items():
        path = directory / name
        if path.read_text(encoding="utf-8") != text:
            write_atomic(path, text)
            changed.append(path)
    return changed


def _read_rows(path: Path) -> tuple[list[str], list[dict]]:
    if not path.is_file():
        raise InventoryError([Problem(Location(str(path)), "file is missing")])
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), [dict(r) for r in reader]


def _write_rows(header: list[str], rows: list[dict]) -> str:
    return csv_text(header, ([("" if row.get(k) is None else row.get(k, "")) for k in header]
                             for row in rows))
