"""Contribution analysis: which processes and which elementary flows make each indicator's
result, by life-cycle stage and for the whole life cycle.

The engine solves one demand per stage row and hands back bw2calc's characterised
inventories (``C B diag(s)``, see :func:`lca.engine.solve.row_contributions`): a process's
contribution is what its own exchanges with nature weigh (its direct emissions and resource
use, characterised), an elementary flow's contribution is that flow summed over every
process. Both add up, process by process or flow by flow, to the score of the row. Rows are
summed into stages by the boundary rules of :mod:`lca.boundary` (an indicator a stage does
not assess is n.a., never 0), so the contributions of a stage add up to the stage total of
``lca assess`` and those of the life cycle to its total.

Shares are fractions of the scope's total (percent in the JSON); with a linked background
(:mod:`lca.engine.background`) a linked process is named with the activity it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lca.schema import INDICATOR_UNITS, INDICATORS, STAGES

LIFE_CYCLE = "life cycle"
SCOPES = (LIFE_CYCLE, *STAGES)
OTHER = "other"
# label: a short name for tables and charts (the code, or a linked flow's name)
PROCESS_COLUMNS = ["indicator", "scope", "process", "label", "name", "kind", "value", "share"]
FLOW_COLUMNS = ["indicator", "scope", "flow", "label", "name", "compartment", "value", "share"]


@dataclass
class Contributions:
    """Every process's and every elementary flow's contribution, as long tables sorted by
    indicator, scope (life cycle, then stages) and decreasing absolute value.

    ``processes`` and ``flows`` hold every non-zero contribution, so each scope's values add
    up to ``totals``; :meth:`top` keeps the largest and sums the rest into one "other" row."""

    processes: pd.DataFrame
    flows: pd.DataFrame
    totals: pd.DataFrame  # index: SCOPES; columns: INDICATORS (NaN: not assessed)

    units = INDICATOR_UNITS

    def top(self, kind: str, indicator: str, scope: str = LIFE_CYCLE, n: int = 5) -> pd.DataFrame:
        """The ``n`` largest contributions (``kind`` "processes" or "flows") of one indicator
        in one scope, and an "other" row with the rest when there is any."""
        table = getattr(self, kind)
        rows = table[(table.indicator == indicator) & (table.scope == scope)]
        head, rest = rows.iloc[:n], rows.iloc[n:]
        if len(rest):
            key = "process" if kind == "processes" else "flow"
            other = {c: "" for c in table.columns}
            other.update(indicator=indicator, scope=scope, name=f"{len(rest)} other {kind}",
                         label=f"{len(rest)} other {kind}", value=float(rest.value.sum()),
                         share=float(rest.share.sum()))
            other[key] = OTHER
            head = pd.concat([head, pd.DataFrame([other], columns=table.columns)],
                             ignore_index=True)
        return head.reset_index(drop=True)

    def to_dict(self, n: int = 5) -> dict:
        """The ``contributions`` key of ``lca assess --contributions --format json``: per
        indicator and scope, the total and the top ``n`` processes and flows (with the rest
        as "other"), values in the indicator's unit and shares in percent (null: n.a.)."""
        out: dict = {"top": n, "units": dict(INDICATOR_UNITS), "indicators": {}}
        for ind in self.totals.columns:
            by_scope = {}
            for scope in self.totals.index:
                total = self.totals.loc[scope, ind]
                by_scope[scope] = {
                    "total": None if np.isnan(total) else float(total),
                    "processes": _items(self.top("processes", ind, scope, n), "process"),
                    "flows": _items(self.top("flows", ind, scope, n), "flow"),
                }
            out["indicators"][ind] = by_scope
        return out


def _items(table: pd.DataFrame, key: str) -> list[dict]:
    return [{"code": row[key], "name": row["name"], "value": float(row["value"]),
             "share_percent": None if np.isnan(row["share"]) else 100.0 * float(row["share"])}
            for _, row in table.iterrows()]


def contributions(result) -> Contributions:
    """The contribution analysis of an assessment result (:class:`lca.assessment.
    AssessmentResult`), from the same parameter values and bw2calc solve."""
    prepared = result.prepared
    rows = prepared.contributions(result.values)
    indicators = list(prepared.indicators)
    assessed = prepared.boundary.row_assessed()  # (k, rows)
    stages = [s.row.stage for s in prepared.resolved.stages]
    totals = result.stages.reindex(columns=indicators)
    totals = pd.concat([result.total.reindex(indicators).to_frame(LIFE_CYCLE).T, totals])
    labels = _Labels(prepared)
    processes, flows = [], []
    for k, ind in enumerate(indicators):
        for scope in SCOPES:
            total = totals.loc[scope, ind]
            if np.isnan(total):
                continue  # not assessed: no contribution either
            members = [r for r, stage in enumerate(stages)
                       if assessed[k, r] and (scope == LIFE_CYCLE or stage == scope)]
            by_process = rows.by_process[k, members].sum(axis=0)
            by_flow = rows.by_flow[k, members].sum(axis=0)
            processes += _rows(ind, scope, total, by_process, rows.activities, labels.process)
            flows += _rows(ind, scope, total, by_flow, rows.flows, labels.flow)
    return Contributions(pd.DataFrame(processes, columns=PROCESS_COLUMNS),
                         pd.DataFrame(flows, columns=FLOW_COLUMNS),
                         totals.reindex(columns=[i for i in INDICATORS if i in indicators]))


def _rows(indicator, scope, total, values, keys, label) -> list[list]:
    order = np.argsort(-np.abs(values), kind="stable")
    out = []
    for j in order:
        if values[j] == 0:
            continue
        share = values[j] / total if total else float("nan")
        code, short, name, detail = label(keys[j])
        out.append([indicator, scope, code, short, name, detail, float(values[j]), share])
    return out


class _Labels:
    """Names of processes and flows: the inventory's own, or the linked activity's."""

    def __init__(self, prepared):
        self.nodes = dict(prepared.base.nodes, **prepared.resolved.nodes)
        linked = prepared.manifest.get("linked") or {}
        self.links = {link["code"]: link for link in linked.get("links", [])}
        self.linked_flows = linked.get("flows", {})
        self.foreground = set(prepared.resolved.nodes)

    def process(self, code: str) -> tuple[str, str, str, str]:
        """(code, label, name, kind)."""
        node = self.nodes[code]
        if code in self.links:
            link = self.links[code]
            return (code, f"{code} (linked)", f"{node.name} = {link['name']} "
                    f"({link['location']}), {link['database']}", "linked background")
        return (code, code, node.name,
                "foreground" if code in self.foreground else "background")

    def flow(self, key: tuple[str, str]) -> tuple[str, str, str, str]:
        """(code, label, name, compartment)."""
        database, code = key
        if code in self.linked_flows and database != "lca-biosphere":
            flow = self.linked_flows[code]
            compartment = "/".join(flow["categories"])
            return code, f"{flow['name']} ({compartment})", flow["name"], compartment
        node = self.nodes[code]
        return code, code, node.name, node.compartment
