"""Writing files so that nothing saved is lost: one atomic-write helper, one writer for a set
of files, one CSV writer, and the sweep of what killed runs left behind.

A file is written in full beside its target (``.NAME.PID-RANDOM.lca-tmp``), flushed to disk,
then moved over the target with one atomic rename: a run killed at any moment leaves either
the old file or the new one. Temporary files carry the writer's process id, so a later run can
tell a leftover (its process is gone) from a write still under way.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from pathlib import Path

from lca.errors import BadArgument, OutputExists

TEMPORARY_SUFFIX = ".lca-tmp"


def temporary_beside(path: Path) -> Path:
    """A fresh temporary name in the folder of ``path``."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}{TEMPORARY_SUFFIX}")


def sweep_temporaries(folder: Path) -> None:
    """Remove the temporary files of killed runs in ``folder`` (their process is gone)."""
    for leftover in Path(folder).glob(f".*{TEMPORARY_SUFFIX}"):
        try:
            pid = int(leftover.name.rsplit(".", 2)[-2].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            leftover.unlink(missing_ok=True)
        except (ValueError, IndexError, OSError):
            continue


def write_atomic(path: Path, data: bytes | str, mode: int | None = 0o644) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` so that a run killed at any moment leaves
    either the old file or the new one."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    temporary = temporary_beside(path)
    try:
        with open(temporary, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def check_output_file(path: Path, force: bool, suffix: str | None = None) -> Path:
    """The one overwrite rule for an output file: refused if it exists, unless ``force``."""
    path = Path(path)
    if suffix and path.suffix.lower() != suffix:
        raise BadArgument(f"{path}: the name must end in {suffix}")
    if path.is_dir():
        raise BadArgument(f"{path} is a folder")
    if path.exists() and not force:
        raise OutputExists(f"{path} already exists; give --force to overwrite it")
    if not path.parent.is_dir():
        raise BadArgument(f"{path}: the folder {path.parent} does not exist")
    return path


def write_files(folder: Path, files: dict[str, bytes], force: bool) -> list[str]:
    """Write a set of files into ``folder``; refuse to overwrite unless ``force``.

    Every file is first written in full beside its target, then each is moved over the old
    one with one atomic rename. Returns the names of the files that changed."""
    folder = Path(folder)
    existing = [n for n in files if (folder / n).exists()]
    if existing and not force:
        raise OutputExists(f"{folder} already holds {', '.join(existing)}; "
                           "give --force to overwrite")
    if folder.exists() and not folder.is_dir():
        raise BadArgument(f"{folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(folder)
    changed = [n for n, data in files.items()
               if not (folder / n).is_file() or (folder / n).read_bytes() != data]
    staged = []
    try:
        for name in changed:
            temporary = temporary_beside(folder / name)
            with open(temporary, "wb") as fh:
                fh.write(files[name])
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(temporary, 0o644)
            staged.append((temporary, folder / name))
        for temporary, target in staged:
            os.replace(temporary, target)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return changed


def csv_text(header: list[str], rows) -> str:
    """CSV as the text form keeps it: UTF-8, ``\\n`` line ends, minimal quoting."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
