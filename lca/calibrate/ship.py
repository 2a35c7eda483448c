"""A calibration ships with its inventory: ``lca calibrate --write`` puts the posterior mode of
each free parameter into parameters.csv (kind ``calibrated``, its source naming
calibration.toml) and the whole result into ``calibration.json``; ``--check`` recomputes it
and lists every shipped value that is not what the calibration gives.

Agreement rule: a shipped value agrees when it equals the recomputed one at the digits
written; a difference within 2 % and within a tenth of the posterior's standard deviation is
accepted as Monte Carlo noise (the same seed gives the same draws, but another platform's
floating point can move a resampling step), and said so.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from lca.calibrate.result import CalibrationResult, ParameterRow, format_number
from lca.calibrate.spec import FILE
from lca.engine import PreparedModel
from lca.files import csv_text, write_files
from lca.units import split_number_unit

RESULT_FILE = "calibration.json"
NOISE_RELATIVE = 0.02


def source_text(prepared: PreparedModel, method: str) -> str:
    how = ("posterior mode of a Bayesian calibration; prior in the 'uncertainty' column"
           if method == "bayes" else "closed formula from published figures")
    return (f"Calibrated by {FILE} beside this inventory (lca calibrate --model "
            f"{prepared.inventory.name}): {how}; see {RESULT_FILE}")


def inputs_hash(prepared: PreparedModel, names: list[str]) -> str:
    """SHA-256 of what the calibration reads: calibration.toml and the inventory files, with
    the calibrated parameters' value, kind and source cells left out (they are its output)."""
    directory = prepared.inventory.directory
    digest = hashlib.sha256()
    digest.update((directory / FILE).read_bytes())
    for name, data in sorted(prepared.inventory.files.items()):
        if name == "parameters.csv":
            data = _without_outputs(data.decode("utf-8-sig"), set(names)).encode()
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def _without_outputs(text: str, names: set[str]) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    blank = [header.index(c) for c in ("value", "kind", "source") if c in header]
    out = [header]
    for row in rows[1:]:
        if row and row[0] in names:
            row = [("" if i in blank else cell) for i, cell in enumerate(row)]
        out.append(row)
    return csv_text(out[0], out[1:])


def result_document(result: CalibrationResult, prepared: PreparedModel) -> dict:
    names = [p.name for p in result.parameters]
    return {"format": "lca-ai/calibration/1", "inputs_hash": inputs_hash(prepared, names),
            **result.to_dict()}


def write(result: CalibrationResult, prepared: PreparedModel) -> list[str]:
    """Write the shipped values into parameters.csv and the result into calibration.json,
    each atomically; returns the names of the files that changed."""
    directory = prepared.inventory.directory
    path = directory / "parameters.csv"
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    header = rows[0]
    col = {c: header.index(c) for c in ("name", "value", "kind", "source")}
    shipped = result.shipped_values()
    source = source_text(prepared, result.method)
    for row in rows[1:]:
        if row and row[col["name"]] in shipped:
            row[col["value"]] = shipped[row[col["name"]]]
            row[col["kind"]] = "calibrated"
            if FILE not in row[col["source"]]:
                row[col["source"]] = source
    files = {"parameters.csv": csv_text(header, rows[1:]).encode("utf-8")}
    # the hash leaves out the cells written here, so it is the same before and after
    document = result_document(result, prepared)
    files[RESULT_FILE] = (json.dumps(document, indent=1, allow_nan=False) + "\n").encode()
    return write_files(directory, files, force=True)


def check(result: CalibrationResult, prepared: PreparedModel,
          alternatives: bool = False) -> tuple[list[str], list[str]]:
    """(differences, notes): every shipped value or stored result that is not what the
    calibration gives now, and the differences accepted as Monte Carlo noise; with
    ``alternatives``, the verdict on each structural alternative too."""
    problems, notes = [], []
    written = {p.name: p for p in prepared.inventory.parameters}
    for row in result.parameters:
        p = written.get(row.name)
        if p is None:
            problems.append(f"{row.name}: not in parameters.csv")
            continue
        _check_value(row, p.value, problems, notes)
        if p.kind != "calibrated":
            problems.append(f"{row.name}: kind is {p.kind!r}, not 'calibrated'")
        if FILE not in p.source:
            problems.append(f"{row.name}: its source does not name {FILE}")
    stored_path = prepared.inventory.directory / RESULT_FILE
    if not stored_path.is_file():
        problems.append(f"{RESULT_FILE} is missing")
        return problems, notes
    stored = json.loads(stored_path.read_text(encoding="utf-8"))
    names = [p.name for p in result.parameters]
    if stored.get("inputs_hash") != inputs_hash(prepared, names):
        problems.append(f"{RESULT_FILE} was computed from other inputs (calibration.toml or "
                        "the inventory changed since)")
    _compare_rows(stored.get("parameters", []), result.to_dict()["parameters"], "name",
                  ("posterior_p2_5", "posterior_p50", "posterior_p97_5"), problems)
    _compare_rows(stored.get("targets", []), result.to_dict()["targets"], "label",
                  ("posterior_p50", "computed_at_shipped"), problems)
    if alternatives:
        _compare_verdicts(stored.get("alternatives") or [],
                          result.to_dict()["alternatives"] or [], problems)
    return problems, notes


def _compare_verdicts(old: list, new: list, problems: list) -> None:
    """Each alternative's verdict: consistent or not, and which figures and parameters say so
    (robust to the Monte Carlo noise of the evidence itself)."""
    before = {r["name"]: r for r in old}
    for row in new:
        was = before.get(row["name"])
        if was is None:
            problems.append(f"{RESULT_FILE}: no alternative {row['name']!r}")
            continue
        for key in ("consistent", "targets_missed", "parameters_beyond_prior_95"):
            if was.get(key) != row.get(key):
                problems.append(f"{RESULT_FILE}: alternative {row['name']!r}: {key} was "
                                f"{was.get(key)}, recomputed {row.get(key)}")


def _check_value(row: ParameterRow, text: str, problems: list, notes: list) -> None:
    split = split_number_unit(text)
    if split is None:
        problems.append(f"{row.name}: value {text!r} is not a number with a unit")
        return
    number, unit = split
    if unit.strip() != row.unit.strip():
        problems.append(f"{row.name}: unit {unit!r} differs from the calibration's {row.unit!r}")
        return
    recomputed = row.shipped.split()[0]
    if number == recomputed or float(number) == float(recomputed):
        return
    value, fresh = float(number), float(recomputed)
    lo, _, hi = row.posterior_quantiles
    spread = abs(hi - lo) / 3.92
    if abs(value - fresh) <= NOISE_RELATIVE * abs(fresh) and abs(value - fresh) <= 0.1 * spread:
        notes.append(f"{row.name}: shipped {number}, recomputed {recomputed} (within Monte Carlo "
                     "noise)")
        return
    problems.append(f"{row.name}: shipped {text}, the calibration gives {row.shipped}")


def _compare_rows(old: list, new: list, key: str, fields: tuple, problems: list) -> None:
    before = {r[key]: r for r in old}
    for row in new:
        was = before.get(row[key])
        if was is None:
            problems.append(f"{RESULT_FILE}: no entry for {row[key]!r}")
            continue
        for f in fields:
            a, b = was.get(f), row.get(f)
            if a is None or b is None:
                if a != b:
                    problems.append(f"{RESULT_FILE}: {row[key]} {f} {a} != {b}")
                continue
            if abs(a - b) > NOISE_RELATIVE * max(abs(a), abs(b), 1e-300):
                problems.append(f"{RESULT_FILE}: {row[key]} {f} is {format_number(a, 4)}, "
                                f"recomputed {format_number(b, 4)}")


def stored_result(directory: Path) -> dict | None:
    """calibration.json beside an inventory, or None."""
    path = Path(directory) / RESULT_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
