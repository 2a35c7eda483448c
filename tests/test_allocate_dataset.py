"""`lca allocate` at scale: a folder or glob of Parquet logs, in one process or on a Dask
LocalCluster, gives the same numbers to the last bit as one file streamed alone; reasoning
and cached input tokens weigh as the inventory says, checked by hand."""

from __future__ import annotations

import csv
import json
import struct

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import cli

from lca.allocate import LogError, allocate
from lca.allocate_dataset import allocate_dataset
from lca.errors import BadArgument, OutputExists

ROWS, FILES, CHUNK = 30_000, 3, 2_500
MODELS = ["large-2", "llama-3.1-8b", ""]  # "" : the default model (--model)


def table(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({
        "timestamp": pa.array(np.arange(rows, dtype=np.int64) * 7),
        "model": pa.array([MODELS[i] for i in rng.integers(0, 3, rows)]),
        "input_tokens": pa.array(rng.integers(0, 20_000, rows)),
        "output_tokens": pa.array(rng.integers(1, 2_000, rows)),
        "reasoning_tokens": pa.array(rng.integers(0, 5_000, rows)),
        "cached_input_tokens": pa.array(rng.integers(0, 10_000, rows)),
    })


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """The same requests as one file and as three files of 10,000 rows."""
    folder = tmp_path_factory.mktemp("logs")
    whole = table(ROWS, 1)
    pq.write_table(whole, folder / "all.parquet")
    parts = folder / "parts"
    parts.mkdir()
    for i in range(FILES):
        pq.write_table(whole.slice(i * ROWS // FILES, ROWS // FILES), parts / f"day-{i}.parquet")
    return folder


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=40) as c, Client(c) as client:
        yield c, client


def bits(summary) -> dict:
    """The summary's totals as the bytes of their floats (equal means equal to the last bit)."""
    return {b: {i: struct.pack("<d", v).hex() for i, v in by.items()}
            for b, by in summary.totals.items()}


@pytest.fixture(scope="module")
def single(logs, tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "out.parquet"
    return allocate(logs / "all.parquet", out, "large-2", 18, CHUNK), pq.read_table(out)


def test_one_process_and_a_cluster_give_the_same_bits(logs, single, cluster, tmp_path):
    """The folder in one process, the glob on a LocalCluster, and the file streamed alone (its
    chunks at the same rows): the same summary totals, bit for bit, and the same rows."""
    reference, rows = single
    here = allocate_dataset(logs / "parts", tmp_path / "here", "large-2", 18, CHUNK)
    _, client = cluster
    there = allocate_dataset(str(logs / "parts" / "day-*.parquet"), tmp_path / "there",
                             "large-2", 18, CHUNK, client=client)
    assert bits(here) == bits(there) == bits(reference)
    for s in (here, there):
        assert s.requests == reference.requests == ROWS
        assert s.requests_by_model == reference.requests_by_model
        assert (s.input_tokens, s.output_tokens, s.reasoning_tokens, s.cached_input_tokens) == (
            reference.input_tokens, reference.output_tokens, reference.reasoning_tokens,
            reference.cached_input_tokens)
    for folder in (tmp_path / "here", tmp_path / "there"):
        parts = sorted(folder.glob("part-*.parquet"))
        assert len(parts) == FILES
        dataset = pa.concat_tables([pq.read_table(p) for p in parts])
        assert dataset.column_names == rows.column_names
        for name in rows.column_names:
            assert dataset.column(name).equals(rows.column(name)), name


def test_reasoning_and_cached_tokens_by_hand_with_the_defaults(tmp_path, large2):
    """large-2 has no weights: a reasoning token weighs 1 (generated like an output token), a
    cached input token 0; its card counts neither, so its rate is per output token."""
    log = tmp_path / "log.parquet"
    pq.write_table(pa.table({"input_tokens": [0, 0], "output_tokens": [400, 400],
                             "reasoning_tokens": [100, 0],
                             "cached_input_tokens": [1000, 0]}), log)
    allocate(log, tmp_path / "out.parquet", "large-2", 18)
    out = pq.read_table(tmp_path / "out.parquet").to_pydict()
    marginal = large2.per_response.loc["marginal", "gwp"]
    assert out["gwp_marginal"][0] == pytest.approx(marginal * 500 / 400, rel=1e-12)
    assert out["gwp_marginal"][1] == pytest.approx(marginal, rel=1e-12)
    assert out["reasoning_tokens"] == [100, 0] and out["cached_input_tokens"] == [1000, 0]


def add_parameter(inventory, name, value):
    path = inventory / "parameters.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows.append({**dict.fromkeys(rows[0], ""), "name": name, "value": value,
                 "kind": "assumed", "source": "test"})
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_weights_and_served_kinds_from_the_inventory_by_hand(large2_copy, tmp_path, large2):
    """With reasoning_token_weight 0.5 and cached_input_token_weight 0.1, and a card serving
    a quarter as many reasoning tokens as output tokens (and no cached ones), the marginal
    total is shared over 1.125 x the output tokens served."""
    add_parameter(large2_copy, "reasoning_token_weight", "0.5")
    add_parameter(large2_copy, "cached_input_token_weight", "0.1")
    card = large2_copy / "model.toml"
    text = card.read_text(encoding="utf-8").replace(
        'served_output_tokens = "output_tokens_per_month * months"',
        'served_output_tokens = "output_tokens_per_month * months"\n'
        'served_reasoning_tokens = "0.25 * output_tokens_per_month * months"')
    card.write_text(text, encoding="utf-8")
    log = tmp_path / "log.parquet"
    pq.write_table(pa.table({"prompt_tokens": [0], "completion_tokens": [400],
                             "reasoning_tokens": [200], "cached_tokens": [1000]}), log)
    summary = allocate(log, tmp_path / "out.parquet", None, 18, inventory=large2_copy)
    out = pq.read_table(tmp_path / "out.parquet").to_pydict()
    served = large2.served_output_tokens
    rate = large2.per_response.loc["marginal", "gwp"] * large2.responses / (1.125 * served)
    assert out["gwp_marginal"][0] == pytest.approx(rate * (400 + 0.5 * 200 + 0.1 * 1000),
                                                   rel=1e-9)
    weights = summary.to_dict()["rates_per_output_token_equivalent"]["large-2"]
    assert weights["reasoning_token_weight"] == 0.5
    assert weights["cached_input_token_weight"] == 0.1


def test_an_unknown_model_names_its_file_and_row(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    pq.write_table(table(10, 2), folder / "a.parquet")
    bad = table(10, 3).to_pydict()
    bad["model"][6] = "no-such-model"
    pq.write_table(pa.table(bad), folder / "b.parquet")
    with pytest.raises(LogError) as caught:
        allocate_dataset(folder, tmp_path / "out", "large-2", 18)
    assert "b.parquet, row 7, field 'model'" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_outputs_and_inputs_refused(logs, tmp_path):
    out = tmp_path / "out"
    allocate_dataset(logs / "parts", out, "large-2", 18, CHUNK)
    with pytest.raises(OutputExists):
        allocate_dataset(logs / "parts", out, "large-2", 18, CHUNK)
    allocate_dataset(logs / "parts", out, "large-2", 18, CHUNK, force=True)
    assert len(list(out.glob("part-*.parquet"))) == FILES
    assert not list(tmp_path.glob(".out.*"))  # no temporary folder left
    with pytest.raises(BadArgument, match="no Parquet file"):
        allocate_dataset(tmp_path / "empty-*.parquet", tmp_path / "o2", "large-2", 18)


def test_cli_folder_on_a_local_cluster(logs, tmp_path):
    done = cli("allocate", "--log", logs / "parts", "-o", tmp_path / "out", "--scheduler",
               "dask", "--json", "--chunk-rows", CHUNK)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["requests"] == ROWS and data["reasoning_tokens"] > 0
    done = cli("allocate", "--log", logs / "parts", "-o", tmp_path / "out")
    assert done.returncode == 2 and "--force" in done.stderr
