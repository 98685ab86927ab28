"""NWB ecephys read straight through h5py: the ``ElectricalSeries`` samples and its electrodes, chunk by chunk.

Reading an NWB file through pynwb builds its whole object layer (hdmf type map, every container, the
electrodes table as a pandas DataFrame) and costs ~0.6 s of imports before the first sample; for a raw MEA
recording only the series' ``data`` dataset, its ``conversion``/``offset``/``unit`` attributes, the
``starting_time`` rate and four columns of the electrodes table are needed. These are read here with h5py,
following the NWB 2.x schema (nwb-schema ``core/nwb.ecephys.yaml``, ``nwb.base.yaml``; hdmf-common
``DynamicTable``). Samples are computed as in :class:`ephystool.io.nwb.NWBElectricalSource` (same float32
operations, so identical values: ``tests/io/test_nwb_h5.py``).

Only the plain case is taken: one ``core`` ``ElectricalSeries`` in ``/acquisition`` (no subtype and no
extension type there that pynwb could count as one), 2-D data, a regular rate, plain electrodes columns.
Anything else returns ``None`` and :func:`ephystool.io.nwb.read` goes through pynwb as before.
"""

from __future__ import annotations

import datetime as _dt
import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.recording import ChannelInfo, Electrode, Recording
from ephystool.core.scale import InputScale
from ephystool.io._h5_direct import DirectRows
from ephystool.io.base import _norm_unit
from ephystool.io.recording import deferred_sha256

__all__ = ["NWBH5ElectricalSource", "read_electrical_series"]

_PLAIN_TYPES = ("core", "hdmf-common", "hdmf-experimental")


def _s(x: Any) -> str:
    return x.decode("utf-8") if isinstance(x, bytes) else str(x)


def _the_series(f: Any) -> Any | None:
    """The one plain core ElectricalSeries of /acquisition, or None where pynwb's choice could differ."""
    acq = f.get("acquisition")
    if acq is None:
        return None
    found = []
    for name in acq:
        obj = acq.get(name, getlink=False)
        attrs = getattr(obj, "attrs", {})
        ntype, ns = _s(attrs.get("neurodata_type", "")), _s(attrs.get("namespace", ""))
        if ns and ns not in _PLAIN_TYPES:
            return None  # an extension type may subclass ElectricalSeries
        if ntype in ("ElectricalSeries", "SpikeEventSeries"):
            found.append((ntype, obj))
    if len(found) != 1 or found[0][0] != "ElectricalSeries":
        return None
    s = found[0][1]
    if "timestamps" in s or "starting_time" not in s or "rate" not in s["starting_time"].attrs:
        return None
    if "data" not in s or s["data"].ndim != 2 or "electrodes" not in s or "table" not in s["electrodes"].attrs:
        return None
    return s


def _column(table: Any, name: str, rows: np.ndarray) -> np.ndarray | None:
    if name not in table or f"{name}_index" in table:  # absent, or ragged: not a one-value-per-row column
        return None
    ds = table[name]
    import h5py

    values = ds.asstr()[()] if h5py.check_string_dtype(ds.dtype) is not None else ds[()]
    return np.asarray(values, dtype=object)[rows]


def _electrodes(f: Any, s: Any) -> tuple[Electrode, ...] | None:
    table = f[s["electrodes"].attrs["table"]]
    rows = np.asarray(s["electrodes"][()], dtype=np.int64)
    if "id" not in table or rows.ndim != 1:
        return None
    ids = np.asarray(table["id"][()])[rows]
    label, x, y, group = (_column(table, c, rows) for c in ("label", "x", "y", "group_name"))
    return tuple(
        Electrode(str(label[i] if label is not None else ids[i]),
                  float(x[i]) if x is not None else float("nan"), float(y[i]) if y is not None else float("nan"),
                  str(group[i]) if group is not None else "")
        for i in range(rows.size)
    )


class NWBH5ElectricalSource:
    """Chunked access to an NWB ``ElectricalSeries`` through h5py (µV), reading only the requested samples."""

    def __init__(self, h5: Any, series: Any, electrodes: tuple[Electrode, ...]) -> None:
        self._h5 = h5  # the open file the dataset lives in: kept open for the lazy reads, owned from here on
        self._data = series["data"]
        self.n_samples, self.n_channels = (int(n) for n in self._data.shape)
        self.sampling_rate_hz = float(series["starting_time"].attrs["rate"])
        attrs = self._data.attrs
        unit = _norm_unit(_s(attrs.get("unit", "volts")))
        to_uv = pq.Quantity(1.0, unit).rescale(pq.uV).magnitude
        scale = float(attrs.get("conversion", 1.0)) * to_uv
        chconv = series.get("channel_conversion")
        self._scale = (scale * np.asarray(chconv[()], dtype=float) if chconv is not None else
                       np.full(self.n_channels, scale)).astype(np.float32)
        self._offset = float(attrs.get("offset", 0.0) or 0.0) * float(pq.Quantity(1.0, unit).rescale(pq.uV))
        self.electrodes = electrodes
        self._direct: DirectRows | bool | None = None  # :meth:`get_counts_time_major`'s reader, once known
        self._direct_lock = threading.Lock()

    def get_traces(self, start: int, stop: int, channels: Sequence[int] | None = None) -> np.ndarray:
        """Samples ``start:stop`` as float32 µV, shape (n, channels)."""
        raw = np.asarray(self._data[start:stop], dtype=np.float32)
        out = raw * self._scale[None, :] + np.float32(self._offset)
        return out if channels is None else out[:, list(channels)]

    def get_counts_time_major(self, start: int, stop: int,
                              buffer: np.ndarray | None = None) -> tuple[np.ndarray, Any]:
        """Stored samples ``start:stop`` as read (shape (n, channels), the file's type) and the
        :class:`~ephystool.core.scale.InputScale` that turns them into the µV of :meth:`get_traces`
        (the same float32 operations): the spike filter converts them block by block in its own copy.

        Uncompressed data are read straight from the mapped file (:class:`~ephystool.io._h5_direct.DirectRows`):
        a read-only view where the range lies in chunks stored back to back. Otherwise, with ``buffer`` (at
        least (n, channels) of the file's type, C-contiguous), the samples are read into it and a view of it is
        returned: a stream of chunks reuses one allocation (no fresh pages per chunk).
        """
        pre = InputScale(self._scale, np.float32(self._offset))
        if self._direct is None:  # looked up once, at the first stream read (not at load), by one thread
            with self._direct_lock:
                if self._direct is None:
                    self._direct = DirectRows.from_dataset(self._data, self._h5.filename) or False
        if self._direct:  # uncompressed: straight from the file's pages, no copy through HDF5
            return self._direct.rows(start, stop, buffer), pre
        n = max(0, stop - start)
        if buffer is None or buffer.dtype != self._data.dtype or buffer.shape[0] < n or n == 0:
            return self._data[start:stop], pre
        out = buffer[:n]
        self._data.read_direct(out, np.s_[start:stop], np.s_[0:n])
        return out, pre

    def end_stream(self) -> None:
        """The calling thread has read its last range of :meth:`get_counts_time_major`: its pages are released."""
        if self._direct:
            self._direct.done()

    def get_traces_channel_major(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop`` as a C-contiguous (channels, n) float32 µV array, equal to
        ``get_traces(start, stop).T`` (same float32 operations) with one copy fewer."""
        out = np.empty((self.n_channels, max(0, stop - start)), dtype=np.float32)
        step = max(1, int(self.sampling_rate_hz))  # read ~1 s at a time: the stored-type copy stays small
        scale = self._scale[:, None]
        for a in range(start, stop, step):
            raw = self._data[a : min(stop, a + step)]
            for k in range(0, raw.shape[0], 2048):  # transposed in cache-sized blocks: ~2x faster than at once
                piece = raw[k : k + 2048]
                dst = out[:, a - start + k : a - start + k + piece.shape[0]]
                np.multiply(piece.T, scale, out=dst, dtype=np.float32)  # int -> float32, then the product
        out += np.float32(self._offset)
        return out


def _metadata(f: Any) -> dict[str, str]:
    start = _s(f["session_start_time"][()]) if "session_start_time" in f else ""
    try:
        start = str(_dt.datetime.fromisoformat(start))  # as pynwb shows it (a datetime)
    except ValueError:
        pass
    desc = _s(f["session_description"][()]) if "session_description" in f else ""
    return {"session_start_time": start, "description": desc}


def _empty_block(name: str) -> Any:
    """The recording's (empty) ``neo.Block``, made when first asked for: samples are read without neo."""
    import neo

    return neo.Block(name=name)


def read_electrical_series(path: Path) -> Recording | None:
    """The file's ElectricalSeries as an MEA :class:`Recording`, or None where pynwb must read the file."""
    import h5py

    f = h5py.File(path, "r")
    try:
        s = _the_series(f)
        elecs = _electrodes(f, s) if s is not None else None
        if s is None or elecs is None or len(elecs) != s["data"].shape[1]:
            f.close()
            return None
        src = NWBH5ElectricalSource(f, s, elecs)
        meta = {**_metadata(f), "series": s.name.rsplit("/", 1)[-1]}
    except BaseException:
        f.close()
        raise
    return Recording(
        path=path, sha256=deferred_sha256(path), format="nwb", kind="mea", block=functools.partial(_empty_block, path.name),
        channels=tuple(ChannelInfo(i, e.label, "uV", src.sampling_rate_hz) for i, e in enumerate(elecs)),
        electrodes=elecs, mea=src, metadata=meta,
    )
