"""Per-request footprints: the same allocation as `lca assess`, streamed over a log."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from lca.allocate import LogError, allocate, model_rates
from lca.errors import BadArgument


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_parquet(path: Path):
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pydict()


def test_large_2_request_of_400_tokens_gets_the_assessed_figure(tmp_path, large2):
    log = write_csv(tmp_path / "log.csv", ["input_tokens", "output_tokens"],
                    [[0, 400], [5000, 400], [10, 800]])
    allocate(log, tmp_path / "out.parquet", model="large-2", months=18)
    out = read_parquet(tmp_path / "out.parquet")
    # large-2 has no prefill term (its calibrated utilisation absorbs prompts): w = 0.
    for ind in ["gwp", "water", "adp"]:
        marginal = large2.per_response.loc["marginal", ind]
        allocated = large2.per_response.loc["allocated", ind]
        assert out[f"{ind}_marginal"][0] == pytest.approx(marginal, rel=1e-12)
        assert out[f"{ind}_marginal"][1] == pytest.approx(marginal, rel=1e-12)
        assert out[f"{ind}_marginal"][2] == pytest.approx(2 * marginal, rel=1e-12)
        assert out[f"{ind}_allocated"][0] == pytest.approx(allocated, rel=1e-12)
    assert out["input_tokens"] == [0, 5000, 10] and out["output_tokens"] == [400, 400, 800]


def test_input_tokens_count_with_the_prefill_weight(tmp_path):
    import lca

    result = lca.assess("llama-3.1-8b", months=18)
    # Hand: the marginal total over the period, shared over output + 0.35 x input tokens.
    months, out_per_month, in_per_month = 18, 1e10, 3e10
    equivalents = (out_per_month + 0.35 * in_per_month) * months
    marginal_total = result.per_response.loc["marginal", "gwp"] * result.responses
    rate = marginal_total / equivalents
    log = write_csv(tmp_path / "log.csv", ["timestamp", "input_tokens", "output_tokens"],
                    [["2025-01-01T00:00:00", 1200, 400], ["2025-01-01T00:00:01", 0, 400]])
    summary = allocate(log, tmp_path / "out.parquet", model="llama-3.1-8b", months=18)
    out = read_parquet(tmp_path / "out.parquet")
    assert out["gwp_marginal"][0] == pytest.approx(rate * (400 + 0.35 * 1200), rel=1e-9)
    assert out["gwp_marginal"][1] == pytest.approx(rate * 400, rel=1e-9)
    assert out["timestamp"] == ["2025-01-01T00:00:00", "2025-01-01T00:00:01"]
    assert summary.requests == 2 and summary.input_tokens == 1200
    assert summary.totals["marginal"]["gwp"] == pytest.approx(sum(out["gwp_marginal"]))


def test_a_log_shaped_like_the_inventory_adds_up_to_the_assessment():
    rates = model_rates("llama-3.1-8b", months=6)
    served = rates.per_request(rates.served_output_tokens, rates.served_input_tokens)
    import lca

    result = lca.assess("llama-3.1-8b", months=6)
    assert served["allocated"]["gwp"] == pytest.approx(result.total["gwp"], rel=1e-9)
    assert served["marginal"]["water"] == pytest.approx(
        result.per_response.loc["marginal", "water"] * result.responses, rel=1e-9)


def test_chunks_and_formats_give_the_same_rows(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [[i % 97, 1 + i % 13] for i in range(1000)]
    log_csv = write_csv(tmp_path / "log.csv", ["input_tokens", "output_tokens"], rows)
    pq.write_table(pa.table({"prompt_tokens": [r[0] for r in rows],
                             "completion_tokens": [r[1] for r in rows]}), tmp_path / "log.parquet")
    allocate(log_csv, tmp_path / "a.parquet", model="ministral-8b", chunk_rows=1000)
    allocate(log_csv, tmp_path / "b.parquet", model="ministral-8b", chunk_rows=7)
    allocate(tmp_path / "log.parquet", tmp_path / "c.parquet", model="ministral-8b", chunk_rows=64)
    a, b, c = (read_parquet(tmp_path / f"{x}.parquet") for x in "abc")
    assert a["gwp_allocated"] == b["gwp_allocated"] == c["gwp_allocated"]
    assert len(a["gwp_allocated"]) == 1000


def test_requests_name_their_model(tmp_path):
    log = write_csv(tmp_path / "log.csv", ["input_tokens", "output_tokens", "model"],
                    [[0, 400, "large-2"], [0, 400, ""], [0, 400, "mistral-large-2407"]])
    summary = allocate(log, tmp_path / "out.parquet", model="ministral-8b")
    out = read_parquet(tmp_path / "out.parquet")
    large = model_rates("large-2").marginal[0] * 400
    small = model_rates("ministral-8b").marginal[0] * 400
    assert out["gwp_marginal"] == pytest.approx([large, small, large], rel=1e-12)
    assert summary.requests_by_model == {"large-2": 2, "ministral-8b": 1}


def test_unknown_model_in_the_log_names_its_row(tmp_path):
    log = write_csv(tmp_path / "log.csv", ["input_tokens", "output_tokens", "model"],
                    [[0, 400, "large-2"], [0, 400, "gpt-9"], [0, 1, "sdxl"]])
    with pytest.raises(LogError, match=r"row 3, field 'model': unknown model 'gpt-9'"):
        allocate(log, tmp_path / "out.parquet", model="large-2")


@pytest.mark.parametrize("header, rows, message", [
    (["input_tokens", "output_tokens"], [[1, 2], [3, -4]], "row 3, field 'output_tokens'"),
    (["input_tokens", "output_tokens"], [[1, 2], [3, 4.5]], "row 3, field 'output_tokens'"),
    (["input_tokens", "output_tokens"], [[1, 2], ["x", 4]], "row 3, field 'input_tokens': not a"),
    (["input_tokens", "output_tokens"], [[1, 2], ["", 4]], "row 3, field 'input_tokens': empty"),
    (["prompt", "output_tokens"], [[1, 2]], "row 1, field 'input_tokens': required column"),
    (["input_tokens", "output_tokens"], [], "no requests"),
])
def test_bad_logs_are_refused_with_row_and_field(tmp_path, header, rows, message):
    log = write_csv(tmp_path / "log.csv", header, rows)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"kept")
    with pytest.raises(LogError) as info:
        allocate(log, out, model="large-2")
    assert message in str(info.value)
    assert out.read_bytes() == b"kept"  # nothing already saved is lost
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_bad_arguments(tmp_path):
    log = write_csv(tmp_path / "log.csv", ["input_tokens", "output_tokens"], [[1, 2]])
    with pytest.raises(BadArgument, match="Parquet"):
        allocate(log, tmp_path / "out.csv")
    with pytest.raises(BadArgument, match="per image"):
        allocate(log, tmp_path / "out.parquet", model="sdxl")
    with pytest.raises(BadArgument, match="no such file"):
        allocate(tmp_path / "missing.csv", tmp_path / "out.parquet")


def test_cli_allocate(tmp_path, run_cli):
    log = write_csv(tmp_path / "requests.csv", ["input_tokens", "output_tokens"],
                    [[100, 400], [0, 200]])
    out = tmp_path / "out.parquet"
    data = json.loads(run_cli(["allocate", "--model", "large-2", "--log", str(log), "-o", str(out),
                               "--json"]))
    assert data["requests"] == 2 and data["output_tokens"] == 600
    rows = read_parquet(out)
    assert data["total"]["marginal"]["gwp"] == pytest.approx(sum(rows["gwp_marginal"]))
    table = run_cli(["allocate", "--model", "large-2", "--log", str(log), "-o", str(out)])
    assert "2 requests" in table and "marginal" in table
    err = run_cli(["allocate", "--log", str(tmp_path / "nope.csv"), "-o", str(out)], expect=2)
    assert err.startswith("error:")
