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

INDICATORS = ("gwp", "water", "adp")
Indicator = Literal[INDICATORS]
INDICATOR_UNITS = {"gwp": "kg CO2e", "water": "m3", "adp": "kg Sb eq"}
INDICATOR_NAMES = {
    "gwp": "Climate change, GWP100",
    "water": "Water consumption",
    "adp": "Abiotic depletion, minerals and metals",
}

# How a number was obtained; the report lists each kind separately.
KINDS = ("sourced", "measured", "modeled", "calibrated", "assumed")
Kind = Literal[KINDS]

# What part of the service a stage row serves (the report's headline indicators need it).
SERVES = ("development", "training", "inference", "users")
Serves = Literal[SERVES]

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
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
    type: Literal["emission", "natural resource"]
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
    # served_output_tokens) or a countable unit of lca.units such as "image", whose number
    # served over the period is the formula `served` (for example "images_per_month * months").
    functional_unit: Code = "response"
    served: str = ""
    # Input (prompt) tokens served over the period, for inventories that model prefill; used
    # by `lca allocate` to share impacts between input and output tokens.
    served_input_tokens: str = ""
    reviewers: list[str] = []
    excluded: dict[str, str] = {}


class PublishedFigures(Row):
    source: Text
    months: float
    tokens_per_response: int
    total: dict[Indicator, Text]
    per_response_marginal: dict[Indicator, Text]
    # Stage (or "training+inference" where the study merged them) -> indicator -> "85.5 %"
    # or "<1 %".
    stage_shares: dict[str, dict[Indicator, Text]] = {}
    notes: str = ""


# Column order of each text table: the file layout, and the Excel layout later.
TABLE_COLUMNS = {
    "parameters": list(Parameter.model_fields),
    "activities": list(Activity.model_fields),
    "exchanges": list(Exchange.model_fields),
    "stages": list(StageDemand.model_fields),
}
TABLE_MODELS = {
    "parameters": Parameter,
    "activities": Activity,
    "exchanges": Exchange,
    "stages": StageDemand,
}
