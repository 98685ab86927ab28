"""The :class:`Recording`: one file's signals (a ``neo.Block``) plus the metadata analyzers need.

The data model shared by every layer (io builds it, analysis and pipeline read it); it reads no file
and imports nothing from ``io``: the constructors for signals from files (:func:`ephystool.io.recording.analog`)
and the lazy file hash live in io.

A Recording is built once, at the I/O boundary, with every signal already in physical
units (pA, mV, ...). Analyzers only read it. Patch-clamp recordings hold their sweeps in
memory (``block.segments``); MEA recordings hold a lazy :class:`MEASource` that yields
chunks, so a long multi-electrode file is never loaded whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ephystool.errors import AnalysisError

__all__ = [
    "KINDS",
    "ChannelInfo",
    "Tag",
    "EpochInfo",
    "Electrode",
    "Chunk",
    "MEASource",
    "Recording",
]

#: Recording kinds.
KINDS = ("voltage_clamp", "current_clamp", "field", "mea")


@dataclass(frozen=True)
class ChannelInfo:
    """One recorded channel: ``index`` into each segment's ``analogsignals``, name, unit string, rate."""

    index: int
    name: str
    units: str
    sampling_rate_hz: float
    role: str = "signal"  # "signal" (measured), "command_copy", "stimulus", "aux"


@dataclass(frozen=True)
class Tag:
    """A comment tag: time from the start of acquisition (same clock as sweep start times)."""

    time_s: float
    text: str
    sweep: int | None = None


@dataclass(frozen=True)
class EpochInfo:
    """A protocol epoch of one sweep (times relative to the sweep's first sample).

    ``level`` is the command level in the command units (mV in voltage clamp, pA in current clamp);
    ``kind`` is 'step', 'ramp', 'pulse', 'train' or 'off'.
    """

    start_s: float
    end_s: float
    level: float
    units: str
    kind: str = "step"
    digital: int = 0


@dataclass(frozen=True)
class Electrode:
    """An MEA electrode: label as the vendor names it, position in µm, and the well it belongs to."""

    label: str
    x_um: float = float("nan")
    y_um: float = float("nan")
    well: str = ""


@dataclass(frozen=True)
class Chunk:
    """A block of MEA samples in physical units (µV), shape (n_samples, n_channels), float32.

    ``data[margin_before : len(data) - margin_after]`` is the core part; margins are samples
    borrowed from the neighbouring chunks so that filters have no edge artifacts.
    """

    data: np.ndarray
    start_sample: int
    margin_before: int
    margin_after: int
    sampling_rate_hz: float

    @property
    def core(self) -> np.ndarray:
        """The samples this chunk owns (without the margins)."""
        return self.data[self.margin_before : self.data.shape[0] - self.margin_after]


class MEASource(Protocol):
    """Chunked, read-only access to a multi-electrode recording (physical units: µV)."""

    n_channels: int
    n_samples: int
    sampling_rate_hz: float
    electrodes: Sequence[Electrode]

    def get_traces(self, start: int, stop: int, channels: Sequence[int] | None = None) -> np.ndarray:
        """Samples ``start:stop`` as float32 µV, shape (stop - start, n_channels)."""
        ...


def iter_chunks(source: MEASource, seconds: float = 10.0, margin_s: float = 0.05) -> Iterator[Chunk]:
    """Yield consecutive chunks of ``seconds`` with ``margin_s`` of neighbouring samples on each side.

    Memory is bounded by one chunk whatever the recording length (the SpikeInterface
    ``get_chunk_with_margin`` pattern).
    """
    step = max(1, int(round(seconds * source.sampling_rate_hz)))
    margin = int(round(margin_s * source.sampling_rate_hz))
    n = source.n_samples
    for start in range(0, n, step):
        stop = min(n, start + step)
        lo, hi = max(0, start - margin), min(n, stop + margin)
        data = source.get_traces(lo, hi)
        yield Chunk(data, start, start - lo, hi - stop, source.sampling_rate_hz)


class _FileHash:
    """``Recording.sha256``: the hash given by the loader, or a function computing it on first access.

    Hashing a multi-gigabyte MEA file costs as much as analysing it, and most uses of a recording never
    need the hash, so loaders pass a function (:func:`ephystool.io.recording.deferred_sha256`: io's cached
    file hash) and the hash is computed (once) when provenance asks for it. The core never reads files.
    A data descriptor without a class-level default, so the dataclass field stays required.
    """

    @staticmethod
    def slot_of(name: str) -> str:
        """Where the value of field ``name`` is kept in the instance ``__dict__``."""
        return f"_{name}_value"

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = self.slot_of(name)

    def __get__(self, obj: Any, owner: type | None = None) -> str:
        if obj is None:
            raise AttributeError("sha256 is an instance attribute")
        value = obj.__dict__[self.slot]
        if callable(value):
            value = value()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: Any, value: str | Callable[[], str]) -> None:
        if not isinstance(value, str) and not callable(value):
            raise TypeError(f"Recording.sha256 takes the hash (str) or a function computing it, not "
                            f"{type(value).__name__}: a loader passes ephystool.io.recording.deferred_sha256(path)")
        obj.__dict__[self.slot] = value


class _LazyBlock(_FileHash):
    """``Recording.block``: the ``neo.Block``, or a function building it on first access.

    An MEA file read through h5py holds no sweeps: its Block (empty, for spike trains) is made when first asked
    for, so that reading samples starts without importing neo (~60 ms). Same storage as :class:`_FileHash`.
    """

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            raise AttributeError("block is an instance attribute")
        return super().__get__(obj, owner)

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


@dataclass(frozen=True)
class Recording:
    """One recording file, read and converted to physical units.

    Attributes
    ----------
    path : Path
        Source file (opened read-only).
    sha256 : str
        SHA-256 of the file's bytes (for provenance and caching). Loaders pass a function computing it
        (:func:`ephystool.io.recording.deferred_sha256`): the file is then hashed on first access, so
        loading and analysing never pay for it unless it is asked for.
    format : str
        Reader name, e.g. ``'abf2'``, ``'abf1'``, ``'nwb'``, ``'axograph'``, ``'mcs_h5'``, ``'binary'``.
    kind : str
        One of :data:`KINDS`.
    block : neo.Block
        Sweeps as segments (patch clamp). For MEA the block holds spike trains only (if any);
        raw samples come from :attr:`mea`. A loader may pass a function building it (made on first access).
    channels : tuple of ChannelInfo
        Channels in the order of each segment's ``analogsignals``.
    primary : int
        Index of the measured channel for this kind (membrane current in voltage clamp,
        membrane potential in current clamp, field potential in field recordings).
    sweep_start_times_s : numpy.ndarray
        Episode start times recorded in the file (acquisition clock), one per sweep.
    holding : tuple
        Holding level per sweep as a Quantity (mV in voltage clamp, pA in current clamp) or None.
    commands : tuple
        Command waveform per sweep as ``neo.AnalogSignal`` or None.
    epochs : tuple
        Protocol epochs per sweep (tuple of :class:`EpochInfo`), empty when unknown.
    stim_times_s : tuple
        Stimulus times per sweep relative to the sweep start (from digital outputs or epochs), may be empty.
    tags : tuple of Tag
        Comment tags with their text and time.
    electrodes : tuple of Electrode
        MEA electrode layout (empty for patch clamp).
    mea : MEASource or None
        Chunked raw-sample access for MEA recordings.
    metadata : dict
        Anything else the file says (protocol name, recording date, comments, header facts).
    warnings : tuple of str
        Problems found while reading that did not prevent it (e.g. suspicious units).
    """

    path: Path
    sha256: str = _FileHash()  # type: ignore[assignment]  # lazy: see _FileHash
    format: str
    kind: str
    block: Any = _LazyBlock()  # lazy where the loader passes a function: see _LazyBlock
    channels: tuple[ChannelInfo, ...]
    primary: int = 0
    sweep_start_times_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    holding: tuple[Any, ...] = ()
    commands: tuple[Any, ...] = ()
    epochs: tuple[tuple[EpochInfo, ...], ...] = ()
    stim_times_s: tuple[tuple[float, ...], ...] = ()
    tags: tuple[Tag, ...] = ()
    electrodes: tuple[Electrode, ...] = ()
    mea: MEASource | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    # ----- shape --------------------------------------------------------------------------
    @property
    def n_sweeps(self) -> int:
        """Number of sweeps (segments); 1 for gap-free and MEA recordings."""
        return len(self.block.segments) if self.mea is None else 1

    @property
    def sampling_rate_hz(self) -> float:
        """Sampling rate of the primary channel in Hz (NaN for spike lists, which have no samples)."""
        if self.mea is not None:
            return float(self.mea.sampling_rate_hz)
        if not self.channels:
            return float("nan")
        return float(self.channels[self.primary].sampling_rate_hz)

    @property
    def sweep_durations_s(self) -> list[float]:
        """Duration of each sweep in seconds (sweeps may differ in length)."""
        if self.mea is not None:
            return [self.mea.n_samples / self.mea.sampling_rate_hz]
        if not any(seg.analogsignals for seg in self.block.segments):  # spike lists: no samples
            if "duration_s" in self.metadata:
                return [float(self.metadata["duration_s"])]
            stops = [float(st.t_stop.rescale("s")) for st in self.spiketrains]
            return [max(stops)] if stops else [0.0]
        return [float(seg.analogsignals[self.primary].duration.rescale("s")) for seg in self.block.segments]

    @property
    def duration_s(self) -> float:
        """Total recorded duration in seconds (sum of sweep durations)."""
        return float(sum(self.sweep_durations_s))

    # ----- access -------------------------------------------------------------------------
    def _check_sweep(self, sweep: int) -> None:
        if not 0 <= sweep < self.n_sweeps:
            raise AnalysisError(f"sweep {sweep} does not exist (the file has {self.n_sweeps})", self.path)

    def signal(self, sweep: int, channel: int | str | None = None) -> Any:
        """One channel of one sweep as a ``neo.AnalogSignal`` in physical units.

        Parameters
        ----------
        sweep : int
            Sweep index.
        channel : int or str, optional
            Channel index or name; the primary channel when omitted.
        """
        if self.mea is not None:
            raise AnalysisError("MEA recordings have no sweeps: use iter_chunks()", self.path)
        self._check_sweep(sweep)
        idx = self.channel_index(channel)
        return self.block.segments[sweep].analogsignals[idx]

    def channel_index(self, channel: int | str | None) -> int:
        """Resolve a channel name or index (None: the primary channel)."""
        if channel is None:
            return self.primary
        if isinstance(channel, int):
            if not 0 <= channel < len(self.channels):
                raise AnalysisError(f"channel {channel} does not exist ({len(self.channels)} channels)", self.path)
            return channel
        for ch in self.channels:
            if ch.name == channel:
                return ch.index
        names = ", ".join(c.name for c in self.channels)
        raise AnalysisError(f"no channel named '{channel}' (channels: {names})", self.path)

    def sweep_time(self, sweep: int) -> float:
        """Start time of a sweep in seconds relative to the first sweep's start."""
        self._check_sweep(sweep)
        t = self.sweep_start_times_s
        return float(t[sweep] - t[0]) if len(t) else 0.0

    def holding_at(self, sweep: int) -> Any:
        """Holding level of a sweep as a Quantity, or None where unknown."""
        self._check_sweep(sweep)
        return self.holding[sweep] if sweep < len(self.holding) else None

    def command(self, sweep: int) -> Any:
        """Command waveform of a sweep (``neo.AnalogSignal``) or None."""
        self._check_sweep(sweep)
        return self.commands[sweep] if sweep < len(self.commands) else None

    def iter_chunks(self, seconds: float = 10.0, margin_s: float = 0.05) -> Iterator[Chunk]:
        """Chunked access to MEA samples; see :func:`iter_chunks`."""
        if self.mea is None:
            raise AnalysisError("not an MEA recording: use signal(sweep)", self.path)
        return iter_chunks(self.mea, seconds, margin_s)

    @property
    def spiketrains(self) -> list[Any]:
        """Spike trains stored in the file (spike-list formats), one per electrode/unit."""
        return [st for seg in self.block.segments for st in seg.spiketrains]

    def replace(self, **changes: Any) -> Recording:
        """A copy with some fields changed (e.g. ``kind`` or ``holding`` from manifest overrides).

        A hash not computed yet (and a Block not built yet) stays lazy in the copy (``dataclasses.replace`` alone
        would read the field and hash a whole file at load time); the deferred function is bound to this file's path, so a copy
        that names another path keeps this file's hash.
        """
        for lazy in ("sha256", "block"):  # a Block not built yet stays lazy too (see _LazyBlock)
            if lazy not in changes:
                changes[lazy] = self.__dict__[_FileHash.slot_of(lazy)]
        return dataclasses.replace(self, **changes)

    def summary(self) -> dict[str, Any]:
        """A JSON-serialisable description (what ``ephystool info --json`` prints)."""
        out: dict[str, Any] = {
            "path": str(self.path),
            "sha256": self.sha256,
            "format": self.format,
            "kind": self.kind,
            "n_channels": len(self.channels) if self.mea is None else int(self.mea.n_channels),
            "sampling_rate_hz": self.sampling_rate_hz,
            "duration_s": self.duration_s,
            "n_sweeps": self.n_sweeps,
            "channels": [dataclasses.asdict(c) for c in self.channels],
            "primary_channel": self.channels[self.primary].name if self.channels else None,
            "sweep_start_times_s": [float(x) for x in self.sweep_start_times_s],
            "sweep_durations_s": self.sweep_durations_s,
            "holding": [None if h is None else f"{float(h.magnitude):g} {h.dimensionality.string}" for h in self.holding],
            "tags": [dataclasses.asdict(t) for t in self.tags],
            "electrodes": [dataclasses.asdict(e) for e in self.electrodes],
            "n_spiketrains": len(self.spiketrains),
            "metadata": {k: v for k, v in self.metadata.items() if isinstance(v, str | int | float | bool | type(None))},
            "warnings": list(self.warnings),
        }
        return out
