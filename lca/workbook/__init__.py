"""Inventories in Excel (the file format only): write a workbook a person can work in, read it
back with every problem located by sheet and cell, and the canonical text form kept in git.

- :mod:`~lca.workbook.layout`: sheets and columns derived from :mod:`lca.schema`, cells <-> text;
- :mod:`~lca.workbook.canonical`: the canonical text form (CSV and model.toml);
- :mod:`~lca.workbook.export`: writing a workbook; :mod:`~lca.workbook.read`: reading one.

The commands that check a workbook against the base data (validate, import, new) are in
:mod:`lca.inventories`. This package is a lazy façade (PEP 562): openpyxl is imported when a
workbook is read or written, not when a text inventory is.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "read_workbook": "lca.workbook.read",
    "read_report": "lca.workbook.read",
    "export_workbook": "lca.workbook.export",
    "build_workbook": "lca.workbook.export",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lca.workbook' has no attribute {name!r}")
