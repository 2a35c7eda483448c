"""A non-editable install carries the inventories, validation studies and methods inside the
wheel."""

import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_ships_the_data_and_runs_from_any_directory(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(REPO)], check=True, capture_output=True, timeout=600)
    wheel = next(wheels.glob("lca_ai-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in [*(REPO / "inventories").rglob("*"), *(REPO / "validation").rglob("*")]:
        if shipped.is_file():
            rel = shipped.relative_to(REPO).as_posix()
            assert f"lca/_data/{rel}" in names, rel
    assert "lca/_data/methods/methods.toml" in names
    assert any(n.endswith("entry_points.txt") for n in names)

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True, capture_output=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site), LCA_HOME=str(tmp_path / "home"))
    probe = ("import lca, lca.catalog as c; r = lca.assess('large-2', 18); "
             "print(c.data_root()); print(r.total['gwp'])")
    done = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    root, gwp = done.stdout.split()
    assert Path(root) == site / "lca" / "_data"
    # Mistral's published total, a fit residual: within two standard deviations of the
    # calibration's 10 % model discrepancy
    assert abs(math.log(float(gwp) / 20.4e6)) < 0.2


def test_every_library_the_code_imports_is_declared():
    """Each third-party module imported under lca/ belongs to a distribution named in
    pyproject.toml's dependencies (a package installed by hand hides nothing)."""
    import ast
    import re
    import tomllib
    from importlib import metadata

    declared = {re.split(r"[\[<>=!~ ;]", d, maxsplit=1)[0].lower().replace("_", "-")
                for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
                    "dependencies"]}
    owners = metadata.packages_distributions()
    stdlib = set(sys.stdlib_module_names)
    missing = set()
    for path in (REPO / "lca").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top in stdlib or top in ("lca", "__future__"):
                    continue
                dists = {d.lower().replace("_", "-") for d in owners.get(top, [top])}
                if not dists & declared:
                    missing.add(f"{top} ({path.relative_to(REPO)})")
    assert not missing, f"imported but not declared in pyproject.toml: {sorted(missing)}"
