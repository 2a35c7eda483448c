"""What every export writes, taken from one assessment: the static amount of every exchange
(in the unit of the node it feeds, per unit of its activity, parameters evaluated as
``lca assess`` evaluates them), and activities that stand for the assessment itself.

Besides the model's own foreground activities, an export adds (in the foreground):

- one activity per stage ("<model> | stage inference, 18 months"), demanding what the
  stage rows of stages.csv demand over the period;
- the life cycle, demanding one of each stage;
- one functional unit, marginal and allocated ("<model> | one 400-token response, ..."),
  demanding the marginal rows, or the whole life cycle, over the units served.

Their scores are those of ``lca assess`` (stages, total, per-response figures), within the
precision Brightway stores amounts at (32-bit floats).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lca.resolve import stage_amount
from lca.schema import STAGES


@dataclass
class Exchange:
    input: str  # node code
    amount: float  # in the input node's unit, per unit of the activity
    type: str  # technosphere | biosphere
    comment: str = ""


@dataclass
class Activity:
    code: str
    name: str
    unit: str
    location: str
    kind: str  # foreground | background | stage | life cycle | functional unit
    exchanges: list[Exchange] = field(default_factory=list)
    comment: str = ""


@dataclass
class ExportModel:
    """The assessment as activities, in our codes and units."""

    model: str
    display_name: str
    months: float
    background: list[Activity]
    foreground: list[Activity]  # the model's activities, then those of the assessment
    nodes: dict  # code -> lca.resolve.Node (biosphere, background, foreground)
    methods: list  # lca.resolve.ResolvedMethod

    @property
    def assessment(self) -> list[Activity]:
        return [a for a in self.foreground if a.kind != "foreground"]


def export_model(result) -> ExportModel:
    """The export model of an assessment result (:class:`lca.assessment.AssessmentResult`)."""
    prepared = result.prepared
    base, resolved = prepared.base, prepared.resolved
    nodes = dict(base.nodes, **resolved.nodes)
    background = [_activity(n, "background", base.links) for n in base.nodes.values()
                  if n.kind == "background"]
    foreground = [_activity(n, "foreground", resolved.links) for n in resolved.nodes.values()]
    foreground += _assessment(result)
    return ExportModel(result.model, result.display_name, result.months, background,
                       foreground, nodes, base.methods)


def _activity(node, kind: str, links) -> Activity:
    exchanges = [Exchange(k.input, k.amount, k.type,
                          k.rule.text if k.rule is not None and k.rule.formula else "")
                 for k in links if k.activity == node.code]
    return Activity(node.code, node.name, node.unit, node.location or "GLO", kind, exchanges)


def _assessment(result) -> list[Activity]:
    """Stages, life cycle and functional units as activities (see the module docstring)."""
    prepared = result.prepared
    rows = prepared.resolved.stages
    amounts = [stage_amount(stage, result.values) for stage in rows]
    prefix, period = result.model, f"training and {result.months:g} months of use"
    out = []
    for stage in STAGES:
        members = [(r.row.activity, a) for r, a in zip(rows, amounts, strict=True)
                   if r.row.stage == stage]
        if members:
            out.append(Activity(f"{prefix}-stage-{stage}", f"{prefix} | stage {stage}, "
                                f"{period}", "unit", "GLO", "stage", _summed(members),
                                f"Demands the rows of stage {stage} in stages.csv"))
    out.append(Activity(f"{prefix}-life-cycle", f"{prefix} | life cycle, {period}", "unit",
                        "GLO", "life cycle",
                        [Exchange(a.code, 1.0, "technosphere") for a in out],
                        "All the stages; its scores are the life-cycle totals of lca assess"))
    units = float(result.units_served)
    if units > 0:
        label = (f"one {result.tokens_per_response}-token response"
                 if result.functional_unit == "response" else f"one {result.functional_unit}")
        marginal = [(r.row.activity, a / units) for r, a in zip(rows, amounts, strict=True)
                    if r.row.marginal]
        out.append(Activity(f"{prefix}-per-unit-marginal", f"{prefix} | {label}, marginal",
                            "unit", "GLO", "functional unit", _summed(marginal),
                            "The rows flagged marginal over the units served"))
        out.append(Activity(f"{prefix}-per-unit-allocated", f"{prefix} | {label}, allocated",
                            "unit", "GLO", "functional unit",
                            [Exchange(f"{prefix}-life-cycle", 1.0 / units, "technosphere")],
                            "The whole life cycle over the units served"))
    return out


def _summed(members: list[tuple[str, float]]) -> list[Exchange]:
    """One exchange per activity (a stage may demand one activity in several rows)."""
    total: dict[str, float] = {}
    for code, amount in members:
        total[code] = total.get(code, 0.0) + float(amount)
    return [Exchange(code, amount, "technosphere") for code, amount in total.items()]
