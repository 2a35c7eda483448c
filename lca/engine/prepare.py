"""One step every calculation starts from: read the model, check it against the base data in
one pass, and make sure its Brightway project exists in the store (built once per key)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from lca import catalog
from lca.boundary import Boundary, Period, Split
from lca.errors import BadValue, InventoryError, Location, Problem, Problems
from lca.resolve import (
    ResolvedBase,
    ResolvedModel,
    resolve_base,
    resolve_model,
    served_field,
    stage_amount,
)
from lca.schema import INDICATORS
from lca.text_inventory import BaseData, Inventory

from . import build, store
from .background import BackgroundSpec, fingerprint, read_background
from .matrices import CompiledModel, StaticSystem, compile_model, static_system
from .solve import RowContributions, row_contributions, row_scores


@dataclass
class PreparedModel:
    """A model read, checked against the base data, and its Brightway project built (or
    found in the store)."""

    inventory: Inventory
    base_text: BaseData
    base: ResolvedBase
    resolved: ResolvedModel
    project: Path
    manifest: dict
    key: str

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(i for i in INDICATORS if i in self.manifest["methods"])

    @property
    def boundary(self) -> Boundary:
        return Boundary.of_model(self.resolved, self.indicators)

    def solve(self, period: Period) -> tuple[Split, dict]:
        """The static assessment, solved by bw2calc: the boundary split (one iteration) and
        the parameter values it used (every intermediate kept)."""
        values = self.resolved.values(period.months)
        demands = self.demands(values)
        try:
            served = self.resolved.served.magnitude(values)
        except BadValue as exc:
            raise InventoryError([Problem(self.served_location(), str(exc))]) from None
        scores = row_scores(self.project, self.manifest, demands, self.indicators, self.where)
        return self.boundary.split(scores, served, period), values

    def demands(self, values: dict) -> list[dict[str, float]]:
        """One demand per stage row ({activity code: amount over the period})."""
        demands = []
        for stage in self.resolved.stages:
            try:
                demands.append({stage.row.activity: stage_amount(stage, values)})
            except BadValue as exc:
                raise InventoryError([Problem(stage.row.at("amount"), str(exc))]) from None
        return demands

    @property
    def where(self) -> list[str]:
        return [str(stage.row.at()) for stage in self.resolved.stages]

    def contributions(self, values: dict) -> RowContributions:
        """Each stage row's score by process and by elementary flow (bw2calc's
        characterised inventories), for the parameter ``values`` of :meth:`solve`."""
        return row_contributions(self.project, self.manifest, self.demands(values),
                                 self.indicators, self.where)

    def served_location(self) -> Location:
        return Location(str(self.inventory.directory / "model.toml"), None,
                        served_field(self.inventory))

    @cached_property
    def static(self) -> StaticSystem:
        """bw2calc's matrices of the project, background solved once (for the fast path)."""
        return static_system(self.project, self.manifest)

    def compile(self, period: Period, resolved: ResolvedModel | None = None) -> CompiledModel:
        """The vectorised model (Monte Carlo, sensitivity, scenarios) of this project, for the
        resolved inventory or an edited copy of it that uses the same background."""
        return compile_model(self.static, resolved or self.resolved, period)


def prepare(model: str | None = None, inventory: str | Path | None = None,
            inv: Inventory | None = None,
            background: BackgroundSpec | None = None) -> PreparedModel:
    """Read (unless ``inv`` is given, e.g. an edited copy in memory), check every problem in
    one pass, and make sure the Brightway project exists. ``background``: a user's
    Brightway project standing for some of our background codes (:mod:`.background`); it
    enters the store key, so a project linked once is reused until the project changes."""
    problems = Problems()
    if inv is None:
        inv = catalog.load_inventory(model, inventory, problems)
    base_text = catalog.base_data()
    base = resolve_base(base_text)
    resolved = resolve_model(inv, base, problems)
    file_sets = [base_text.files, inv.files]
    if background is not None:
        file_sets.append(fingerprint(background))

    def build_it(directory: Path) -> dict:
        linked = read_background(background, base) if background is not None else None
        return build.build_project(directory, base, resolved, linked)

    key = store.project_key(*file_sets)
    project, manifest = store.ensure_project(key, build_it)
    return PreparedModel(inv, base_text, base, resolved, project, manifest, key)
