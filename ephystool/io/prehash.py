"""Provenance hashes started early: the batch runner asks for a file's SHA-256 as soon as the manifest names it,
so that a spare core hashes while the rest of the command starts (imports, protocol, cache lookup) and the
analysis runs; the recording's :func:`~ephystool.io.recording.deferred_sha256` then takes the finished value.

A started hash is used once and only for the file as it was when the hash started (same resolved path, inode,
size, modification and status-change times): a file rewritten meanwhile is hashed again. hashlib releases the
GIL on large updates, so the hashing thread runs beside numpy's and scipy's work on another core.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from pathlib import Path

from ephystool.io import base

__all__ = ["start_hashes", "stop_hashes", "sha256_prehashed"]

_LOCK = threading.Lock()
_STARTED: dict[tuple[str, int, int, int, int], tuple[Future[str | None], threading.Event]] = {}


def _key(path: Path) -> tuple[str, int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return str(Path(path).resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _hash(path: Path, stop: threading.Event, future: Future[str | None]) -> None:
    try:
        future.set_result(None if stop.is_set() else base.sha256_file(path, stop=stop))
    except BaseException as exc:  # noqa: BLE001 - handed to whoever asks (a file gone meanwhile)
        future.set_exception(exc)


def start_hashes(paths: list[Path]) -> None:
    """Hash these files (regular files only) in one background thread, in order, for :func:`sha256_prehashed`."""
    jobs = []
    with _LOCK:
        for p in paths:
            key = _key(p)
            if key is None or key in _STARTED or not Path(p).is_file():
                continue
            job = (Future(), threading.Event())
            _STARTED[key] = job
            jobs.append((Path(p), *job))
    if jobs:
        def run() -> None:
            for p, future, stop in jobs:
                _hash(p, stop, future)

        threading.Thread(target=run, name="ephystool-prehash", daemon=True).start()


def stop_hashes() -> None:
    """Stop and forget the hashes nobody took (the batch is over, or its results came from the cache)."""
    with _LOCK:
        jobs = list(_STARTED.values())
        _STARTED.clear()
    for _, stop in jobs:
        stop.set()


def sha256_prehashed(path: Path) -> str:
    """The file's SHA-256: from a hash started by :func:`start_hashes` on this very file (waiting for it to end),
    else computed now."""
    key = _key(path)
    with _LOCK:
        job = _STARTED.pop(key, None) if key is not None else None
    if job is not None:
        value = job[0].result()
        if value is not None and _key(path) == key:
            return value
    return base.sha256_file(path)  # type: ignore[return-value]  # str without a stop
