"""The io side of :class:`~ephystool.core.recording.Recording`: building one from a file.

The data model (:class:`Recording`, channels, tags, epochs, electrodes, MEA chunks) lives in
:mod:`ephystool.core.recording`, shared by io, analysis and pipeline, and is re-exported here. What only
a loader needs stays in io: :func:`analog`, the one constructor of signals from a file's samples (unit
strings checked against io's unit table), and :func:`deferred_sha256`, the lazy, cached file hash a
loader hands to the Recording.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.recording import (
    KINDS,
    ChannelInfo,
    Chunk,
    Electrode,
    EpochInfo,
    MEASource,
    Recording,
    Tag,
    iter_chunks,
)
from ephystool.errors import UnitsError

__all__ = ["KINDS", "ChannelInfo", "Tag", "EpochInfo", "Electrode", "Chunk", "MEASource", "Recording",
           "iter_chunks", "analog", "deferred_sha256"]


def deferred_sha256(path: str | os.PathLike[str]) -> Callable[[], str]:
    """A function returning the SHA-256 of ``path`` (a file or a recording folder), for ``Recording.sha256``.

    The file is read only when the hash is first asked for (provenance; the batch cache keys on the cheap
    :func:`ephystool.io.base.file_identity`), through :func:`ephystool.io.base.sha256_file`, once per
    recording (the value is kept on the Recording, not in a module-level memo), or taken from a hash the batch
    started early on the same, unchanged file (:mod:`ephystool.io.prehash`).
    """
    from ephystool.io.prehash import sha256_prehashed

    return functools.partial(sha256_prehashed, Path(path))


def analog(data: np.ndarray, units: str, rate_hz: float, t_start_s: float = 0.0, name: str = "") -> Any:
    """Build a ``neo.AnalogSignal`` (samples x 1) from a 1-D array: the one constructor used everywhere.

    ``units`` must be a canonical name of :data:`ephystool.io.unitnames.CANONICAL` (map a file's unit
    string with :func:`~ephystool.io.unitnames.file_unit` first): ``quantities`` evaluates unit strings,
    so nothing else may reach it.
    """
    import neo

    from ephystool.io.unitnames import CANONICAL

    if units not in CANONICAL:
        raise UnitsError(f"unit {ascii(str(units)[:16])} is not in ephystool's unit table; map it with file_unit() first")
    arr = np.asarray(data, dtype=np.float64).reshape(-1, 1)
    return neo.AnalogSignal(arr, units=units, sampling_rate=rate_hz * pq.Hz, t_start=t_start_s * pq.s, name=name)
