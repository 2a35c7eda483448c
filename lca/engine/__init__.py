"""The engine: the only code that knows Brightway. It builds a model's project once per key
(:mod:`.store`, :mod:`.build`), solves it with bw2calc (:mod:`.solve`), and solves many
iterations at once on bw2calc's own matrices (:mod:`.matrices`); :mod:`.reference` feeds
bw2calc our samples to prove the fast path; :mod:`.background` reads a user's Brightway
project (never writing it) to stand for our background. :func:`prepare` is where every
calculation starts.
"""

from __future__ import annotations

from .background import BackgroundSpec
from .matrices import CompiledModel, StaticSystem, compile_model, static_system
from .prepare import PreparedModel, prepare
from .solve import row_scores
from .store import content_hash, lca_home, project_key

__all__ = ["BackgroundSpec", "CompiledModel", "PreparedModel", "StaticSystem", "compile_model",
           "content_hash", "lca_home", "prepare", "project_key", "row_scores", "static_system"]
