"""The same Monte Carlo and sweep on dask.distributed, on a LocalCluster bound to loopback:
the same seed gives bit-identical results in one process and on the cluster."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from lca.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=40) as c:
        assert c.scheduler_address.startswith("tcp://127.0.0.1:")
        yield c


def test_same_seed_same_samples_on_a_user_cluster(cluster):
    from lca.uncertainty import monte_carlo

    local = monte_carlo("large-2", 18, 45_000, seed=9, keep_samples=True)
    remote = monte_carlo("large-2", 18, 45_000, seed=9, scheduler=cluster.scheduler_address,
                         keep_samples=True)
    assert remote.scheduler == cluster.scheduler_address
    assert np.array_equal(local.samples, remote.samples)  # three chunks, put back in order
    assert local.indicators == remote.indicators


def test_cli_scheduler_address_and_sweep(cluster):
    """``lca uncertainty --scheduler tcp://HOST:PORT`` and ``lca compare --scheduler``."""
    args = ["uncertainty", "--iterations", "30000", "--seed", "2", "--format", "json"]
    here = json.loads(runner.invoke(app, args).stdout)
    there = runner.invoke(app, [*args, "--scheduler", cluster.scheduler_address])
    assert there.exit_code == 0, there.output
    assert json.loads(there.stdout)["indicators"] == here["indicators"]
    sweep = ["compare", "--mix", "fr,se", "--months", "6,36", "--format", "json"]
    local = json.loads(runner.invoke(app, sweep).stdout)
    remote = runner.invoke(app, [*sweep, "--scheduler", cluster.scheduler_address])
    assert remote.exit_code == 0, remote.output
    assert json.loads(remote.stdout) == local


def test_default_local_cluster_on_loopback():
    """``--scheduler dask`` starts a LocalCluster on 127.0.0.1 for the run."""
    from lca.uncertainty import monte_carlo

    local = monte_carlo("large-2", 18, 20_000, seed=3, keep_samples=True)
    on_dask = monte_carlo("large-2", 18, 20_000, seed=3, scheduler="dask", keep_samples=True)
    assert np.array_equal(local.samples, on_dask.samples)


def test_unreachable_scheduler_is_a_clear_error():
    result = runner.invoke(app, ["uncertainty", "--iterations", "100", "--scheduler",
                                 "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "cannot reach the Dask scheduler" in result.output
