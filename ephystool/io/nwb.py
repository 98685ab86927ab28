"""NWB 2.x through pynwb: intracellular (icephys) sweeps and extracellular (ecephys) arrays.

neo 0.14's NWBIO fails on real NWB files (neo #1413: 'Invalid annotation ... StrDataset') and
refuses conversion factors such as 0.195e-6 used by real ecephys files, so ephystool reads NWB
with pynwb. Icephys: each ``PatchClampSeries`` in ``acquisition`` is a sweep (ordered by
``sweep_number``, then name), paired with the stimulus series of the same sweep number.
Ecephys: the first ``ElectricalSeries`` becomes a chunked :class:`~ephystool.io.recording.MEASource`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq

from ephystool.errors import CorruptFileError, LoadError
from ephystool.io.base import HDF5_MAGIC, _norm_unit, head_bytes, to_canonical
from ephystool.io.recording import ChannelInfo, Electrode, Recording, analog

__all__ = ["sniff", "read", "NAME", "EXTENSIONS", "NWBElectricalSource"]

NAME = "nwb"
EXTENSIONS = (".nwb",)


def sniff(path: Path) -> bool:
    """An HDF5 file with an ``nwb_version`` attribute."""
    if head_bytes(path, 8) != HDF5_MAGIC:
        return False
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return "nwb_version" in f.attrs or ".specloc" in f.attrs
    except OSError:
        return False


def _series_array(s: Any) -> np.ndarray:
    data = np.asarray(s.data[:], dtype=np.float64)
    return data * float(s.conversion) + float(getattr(s, "offset", 0.0) or 0.0)


def _unit(s: Any) -> str:
    return _norm_unit(str(s.unit))  # the shared unit-name table (µ -> u, 'volts' -> V, ...)


def _sweep_key(name_series: tuple[str, Any]) -> tuple[int, str]:
    name, s = name_series
    num = getattr(s, "sweep_number", None)
    return (int(num) if num is not None else 1 << 30, name)


def _icephys(nwb: Any, path: Path, kind_req: str | None) -> dict[str, Any]:
    from pynwb.icephys import CurrentClampSeries, PatchClampSeries, VoltageClampSeries

    series = sorted(((n, s) for n, s in nwb.acquisition.items() if isinstance(s, PatchClampSeries)), key=_sweep_key)
    if not series:
        raise LoadError("NWB file has no intracellular sweeps and no ElectricalSeries; nothing to analyse", path)
    stim = {getattr(s, "sweep_number", None): s for s in nwb.stimulus.values() if isinstance(s, PatchClampSeries)}
    kinds = {"voltage_clamp" if isinstance(s, VoltageClampSeries) else
             "current_clamp" if isinstance(s, CurrentClampSeries) else "unknown" for _, s in series}
    kind = kind_req or (kinds.pop() if len(kinds) == 1 else "current_clamp")
    return {"series": series, "stim": stim, "kind": kind}


def _build_icephys(parts: dict[str, Any], path: Path) -> tuple[Any, list[Any], list[Any], np.ndarray, float, str]:
    import neo

    block = neo.Block(name=path.name, file_origin=str(path))
    commands, holding, starts = [], [], []
    t_next = 0.0
    rate = float(parts["series"][0][1].rate)
    for k, (name, s) in enumerate(parts["series"]):
        rate = float(s.rate)
        t0 = float(s.starting_time or 0.0)
        start = t0 if t0 > 0 or k == 0 else t_next  # NWB conversions often leave starting_time at 0
        sig = to_canonical(analog(_series_array(s), _unit(s), rate, start, name), path)
        seg = neo.Segment(index=k, name=name)
        seg.analogsignals.append(sig)
        block.segments.append(seg)
        starts.append(start)
        t_next = start + sig.shape[0] / rate
        st = parts["stim"].get(getattr(s, "sweep_number", None))
        if st is not None:
            cmd = to_canonical(analog(_series_array(st), _unit(st), float(st.rate), start, "command"), path)
            commands.append(cmd)
            holding.append(_hold(cmd))
        else:
            commands.append(None)
            holding.append(None)
    units = block.segments[0].analogsignals[0].dimensionality.string
    return block, commands, holding, np.asarray(starts), rate, units


def _hold(cmd: Any) -> Any:
    """Holding level: the command's value over the first 5 % of the sweep (pre-step baseline)."""
    n = max(1, cmd.shape[0] // 20)
    return float(np.median(cmd.magnitude[:n, 0])) * cmd.units


class NWBElectricalSource:
    """Chunked access to an NWB ``ElectricalSeries`` (µV), reading only the requested samples."""

    def __init__(self, io: Any, series: Any) -> None:
        self._io = io  # the open reader the series lives in: kept open for the lazy reads, owned from here on
        s = series
        self._data = s.data
        self.n_samples, self.n_channels = int(s.data.shape[0]), int(s.data.shape[1])
        self.sampling_rate_hz = float(s.rate)
        scale = float(s.conversion) * pq.Quantity(1.0, _unit(s)).rescale(pq.uV).magnitude
        chconv = getattr(s, "channel_conversion", None)
        self._scale = (scale * np.asarray(chconv[:], dtype=float) if chconv is not None else
                       np.full(self.n_channels, scale)).astype(np.float32)
        self._offset = float(getattr(s, "offset", 0.0) or 0.0) * float(pq.Quantity(1.0, _unit(s)).rescale(pq.uV))
        table = s.electrodes.table.to_dataframe().iloc[s.electrodes.data[:]]
        self.electrodes = tuple(
            Electrode(str(r.get("label", idx)), float(r.get("x", np.nan)), float(r.get("y", np.nan)), str(r.get("group_name", "")))
            for idx, r in table.iterrows()
        )

    def get_traces(self, start: int, stop: int, channels: Sequence[int] | None = None) -> np.ndarray:
        """Samples ``start:stop`` as float32 µV, shape (n, channels)."""
        raw = np.asarray(self._data[start:stop], dtype=np.float32)
        out = raw * self._scale[None, :] + np.float32(self._offset)
        return out if channels is None else out[:, list(channels)]


def read(path: Path, kind: str | None = None) -> Recording:
    """Read an NWB file: icephys sweeps, or an ecephys ElectricalSeries as an MEA recording."""
    if kind in (None, "mea"):  # a plain ElectricalSeries is read through h5py, without pynwb's object layer
        from ephystool.io._nwb_h5 import read_electrical_series

        rec = read_electrical_series(path)
        if rec is not None:
            return rec
    import neo
    from pynwb import NWBHDF5IO
    from pynwb.ecephys import ElectricalSeries

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            io = NWBHDF5IO(str(path), "r")
            nwb = io.read()
    except Exception as exc:  # pynwb/hdmf raise many types on invalid files
        raise CorruptFileError(f"pynwb cannot read this NWB file ({type(exc).__name__}: {str(exc)[:160]})", path) from exc
    try:
        ephys = [n for n, s in nwb.acquisition.items() if isinstance(s, ElectricalSeries)]
        meta = {"session_start_time": str(nwb.session_start_time), "description": str(nwb.session_description or "")}
        if ephys and kind in (None, "mea"):
            src = NWBElectricalSource(io, nwb.acquisition[ephys[0]])  # the file is read once
            return Recording(
                path=path, sha256=None, format="nwb", kind="mea", block=neo.Block(name=path.name),
                channels=tuple(ChannelInfo(i, e.label, "uV", src.sampling_rate_hz) for i, e in enumerate(src.electrodes)),
                electrodes=src.electrodes, mea=src, metadata={**meta, "series": ephys[0]},
            )
        parts = _icephys(nwb, path, kind)
        block, commands, holding, starts, rate, units = _build_icephys(parts, path)
    finally:
        if "src" not in locals():
            io.close()
    return Recording(
        path=path, sha256=None, format="nwb", kind=parts["kind"], block=block,
        channels=(ChannelInfo(0, parts["series"][0][0], units, rate),), primary=0, sweep_start_times_s=starts,
        holding=tuple(holding), commands=tuple(commands), epochs=tuple(() for _ in starts),
        stim_times_s=tuple(() for _ in starts), metadata=meta,
    )
