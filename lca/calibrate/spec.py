"""``calibration.toml``: what a calibration fits, on what, and how; kept beside the inventory
it calibrates, so that anyone can re-run it (``lca calibrate``) or check it (``--check``).

Two methods:

- ``bayes``: free parameters, each with its prior (the ``uncertainty`` column of
  parameters.csv, from public evidence, with its ``uncertainty_source``), fitted to targets
  (published figures of the inventory, each with its own uncertainty) by importance
  resampling, or tempered SMC when the importance weights collapse; structural alternatives
  (options on axes, every combination run) and named points (a previous fit) are judged
  against the same targets;
- ``formula``: a parameter set by a closed formula from published figures (a fit with as many
  figures as parameters); ``--check`` recomputes the formula.

Every problem of the file is reported at once, with the file and the key.
"""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lca.errors import Location, Problems

FILE = "calibration.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Watch(_Strict):
    """A quantity followed through the calibration (prior and posterior), not fitted: a
    result (``scope`` and ``indicator``, as a published figure names them) or a ``formula``
    over the parameters ("training_gpu_hours")."""

    label: str
    scope: str = ""
    per_unit: bool = False
    indicator: str = ""
    formula: str = ""
    unit: str = ""  # display unit ("Wh"); empty: the indicator's unit

    @model_validator(mode="after")
    def _one_kind(self):
        if bool(self.formula) == bool(self.scope and self.indicator):
            raise ValueError("give either a formula or a scope and an indicator")
        if self.formula and not self.unit:
            raise ValueError("a formula needs the unit to show it in")
        return self


class Option(_Strict):
    """One structural choice: parameters set to values, extra free parameters with their
    priors (distribution text and its source), another usage period, or a target read with
    another scope ({"marginal": "marginal+network+end-user-equipment"})."""

    name: str
    description: str = ""
    set: dict[str, str] = {}
    prior: dict[str, str] = {}
    prior_source: str = ""
    months: float | None = None
    scope: dict[str, str] = {}


class Axis(_Strict):
    name: str
    option: list[Option] = Field(min_length=1)


class Alternatives(_Strict):
    draws: int = Field(200_000, ge=1000)
    particles: int = Field(4_000, ge=200)
    axis: list[Axis] = []


class Point(_Strict):
    """Named parameter values judged against the targets and the priors (no fitting)."""

    name: str
    description: str = ""
    values: dict[str, str]


class LeaveOut(_Strict):
    """A group of targets left out in turn, to see which parameters they pull."""

    name: str
    targets: list[str] = Field(min_length=1)


class FormulaFit(_Strict):
    formula: str
    digits: int = Field(3, ge=1, le=8)


class CalibrationSpec(_Strict):
    method: Literal["bayes", "formula"] = "bayes"
    description: str = ""
    seed: int = Field(1, ge=0)
    draws: int = Field(1_000_000, ge=1000, le=10_000_000)
    particles: int = Field(20_000, ge=200, le=1_000_000)
    min_ess: int = Field(1000, ge=50)
    months: float | None = None
    tokens_per_response: int | None = None
    discrepancy: float = Field(0.1, ge=0.0, le=5.0)
    discrepancies: dict[str, float] = {}
    free: list[str] = []
    targets: Literal["published"] | list[str] = "published"
    digits: int = Field(3, ge=1, le=8)
    watch: list[Watch] = []
    alternatives: Alternatives = Alternatives()
    point: list[Point] = []
    leave_out: list[LeaveOut] = []
    formula: dict[str, FormulaFit] = {}

    def combinations(self) -> list[tuple[Option, ...]]:
        """Every combination of the axes' options; the first is the primary (the first
        option of every axis)."""
        axes = [a.option for a in self.alternatives.axis]
        return list(itertools.product(*axes)) if axes else [()]


def spec_path(directory: Path) -> Path:
    return Path(directory) / FILE


def read_spec(directory: Path, label: str | None = None) -> CalibrationSpec | None:
    """The calibration beside an inventory, or None when it has none."""
    path = spec_path(directory)
    if not path.is_file():
        return None
    label = label or str(path)
    problems = Problems()
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.add(Location(label), f"not valid TOML: {exc}")
        problems.raise_if_any()
    try:
        spec = CalibrationSpec(**data)
    except ValidationError as exc:
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            problems.add(Location(label, None, key), err["msg"])
        problems.raise_if_any()
    if spec.method == "bayes" and not spec.free:
        problems.add(Location(label, None, "free"), "name the parameters to calibrate")
    if spec.method == "formula" and not spec.formula:
        problems.add(Location(label, None, "formula"), "give each parameter's formula")
    problems.raise_if_any()
    return spec


def figure_label(figure) -> str:
    """How a calibration names a published figure: "total gwp", "marginal per unit water",
    "hardware-manufacturing adp"."""
    return f"{figure.label} {figure.indicator}"


def fitted_labels(directory: Path, figures) -> set[str]:
    """The labels of the published figures a calibration beside the inventory was fitted on
    (its targets): for these, agreement is a fit residual, not a reproduction."""
    try:
        spec = read_spec(directory)
    except Exception:  # a broken calibration.toml is reported by lca calibrate
        spec = None
    if spec is None:
        return set()
    labels = {figure_label(f) for f in figures}
    if spec.targets == "published":
        return labels
    return labels & set(spec.targets)
