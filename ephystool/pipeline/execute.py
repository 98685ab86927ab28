"""Where tasks run: in-process, a local process pool (default) or a Dask distributed cluster.

The same :func:`~ephystool.pipeline.tasks.run_task` function runs everywhere; results are
collected as they finish (for the progress bar) and re-ordered by task index, so outputs do not
depend on the executor or the number of workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from ephystool.errors import EphysError, MissingDependencyError
from ephystool.pipeline.tasks import Task, TaskOutput, run_task

__all__ = ["SchedulerError", "default_jobs", "execute"]


class SchedulerError(EphysError, OSError):
    """The Dask scheduler given with ``--scheduler`` cannot be reached (a usage error: exit status 2)."""


def default_jobs() -> int:
    """Number of usable cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS/Windows
        return max(1, os.cpu_count() or 1)


def _serial(tasks: Sequence[Task]) -> Iterator[TaskOutput]:
    for t in tasks:
        yield run_task(t)


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit when the batch process is gone (SIGKILL leaves no one to stop the pool)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="ephystool-parent-watch").start()


@contextlib.contextmanager
def _main_not_reimported() -> Iterator[None]:
    """While workers start, hide the main script from ``spawn``: a worker re-imports ``__main__`` otherwise,
    and a plain script that calls :func:`~ephystool.pipeline.run_analysis` at top level (no
    ``if __name__ == "__main__":`` guard, as in the README) would start a pool inside every worker
    (``BrokenProcessPool``). Workers run only ephystool's own functions, so they never need the script."""
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if main is not None and hasattr(main, k)}
    try:
        for k in saved:
            if k == "__file__":
                delattr(main, k)
            else:
                setattr(main, k, None)
        yield
    finally:
        for k, v in saved.items():
            setattr(main, k, v)


def _pool(tasks: Sequence[Task], jobs: int) -> Iterator[TaskOutput]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed  # multiprocessing: only for a pool

    ctx = mp.get_context("spawn")  # no fork: safe with HDF5 and threads
    ex = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_watch_parent, initargs=(os.getpid(),))
    finished = False
    try:
        with _main_not_reimported():  # workers start on submit (spawn starts them on demand)
            futures = [ex.submit(run_task, t) for t in tasks]
        for f in as_completed(futures):
            yield f.result()
        finished = True
    finally:
        # interrupted (Ctrl-C, an error): drop the queued tasks instead of running them all first
        ex.shutdown(wait=True, cancel_futures=not finished)


def _dask(tasks: Sequence[Task], address: str, jobs: int) -> Iterator[TaskOutput]:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:
        raise MissingDependencyError("--scheduler needs Dask: pip install 'ephystool[dask]'") from exc
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(address)
        except OSError as exc:
            raise SchedulerError(f"cannot reach the Dask scheduler ({exc}); check the address "
                                 "(tcp://host:8786) or use --scheduler local", address) from exc
    try:
        futures = client.map(run_task, list(tasks), pure=False)
        for f in dask_completed(futures):
            yield f.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _spread(tasks: Sequence[Task], n: int) -> list[Task]:
    """Fewer tasks than cores: the spare cores become threads, all of them (3 tasks on 4 cores: 2, 1, 1)."""
    k = len(tasks)
    if k >= n:
        return list(tasks)
    return [dataclasses.replace(t, threads=n // k + (1 if i < n % k else 0)) for i, t in enumerate(tasks)]


def execute(tasks: Sequence[Task], jobs: int | None = None, scheduler: str | None = None,
            on_done: Callable[[TaskOutput], None] | None = None) -> list[TaskOutput]:
    """Run ``tasks`` and return their outputs ordered by task index.

    Parameters
    ----------
    jobs : int, optional
        Worker processes (default: all cores; 1 runs in-process). Where there are fewer tasks than
        ``jobs`` the spare cores are given to the tasks as threads (``Task.threads``), so that one long
        MEA recording is detected on every core.
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``) or ``'local'`` for a LocalCluster.
    on_done : callable, optional
        Called with each output as it finishes (progress reporting, caching).
    """
    n = jobs or default_jobs()
    if scheduler:  # Dask too: a plate of a few long files uses every core (give --jobs the cluster's cores)
        it: Iterator[TaskOutput] = _dask(_spread(tasks, n), scheduler, n)
    elif n <= 1 or len(tasks) <= 1:
        it = _serial([dataclasses.replace(t, threads=n) for t in tasks])  # one task: all cores as threads
    else:
        it = _pool(_spread(tasks, n), min(n, len(tasks)))
    outs: list[TaskOutput] = []
    for out in it:
        if on_done is not None:
            on_done(out)
        outs.append(out)
    return sorted(outs, key=lambda o: o.index)
