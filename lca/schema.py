"""The shape of every table the engine reads, as pydantic models (the spec, kept apart from
the checks that need the whole inventory, which live in :mod:`lca.resolve`).

Values stay text here ("700 W", "training_gpu_hours * slot_power"): units and formulas are
read later, when the parameters they name are known, so that each problem can be reported
with its file, row and field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from lca.errors import Location

# Life-cycle stages as Mistral's infographic lists them, with training and inference apart.
STAGES = (
    "model-conception",
    "data-center-construction",
    "hardware-manufacturing",
    "training",
    "inference",
    "network",
    "end-user-equipment",
)
Stage = Literal[STAGES]

# Three impact indicators, and the electricity delivered to the activities (an inventory
# indicator: kWh at the meter, facility overhead included), which studies publish most often.
INDICATORS = ("gwp", "water", "adp", "energy")
IMPACTS = ("gwp", "water", "adp")
Indicator = Literal[INDICATORS]
INDICATOR_UNITS = {"gwp": "kg CO2e", "water": "m3", "adp": "kg Sb eq", "energy": "kWh"}
INDICATOR_NAMES = {
    "gwp": "Climate change, GWP100",
    "water": "Water consumption",
    "adp": "Abiotic depletion, minerals and metals",
    "energy": "Electricity use, at the meter",
}

# How a number was obtained; the report lists each kind separately.
KINDS = ("sourced", "measured", "modeled", "calibrated", "assumed")
Kind = Literal[KINDS]

# What part of the service a stage row serves (the report's headline indicators need it).
SERVES = ("development", "training", "inference", "users")
Serves = Literal[SERVES]

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
# A study's own part of a stage ("final-run", "development-runs", "idle-reserve"...).
Substage = Annotated[str, Field(pattern=r"^([a-z0-9][a-z0-9-]*)?$", max_length=64)]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=100)]
Text = Annotated[str, Field(min_length=1)]


class Row(BaseModel):
    """One row of a table; remembers where it was read for error messages."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    _where: Location = PrivateAttr(default=Location("<memory>"))
    # Columns named "extra:<name>" that the engine does not read but keeps (text and Excel).
    _extra: dict[str, str] = PrivateAttr(default_factory=dict)

    def located(self, where: Location) -> Row:
        self._where = where
        return self

    def at(self, field: str | None = None) -> Location:
        w = self._where
        return Location(w.file, w.row, field, w.sheet)


class Parameter(Row):
    name: Name
    value: Text
    kind: Kind
    source: Text
    comment: str = ""
    # Optional, read by lca.uncertainty: a distribution around `value` such as
    # "lognormal(gsd=1.5)", "triangular(min=164 kg CO2e/GPU, max=575 kg CO2e/GPU)" or "fixed";
    # its source; and an ecoinvent pedigree score "r,c,t,g,f" (1-5 each) that gives a default
    # lognormal when no distribution is written.
    uncertainty: str = ""
    uncertainty_source: str = ""
    pedigree: str = ""


class Activity(Row):
    code: Code
    name: Text
    unit: Text
    location: str = "GLO"
    comment: str = ""


class Exchange(Row):
    activity: Code
    input: Code
    amount: Text
    unit: Text
    source: Text
    comment: str = ""


class StageDemand(Row):
    stage: Stage
    # Optional: the study's own part of the stage (its results are shown apart, and add up to
    # the stage, so every model stays comparable on the seven stages).
    substage: Substage = ""
    activity: Code
    amount: Text
    unit: Text
    serves: Serves
    marginal: bool
    source: Text
    comment: str = ""


class Flow(Row):
    code: Code
    name: Text
    unit: Text
    compartment: Text
    # "inventory indicator": not a flow to nature, a quantity the engine tracks through the
    # graph (electricity delivered, at the meter)
    type: Literal["emission", "natural resource", "inventory indicator"]
    source: Text


class BackgroundProcess(Row):
    code: Code
    name: Text
    unit: Text
    location: Text
    source: Text
    comment: str = ""


class BackgroundExchange(Row):
    process: Code
    input: Code
    amount: Text
    unit: Text
    source: Text
    comment: str = ""


class Factor(Row):
    flow: Code
    factor: Text
    unit: Text
    source: Text


class MethodSpec(Row):
    indicator: Indicator
    name: list[Text]
    unit: Text
    factors: Text
    description: Text
    source: Text


class ModelCard(Row):
    name: Code
    display_name: Text
    aliases: list[str] = []
    developer: Text
    release: Text
    architecture: Text
    parameter_count: Text
    active_parameter_count: Text
    description: Text
    sources: list[Text]
    # Output tokens served over the period (formula); required for the default functional unit.
    served_output_tokens: str = ""
    # What the per-unit figures are per: "response" (the default: --tokens output tokens, from
    # served_output_tokens) or an amount of a countable unit: "image", "request", "inference",
    # "1000 token", "run" (a training run). The number served over the period is the formula
    # `served` (for example "images_per_month * months"; "1 run" for a training run).
    functional_unit: Text = "response"
    served: str = ""
    # Other kinds of tokens served over the period (formulas), for inventories that model
    # them; `lca allocate` weighs each kind by its parameter (input_token_weight,
    # reasoning_token_weight, cached_input_token_weight) to share impacts between requests.
    served_input_tokens: str = ""
    served_reasoning_tokens: str = ""
    served_cached_input_tokens: str = ""
    # The indicators the study assesses (all by default), and per stage those it does not
    # ("water, adp"): shown as n.a., never as 0, and left out of the totals, which say what
    # they cover.
    indicators: list[Indicator] = list(INDICATORS)
    not_assessed: dict[Stage, Text] = {}
    reviewers: list[str] = []
    # Stages (or other items) left out of the boundary, each with its reason; an excluded
    # stage is not assessed.
    excluded: dict[str, str] = {}
    # Physical quantities only the model knows, as formulas over its parameters (GPU-hours of
    # training, the serving fleet...), shown next to public references (lca.implied).
    implied: dict[str, str] = {}


class PublishedFigures(Row):
    """What the developer or a study published, for comparison (model.toml, [published]).
    Figures of any subset go in published_figures.csv (:class:`PublishedFigure`); the tables
    below are the older, shorter form, still read."""

    source: Text
    months: float | None = None
    tokens_per_response: int | None = None
    total: dict[Indicator, Text] = {}
    per_response_marginal: dict[Indicator, Text] = {}
    # Stage (or "training+inference" where the study merged them) -> indicator -> "85.5 %"
    # or "<1 %".
    stage_shares: dict[str, dict[Indicator, Text]] = {}
    notes: str = ""


class PublishedFigure(Row):
    """One published figure (published_figures.csv): what it covers, its value, its source.

    ``scope``: "total", "marginal" (the rows flagged marginal), a stage, "stage/substage", or
    several joined by "+" ("training+inference"). ``per_unit``: the figure is per functional
    unit (for a response, per --tokens output tokens of the published tokens_per_response).
    ``value``: a quantity ("20.4 kt CO2e", "0.24 Wh") or a share of the indicator's life-cycle
    total ("85.5 %", "<1 %"). ``uncertainty``: how precise the figure is, as a relative
    ("2 %") or absolute ("0.05 kt CO2e", "0.5 %" of a share) half-width: for calibration.
    ``statistic``: empty for a single value; "p50", "p25", "mean"... for a statistic of a
    distribution the study published, which a Monte Carlo over the inventory's distributions
    reproduces (``lca validation``; ``lca assess`` leaves it uncomputed)."""

    scope: Text
    per_unit: bool = False
    indicator: Indicator
    statistic: str = Field("", description="Empty for a single value; p50, p25, p75 or mean for "
                                           "a statistic of a distribution the study published "
                                           "(compared by `lca validation` with a Monte Carlo).")
    value: Text
    uncertainty: str = ""
    boundary: str = ""
    source: str = ""
    comment: str = ""


# Column order of each text table: the file layout, and the Excel layout later.
TABLE_MODELS = {
    "parameters": Parameter,
    "activities": Activity,
    "exchanges": Exchange,
    "stages": StageDemand,
    "published_figures": PublishedFigure,
}
TABLE_COLUMNS = {name: list(model.model_fields) for name, model in TABLE_MODELS.items()}
# Tables an inventory may leave out (no file, or no sheet): read as empty.
OPTIONAL_TABLES = ("published_figures",)
