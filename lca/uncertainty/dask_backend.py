"""The same chunks on dask.distributed: a LocalCluster bound to 127.0.0.1, or a user's
scheduler at ``tcp://HOST:PORT``.

Each chunk's generator comes from the seed and the chunk's index (see
:func:`lca.uncertainty.montecarlo.chunk_generator`), and results are put back in chunk
order, so a run gives the same numbers here as in one process.
"""

from __future__ import annotations

import contextlib

from lca.errors import BadArgument, LCAError


class SchedulerError(LCAError):
    """The Dask scheduler cannot be reached or started."""


def check_scheduler(scheduler: str) -> str:
    if scheduler == "dask" or scheduler.startswith("tcp://"):
        return scheduler
    raise BadArgument(f"--scheduler must be 'dask' (a local cluster) or tcp://HOST:PORT "
                      f"(got {scheduler!r})")


@contextlib.contextmanager
def client_for(scheduler: str, workers: int = 2):
    """A Dask client: a private LocalCluster on loopback, or a connection to ``scheduler``."""
    check_scheduler(scheduler)
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a dependency
        raise SchedulerError("dask.distributed is not installed: pip install 'dask[distributed]'") \
            from None
    if scheduler == "dask":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=40)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout=3)
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    try:
        yield client
    finally:
        client.close()


def run_chunks(task, compiled, distributions, seed: int, sizes: list[int], scheduler: str,
               client=None):
    """Yield (chunk index, ``task(compiled, distributions, seed, index, n)``) as chunks
    finish; the caller puts them in order. ``task`` is a module-level function."""
    from dask.distributed import as_completed

    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(client_for(scheduler))
        model = client.scatter(compiled, broadcast=True)
        dists = client.scatter([distributions], broadcast=True)[0]
        futures = [client.submit(task, model, dists, seed, i, n, pure=False)
                   for i, n in enumerate(sizes)]
        order = {f.key: i for i, f in enumerate(futures)}
        for future, block in as_completed(futures, with_results=True):
            yield order[future.key], block
            future.release()


def map_blocks(function, items: list, scheduler: str, client=None) -> list:
    """``[function(item) for item in items]`` on Dask, in order (scenario sweeps)."""
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(client_for(scheduler))
        futures = client.map(function, items, pure=False)
        return client.gather(futures)
