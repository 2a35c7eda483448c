"""The import graph of ``lca``, read from the code with ``ast``: layers import only downward,
there is no cycle, and imports sit at the top of modules (except the few heavy or
environment-dependent libraries a function loads on purpose)."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lca"

# From the bottom up; a module may import from its own layer and the layers below.
LAYERS = [
    ("foundation", ["lca.errors", "lca.units", "lca.formulas", "lca.files", "lca.display"]),
    ("schema and readers", ["lca.schema", "lca.text_inventory", "lca.workbook", "lca.catalog"]),
    ("resolve", ["lca.distributions", "lca.resolve"]),
    ("boundary", ["lca.boundary"]),
    ("engine", ["lca.engine"]),
    ("analyses", ["lca.assessment", "lca.uncertainty", "lca.allocate", "lca.allocate_dataset",
                  "lca.calibrate", "lca.measurements", "lca.inventories", "lca.parametric",
                  "lca.validation", "lca.implied", "lca.contributions", "lca.export",
                  "lca.background", "lca.tokens"]),
    ("report", ["lca.report"]),
    ("cli", ["lca.cli"]),
]
# Imported inside a function on purpose: bw2data must see BRIGHTWAY2_DIR before its import,
# bw2calc must be imported without bw2data (1.2 s saved on warm runs), and dask.distributed
# costs about a second and serves only --scheduler.
LAZY_THIRD_PARTY = {"bw2data", "bw2calc", "dask.distributed"}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = modules()


def layer_of(module: str) -> int | None:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return None  # the package root (the lazy façade) belongs to no layer


def _targets(node, module: str, is_package: bool) -> list[str]:
    """The lca modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:
        here = module.split(".") if is_package else module.split(".")[:-1]
        here = here[: len(here) - node.level + 1]
        base = ".".join(here + ([node.module] if node.module else []))
    out = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        out.append(candidate if candidate in MODULES else base)
    return out


def imports() -> list[tuple[str, str, bool, int]]:
    """(importer, imported, inside a function, line) for every import in lca."""
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside = set()
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                inside |= {id(n) for n in ast.walk(fn) if n is not fn}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(node, module, path.name == "__init__.py"):
                    found.append((module, target, id(node) in inside, node.lineno))
    return found


IMPORTS = imports()


def test_every_module_has_a_layer():
    unplaced = [m for m in MODULES if m != "lca" and layer_of(m) is None]
    assert not unplaced, f"modules in no layer of tests/test_architecture.py: {unplaced}"


def test_layers_import_only_downward():
    upward = []
    for importer, target, _, line in IMPORTS:
        if not target.startswith("lca.") or target == "lca":
            continue
        a, b = layer_of(importer), layer_of(target)
        if a is not None and b is not None and b > a:
            upward.append(f"{MODULES[importer].relative_to(PACKAGE.parent)}:{line} "
                          f"({LAYERS[a][0]}) imports {target} ({LAYERS[b][0]})")
    assert not upward, "\n".join(upward)


def test_no_import_cycle():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for importer, target, _, _ in IMPORTS:
        if target in MODULES and target != importer and target != "lca":
            graph[importer].add(target)
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail("import cycle: " + " -> ".join(exc.args[1]))


def test_imports_stand_at_the_top_of_modules():
    """Function-level imports hide cycles from readers and from ruff: only the lazy
    third-party libraries above, and the PEP 562 façades (importlib), are allowed."""
    hidden = [f"{MODULES[importer].relative_to(PACKAGE.parent)}:{line} imports {target}"
              for importer, target, inside, line in IMPORTS
              if inside and target not in LAZY_THIRD_PARTY]
    assert not hidden, "\n".join(hidden)


def test_the_package_root_is_a_lazy_facade():
    """``import lca`` loads no submodule: the CLI's --help stays fast."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert all(isinstance(n, ast.Import | ast.ImportFrom) and
               (getattr(n, "module", None) in ("__future__", None)) for n in top)
    assert {a.name for n in top for a in n.names} <= {"annotations", "importlib"}
