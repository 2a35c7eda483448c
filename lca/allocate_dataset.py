"""Request logs at scale: ``lca allocate`` over a folder or glob of Parquet files, in one
process or partitioned on dask.distributed (``--scheduler dask|tcp://HOST:PORT``), into a
partitioned Parquet dataset (one part per input file) and the summary of
:mod:`lca.allocate`.

The rules are :mod:`lca.allocate`'s, applied file by file with the same code
(:func:`lca.allocate.stream_file`); each file is one task. Three steps:

1. the model names of every file are read (in parallel), and the driver assesses each model
   once (an unknown model is an error naming its file and row);
2. each file is streamed, in chunks, into its part of the dataset, by a worker holding the
   rates (no worker assesses anything);
3. the driver adds up the chunks' sums in log order (file by file, chunk by chunk), so the
   summary holds the same floats whether the files ran here or on any number of workers,
   and the same as one file streamed alone when its chunks fall at the same rows.

The dataset is written into a temporary folder beside the output and renamed into place when
every part is written: a failed run leaves nothing behind. On a cluster of your own
(``tcp://``), the workers read the logs and write the parts at the same paths: the folders
must be shared with them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from lca.allocate import (
    DEFAULT_CHUNK_ROWS,
    LogError,
    Rates,
    Summary,
    Tally,
    model_rates,
    stream_file,
)
from lca.errors import BadArgument, LCAError, Location, OutputExists
from lca.uncertainty.dask_backend import check_scheduler, client_for

GLOB_CHARACTERS = set("*?[")
PART = "part-{:05d}.parquet"


def is_dataset(log: str | Path, scheduler: str | None = None) -> bool:
    """A folder or a glob of logs (or any log run on a scheduler): the dataset path."""
    text = str(log)
    return scheduler is not None or Path(text).is_dir() or bool(GLOB_CHARACTERS & set(text))


def log_files(log: str | Path) -> list[Path]:
    """The Parquet files of a folder (sorted by name), of a glob, or the one file given."""
    text = str(log)
    if Path(text).is_dir():
        files = sorted(Path(text).glob("*.parquet"))
    elif GLOB_CHARACTERS & set(text):
        files = sorted(Path(p) for p in glob.glob(text))
    else:
        files = [Path(text)] if Path(text).is_file() else []
    if not files:
        raise BadArgument(f"--log {text}: no Parquet file found (give a folder of *.parquet "
                          "files, a glob such as 'logs/*.parquet', or a file)")
    others = [p for p in files if p.suffix.lower() != ".parquet"]
    if others:
        raise BadArgument(f"--log {text}: {others[0]} is not a .parquet file (a folder or "
                          "glob of logs is read as Parquet)")
    return files


@dataclass
class _FixedRates:
    """The rates every worker uses: the default model's and those of each name in the logs
    (assessed once, by the driver)."""

    default: Rates
    by_name: dict[str, Rates] = field(default_factory=dict)

    def rates_of(self, name) -> Rates:
        if name is None or name == "":
            return self.default
        return self.by_name[name]


@dataclass
class FilePart:
    """What one file's task sends back: its requests, its chunks' sums in order, and its
    requests per model."""

    requests: int
    tallies: list[Tally]
    requests_by_model: dict[str, int]
    compute_seconds: float


def model_names(path: Path) -> list[str]:
    """The distinct model names of a log file ([] without a model column)."""
    schema = pq.read_schema(path)
    if "model" not in schema.names:
        return []
    column = pq.read_table(path, columns=["model"]).column("model")
    names = pc.unique(column.cast("string")).to_pylist()
    return sorted(n for n in names if n)


def allocate_file(path: Path, part: Path, rates: _FixedRates, months: float,
                  chunk_rows: int) -> FilePart:
    """One task: stream ``path`` into the dataset part ``part`` (see the module docstring)."""
    summary = Summary(str(path), str(part), rates.default.model, months)
    tallies = stream_file(path, part, summary, rates, chunk_rows)
    return FilePart(summary.requests, tallies, summary.requests_by_model,
                    summary.compute_seconds)


def allocate_dataset(log: str | Path, output: str | Path, model: str | None = "large-2",
                     months: float = 18, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                     inventory: str | Path | None = None, scheduler: str | None = None,
                     force: bool = False, client=None) -> Summary:
    """Each request's footprint (as :func:`lca.allocate.allocate`) for a folder or glob of
    Parquet logs, written as the dataset ``output`` (a folder of parts); ``scheduler``: None
    (this process), "dask" (a local cluster) or "tcp://HOST:PORT"."""
    started = time.perf_counter()
    output = Path(output)
    if not (isinstance(chunk_rows, int) and chunk_rows > 0):
        raise BadArgument(f"--chunk-rows must be a whole number above 0 (got {chunk_rows})")
    if scheduler is not None:
        check_scheduler(scheduler)
    files = log_files(log)
    _check_output(output, files, force)
    with contextlib.ExitStack() as stack:
        if scheduler is not None and client is None:
            client = stack.enter_context(client_for(scheduler))
        run = _Runner(client)
        names = dict(zip(files, run.map(model_names, [(p,) for p in files]), strict=True))
        default = model_rates(model, months, inventory)
        summary = Summary(str(log), str(output), default.model, float(months))
        rates = _rates(default, names, months, inventory, summary)
        temporary = output.with_name(f".{output.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}"
                                     ".lca-tmp")
        temporary.mkdir()
        try:
            parts = run.map(allocate_file, [(p, temporary / PART.format(i), rates,
                                             float(months), chunk_rows)
                                            for i, p in enumerate(files)])
            _add_up(summary, parts)
            if output.exists():
                shutil.rmtree(output)
            temporary.rename(output)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
    summary.total_seconds = time.perf_counter() - started
    return summary


def _check_output(output: Path, files: list[Path], force: bool) -> None:
    if output.suffix.lower() == ".parquet" and not output.is_dir() and output.exists():
        raise BadArgument(f"-o {output}: a folder or glob of logs is written as a partitioned "
                          "dataset, a folder; this is a file")
    if any(output.resolve() == p.resolve().parent or output.resolve() == p.resolve()
           for p in files):
        raise BadArgument(f"-o {output}: the output must not be the folder of the logs")
    if output.exists() and not force:
        raise OutputExists(f"{output} already exists; give --force to replace it")
    if not output.parent.is_dir():
        raise BadArgument(f"-o {output}: the folder {output.parent} does not exist")


def _rates(default: Rates, names: dict[Path, list[str]], months: float, inventory,
           summary: Summary) -> _FixedRates:
    """Assess every model the logs name, once; an unknown one names its file and row."""
    rates = _FixedRates(default)
    summary.rates[default.model] = default
    for path, found in names.items():
        for name in found:
            if name in rates.by_name:
                continue
            try:
                rates.by_name[name] = (default if inventory is not None
                                       else model_rates(name, months))
            except LCAError as exc:
                raise LogError(Location(str(path), _first_row(path, name), "model"),
                               str(exc)) from None
            summary.rates[rates.by_name[name].model] = rates.by_name[name]
    return rates


def _first_row(path: Path, name: str) -> int:
    column = pq.read_table(path, columns=["model"]).column("model").cast("string")
    return int(pc.index(column, name).as_py()) + 1  # the first request is row 1


def _add_up(summary: Summary, parts: list[FilePart]) -> None:
    """Every chunk's sums in log order: file by file, chunk by chunk."""
    for part in parts:
        for tally in part.tallies:
            summary.add(tally)
        summary.requests += part.requests
        summary.compute_seconds += part.compute_seconds
        for name, count in part.requests_by_model.items():
            summary.requests_by_model[name] = summary.requests_by_model.get(name, 0) + count


class _Runner:
    """``[function(*args) for args in calls]``, in order: here, or as tasks on Dask."""

    def __init__(self, client):
        self.client = client

    def map(self, function, calls: list[tuple]) -> list:
        if self.client is None:
            return [function(*args) for args in calls]
        futures = [self.client.submit(function, *args, pure=False) for args in calls]
        return self.client.gather(futures)
