"""Published studies reproduced from their inputs (``lca validation``).

Each study is a folder of ``validation/``: an inventory written from the study's *inputs*
(no parameter of kind ``calibrated``), the study's *outputs* only in
``published_figures.csv`` (each row with its source and boundary), and a ``validation.toml``
that says what the inputs allow to reproduce and what not, how to run the study (period,
Monte Carlo) and the gaps it documents.

A computed figure agrees when it is within :data:`TOLERANCE` (5 %) of the published one. A
larger difference is accepted only as a *documented gap*: a cause written with its numbers
(a rounding in the paper, a boundary difference, a factor the study does not disclose) and
the range of ratios that cause explains; nothing is fitted to close it. A published GWP that
implies less CO2e per kWh of the electricity computed for it than any generation technology
emits over its life cycle is flagged as implausible.

The comparison is the assessment's own (:meth:`lca.assessment.AssessmentResult.comparison`);
a statistic of a distribution ("p50", "p25"...) comes from the engine's Monte Carlo over the
study's input distributions, pooled and trimmed as the study's own code did when
``validation.toml`` says so.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lca import catalog
from lca.assessment import assess
from lca.boundary import Period
from lca.display import fmt, fmt_total
from lca.errors import BadArgument, BadValue, InventoryError, Location, Problem, Problems
from lca.resolve import read_statistic
from lca.schema import INDICATOR_UNITS, Indicator
from lca.uncertainty import montecarlo
from lca.units import magnitude_in, quantity, split_number_unit

TOLERANCE = 0.05
STUDY_FILE = "validation.toml"
# The lowest life-cycle GHG intensity of any electricity generation technology: onshore wind,
# median 11 g CO2e/kWh (nuclear 12 g), IPCC AR5 WG3 (2014), Annex III, Table A.III.2. A
# published footprint of electricity use below this per kWh is not physically possible.
LOWEST_GRID_INTENSITY = 0.011  # kg CO2e/kWh
OK_STATUSES = ("within 5 %", "documented gap", "bound met")
COLUMNS = ["study", "figure", "indicator", "statistic", "unit", "published", "computed",
           "ratio", "status", "ok", "cause", "note", "boundary", "source", "published_text"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Gap(_Strict):
    """A documented difference between a computed and a published figure: the figures it
    covers, the range of computed / published ratios its cause explains, and the cause."""

    scope: str | list[str]
    indicator: Indicator
    per_unit: bool = False
    statistic: str | list[str] = ""
    # The published values as written, when figures share a scope (two versions of a paper)
    published: str | list[str] = ""
    ratio: tuple[float, float]
    cause: str = Field(min_length=1)

    @property
    def scopes(self) -> list[str]:
        return _listed(self.scope)

    @property
    def statistics(self) -> list[str]:
        return _listed(self.statistic)

    def covers(self, figure) -> bool:
        published = [" ".join(p.split()) for p in _listed(self.published) if p]
        return (figure.scope in self.scopes and figure.indicator == self.indicator
                and figure.per_unit == self.per_unit and figure.statistic in self.statistics
                and (not published or " ".join(figure.text.split()) in published))


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class Pool(_Strict):
    """How a study turned several distributions into the one it published: the draws where
    each sub-stage is served (not zero), each trimmed to percentile ranges in turn, pooled."""

    substages: list[str] = Field(min_length=1)
    trim: list[tuple[float, float]] = []
    why: str = Field(min_length=1)


class MonteCarloSettings(_Strict):
    iterations: int = Field(20_000, ge=2, le=montecarlo.MAX_ITERATIONS)
    seed: int = Field(1, ge=0)
    pooled: dict[str, Pool] = {}


class StudyCard(_Strict):
    """validation.toml: what the study is, what its inputs reproduce, how to run it."""

    title: str = Field(min_length=1)
    months: float = 0.0
    tokens: int = 400
    reproducible: str = Field(min_length=1)
    not_reproducible: str = ""
    monte_carlo: MonteCarloSettings | None = None
    gap: list[Gap] = []


@dataclass(frozen=True)
class Study:
    name: str
    directory: Path
    card: StudyCard

    @property
    def where(self) -> Location:
        return Location(str(self.directory / STUDY_FILE))


# ---------------------------------------------------------------------------- studies


def studies(names: list[str] | None = None, root: Path | None = None) -> list[Study]:
    """The validation studies (all, or those named), their validation.toml read and checked."""
    found, problems = [], Problems()
    for directory in catalog.study_directories(root):
        card = _read_card(directory / STUDY_FILE, problems)
        if card is not None:
            found.append(Study(directory.name, directory, card))
    problems.raise_if_any()
    if not names:
        return found
    known = {s.name: s for s in found}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadArgument(f"unknown validation study {', '.join(map(repr, unknown))}; known: "
                          f"{', '.join(known) or 'none'}")
    return [known[n] for n in names]


def _read_card(path: Path, problems: Problems) -> StudyCard | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.add(Location(str(path)), "file is missing (every validation study has one)")
        return None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.add(Location(str(path)), f"not valid TOML: {exc}")
        return None
    try:
        card = StudyCard(**data)
    except ValidationError as exc:
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            problems.add(Location(str(path), None, key), err["msg"])
        return None
    for i, gap in enumerate(card.gap, start=1):
        try:
            for statistic in gap.statistics:
                read_statistic(statistic)
        except BadValue as exc:
            problems.add(Location(str(path), None, f"gap[{i}].statistic"), str(exc))
        if not 0 < gap.ratio[0] <= gap.ratio[1]:
            problems.add(Location(str(path), None, f"gap[{i}].ratio"),
                         "write the range of computed / published ratios as [low, high], "
                         "0 < low <= high")
    return card


# ---------------------------------------------------------------------------- comparison


def compare(names: list[str] | None = None, root: Path | None = None) -> pd.DataFrame:
    """Every published figure of every study (or of those named) next to the engine's value:
    one row per figure, values in the unit the study published them in (``unit``)."""
    rows = [row for study in studies(names, root) for row in study_rows(study)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs["tolerance"] = TOLERANCE
    return frame


def study_rows(study: Study) -> list[dict]:
    """The rows of one study: assessed once, and by Monte Carlo for its statistics."""
    card = study.card
    result = assess(None, card.months, card.tokens, inventory=study.directory)
    figures = result.prepared.resolved.published
    _check_gaps(study, figures)
    table = result.comparison()
    sampled = _monte_carlo(study, result, figures)
    rows = []
    for i, (figure, row) in enumerate(zip(figures, table.itertuples(), strict=True)):
        computed, ratio, within = row.computed, row.ratio, row.within
        if i in sampled:
            computed = sampled[i]
            ratio = computed / figure.value if figure.value else float("nan")
        gap = next((g for g in card.gap if g.covers(figure)), None)
        status = _status(figure, ratio, within, gap)
        unit, published, shown = _display(figure, row.published, computed)
        rows.append({
            "study": study.name, "figure": _label(figure, result.functional_unit),
            "indicator": figure.indicator,
            "statistic": figure.statistic, "unit": unit, "published": published,
            "computed": shown, "ratio": ratio, "status": status,
            "ok": status in OK_STATUSES, "cause": gap.cause if gap is not None else "",
            "note": _plausibility(result, figure), "boundary": figure.boundary,
            "source": figure.source, "published_text": figure.text,
        })
    return rows


def _label(figure, functional_unit: str) -> str:
    """'inference per request, p50': the scope, per functional unit, and the statistic."""
    label = figure.scope + (f" per {functional_unit}" if figure.per_unit else "")
    return f"{label}, {figure.statistic}" if figure.statistic else label


def _status(figure, ratio: float, within, gap: Gap | None) -> str:
    if figure.share is not None and figure.share[0] != "=":
        return "bound met" if within else "bound not met"
    if ratio != ratio:
        return "not computed"
    if abs(ratio - 1.0) <= TOLERANCE:
        return "within 5 %"
    if gap is None:
        return "outside 5 %, no documented cause"
    low, high = gap.ratio
    if low <= ratio <= high:
        return "documented gap"
    return f"outside its documented gap ({low:g} to {high:g})"


def _check_gaps(study: Study, figures) -> None:
    """A documented gap must name a published figure (a typo would hide a failure)."""
    problems = [Problem(Location(str(study.directory / STUDY_FILE), None, f"gap[{i}]"),
                        f"names no published figure ({', '.join(g.scopes)}, {g.indicator}, "
                        f"per_unit={g.per_unit}, statistic={g.statistic!r})")
                for i, g in enumerate(study.card.gap, start=1)
                if not any(g.covers(f) for f in figures)]
    if problems:
        raise InventoryError(problems)


def _display(figure, published: float, computed: float) -> tuple[str, float, float]:
    """(unit, published, computed) in the unit the study wrote (shares in %)."""
    if figure.share is not None:
        return "%", published, computed
    unit = INDICATOR_UNITS[figure.indicator]
    split = split_number_unit(figure.text)
    written = split[1] if split else ""
    if not written:
        return unit, published, computed
    scale = magnitude_in(quantity(1.0, unit), written)
    return written, published * scale, computed * scale


def _plausibility(result, figure) -> str:
    """For a published GWP of a study that counts electricity: the CO2e per kWh it implies."""
    if (figure.indicator != "gwp" or figure.value is None or figure.statistic
            or "energy" not in result.indicators):
        return ""
    k = list(result.indicators).index("energy")
    energy = float(result.split.scope(figure.scope, figure.per_unit)[0, k])
    if not energy > 0:
        return ""
    implied = figure.value / energy
    if implied >= LOWEST_GRID_INTENSITY:
        return ""
    return (f"Implausible: {fmt_total('gwp', figure.value)} for the "
            f"{fmt_total('energy', energy)} computed for it is {implied:.2g} kg CO2e/kWh, "
            "below the life-cycle intensity of any "
            f"generation technology ({LOWEST_GRID_INTENSITY * 1000:g} g/kWh, onshore wind, "
            "IPCC AR5 WG3 Annex III)")


# ---------------------------------------------------------------------------- Monte Carlo


def _monte_carlo(study: Study, result, figures) -> dict[int, float]:
    """figure index -> its statistic, computed from the study's input distributions."""
    wanted = [(i, f) for i, f in enumerate(figures) if f.statistic]
    if not wanted:
        return {}
    settings = study.card.monte_carlo or MonteCarloSettings()
    prepared = result.prepared
    compiled = prepared.compile(Period(study.card.months, study.card.tokens))
    labels = set(compiled.boundary.substage_labels)
    for scope, pool in settings.pooled.items():
        missing = [s for s in pool.substages if s not in labels]
        if missing:
            raise InventoryError([Problem(Location(str(study.directory / STUDY_FILE), None,
                                                   f"monte_carlo.pooled.{scope}.substages"),
                                          f"unknown sub-stage(s) {', '.join(missing)}; "
                                          f"stages.csv has {', '.join(sorted(labels)) or 'none'}")])
    distributions = montecarlo.sampled_distributions(prepared.resolved)
    indicators = list(compiled.static.indicators)
    keys = {(f.scope, f.per_unit, f.indicator) for _, f in wanted}
    parts = {key: _parts(settings, key[0]) for key in keys}
    blocks: dict = {key: [] for key in keys}
    for index, n in enumerate(montecarlo.chunk_sizes(settings.iterations)):
        draws = montecarlo.draw(distributions, montecarlo.chunk_generator(settings.seed, index), n)
        split = compiled.split(draws)
        for key in keys:
            scope, per_unit, indicator = key
            k = indicators.index(indicator)
            blocks[key].append([split.scope(p, per_unit)[:, k] for p in parts[key]])
    out = {}
    for i, figure in wanted:
        key = (figure.scope, figure.per_unit, figure.indicator)
        columns = [np.concatenate(c) for c in zip(*blocks[key], strict=True)]
        pool = settings.pooled.get(figure.scope)
        values = pooled(columns, pool.trim) if pool is not None else columns[0]
        out[i] = statistic_of(values, figure.statistic)
    return out


def _parts(settings: MonteCarloSettings, scope: str) -> list[str]:
    pool = settings.pooled.get(scope)
    return list(pool.substages) if pool is not None else [scope]


def pooled(columns: list[np.ndarray], trim) -> np.ndarray:
    """The draws where each column is served (not zero), each trimmed to the percentile
    ranges ``trim`` in turn (a range of the draws left by the previous one), then pooled."""
    out = []
    for column in columns:
        kept = column[column != 0]
        for low, high in trim:
            a, b = np.percentile(kept, [low, high])
            kept = kept[(kept >= a) & (kept <= b)]
        out.append(kept)
    return np.concatenate(out)


def statistic_of(values: np.ndarray, statistic: str) -> float:
    """'mean' or a percentile 'p25' of ``values``."""
    if statistic == "mean":
        return float(np.mean(values))
    return float(np.percentile(values, float(statistic[1:])))


# ---------------------------------------------------------------------------- outputs


def to_dict(frame: pd.DataFrame, root: Path | None = None) -> dict:
    """The JSON of ``lca validation --format json``: each study with what its inputs
    reproduce and its figures (null for a value not computed)."""
    cards = {s.name: s for s in studies(sorted(set(frame["study"])), root)} if len(frame) else {}
    out = []
    for name, group in frame.groupby("study", sort=False):
        card = cards[name].card
        figures = [{k: (_json_number(v) if isinstance(v, float) else v)
                    for k, v in row.items() if k != "study"}
                   for row in group.to_dict(orient="records")]
        out.append({"study": name, "title": card.title, "reproducible": card.reproducible,
                    "not_reproducible": card.not_reproducible, "figures": figures})
    return {"tolerance": TOLERANCE, "studies": out,
            "all_ok": bool(frame["ok"].all()) if len(frame) else True}


def _json_number(value: float) -> float | None:
    return None if value != value else float(value)


def ratio_text(ratio: float) -> str:
    return "" if ratio != ratio else f"{ratio:.3f}"


def computed_text(row) -> str:
    """The computed value in the unit the study wrote, three significant digits."""
    return f"{fmt(row.computed)} {row.unit}" if row.unit != "%" else f"{fmt(row.computed)} %"


def markdown(frame: pd.DataFrame) -> str:
    """The validation table of the README, with the cause of every documented gap."""
    lines = ["| study | figure | indicator | published | computed | computed / published | "
             "status |", "|---|---|---|---|---|---|---|"]
    causes: list[str] = []
    for row in frame.itertuples():
        status = row.status
        for text in (row.cause, row.note):
            if text:
                if text not in causes:
                    causes.append(text)
                status += f" [{causes.index(text) + 1}]"
        lines.append(f"| `{row.study}` | {row.figure.replace('+', ' + ')} | {row.indicator} | "
                     f"{row.published_text} | {computed_text(row)} | "
                     f"{ratio_text(row.ratio)} | {status} |")
    lines.append("")
    lines += [f"{i}. {cause}" for i, cause in enumerate(causes, start=1)]
    return "\n".join(lines) + "\n"


__all__ = ["COLUMNS", "Gap", "Study", "StudyCard", "TOLERANCE", "compare", "computed_text",
           "markdown", "pooled", "ratio_text", "statistic_of", "studies", "study_rows", "to_dict"]
