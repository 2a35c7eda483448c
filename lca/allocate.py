"""Per-request footprints from a request log, streamed in chunks (``lca allocate``).

Allocation rules (the same as ``lca assess``, applied per request):

- the model is assessed once over ``months``; its *marginal* impacts (the stage rows flagged
  marginal) and its *allocated* impacts (the whole life cycle) are shared over the
  output-token equivalents it serves in that period;
- output-token equivalents = output tokens + w x input tokens, where w is the inventory's
  ``input_token_weight`` parameter (prefill energy of one input token as a share of one output
  token's; 0.35 in the parametric inventories, see :mod:`lca.parametric`) when its card says
  how many input tokens it serves (``served_input_tokens``); otherwise w = 0 and input tokens
  carry nothing, because that inventory's per-output-token rate already absorbs prefill (the
  calibrated large-2 utilisation does);
- other kinds of tokens, when the log has their columns: reasoning tokens (``reasoning_tokens``)
  weigh ``reasoning_token_weight`` (default 1: generated like output tokens), cached input
  tokens (``cached_input_tokens`` or ``cached_tokens``) weigh ``cached_input_token_weight``
  (default 0); the equivalents served over the period count them too when the card says how
  many it serves (``served_reasoning_tokens``, ``served_cached_input_tokens``), as
  :func:`lca.boundary.token_equivalents` writes the rule;
- so a request of the assessed shape gets exactly ``lca assess``'s per-response figure, and
  the requests of a log that follows the inventory's traffic add up to the assessed totals.

The rates are computed once per model; each chunk (a pyarrow record batch) is then a handful
of vectorised numpy products, so memory stays bounded by the chunk size, whatever the log size.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from lca.assessment import assess
from lca.boundary import rates_per_token_equivalent, token_equivalents
from lca.errors import BadArgument, LCAError, Location, Problem
from lca.schema import INDICATOR_UNITS, INDICATORS
from lca.units import magnitude_in

INPUT_COLUMNS = ("input_tokens", "prompt_tokens")  # first found is used
OUTPUT_COLUMNS = ("output_tokens", "completion_tokens")
# Optional kinds of tokens (first found is used), each weighted by an inventory parameter
# (default when the inventory has none) and counted by a key of the card.
OPTIONAL_KINDS = {
    "reasoning": (("reasoning_tokens",), "reasoning_token_weight", 1.0),
    "cached_input": (("cached_input_tokens", "cached_tokens"), "cached_input_token_weight", 0.0),
}
PASSTHROUGH = ("timestamp", "model")
BOUNDARIES = ("marginal", "allocated")
RESULT_COLUMNS = tuple(f"{i}_{b}" for b in BOUNDARIES for i in INDICATORS)
DEFAULT_CHUNK_ROWS = 1_000_000


class LogError(LCAError):
    """A request log that cannot be read: names the file, row and field."""

    def __init__(self, location: Location, message: str):
        self.problem = Problem(location, message)
        super().__init__(str(self.problem))

    def __reduce__(self):  # travels back from a Dask worker
        return LogError, (self.problem.location, self.problem.message)


@dataclass(frozen=True)
class Rates:
    """One model's impacts per output-token equivalent (kg CO2e, m3, kg Sb eq, kWh)."""

    model: str
    months: float
    input_weight: float
    marginal: tuple[float, ...]  # per indicator, in INDICATORS order
    allocated: tuple[float, ...]
    served_output_tokens: float
    served_input_tokens: float
    reasoning_weight: float = 1.0
    cached_weight: float = 0.0
    served_reasoning_tokens: float = 0.0
    served_cached_input_tokens: float = 0.0

    def equivalents(self, output_tokens, input_tokens=0.0, reasoning_tokens=0.0,
                    cached_tokens=0.0):
        """Output-token equivalents of requests (numbers or arrays)."""
        return token_equivalents(output_tokens, input_tokens, self.input_weight,
                                 reasoning_tokens, self.reasoning_weight, cached_tokens,
                                 self.cached_weight)

    def per_request(self, output_tokens: float, input_tokens: float = 0.0,
                    reasoning_tokens: float = 0.0, cached_tokens: float = 0.0) -> dict:
        """One request's footprint: {boundary: {indicator: value}} (a scalar reference)."""
        eq = self.equivalents(output_tokens, input_tokens, reasoning_tokens, cached_tokens)
        return {
            b: dict(zip(INDICATORS, (eq * r for r in getattr(self, b)), strict=True))
            for b in BOUNDARIES
        }


def model_rates(
    model: str | None, months: float = 18, inventory: str | Path | None = None
) -> Rates:
    """Assess a model once and turn its totals into rates per output-token equivalent
    (:func:`lca.boundary.rates_per_token_equivalent`)."""
    result = assess(model, months, 400, inventory)
    if result.functional_unit != "response":
        raise BadArgument(
            f"model {result.model!r} is assessed per {result.functional_unit}, not per "
            "token: `lca allocate` shares impacts over the tokens of a request log"
        )
    weight = 0.0
    if result.served_input_tokens > 0 and "input_token_weight" in result.values:
        weight = magnitude_in(result.values["input_token_weight"], "dimensionless")
    kinds = _other_kinds(result)
    equivalents = token_equivalents(result.served_output_tokens, result.served_input_tokens,
                                    weight, kinds["reasoning"][1], kinds["reasoning"][0],
                                    kinds["cached_input"][1], kinds["cached_input"][0])
    rates = rates_per_token_equivalent(result.split, equivalents)
    indicators = list(result.prepared.indicators)
    return Rates(
        result.model,
        float(months),
        weight,
        tuple(float(rates["marginal"][indicators.index(i)]) for i in INDICATORS),
        tuple(float(rates["allocated"][indicators.index(i)]) for i in INDICATORS),
        result.served_output_tokens,
        result.served_input_tokens,
        kinds["reasoning"][0],
        kinds["cached_input"][0],
        kinds["reasoning"][1],
        kinds["cached_input"][1],
    )


def _other_kinds(result) -> dict[str, tuple[float, float]]:
    """{kind: (weight, tokens served over the period)} of reasoning and cached input tokens:
    the inventory's weight parameter (or its default) and the card's count (or 0)."""
    out = {}
    for kind, (_, parameter, default) in OPTIONAL_KINDS.items():
        weight = default
        if parameter in result.values:
            weight = magnitude_in(result.values[parameter], "dimensionless")
        served = 0.0
        amount = result.prepared.resolved.tokens.get(kind)
        if amount is not None:
            served = float(amount.magnitude(result.values))
        out[kind] = (weight, served)
    return out


@dataclass(frozen=True)
class Tally:
    """One chunk's sums: each result column, then the tokens of each kind (input, output,
    reasoning, cached input). Chunks are added to the summary one by one, in log order, so a
    log split into files gives the same floats on one process and on Dask."""

    values: tuple[float, ...]  # in RESULT_COLUMNS order
    tokens: tuple[int, int, int, int]


@dataclass
class Summary:
    log: str
    output: str
    model: str
    months: float
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_input_tokens: int = 0
    totals: dict = field(
        default_factory=lambda: {b: dict.fromkeys(INDICATORS, 0.0) for b in BOUNDARIES}
    )
    requests_by_model: dict = field(default_factory=dict)
    rates: dict = field(default_factory=dict)
    compute_seconds: float = 0.0
    total_seconds: float = 0.0

    def add(self, tally: Tally) -> None:
        """Add one chunk's sums (see :class:`Tally`)."""
        for k, column in enumerate(RESULT_COLUMNS):
            indicator, boundary = column.split("_")
            self.totals[boundary][indicator] += tally.values[k]
        self.input_tokens += tally.tokens[0]
        self.output_tokens += tally.tokens[1]
        self.reasoning_tokens += tally.tokens[2]
        self.cached_input_tokens += tally.tokens[3]

    def to_dict(self) -> dict:
        per_request = {
            b: {
                i: (self.totals[b][i] / self.requests if self.requests else 0.0) for i in INDICATORS
            }
            for b in BOUNDARIES
        }
        return {
            "log": self.log,
            "output": self.output,
            "model": self.model,
            "months": self.months,
            "units": dict(INDICATOR_UNITS),
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "total": self.totals,
            "mean_per_request": per_request,
            "requests_by_model": self.requests_by_model,
            "rates_per_output_token_equivalent": {
                m: {
                    "input_token_weight": r.input_weight,
                    "reasoning_token_weight": r.reasoning_weight,
                    "cached_input_token_weight": r.cached_weight,
                    "marginal": dict(zip(INDICATORS, r.marginal, strict=True)),
                    "allocated": dict(zip(INDICATORS, r.allocated, strict=True)),
                }
                for m, r in self.rates.items()
            },
            "compute_seconds": self.compute_seconds,
            "total_seconds": self.total_seconds,
        }


def allocate(
    log: str | Path,
    output: str | Path,
    model: str = "large-2",
    months: float = 18,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    inventory: str | Path | None = None,
) -> Summary:
    """Write each request's GWP, water and ADP (marginal and allocated) to ``output`` (Parquet)."""

    started = time.perf_counter()
    log, output = Path(log), Path(output)
    _check_arguments(log, output, chunk_rows)
    _token_columns(_open_log(log, chunk_rows).names, log)  # before the (slow) assessment
    default = model_rates(model, months, inventory)
    summary = Summary(str(log), str(output), default.model, float(months))
    summary.rates[default.model] = default
    stream_file(log, output, summary, _RateBook(default, months, inventory, summary),
                chunk_rows)
    summary.total_seconds = time.perf_counter() - started
    return summary


def stream_file(log: Path, output: Path, summary: Summary, book, chunk_rows: int) -> list:
    """Stream one log file into the Parquet file ``output``, chunk by chunk, with the rates
    of ``book`` (``default`` and ``rates_of(name)``); returns the chunks' :class:`Tally`s,
    already added to ``summary``, in order."""
    reader = _open_log(log, chunk_rows)
    columns = _token_columns(reader.names, log)
    keep = [c for c in PASSTHROUGH if c in reader.names]
    chunks = _Chunks(log, reader, summary, book, columns, keep)
    _write_parquet(chunks.tables(), output, log)
    return chunks.tallies


def _check_arguments(log: Path, output: Path, chunk_rows) -> None:
    """Refuse bad arguments before the (slow) assessment starts."""
    if not (isinstance(chunk_rows, int) and chunk_rows > 0):
        raise BadArgument(f"--chunk-rows must be a whole number above 0 (got {chunk_rows})")
    if output.suffix.lower() != ".parquet":
        raise BadArgument(f"-o {output}: the output is written as Parquet; name it *.parquet")
    if not log.is_file():
        raise BadArgument(f"--log {log}: no such file")
    if log.resolve() == output.resolve():
        raise BadArgument("the output file must not be the log itself")


@dataclass(frozen=True)
class TokenColumns:
    """The log's token columns: input and output (required), reasoning and cached input
    (None when the log has none)."""

    input: str
    output: str
    reasoning: str | None = None
    cached_input: str | None = None

    @property
    def all(self) -> list[str]:
        return [c for c in (self.input, self.output, self.reasoning, self.cached_input) if c]


def _token_columns(names: list[str], log: Path) -> TokenColumns:
    """The log's token columns, under either naming convention."""
    in_col, out_col = _required_token_columns(names, log)
    optional = {kind: next((c for c in columns if c in names), None)
                for kind, (columns, _, _) in OPTIONAL_KINDS.items()}
    return TokenColumns(in_col, out_col, optional["reasoning"], optional["cached_input"])


def _required_token_columns(names: list[str], log: Path) -> tuple[str, str]:
    """The log's input and output token columns, under either naming convention."""
    in_col = next((c for c in INPUT_COLUMNS if c in names), None)
    out_col = next((c for c in OUTPUT_COLUMNS if c in names), None)
    if out_col is None or in_col is None:
        missing = [
            n for n, c in (("input_tokens", in_col), ("output_tokens", out_col)) if c is None
        ]
        raise LogError(
            Location(str(log), 1, missing[0]),
            f"required column is missing (found: {', '.join(names) or 'none'}; "
            "need input_tokens and output_tokens, or prompt_tokens and completion_tokens)",
        )
    return in_col, out_col


class _RateBook:
    """The rates of each model a log names, each assessed once (an inventory given on the
    command line serves every row), and recorded in the summary."""

    def __init__(self, default: Rates, months: float, inventory, summary: Summary):
        self.default, self.months, self.inventory = default, months, inventory
        self.summary = summary
        self.by_name: dict[str, Rates] = {}

    def rates_of(self, name) -> Rates:
        if name is None or name == "":
            return self.default
        if name not in self.by_name:
            self.by_name[name] = (self.default if self.inventory is not None
                                  else model_rates(name, self.months))
            self.summary.rates[self.by_name[name].model] = self.by_name[name]
        return self.by_name[name]


class _Chunks:
    """The output tables of a log, one per chunk, with the summary's tallies kept up to date
    (and kept in ``tallies``, in order, for a run split into files)."""

    def __init__(self, log: Path, reader, summary: Summary, book: _RateBook,
                 token_columns: TokenColumns, keep: list[str]):
        self.log, self.reader, self.summary, self.book = log, reader, summary, book
        self.columns = token_columns
        self.keep = keep
        self.tallies: list[Tally] = []

    def tables(self):
        """Yield each chunk's output table; ``summary.requests`` counts the rows yielded."""
        for batch in self.reader.batches([*self.columns.all, *self.keep]):
            if batch.num_rows == 0:
                continue
            row0 = self.summary.requests
            t0 = time.perf_counter()  # compute: checks, products and sums (not reading, writing)
            tokens = self._all_tokens(batch, row0)
            values = self._values(batch, tokens, row0)
            self._add_totals(values, tokens)
            self.summary.compute_seconds += time.perf_counter() - t0
            yield self._table(batch, tokens, values)
            self.summary.requests += batch.num_rows

    def _all_tokens(self, batch, row0: int) -> list:
        """[input, output, reasoning, cached input] token arrays (0 for a kind the log lacks)."""
        names = (self.columns.input, self.columns.output, self.columns.reasoning,
                 self.columns.cached_input)
        return [self._tokens(batch, c, row0) if c else 0.0 for c in names]

    def _tokens(self, batch, column: str, row0: int):
        return _token_array(batch.column(column), self.log, column, row0, self.reader.first_row)

    def _values(self, batch, tokens, row0: int) -> list:
        """Each result column of the chunk: token equivalents x the rate of the row's model."""
        if "model" not in self.keep:
            return self._default_values(tokens, batch.num_rows)

        def locate(index):
            return Location(str(self.log), row0 + index + self.reader.first_row, "model")

        weights, rate_rows, per_model = _model_rates_per_row(
            batch.column("model"), self.book.rates_of, locate
        )
        eq = token_equivalents(tokens[1], tokens[0], weights[0], tokens[2], weights[1],
                               tokens[3], weights[2])
        for name, count in per_model.items():
            self._count(name, count)
        return [eq * rate_rows[:, k] for k in range(len(RESULT_COLUMNS))]

    def _default_values(self, tokens, n: int) -> list:
        """A log without a model column: every row is the assessed model's."""
        default = self.book.default
        eq = default.equivalents(tokens[1], tokens[0], tokens[2], tokens[3])
        self._count(default.model, n)
        return [eq * r for r in default.marginal + default.allocated]

    def _count(self, model: str, requests: int) -> None:
        by_model = self.summary.requests_by_model
        by_model[model] = by_model.get(model, 0) + requests

    def _add_totals(self, values, tokens) -> None:
        tally = Tally(tuple(float(v.sum()) for v in values),
                      tuple(int(np.sum(t)) for t in tokens))
        self.tallies.append(tally)
        self.summary.add(tally)

    def _table(self, batch, tokens, values):
        """The chunk as written: passed-through columns, token counts, then the results."""
        arrays = [batch.column(c) for c in self.keep]
        arrays += [pa.array(tokens[0].astype(np.int64)), pa.array(tokens[1].astype(np.int64))]
        arrays += [pa.array(t.astype(np.int64)) for t, c in zip(
            tokens[2:], (self.columns.reasoning, self.columns.cached_input), strict=True) if c]
        arrays += [pa.array(v) for v in values]
        return pa.Table.from_arrays(
            arrays, schema=_output_schema(batch.schema, self.keep, pa, self.summary,
                                          self.columns)
        )


def _write_parquet(tables, output: Path, log: Path) -> None:
    """Write the tables to a temporary file renamed over ``output`` only when all went well,
    so a failed run never leaves a partial output behind."""
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    writer = None
    try:
        for table in tables:
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="snappy")
            writer.write_table(table)
        if writer is None:
            raise LogError(Location(str(log)), "the log has no requests")
        writer.close()
        writer = None
        os.replace(tmp, output)
    finally:
        if writer is not None:
            writer.close()
        if tmp.exists():
            tmp.unlink()


def _token_array(column, log: Path, name: str, row0: int, first_row: int):
    """Token counts of one chunk as float64, refusing nulls, negatives and fractions."""

    if column.null_count:
        index = pc.index(pc.is_null(column), True).as_py()
        raise LogError(Location(str(log), row0 + index + first_row, name), "empty token count")
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        raise LogError(
            Location(str(log), row0 + first_row, name),
            f"token counts must be numbers (column type {column.type})",
        )
    values = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    bad = ~np.isfinite(values) | (values < 0) | (values != np.floor(values))
    if bad.any():
        index = int(np.argmax(bad))
        raise LogError(
            Location(str(log), row0 + index + first_row, name),
            f"token count must be a whole number of 0 or more (found {values[index]:g})",
        )
    return values


def _model_rates_per_row(column, rates_of, locate):
    """Per-row weights (input, reasoning, cached input) and rates, for a log whose requests
    name their model."""

    encoded = pc.dictionary_encode(column.cast("string"))
    names = encoded.dictionary.to_pylist()
    indices = encoded.indices.fill_null(len(names)).to_numpy(zero_copy_only=False)
    table = []
    for position, name in enumerate(names):
        try:
            table.append(rates_of(name))
        except LCAError as exc:  # unknown model, or one not counted in tokens
            raise LogError(locate(int(np.argmax(indices == position))), str(exc)) from None
    table.append(rates_of(None))
    weights = np.array([[r.input_weight, r.reasoning_weight, r.cached_weight]
                        for r in table])[indices].T
    coefficients = np.array([r.marginal + r.allocated for r in table])[indices]
    counts = np.bincount(indices, minlength=len(table))
    per_model: dict[str, int] = {}
    for r, count in zip(table, counts, strict=True):
        if count:
            per_model[r.model] = per_model.get(r.model, 0) + int(count)
    return weights, coefficients, per_model


def _output_schema(schema, keep, pa, summary, columns: TokenColumns):
    fields = [schema.field(c) for c in keep] + [
        pa.field("input_tokens", pa.int64()),
        pa.field("output_tokens", pa.int64()),
    ]
    fields += [pa.field(f"{kind}_tokens", pa.int64())
               for kind in ("reasoning", "cached_input") if getattr(columns, kind)]
    fields += [pa.field(c, pa.float64()) for c in RESULT_COLUMNS]
    metadata = {f"unit.{c}": INDICATOR_UNITS[c.split("_")[0]] for c in RESULT_COLUMNS}
    metadata.update(
        {
            "lca.model": summary.model,
            "lca.months": repr(summary.months),
            "lca.rules": "lca.allocate: output tokens + input_token_weight x input tokens"
            " (+ reasoning_token_weight x reasoning + cached_input_token_weight x cached input"
            " tokens), times the assessed rate per output-token equivalent",
        }
    )
    return pa.schema(fields, metadata=metadata)


class _Reader:
    """Chunks of a CSV or Parquet log, with the spreadsheet row of its first data row."""

    def __init__(self, path: Path, chunk_rows: int):
        self.path = path
        self.chunk_rows = chunk_rows
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            try:
                self._file = pq.ParquetFile(path)
            except Exception as exc:
                raise LogError(
                    Location(str(path)), f"not a Parquet file ({_first_line(exc)})"
                ) from None
            self.names = list(self._file.schema_arrow.names)
            self.first_row = 1  # the first request is row 1
            self.kind = "parquet"
        elif suffix in (".csv", ".txt"):
            with path.open("rb") as fh:
                header = fh.readline().decode("utf-8-sig", errors="replace").strip()
            self.names = [h.strip().strip('"') for h in header.split(",")] if header else []
            self.first_row = 2  # the header is row 1, as a spreadsheet shows it
            self.kind = "csv"
        else:
            raise BadArgument(f"--log {path}: expected a .csv or .parquet file")

    def batches(self, columns):
        if self.kind == "parquet":
            try:
                yield from self._file.iter_batches(batch_size=self.chunk_rows, columns=columns)
            except LCAError:
                raise
            except Exception as exc:
                raise LogError(
                    Location(str(self.path)), f"cannot read ({_first_line(exc)})"
                ) from None
            return

        types = {c: pa.float64() for c in columns if c not in PASSTHROUGH}
        types.update({c: pa.string() for c in columns if c in PASSTHROUGH})
        # pyarrow splits a CSV on bytes: size blocks from the line length of the first 64 kB.
        with self.path.open("rb") as fh:
            sample = fh.read(1 << 16)
        line = max(8, len(sample) / max(1, sample.count(b"\n")))
        block = int(max(1 << 16, min(1 << 27, self.chunk_rows * line)))
        try:
            reader = pcsv.open_csv(
                self.path,
                read_options=pcsv.ReadOptions(block_size=block),
                convert_options=pcsv.ConvertOptions(
                    include_columns=list(columns), column_types=types
                ),
            )
            yield from reader
        except LCAError:
            raise
        except Exception as exc:
            located = _locate_bad_cell(self.path, [c for c in columns if c not in PASSTHROUGH])
            if located is not None:
                raise LogError(*located) from None
            raise LogError(Location(str(self.path)), _csv_message(exc)) from None


def _open_log(path: Path, chunk_rows: int) -> _Reader:
    return _Reader(path, chunk_rows)


def _locate_bad_cell(path: Path, columns: list[str]):
    """On a conversion error (pyarrow does not say the row), find the first bad cell."""
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as fh:
        rows = csv.reader(fh)
        header = [h.strip() for h in next(rows, [])]
        wanted = [(header.index(c), c) for c in columns if c in header]
        for number, cells in enumerate(rows, start=2):
            for index, name in wanted:
                cell = cells[index].strip() if index < len(cells) else ""
                try:
                    float(cell)
                except ValueError:
                    what = "empty token count" if not cell else f"not a number: {cell!r}"
                    return Location(str(path), number, name), what
    return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _csv_message(exc: Exception) -> str:
    """pyarrow says 'In CSV column #1: Row #4: CSV conversion error ...'; keep it readable."""
    return f"cannot read the CSV ({_first_line(exc)})"
