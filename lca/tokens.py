"""What a text model counts besides output tokens (``lca models``): for each other kind of
token its card serves (input, reasoning, cached input), how many per output token, the weight
of one in output-token equivalents, and the kinds of the parameters that say so. Kept apart
from the inventory tools so that listing the models stays light (units and formulas only).
"""

from __future__ import annotations

from dataclasses import dataclass

from lca import formulas
from lca.errors import BadValue, InventoryError, Problems
from lca.resolve import TOKEN_KINDS, Amount, resolve_parameters
from lca.text_inventory import Inventory, read_inventory
from lca.units import registry

WEIGHTS = {"input": "input_token_weight", "reasoning": "reasoning_token_weight",
           "cached_input": "cached_input_token_weight"}


@dataclass(frozen=True)
class TokenAssumption:
    """What a model counts besides output tokens: for each other kind of token it serves,
    how many per output token (and the kinds of the parameters that say so), and the weight
    of one such token in output-token equivalents (with its kind). ``equivalents``: output
    tokens plus the weighted others, per output token (1 when nothing else is counted)."""

    kinds: tuple[tuple[str, float, str, float | None, str], ...] = ()
    # (kind of token, per output token, kinds of its parameters, weight, kind of the weight)

    @property
    def equivalents(self) -> float:
        return 1.0 + sum(per * (w or 0.0) for _, per, _, w, _ in self.kinds)

    def describe(self) -> str:
        """'3 input/output (assumed) x weight 0.35 (sourced): 2.05 equivalents'."""
        if not self.kinds:
            return "output only"
        parts = []
        for kind, per, origin, weight, weight_kind in self.kinds:
            w = "weight not set" if weight is None else f"weight {weight:.3g} ({weight_kind})"
            parts.append(f"{per:.3g} {kind.replace('_', ' ')} per output ({origin}) x {w}")
        return "; ".join(parts) + f" = {self.equivalents:.3g} output-token equivalents"


def token_assumption(inventory: Inventory) -> TokenAssumption | None:
    """The token kinds an inventory's card counts (served_input_tokens...), over one month;
    None for a model whose functional unit is not a text response."""
    card = inventory.card
    if card is None or card.functional_unit != "response":
        return None
    if not card.served_output_tokens:
        return TokenAssumption()
    problems = Problems()
    _, values = resolve_parameters(inventory, problems)
    values = dict(values, months=registry().Quantity(1.0, "month"))
    kinds_of = {p.name: p.kind for p in inventory.parameters}
    try:
        output = Amount(card.served_output_tokens, "", "token").magnitude(values)
    except BadValue:
        return TokenAssumption()
    found = []
    for kind, key in TOKEN_KINDS.items():
        text = getattr(card, key).strip()
        if not text or not output:
            continue
        try:
            per = Amount(text, "", "token").magnitude(values) / output
        except BadValue:
            continue
        used = sorted({kinds_of[n] for n in formulas.parse(text).names if n in kinds_of})
        weight_name = WEIGHTS[kind]
        weight = values.get(weight_name)
        found.append((kind, float(per), ", ".join(used) or "formula",
                      None if weight is None else float(weight.to("dimensionless").magnitude),
                      kinds_of.get(weight_name, "")))
    return TokenAssumption(tuple(found))


def token_assumptions(entries) -> dict[str, TokenAssumption | None]:
    """name -> :class:`TokenAssumption` of catalog entries (``lca models``); None for a
    model that does not serve text responses or cannot be read."""
    out = {}
    for entry in entries:
        try:
            out[entry.name] = token_assumption(read_inventory(entry.directory))
        except InventoryError:
            out[entry.name] = None
    return out
