"""Every number shipped under inventories/, methods/, reports/ and validation/ carries its
source."""

import csv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# activities.csv holds names and reference units only, no numbers.
TABLES = sorted(
    p for folder in ("inventories", "methods", "reports", "validation")
    for p in (REPO / folder).rglob("*.csv")
    if p.name != "activities.csv"
)


@pytest.mark.parametrize("path", TABLES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_row_names_its_source(path):
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows, "empty table"
    source_columns = [c for c in rows[0] if c == "source" or c.endswith("_source")]
    assert "source" in rows[0], f"{path.name} has no source column"
    for number, row in enumerate(rows, start=2):
        assert row["source"].strip(), f"row {number} has no source"
        if row.get("uncertainty", "").strip():
            if "uncertainty_source" in row:  # a distribution on a parameter
                assert row["uncertainty_source"].strip(), f"row {number}: no source"
            else:  # a published figure's half-width: the comment says how it was set
                assert row.get("comment", "").strip(), f"row {number}: say how the "\
                    "uncertainty was set (rounding, a stated range...)"
    assert source_columns


def test_calibrated_parameters_say_what_fixes_them():
    for path in (REPO / "inventories").glob("*/parameters.csv"):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            if row["kind"] == "calibrated":
                assert "alibrated" in row["source"], (path.parent.name, row["name"])
