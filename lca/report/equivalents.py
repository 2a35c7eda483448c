"""Everyday equivalents (smartphone charges, car km, minutes of streaming, litres of water).

The factors live in ``reports/equivalents.csv``, each with its source, so that a reader can
check them; the report labels every equivalent as an order of magnitude.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from lca.catalog import PACKAGE, data_root
from lca.errors import InventoryError, Location, Problem
from lca.schema import INDICATOR_UNITS

FILE = Path("reports") / "equivalents.csv"
COLUMNS = ("name", "label", "indicator", "factor", "unit", "per", "source", "comment")


@dataclass(frozen=True)
class Equivalence:
    name: str
    label: str
    indicator: str
    factor: float  # indicator unit per one `per`
    unit: str
    per: str
    source: str
    comment: str


def equivalents_file() -> Path:
    """The factor table of the data root, or the one shipped with the package."""
    for root in (data_root(), PACKAGE.parent, PACKAGE / "_data"):
        if (root / FILE).is_file():
            return root / FILE
    return data_root() / FILE


def read_equivalences(path: Path | None = None) -> list[Equivalence]:
    """Read and check the factor table; every row needs a positive factor and a source."""
    path = path or equivalents_file()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InventoryError([Problem(Location(str(path)), "file is missing")]) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    problems = []
    out = []
    for number, row in enumerate(rows, start=2):
        where = Location(str(path), number)
        missing = [c for c in COLUMNS if c != "comment" and not (row.get(c) or "").strip()]
        for column in missing:
            problems.append(Problem(Location(where.file, number, column), "value is missing"))
        if missing:
            continue
        expected = INDICATOR_UNITS.get(row["indicator"])
        if expected is None or row["unit"] != expected:
            why = (f"the factor must be in {expected}" if expected else
                   f"unknown indicator; expected one of {', '.join(INDICATOR_UNITS)}")
            problems.append(Problem(Location(where.file, number, "unit"), why))
            continue
        try:
            factor = float(row["factor"])
        except ValueError:
            factor = -1.0
        if not factor > 0:
            problems.append(Problem(Location(where.file, number, "factor"),
                                    f"must be a number above 0 (found {row['factor']!r})"))
            continue
        out.append(Equivalence(row["name"].strip(), row["label"].strip(), row["indicator"],
                               factor, row["unit"], row["per"].strip(), row["source"].strip(),
                               (row.get("comment") or "").strip()))
    if problems:
        raise InventoryError(problems)
    return out


def equivalents_of(amounts: dict[str, float], factors: list[Equivalence]) -> list[dict]:
    """How many of each everyday thing match ``amounts`` (indicator -> engine units)."""
    out = []
    for eq in factors:
        if eq.indicator in amounts:
            out.append({
                "name": eq.name,
                "label": eq.label,
                "indicator": eq.indicator,
                "count": amounts[eq.indicator] / eq.factor,
                "factor": eq.factor,
                "factor_unit": f"{eq.unit}/{eq.per}",
                "source": eq.source,
                "comment": eq.comment,
            })
    return out
