"""Shared loader plumbing: file checks, hashing, magic-byte sniffing, unit conversion.

Every loader opens files read-only and never writes next to them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import quantities as pq

from ephystool.errors import CorruptFileError, LoadError

__all__ = ["check_readable", "sha256_file", "file_identity", "head_bytes", "HDF5_MAGIC", "to_canonical", "is_current",
           "is_voltage", "captured_logs"]

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def check_readable(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a Path after checking that it is an existing, non-empty, regular file.

    Raises
    ------
    LoadError
        If the path does not exist or is a directory.
    CorruptFileError
        If the file is empty.
    """
    p = Path(path)
    if not p.exists():
        raise LoadError("file does not exist; check the path (relative paths are relative to the manifest)", p)
    if p.is_dir():
        raise LoadError("is a directory, not a recording file; give one file (or use 'ephystool manifest init DIR')", p)
    if p.stat().st_size == 0:
        raise CorruptFileError("file is empty (0 bytes); re-export or re-copy it from the acquisition computer", p)
    return p


def sha256_file(path: Path, block: int = 1 << 20, stop: threading.Event | None = None) -> str | None:
    """SHA-256 of a file's bytes, read in blocks into one buffer (read-only); of a folder, its files' names and
    hashes. None if ``stop`` is set before the end (a background hash nobody needs any more).

    Not remembered between calls: a recording computes it once (``Recording.sha256``), a batch may start it
    early (:mod:`ephystool.io.prehash`), and the result cache keys on :func:`file_identity` instead, so that a
    large file is not read before its analysis.
    """
    if Path(path).is_dir():  # a recording folder (Open Ephys): its files' names and bytes, in name order
        h = hashlib.sha256()
        for f in sorted(q for q in Path(path).rglob("*") if q.is_file()):
            part = sha256_file(f, block, stop)
            if part is None:
                return None
            h.update(f.relative_to(path).as_posix().encode() + b"\0" + part.encode())
        return h.hexdigest()
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        mapped = _mapped(fh) if stop is not None else None
        if mapped is not None:
            with mapped, memoryview(mapped) as view:
                for a in range(0, len(view), MAP_SLICE):
                    with view[a : a + MAP_SLICE] as part:
                        h.update(part)  # the GIL is dropped for the whole slice
                    _release_pages(mapped, a, min(len(view), a + MAP_SLICE))
                    if stop.is_set():
                        return None
            return h.hexdigest()
        buf = memoryview(bytearray(block))
        while n := fh.readinto(buf):
            h.update(buf[:n])
            if stop is not None and stop.is_set():
                return None
    return h.hexdigest()


#: Bytes hashed per ``update`` by a background hash (32 MiB, ~20 ms of SHA-256).
MAP_SLICE = 1 << 25


def _mapped(fh: Any) -> Any:
    """The open file mapped read-only, for a hash in a background thread; None for a file under two slices or
    where it cannot be mapped (then it is read block by block).

    Why: a thread asking for the GIL back waits up to a switch interval (5 ms) while another thread runs Python,
    and a read-and-update loop asks twice per block (1 MiB, ~0.7 ms of work): beside the main thread's imports
    a background hash ran at ~40 % of its core. Hashing a mapped file slice by slice asks once per 32 MiB
    (~20 ms of work), for ~15 % more CPU (page faults instead of copies into a cached buffer), so it is used
    only off the main thread (``stop`` given). A file truncated by another program while it is mapped ends the
    process (SIGBUS), as it does for the detector's mapped reads of the same file (``io._h5_direct``)."""
    import mmap

    try:
        if os.fstat(fh.fileno()).st_size < 2 * MAP_SLICE:
            return None
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None


def _release_pages(mapped: Any, a: int, b: int) -> None:
    """Hashed pages leave this process's resident set (``MADV_DONTNEED``; they stay in the page cache), so the
    hash adds one slice to the peak memory, not the file's size."""
    import mmap

    advise, flag = getattr(mapped, "madvise", None), getattr(mmap, "MADV_DONTNEED", None)
    if advise is not None and flag is not None and b > a:
        with contextlib.suppress(OSError):
            advise(flag, a, b - a)


#: Bytes hashed at each end of a file by :func:`file_identity`.
IDENTITY_BYTES = 1 << 20


def file_identity(path: Path) -> str:
    """A cheap identity of a file's current content, for the result cache: its resolved path, inode, size,
    modification and status-change times (ns) and the SHA-256 of its first and last MiB.

    Any write to the file changes its status-change time (``st_ctime_ns``, which ``touch`` cannot set back),
    and a change of size or of either end changes the digest even where a file system keeps coarse times;
    a copied, moved or re-written file is recomputed rather than served a stale result. For a folder
    (Open Ephys), the identities of its files by relative name. The provenance hash stays the full SHA-256
    (:func:`sha256_file`).
    """
    p = Path(path)
    if p.is_dir():
        h = hashlib.sha256()
        for f in sorted(q for q in p.rglob("*") if q.is_file()):
            h.update(f.relative_to(p).as_posix().encode() + b"\0" + file_identity(f).encode())
        return h.hexdigest()
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        st = os.fstat(fh.fileno())
        h.update(f"{p.resolve()}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0".encode())
        h.update(fh.read(IDENTITY_BYTES))
        if st.st_size > IDENTITY_BYTES:
            fh.seek(max(IDENTITY_BYTES, st.st_size - IDENTITY_BYTES))
            h.update(fh.read(IDENTITY_BYTES))
    return h.hexdigest()


@contextlib.contextmanager
def captured_logs(*names: str) -> Iterator[list[str]]:
    """Collect the WARNING+ log messages of library loggers (e.g. ``'neo'``) instead of printing them.

    A reader's complaint about a file belongs to that file: the messages are returned for the
    recording's ``warnings`` (``ephystool info`` shows them) rather than written to a user's terminal
    from inside a batch, out of context.
    """
    messages: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(f"{record.name.split('.')[0]}: {record.getMessage()}")

    handler = _Keep(logging.WARNING)
    saved = []
    for name in names:
        lg = logging.getLogger(name)
        saved.append((lg, lg.propagate))
        lg.addHandler(handler)
        lg.propagate = False
    try:
        yield messages
    finally:
        for lg, prop in saved:
            lg.removeHandler(handler)
            lg.propagate = prop


def head_bytes(path: Path, n: int = 16) -> bytes:
    """The first ``n`` bytes of a file (for format sniffing)."""
    with open(path, "rb") as fh:
        return fh.read(n)


_CURRENT = {"A", "mA", "uA", "nA", "pA", "fA"}
_VOLTAGE = {"V", "mV", "uV", "µV", "kV"}


def _norm_unit(u: str) -> str:
    """A unit string's canonical name from the closed table (:mod:`ephystool.io.unitnames`), else the text."""
    from ephystool.io.unitnames import clean_unit_text, lookup_unit

    return lookup_unit(u) or clean_unit_text(u)


def is_current(unit: str) -> bool:
    """True if the unit string is an electric current."""
    return _norm_unit(unit) in _CURRENT


def is_voltage(unit: str) -> bool:
    """True if the unit string is an electric potential."""
    return _norm_unit(unit) in {x.replace("µ", "u") for x in _VOLTAGE}


def to_canonical(signal: Any, path: Path | None = None) -> Any:
    """Rescale a ``neo.AnalogSignal`` to the canonical unit of its dimension (pA or mV).

    Signals with other units (e.g. a light-stimulus monitor in V named as such) keep theirs
    unless they are voltages, which become mV.
    """
    unit = _norm_unit(signal.dimensionality.string)
    try:
        if is_current(unit):
            return signal.rescale(pq.pA)
        if is_voltage(unit):
            return signal.rescale(pq.mV)
    except ValueError as exc:  # pragma: no cover - defensive
        raise CorruptFileError(f"cannot convert channel units '{unit}': {exc}", path) from exc
    return signal
