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
    data = _read_file(path)
    rows = list(csv.reader(io.StringIO(_decode(data, label))))
    problems = Problems()
    header = _header(rows, label, problems)
    records = _records(rows, header, label, problems)
    totals = _RunTotals(header)
    for number, record in records:
        totals.add(number, record, label, problems)
    _check_one_country(totals.countries, label, problems)
    problems.raise_if_any()
    return Measurement(
        path=label,
        sha256=hashlib.sha256(data).hexdigest(),
        runs=len(records),
        energy_kwh=totals.energy,
        duration_s=totals.duration,
        water_l=totals.water,
        country_iso3=next(iter(totals.countries)),
        country_name=records[0][1].get("country_name", ""),
        pue=_distinct(records, "pue") or "not recorded",
        hardware=_hardware(records),
        codecarbon_version=_distinct(records, "codecarbon_version"),
        period=_period(records),
    )


def _read_file(path: Path) -> bytes:
    """The file's bytes (hashed as they are, for the source), or a clear argument error."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BadArgument(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadArgument(f"{path}: is a folder, not CodeCarbon's emissions.csv") from None


def _decode(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InventoryError([Problem(Location(label), f"not UTF-8 text ({exc.reason})")]) from None


def _header(rows: list[list[str]], label: str, problems: Problems) -> list[str]:
    """The column names; stops here when the file is empty or lacks a required column."""
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
    return header


def _records(rows: list[list[str]], header: list[str], label: str,
             problems: Problems) -> list[tuple[int, dict]]:
    """(row number, {column: text}) of each run; blank rows skipped, partial rows reported."""
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
    return records


class _RunTotals:
    """Energy, duration and water summed over the runs, and the first row of each country."""

    def __init__(self, header: list[str]):
        self.energy = self.duration = 0.0
        # Water only when the file records it (CodeCarbon 2.x/3.x), else None.
        self.water: float | None = 0.0 if "water_consumed" in header else None
        self.countries: dict[str, int] = {}

    def add(self, number: int, record: dict, label: str, problems: Problems) -> None:
        self.energy += _number(record, "energy_consumed", label, number, problems) or 0.0
        self.duration += _number(record, "duration", label, number, problems) or 0.0
        if self.water is not None:
            w = _number(record, "water_consumed", label, number, problems, allow_empty=True)
            self.water += w or 0.0
        country = record["country_iso_code"].upper()
        if not country:
            problems.add(Location(label, number, "country_iso_code"), "empty country code")
        else:
            self.countries.setdefault(country, number)


def _check_one_country(countries: dict[str, int], label: str, problems: Problems) -> None:
    """One file, one country: the measured energy is computed with that country's grid."""
    if len(countries) <= 1:
        return
    first, *others = countries.items()
    for country, number in others:
        problems.add(
            Location(label, number, "country_iso_code"),
            f"runs in {country} and {first[0]} (row {first[1]}): import one country "
            "per file, since each country has its own grid",
        )


def _distinct(records: list[tuple[int, dict]], column: str) -> str:
    """The distinct non-empty values of a column over the runs, sorted, joined by '; '."""
    values = sorted({r.get(column, "") for _, r in records if r.get(column, "")})
    return "; ".join(values)


def _hardware(records: list[tuple[int, dict]]) -> str:
    """The CPUs and GPUs the runs recorded, for the parameters' comments."""
    cpu = _distinct(records, "cpu_model")
    gpu = _distinct(records, "gpu_model")
    parts = (
        f"CPU {cpu}" if cpu else "",
        f"GPU {_distinct(records, 'gpu_count')} x {gpu}" if gpu else "no GPU recorded",
    )
    return "; ".join(part for part in parts if part)


def _period(records: list[tuple[int, dict]]) -> str:
    stamps = sorted(r.get("timestamp", "") for _, r in records if r.get("timestamp", ""))
    return f"{stamps[0]} to {stamps[-1]}" if stamps else "no timestamps"


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
    served_unit = "token" if card.functional_unit == "response" else card.functional_unit
    served_count = _served_count(stage, per, served_unit)
    rows = _MeasuredRows(directory, measurement, stage, card.name)
    rows.drop_previous(replace)
    rows.add_parameters(served_count, served_unit)
    rows.add_activity(card, process, served_unit)
    new = rows.texts()
    _check_in_scratch(directory, new, base_text)
    return _write_changed(directory, new)


def _served_count(stage: str, per: str | None, served_unit: str) -> float | None:
    """What the measured inference runs served, in the functional unit (None for training)."""
    if stage != "inference":
        if per:
            raise BadArgument("--per is for inference only: training is counted once")
        return None
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
    return served_count


_TABLE_NAMES = ("parameters", "activities", "exchanges", "stages")


class _MeasuredRows:
    """The rows of the inventory's four tables, with the measurement's own rows (named after
    the stage, so a second import replaces the first) dropped, then written anew."""

    def __init__(self, directory: Path, measurement: Measurement, stage: str, model: str):
        self.measurement, self.stage = measurement, stage
        self.prefix = f"measured_{stage}_"
        self.activity = f"{model}-measured-{stage}"
        self.headers, self.rows = {}, {}
        for name in _TABLE_NAMES:
            self.headers[name], self.rows[name] = _read_rows(directory / f"{name}.csv")

    def drop_previous(self, replace: bool) -> None:
        """Drop the rows of an earlier import for the stage (and with ``replace`` the stage's
        other rows too)."""
        rows, activity = self.rows, self.activity
        rows["parameters"] = [r for r in rows["parameters"]
                              if not r["name"].startswith(self.prefix)]
        rows["activities"] = [r for r in rows["activities"] if r["code"] != activity]
        rows["exchanges"] = [r for r in rows["exchanges"] if r["activity"] != activity]
        rows["stages"] = [r for r in rows["stages"] if r["activity"] != activity]
        if replace:
            rows["stages"] = [r for r in rows["stages"] if r["stage"] != self.stage]

    def _parameter(self, name: str, value: str, comment: str = "", source: str = "") -> None:
        self.rows["parameters"].append(
            {
                "name": self.prefix + name,
                "value": value,
                "kind": "measured",
                "source": source or self.measurement.source,
                "comment": comment,
            }
        )

    def add_parameters(self, served_count: float | None, served_unit: str) -> None:
        """The measured quantities, each sourced to the file's hash; for inference also what
        the runs served."""
        m = self.measurement
        hardware = f"{m.hardware}; country {m.country_iso3}; CodeCarbon PUE {m.pue}"
        self._parameter(
            "energy",
            f"{m.energy_kwh!r} kWh",
            f"CodeCarbon energy_consumed summed over the runs (includes its PUE setting); "
            f"{hardware}",
        )
        self._parameter("duration", f"{m.duration_s!r} s",
                        "CodeCarbon duration summed over the runs")
        if m.water_l is not None:
            self._parameter("water", f"{m.water_l!r} L",
                            "CodeCarbon water_consumed (energy x its WUE)")
        if served_count is not None:
            self._parameter(
                "units",
                f"{served_count!r} {served_unit}",
                source=f"{m.source}; served during the measured runs, "
                "as given to `lca inventory measurements add --per`",
            )

    def add_activity(self, card, process: str, served_unit: str) -> None:
        """The measured activity, its energy (and water) exchanges and its stage row: once per
        training, or per functional unit served in inference."""
        m, activity = self.measurement, self.activity
        if self.stage == "training":
            unit, per_text, amount, serves, marginal = "run", "", "1", "training", "no"
        else:
            unit, per_text = served_unit, f" / {self.prefix}units"
            amount = (card.served_output_tokens if card.functional_unit == "response"
                      else card.served)
            serves, marginal = "inference", "yes"
        self.rows["activities"].append(
            {
                "code": activity,
                "name": f"{card.display_name} {self.stage}, measured with CodeCarbon",
                "unit": unit,
                "location": process.removeprefix("electricity-").upper(),
                "comment": f"sha256:{m.sha256[:16]}",
            }
        )
        self._exchange(process, "energy", per_text, "kWh",
                       f"Measured energy, grid of the measured country ({m.country_iso3})")
        if m.water_l is not None:
            self._exchange("water-consumed", "water", per_text, "m3",
                           "Measured on-site water (CodeCarbon water_consumed)")
        self.rows["stages"].append(
            {
                "stage": self.stage,
                "activity": activity,
                "amount": amount,
                "unit": unit,
                "serves": serves,
                "marginal": marginal,
                "source": f"Measured with CodeCarbon ({m.runs} runs)",
                "comment": "",
            }
        )

    def _exchange(self, input_code: str, parameter: str, per_text: str, unit: str,
                  source: str) -> None:
        self.rows["exchanges"].append(
            {
                "activity": self.activity,
                "input": input_code,
                "amount": f"{self.prefix}{parameter}{per_text}",
                "unit": unit,
                "source": source,
                "comment": "",
            }
        )

    def texts(self) -> dict[str, str]:
        """File name -> the CSV text the table will have."""
        return {f"{name}.csv": _write_rows(self.headers[name], self.rows[name])
                for name in _TABLE_NAMES}


def _check_in_scratch(directory: Path, new: dict[str, str], base_text) -> None:
    """Check the whole inventory as it will be, in a scratch copy, before touching the
    original."""
    with tempfile.TemporaryDirectory(prefix="lca-measure-") as scratch:
        trial = Path(scratch) / directory.name
        shutil.copytree(directory, trial)
        for name, text in new.items():
            (trial / name).write_text(text, encoding="utf-8")
        resolve_model(read_inventory(trial), resolve_base(base_text))


def _write_changed(directory: Path, new: dict[str, str]) -> list[Path]:
    """Replace (atomically) only the files whose text changes; returns them."""
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
