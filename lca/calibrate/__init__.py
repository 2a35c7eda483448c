"""``lca calibrate``: free parameters with priors from public evidence, fitted to published
or measured figures with their own uncertainty, with the posterior, the residuals and the
tension a reviewer needs (see the README section on calibration).

- :mod:`.spec`: ``calibration.toml``, the calibration kept beside its inventory;
- :mod:`.targets`: the figures fitted on, and their likelihood;
- :mod:`.sampling`: priors, importance resampling, tempered SMC, the posterior mode;
- :mod:`.run`: the calibration on the engine's vectorised model, alternatives, points;
- :mod:`.result`: what it gives, and the tension in sentences with numbers;
- :mod:`.ship`: shipping the values (``--write``) and checking them (``--check``).

A lazy façade (PEP 562): reading a calibration.toml (``lca assess`` names fit residuals)
loads neither scipy nor the sampler.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "calibrate": "lca.calibrate.run",
    "load": "lca.calibrate.run",
    "check": "lca.calibrate.ship",
    "write": "lca.calibrate.ship",
    "stored_result": "lca.calibrate.ship",
    "read_spec": "lca.calibrate.spec",
    "CalibrationSpec": "lca.calibrate.spec",
}
_SUBMODULES = {"spec", "targets", "sampling", "run", "result", "ship"}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"lca.calibrate.{name}")
    raise AttributeError(f"module 'lca.calibrate' has no attribute {name!r}")
