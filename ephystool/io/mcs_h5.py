"""Multi Channel Systems HDF5 (MCS "McsPy" format: Multi Channel Experimenter / DataManager, MEA2100).

neo has no reader for it and SpikeInterface's ``read_mcsh5`` fails on stream 1 of MCS's own
test file, so ephystool reads it with h5py. Physical value = (raw - ADZero) * ConversionFactor
* 10**Exponent in the channel's Unit, per channel (``InfoChannel``); samples are read lazily,
chunk by chunk. Spike timestamps (``TimeStampStream``) become ``neo.SpikeTrain`` objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.recording import ChannelInfo, Electrode, Recording
from ephystool.errors import CorruptFileError, LoadError
from ephystool.io.base import HDF5_MAGIC, head_bytes
from ephystool.io.loader import NOT_HDF5, FormatDoc, Loader, tolerant
from ephystool.io.recording import deferred_sha256

__all__ = ["sniff", "read", "NAME", "MCSAnalogSource", "list_streams", "LOADER"]

NAME = "mcs_h5"
_REC = "Data/Recording_0"


def sniff(path: Path) -> bool:
    """An HDF5 file whose root says ``McsHdf5ProtocolType``."""
    if head_bytes(path, 8) != HDF5_MAGIC:
        return False
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return "McsHdf5ProtocolType" in f.attrs
    except OSError:
        return False


def _s(x: Any) -> str:
    return x.decode("latin-1").strip() if isinstance(x, bytes | np.bytes_) else str(x).strip()


def list_streams(path: Path) -> list[dict[str, Any]]:
    """The analog streams of an MCS file: index, label, channels, rate, samples, data subtype."""
    import h5py

    out = []
    with h5py.File(path, "r") as f:
        grp = f.get(f"{_REC}/AnalogStream")
        if grp is None:
            return out
        for name in sorted(grp, key=lambda n: int(n.split("_")[-1])):
            s = grp[name]
            info = s["InfoChannel"]
            tick_us = int(info["Tick"][0])
            out.append({
                "stream": int(name.split("_")[-1]), "label": _s(s.attrs.get("Label", "")),
                "subtype": _s(s.attrs.get("DataSubType", "")), "n_channels": int(info.shape[0]),
                "sampling_rate_hz": 1e6 / tick_us, "n_samples": int(s["ChannelData"].shape[1]),
            })
    return out


class MCSAnalogSource:
    """Lazy chunked access to one MCS analog stream, in µV (or the stream's unit scaled to micro)."""

    def __init__(self, path: Path, stream: int) -> None:
        import h5py

        self._file = h5py.File(path, "r")
        grp = self._file.get(f"{_REC}/AnalogStream/Stream_{stream}")
        if grp is None:
            raise LoadError(f"no analog stream {stream}; streams: {[s['stream'] for s in list_streams(path)]} "
                            "(choose one with --stream)", path)
        info = grp["InfoChannel"][()]
        self._data = grp["ChannelData"]
        self.n_channels, self.n_samples = int(self._data.shape[0]), int(self._data.shape[1])
        ticks = set(int(t) for t in info["Tick"])
        if len(ticks) != 1:
            raise CorruptFileError(f"channels of stream {stream} have different sampling ticks {sorted(ticks)}", path)
        self.sampling_rate_hz = 1e6 / ticks.pop()
        unit = {_s(u) for u in info["Unit"]}
        self.unit = unit.pop() if len(unit) == 1 else "V"
        micro = float(pq.Quantity(1.0, self.unit).rescale(pq.uV).magnitude) if self.unit in ("V", "mV", "uV") else 1e6
        self._zero = info["ADZero"].astype(np.float32)
        self._scale = (info["ConversionFactor"].astype(np.float64) * 10.0 ** info["Exponent"].astype(np.float64)
                       * micro).astype(np.float32)
        pos = self._file.attrs.get("ephystool_positions_um")  # written by ephystool's simulator (MCS stores none)
        xy = np.asarray(pos, dtype=float).reshape(-1, 2) if pos is not None and np.size(pos) == 2 * len(info) else None
        self.electrodes = tuple(Electrode(_s(lab), *(xy[i] if xy is not None else (np.nan, np.nan)))
                                for i, lab in enumerate(info["Label"]))
        self.label = _s(grp.attrs.get("Label", ""))

    def get_counts_channel_major(self, start: int, stop: int,
                                 buffer: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Raw ADC counts ``start:stop`` in the file's integer type, (channels, n), and µV per count.

        Neither the ADZero offset nor the scale is applied: for band-pass filtering a constant does not
        matter, and the filter converts, offsets and scales within passes it makes anyway. With a flat
        ``buffer`` of the file's dtype (and at least channels * n items) the samples are read into it
        and a view of it is returned, so that a streaming reader reuses one chunk of memory.
        """
        n = max(0, min(stop, self._data.shape[1]) - start)
        if buffer is None or buffer.dtype != self._data.dtype or buffer.size < self._data.shape[0] * n or n == 0:
            return self._data[:, start:stop], self._scale
        out = buffer[: self._data.shape[0] * n].reshape(self._data.shape[0], n)
        self._data.read_direct(out, np.s_[:, start : start + n])
        return out, self._scale

    def get_traces(self, start: int, stop: int, channels: Sequence[int] | None = None) -> np.ndarray:
        """Samples ``start:stop`` in µV as float32, shape (n, channels)."""
        raw = self._data[:, start:stop]
        out = np.empty((raw.shape[1], raw.shape[0]), dtype=np.float32)  # float32 throughout: the hot path
        np.subtract(raw.T, self._zero[None, :], out=out, casting="unsafe")
        out *= self._scale[None, :]
        return out if channels is None else out[:, list(channels)]


def _spiketrains(path: Path, duration_s: float) -> list[Any]:
    import h5py
    import neo

    out = []
    with h5py.File(path, "r") as f:
        grp = f.get(f"{_REC}/TimeStampStream/Stream_0")
        if grp is None:
            return out
        info = grp["InfoTimeStamp"][()]
        labels = {int(r["TimeStampEntityID"]): _s(r["Label"]) for r in info} if "TimeStampEntityID" in info.dtype.names else {}
        for name in sorted((n for n in grp if n.startswith("TimeStampEntity_")), key=lambda n: int(n.split("_")[-1])):
            idx = int(name.split("_")[-1])
            t = np.asarray(grp[name][()], dtype=np.float64).ravel() * 1e-6  # µs -> s
            t_stop = max(duration_s, float(t.max()) if t.size else 0.0) + 1e-6
            out.append(neo.SpikeTrain(t * pq.s, t_stop=t_stop * pq.s, name=labels.get(idx, name),
                                      electrode=labels.get(idx, name)))
    return out


def read(path: Path, kind: str | None = None, stream: int = 0) -> Recording:
    """Open one analog stream of an MCS HDF5 file as a chunked MEA :class:`Recording`."""
    import neo

    try:
        src = MCSAnalogSource(path, stream)
        streams = list_streams(path)
    except LoadError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise CorruptFileError(f"MCS HDF5 structure is damaged ({type(exc).__name__}: {exc})", path) from exc
    duration = src.n_samples / src.sampling_rate_hz
    block = neo.Block(name=path.name, file_origin=str(path))
    seg = neo.Segment(index=0)
    seg.spiketrains.extend(_spiketrains(path, duration))
    block.segments.append(seg)
    chans = tuple(ChannelInfo(i, e.label, "uV", src.sampling_rate_hz) for i, e in enumerate(src.electrodes))
    meta = {"stream": stream, "stream_label": src.label, "n_streams": len(streams),
            "streams": ";".join(f"{s['stream']}:{s['label']}:{s['n_channels']}ch@{s['sampling_rate_hz']:g}Hz" for s in streams)}
    return Recording(path=path, sha256=deferred_sha256(path), format=NAME, kind=kind or "mea", block=block, channels=chans,
                     electrodes=src.electrodes, mea=src, metadata=meta)


LOADER = Loader(
    NAME, (".h5",), tolerant(sniff), read, hdf5=True, strict=(".h5", ".hdf5"), mislabelled=NOT_HDF5,
    doc=FormatDoc("Multi Channel Systems HDF5", "`.h5`", "h5py (own reader)",
                  "ADZero, ConversionFactor, Exponent per channel; every stream"),
)
