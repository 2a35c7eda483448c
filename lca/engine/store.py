"""The project store: Brightway projects built once per content hash and reused.

Brightway has no lock between processes (see brightway-notes.md: concurrent writers lose
metadata), so a project is never written where another process may read it. Each build
happens in a private temporary folder and is published with one atomic ``rename``; the first
finished build wins and the others are discarded. A build killed half-way leaves only its own
temporary folder, which a later run removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from platformdirs import user_cache_dir

from lca.errors import StoreError

# Bump when the way projects are written changes: old projects are then rebuilt.
FORMAT_VERSION = "3"  # 2: the manifest lists elementary flow ids; 3: versions in the key
# Packages whose version can change a built project or a result: part of the key.
KEYED_PACKAGES = ("lca-ai", "bw2data", "bw2calc", "bw_processing", "pint")
MANIFEST = "manifest.json"
STALE_BUILD_SECONDS = 3600


def lca_home() -> Path:
    """``LCA_HOME`` if set, else the per-user cache folder."""
    override = os.environ.get("LCA_HOME")
    if override:
        return Path(override).expanduser().resolve()
    return Path(user_cache_dir("lca-ai", appauthor=False))


@lru_cache(maxsize=1)
def versions() -> str:
    """The versions of the engine and of the libraries that build and solve projects."""
    found = []
    for name in KEYED_PACKAGES:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def content_hash(*file_sets: dict[str, bytes]) -> str:
    """SHA-256 over file names and contents, in a stable order (what the user wrote)."""
    digest = hashlib.sha256(b"lca-ai content\n")
    for files in file_sets:
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
        digest.update(b"\1")
    return digest.hexdigest()


def project_key(*file_sets: dict[str, bytes]) -> str:
    """The store key of a project: the content of its files, the store format and the
    versions of the engine and of Brightway (a new version rebuilds, never reuses)."""
    digest = hashlib.sha256(f"lca-ai store {FORMAT_VERSION}\n{versions()}\n".encode())
    digest.update(content_hash(*file_sets).encode())
    return digest.hexdigest()


def ensure_project(key: str, build: Callable[[Path], dict]) -> tuple[Path, dict]:
    """The folder and manifest of the project ``key``, building it first if needed."""
    projects = lca_home() / "projects"
    final = projects / key
    manifest = _read_manifest(final)
    if manifest is not None:
        return final, manifest
    try:
        projects.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the project store {projects}: {exc}") from None
    _sweep_stale_builds(projects)
    temporary = projects / f".build-{key[:16]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    temporary.mkdir()
    try:
        manifest = build(temporary)
        manifest["format"] = FORMAT_VERSION
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        try:
            os.rename(temporary, final)
        except OSError:
            if _read_manifest(final) is None:  # not a lost race: a real failure
                raise
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
    manifest = _read_manifest(final)
    if manifest is None:
        raise StoreError(f"project {final} was built but cannot be read")
    return final, manifest


def _read_manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("format") == FORMAT_VERSION else None


def _sweep_stale_builds(projects: Path) -> None:
    """Remove temporary folders of builds that died (older than an hour)."""
    now = time.time()
    for leftover in projects.glob(".build-*"):
        try:
            if now - leftover.stat().st_mtime > STALE_BUILD_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass
