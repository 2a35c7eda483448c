"""Write databases and methods into a Brightway project the user names (``lca export
--format brightway``), with bw2data, so that Activity Browser opens them.

This is the one place the engine writes outside its own store, and only because the user
asked for it. Brightway has no lock between processes (two writers lose each other's
metadata), so close Activity Browser, or any other program using that project, while the
export runs. Databases and methods already in the project are never replaced unless
``force`` is given.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from lca.errors import BadArgument, OutputExists

from .background import project_contents
from .build import MethodData, quiet_import_bw2data


def write_to_project(base_dir: Path, project: str, databases: dict[str, dict],
                     methods: list[MethodData], needs: tuple[str, ...] = (),
                     force: bool = False) -> dict:
    """Write ``databases`` ({name: bw2data data}, in dependency order) and ``methods`` into
    ``project`` (created if missing) of the Brightway folder ``base_dir``. ``needs``:
    databases that must already be there (what the written ones link to). Returns
    {"project", "directory", "databases", "methods"}."""
    base_dir = Path(base_dir).expanduser().resolve()
    # Refuse before bw2data opens (and so creates) anything.
    have_databases, have_methods = project_contents(base_dir, project) or (set(), set())
    missing = [name for name in needs if name not in have_databases]
    if missing:
        raise BadArgument(f"project {project!r} in {base_dir} has no database "
                          f"{', '.join(missing)}, which the model's foreground links to: "
                          "export with --with-background (our biosphere, background and "
                          "methods) once")
    taken = [name for name in databases if name in have_databases]
    taken += [" / ".join(m.name) for m in methods if m.name in have_methods]
    if taken and not force:
        raise OutputExists(f"project {project!r} already has {'; '.join(taken)}; give "
                           "--force to replace them")
    base_dir.mkdir(parents=True, exist_ok=True)
    (base_dir / "logs").mkdir(exist_ok=True)
    bd = quiet_import_bw2data(base_dir)
    with contextlib.redirect_stdout(sys.stderr):
        bd.projects.change_base_directories(base_dir, base_logs_dir=base_dir / "logs",
                                            project_name=project, update=False)
        for name, data in databases.items():
            if name in bd.databases:
                del bd.databases[name]
            bd.Database(name).write(data)
        for m in methods:
            method = bd.Method(m.name)
            if m.name in bd.methods:
                method.deregister()
            method.register(unit=m.unit, description=m.description, source=m.source)
            method.write(m.factors)
        directory = bd.projects.dir
    return {"project": project, "directory": str(directory), "databases": list(databases),
            "methods": [list(m.name) for m in methods]}
