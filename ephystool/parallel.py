"""How many threads one analysis may use: set by the batch runner, read by the analyzers.

The batch runs one task per worker process; where there are fewer tasks than cores (one long MEA file
with ``--jobs 2``), the spare cores go to the task as threads. Analyzers that can split their work
(``analysis.spikes.detect_spikes``) ask :func:`threads`; everything else ignores it. A context variable,
so concurrent tasks in one process (Dask threads) do not see each other's setting.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

__all__ = ["threads", "use_threads"]

_THREADS: contextvars.ContextVar[int] = contextvars.ContextVar("ephystool_threads", default=1)


def threads() -> int:
    """Threads the current analysis may use (default 1)."""
    return _THREADS.get()


@contextlib.contextmanager
def use_threads(n: int) -> Iterator[None]:
    """Let analyses run inside this block use ``n`` threads (at least 1)."""
    token = _THREADS.set(max(1, int(n)))
    try:
        yield
    finally:
        _THREADS.reset(token)
