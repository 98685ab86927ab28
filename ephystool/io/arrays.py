"""Build a :class:`Recording` from numpy arrays (simulators, tests, user code with its own reader)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.recording import KINDS, ChannelInfo, EpochInfo, Recording, Tag
from ephystool.errors import UnitsError
from ephystool.io.recording import analog

__all__ = ["recording_from_arrays"]


def recording_from_arrays(
    sweeps: Sequence[np.ndarray],
    sampling_rate_hz: float,
    units: Sequence[str],
    kind: str,
    *,
    channel_names: Sequence[str] | None = None,
    sweep_start_times_s: Sequence[float] | None = None,
    holding: Sequence[Any] | None = None,
    commands: Sequence[np.ndarray | None] | None = None,
    command_units: str | None = None,
    stim_times_s: Sequence[Sequence[float]] | None = None,
    epochs: Sequence[Sequence[EpochInfo]] | None = None,
    tags: Sequence[Tag] = (),
    primary: int = 0,
    name: str = "in-memory",
    metadata: dict[str, Any] | None = None,
) -> Recording:
    """Make a patch-clamp/field :class:`Recording` from arrays.

    Parameters
    ----------
    sweeps : sequence of numpy.ndarray
        One array per sweep, shape (n_samples,) for one channel or (n_channels, n_samples).
        Sweeps may differ in length.
    sampling_rate_hz : float
        Sampling rate.
    units : sequence of str
        Unit of each channel ('pA', 'mV', ...).
    kind : str
        'voltage_clamp', 'current_clamp' or 'field'.
    holding : sequence, optional
        Holding level per sweep as Quantities (or None).
    commands : sequence, optional
        Command waveform per sweep (same length as the sweep) in ``command_units``.

    Returns
    -------
    Recording
    """
    if kind not in KINDS:
        raise UnitsError(f"unknown recording kind '{kind}' (expected one of {', '.join(KINDS)})")
    arrays = [np.atleast_2d(np.asarray(s, dtype=np.float64)) for s in sweeps]
    n_ch = arrays[0].shape[0]
    names = list(channel_names or [f"ch{i}" for i in range(n_ch)])
    starts = np.asarray(
        sweep_start_times_s
        if sweep_start_times_s is not None
        else np.cumsum([0.0] + [a.shape[1] / sampling_rate_hz for a in arrays[:-1]]),
        dtype=float,
    )
    block, cmd_sigs, sha256 = _block(arrays, units, names, sampling_rate_hz, starts, commands, command_units, name)
    hold = tuple(holding) if holding is not None else tuple(None for _ in arrays)
    for h in hold:
        if h is not None and not isinstance(h, pq.Quantity):
            raise UnitsError("holding levels must be quantities (e.g. -70*pq.mV)")
    return Recording(
        path=Path(name),
        sha256=sha256,
        format="arrays",
        kind=kind,
        block=block,
        channels=tuple(ChannelInfo(i, names[i], units[i], float(sampling_rate_hz)) for i in range(n_ch)),
        primary=primary,
        sweep_start_times_s=starts,
        holding=hold,
        commands=tuple(cmd_sigs),
        epochs=tuple(tuple(e) for e in epochs) if epochs is not None else tuple(() for _ in arrays),
        stim_times_s=tuple(tuple(float(x) for x in s) for s in stim_times_s) if stim_times_s is not None else (),
        tags=tuple(tags),
        metadata=dict(metadata or {}),
    )


def _block(arrays: list[np.ndarray], units: Sequence[str], names: list[str], sampling_rate_hz: float,
           starts: np.ndarray, commands: Sequence[np.ndarray | None] | None, command_units: str | None,
           name: str) -> tuple[Any, list[Any], str]:
    """The neo Block (one Segment per sweep), the command signal per sweep (or None) and the SHA-256 of
    the samples."""
    import neo

    n_ch = arrays[0].shape[0]
    block = neo.Block(name=name)
    cmd_sigs: list[Any] = []
    digest = hashlib.sha256()
    for k, arr in enumerate(arrays):
        seg = neo.Segment(index=k)
        for c in range(n_ch):
            seg.analogsignals.append(analog(arr[c], units[c], sampling_rate_hz, float(starts[k]), names[c]))
        block.segments.append(seg)
        digest.update(np.ascontiguousarray(arr).tobytes())
        cmd = None if commands is None else commands[k]
        cmd_sigs.append(
            None if cmd is None else analog(cmd, command_units or "mV", sampling_rate_hz, float(starts[k]), "command")
        )
    return block, cmd_sigs, digest.hexdigest()
