"""Spike-list readers: MEA spike times exported by vendor or analysis software.

Each format has ``read_<fmt>(path) -> Recording`` and ``sniff_<fmt>(path) -> bool`` (by content, cheap).
Every reader returns a Recording of kind ``'mea'`` with no raw samples (``mea`` is None): its
``block.segments[0].spiketrains`` hold one ``neo.SpikeTrain`` per electrode (times in s, ``t_start`` 0,
``t_stop`` the recording's duration where the file states it, else the last spike), annotated with
``electrode`` (label) and ``well`` (``""`` for single-well arrays); ``electrodes`` lists the layout and
``metadata['duration_s']`` the duration used.

Formats: Axion AxIS spike-list CSV (+ the Maestro experiment log next to it: well -> treatment in
``metadata['well_treatment']``), MC_DataTool ASCII export, NeuroExplorer ``.nex`` (neo), the Eglen HDF5
spike-time format (retinal-wave repository, US EPA Axion multi-well files), MEA-NAP ``*_OutputData.mat``,
and NeuroExplorer timestamp text (``.nexTimestamps``).
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.recording import ChannelInfo, Electrode, Recording
from ephystool.errors import CorruptFileError
from ephystool.io.base import HDF5_MAGIC, check_readable, head_bytes
from ephystool.io.loader import FormatDoc, Loader, tolerant
from ephystool.io.recording import deferred_sha256

__all__ = [
    "read_axion_csv", "sniff_axion_csv", "read_mcd_text", "sniff_mcd_text", "read_nex", "sniff_nex",
    "read_eglen_h5", "sniff_eglen_h5", "read_meanap_mat", "sniff_meanap_mat", "read_nex_timestamps",
    "sniff_nex_timestamps", "spikelist_recording", "AXION_CSV", "MCD_TEXT", "NEX", "EGLEN_H5", "MEANAP_MAT",
    "NEX_TIMESTAMPS",
]


def _head_text(path: Path, n: int = 4096) -> str:
    raw = head_bytes(path, n)
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as fh:
                raw = fh.read(n)
        except (OSError, EOFError):
            return ""
    return raw.decode("latin-1", errors="replace")


def _open_text(path: Path) -> str:
    if head_bytes(path, 2) == b"\x1f\x8b":
        with gzip.open(path, "rb") as fh:
            return fh.read().decode("latin-1")
    return path.read_bytes().decode("latin-1")


def spikelist_recording(path: Path, fmt: str, trains: Sequence[tuple[str, str, np.ndarray]],
                        duration_s: float | None, electrodes: Sequence[Electrode] | None = None,
                        metadata: dict[str, Any] | None = None, warnings: Sequence[str] = ()) -> Recording:
    """Build a spike-list Recording from ``(electrode, well, times_s)`` triples.

    ``t_stop`` of every train is ``max(duration_s, last spike)``; electrodes default to the trains' labels.
    """
    import neo

    last = max((float(t.max()) for _, _, t in trains if t.size), default=0.0)
    dur = max(float(duration_s or 0.0), last)
    t_stop = dur if dur > last else np.nextafter(last, np.inf)
    seg = neo.Segment(index=0)
    for label, well, t in trains:
        seg.spiketrains.append(neo.SpikeTrain(np.sort(np.asarray(t, dtype=float)) * pq.s, t_start=0 * pq.s,
                                              t_stop=t_stop * pq.s, name=label, electrode=label, well=well))
    block = neo.Block(name=path.name, file_origin=str(path))
    block.segments.append(seg)
    elecs = tuple(electrodes) if electrodes is not None else tuple(Electrode(lab, well=w) for lab, w, _ in trains)
    chans = tuple(ChannelInfo(i, e.label, "s", float("nan"), role="spikes") for i, e in enumerate(elecs))
    meta = {"duration_s": float(t_stop), "n_spikes": int(sum(t.size for _, _, t in trains)),
            "duration_source": "file" if duration_s else "last spike", **(metadata or {})}
    return Recording(path=path, sha256=deferred_sha256(path), format=fmt, kind="mea", block=block, channels=chans,
                     electrodes=elecs, metadata=meta, warnings=tuple(warnings))


# ----- Axion AxIS spike list ------------------------------------------------------------------------------
def sniff_axion_csv(path: Path) -> bool:
    """Axion spike list: the header names ``Time (s)``, ``Electrode`` and ``Amplitude(mV)``."""
    first = _head_text(Path(path), 512).splitlines()[:1]
    return bool(first) and all(k in first[0] for k in ("Time (s)", "Electrode", "Amplitude(mV)"))


def _explog(path: Path) -> dict[str, str]:
    """Well -> treatment from the Maestro experiment log sharing the spike list's name prefix."""
    import pandas as pd

    stem = path.name.split("_spike_list")[0]
    logs = sorted(p for p in path.parent.glob("*expLog.csv*") if stem.startswith(p.name.split("_expLog")[0]))
    if not logs:
        return {}
    text = _open_text(logs[-1]).replace("\r\n", "\n").replace("\r", "\n")
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    df.columns = [c.strip() for c in df.columns]
    if "Well" not in df or "Treatment" not in df:
        return {}
    return {w.strip(): t.strip() for w, t in zip(df["Well"], df["Treatment"]) if w.strip()}


def read_axion_csv(path: str | Path) -> Recording:
    """Read an Axion AxIS spike-list CSV (``.csv`` or ``.csv.gz``); electrodes ``<Well>_<Col><Row>``.

    Rows without a numeric time (metadata, well-averaged trailers) are dropped; the duration is the last
    spike time (the list does not state the recording length). Amplitudes (mV) go to the trains'
    ``amplitude_uV`` array annotation.

    Raises
    ------
    CorruptFileError
        If the columns are missing or no spike row can be read.
    """
    import pandas as pd

    path = check_readable(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=lambda c: c in
                     ("Time (s)", "Electrode", "Amplitude(mV)"))
    if df.shape[1] != 3:
        raise CorruptFileError("Axion spike list lacks the 'Time (s)', 'Electrode', 'Amplitude(mV)' columns", path)
    t = pd.to_numeric(df["Time (s)"], errors="coerce")
    ok = t.notna() & df["Electrode"].str.match(r"^[A-Z]+\d+_\d\d$")
    if not ok.any():
        raise CorruptFileError("Axion spike list has no spike rows (numeric time and Well_ColRow electrode)", path)
    df = df[ok].assign(t=t[ok], amp=pd.to_numeric(df["Amplitude(mV)"][ok], errors="coerce") * 1e3)
    rec = spikelist_recording(path, "axion_csv", [(e, e.split("_")[0], g["t"].to_numpy()) for e, g in
                                                  df.groupby("Electrode", sort=True)], None,
                              metadata={"well_treatment": _explog(path)})
    amp = {e: g.sort_values("t")["amp"].to_numpy() for e, g in df.groupby("Electrode", sort=True)}
    for st in rec.spiketrains:
        st.array_annotate(amplitude_uV=amp[st.name])
    return rec


# ----- MC_DataTool ASCII -----------------------------------------------------------------------------------
def sniff_mcd_text(path: Path) -> bool:
    """MC_DataTool export: first line ``MC_DataTool ASCII conversion``."""
    return _head_text(Path(path), 64).startswith("MC_DataTool ASCII conversion")


def read_mcd_text(path: str | Path) -> Recording:
    """Read an MC_DataTool ASCII spike export (blocks ``Spikes 2 <label>``, time in ms, value in µV).

    A spike is a run of lines between blank lines: one line (trigger time only) or a cut-out; its time
    is the sample with the largest |value| (for MC_Rack threshold triggers, the trigger sample itself).
    """
    path = check_readable(path)
    trains: list[tuple[str, str, np.ndarray]] = []
    label, times, cur = None, [], []

    def close() -> None:
        if cur:
            arr = np.asarray(cur)
            times.append(arr[np.argmax(np.abs(arr[:, 1])), 0] / 1e3)
            cur.clear()

    for line in _open_text(path).splitlines():
        m = re.match(r"^t\s+\S+\s+\d+\s+(\S+)", line)
        parts = line.split()
        if m:
            close()
            if label is not None:
                trains.append((label, "", np.asarray(times)))
            label, times = m.group(1), []
        elif len(parts) >= 2 and re.match(r"^-?\d", parts[0]) and label is not None:
            cur.append((float(parts[0]), float(parts[1])))
        elif not line.strip():
            close()
    close()
    if label is not None:
        trains.append((label, "", np.asarray(times)))
    if not trains:
        raise CorruptFileError("MC_DataTool export holds no 'Spikes' blocks", path)
    return spikelist_recording(path, "mcd_text", trains, None)


# ----- NeuroExplorer .nex ----------------------------------------------------------------------------------
def sniff_nex(path: Path) -> bool:
    """NeuroExplorer: magic ``NEX1``."""
    return head_bytes(Path(path), 4) == b"NEX1"


def read_nex(path: str | Path) -> Recording:
    """Read the spike trains of a NeuroExplorer ``.nex`` file with ``neo.io.NeuroExplorerIO``."""
    import neo

    path = check_readable(path)
    try:
        block = neo.io.NeuroExplorerIO(filename=str(path)).read_block()
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise CorruptFileError(f"NeuroExplorer file could not be read by neo ({type(exc).__name__}: {exc})",
                               path) from exc
    sts = [st for seg in block.segments for st in seg.spiketrains]
    dur = max((float(st.t_stop.rescale(pq.s)) for st in sts), default=0.0)
    trains = [(str(st.name), "", np.asarray(st.times.rescale(pq.s).magnitude)) for st in sts]
    return spikelist_recording(path, "nex", trains, dur)


# ----- Eglen HDF5 spike times --------------------------------------------------------------------------------
def sniff_eglen_h5(path: Path) -> bool:
    """HDF5 with ``spikes``, ``sCount`` and ``names`` datasets at the root."""
    if head_bytes(Path(path), 8) != HDF5_MAGIC:
        return False
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return all(k in f for k in ("spikes", "sCount", "names"))
    except OSError:
        return False


def _str(x: Any) -> str:
    return x.decode("latin-1") if isinstance(x, bytes | np.bytes_) else str(x)


def read_eglen_h5(path: str | Path) -> Recording:
    """Read the Eglen et al. (2014) HDF5 spike format (retinal waves; US EPA Axion multi-well plates).

    ``spikes`` (s, concatenated) is split by ``sCount``; labels from ``names``; positions from ``epos``
    (µm); the well is the label's prefix before ``_`` when the file has a ``well`` dataset (multi-well).
    Duration: ``summary/duration`` where present (never shorter than the last spike).

    Raises
    ------
    CorruptFileError
        If ``sum(sCount)`` differs from the number of spikes.
    """
    import h5py

    path = check_readable(path)
    with h5py.File(path, "r") as f:
        spikes = np.asarray(f["spikes"][()], dtype=float).ravel()
        counts = np.asarray(f["sCount"][()], dtype=np.int64).ravel()
        names = [_str(n) for n in np.asarray(f["names"][()]).ravel()]
        epos = np.asarray(f["epos"][()], dtype=float) if "epos" in f else np.full((2, len(names)), np.nan)
        array = _str(np.asarray(f["array"][()]).ravel()[0]) if "array" in f else ""
        multiwell = "well" in f
        dur = float(np.asarray(f["summary/duration"][()]).ravel()[0]) if "summary/duration" in f else None
        meta = {"array": array}
        if multiwell and "treatment" in f:
            wells = [_str(w) for w in np.asarray(f["well"][()]).ravel()]
            meta["well_treatment"] = dict(zip(wells, (_str(t) for t in np.asarray(f["treatment"][()]).ravel())))
    if counts.sum() != spikes.size or counts.size != len(names):
        raise CorruptFileError(f"sCount sums to {counts.sum()} for {spikes.size} spikes and {len(names)} names", path)
    if epos.shape[0] != 2 and epos.shape[-1] == 2:
        epos = epos.T
    bounds = np.concatenate(([0], np.cumsum(counts)))
    wells = [n.split("_")[0] if multiwell and "_" in n else "" for n in names]
    trains = [(n, w, spikes[bounds[i]:bounds[i + 1]]) for i, (n, w) in enumerate(zip(names, wells))]
    elecs = [Electrode(n, float(epos[0, i]), float(epos[1, i]), w) for i, (n, w) in enumerate(zip(names, wells))]
    return spikelist_recording(path, "eglen_h5", trains, dur, elecs, meta)


# ----- MEA-NAP output .mat -----------------------------------------------------------------------------------
def sniff_meanap_mat(path: Path) -> bool:
    """A MATLAB 5 file holding ``spikeTimes`` and ``Info`` (checked with ``scipy.io.whosmat``: headers only)."""
    if not _head_text(Path(path), 20).startswith("MATLAB 5.0 MAT-file"):
        return False
    import scipy.io

    try:
        names = {n for n, _, _ in scipy.io.whosmat(str(path))}
    except (ValueError, OSError, NotImplementedError):
        return False
    return {"spikeTimes", "Info"} <= names


def read_meanap_mat(path: str | Path, method: str = "bior1p5") -> Recording:
    """Read a MEA-NAP ``*_OutputData.mat``: ``spikeTimes{i}.<method>`` (s) per channel, ``Info.duration_s``.

    Electrode labels are MEA-NAP's channel numbers (``channels``), positions its ``coords`` (grid units).

    Raises
    ------
    CorruptFileError
        If the spike-detection method is not in the file.
    """
    import scipy.io

    path = check_readable(path)
    m = scipy.io.loadmat(str(path), squeeze_me=True, struct_as_record=False)
    st = np.atleast_1d(m["spikeTimes"])
    methods = list(getattr(st[0], "_fieldnames", []))
    if method not in methods:
        raise CorruptFileError(f"MEA-NAP spikeTimes has no method '{method}' (has {', '.join(methods)})", path)
    chans = np.atleast_1d(m.get("channels", np.arange(1, st.size + 1)))
    coords = np.asarray(m.get("coords", np.full((st.size, 2), np.nan)), dtype=float).reshape(-1, 2)
    info = m["Info"]
    trains = [(str(int(c)), "", np.atleast_1d(np.asarray(getattr(s, method), dtype=float))) for c, s in zip(chans, st)]
    elecs = [Electrode(str(int(c)), float(coords[i, 0]), float(coords[i, 1])) for i, c in enumerate(chans)]
    meta = {"meanap_method": method, "FN": str(getattr(info, "FN", "")), "DIV": str(getattr(info, "DIV", ""))}
    return spikelist_recording(path, "meanap_mat", trains, float(info.duration_s), elecs, meta)


# ----- NeuroExplorer timestamp text --------------------------------------------------------------------------
def sniff_nex_timestamps(path: Path) -> bool:
    """Tab-separated text: a header of names (not numbers) and numeric rows."""
    lines = _head_text(Path(path), 2048).splitlines()
    if len(lines) < 2 or "\t" not in lines[0]:
        return False
    head = [c for c in lines[0].split("\t") if c.strip()]
    try:
        [float(c) for c in lines[1].split("\t") if c.strip()]
    except ValueError:
        return False
    return bool(head) and not any(re.fullmatch(r"-?[\d.eE+-]+", c.strip()) for c in head)


def read_nex_timestamps(path: str | Path) -> Recording:
    """Read NeuroExplorer timestamp text: header = channel names, ragged tab-separated columns of times (s)."""
    path = check_readable(path)
    lines = _open_text(path).splitlines()
    names = [c.strip() for c in lines[0].split("\t")]
    cols: list[list[float]] = [[] for _ in names]
    for line in lines[1:]:
        for i, cell in enumerate(line.split("\t")[: len(names)]):
            if cell.strip():
                cols[i].append(float(cell))
    trains = [(n, "", np.asarray(c)) for n, c in zip(names, cols) if n]
    return spikelist_recording(path, "nex_timestamps", trains, None)


# ----- loaders (registered explicitly in ephystool.io.registry) ------------------------------------------------
_DOC = FormatDoc("MEA spike lists", "Axion CSV, MC_DataTool text, `.nex`, spike HDF5, MEA-NAP `.mat`", "own readers",
                 "see `ephystool/io/spikelists.py`")
AXION_CSV = Loader("axion_csv", (".csv", ".gz"), tolerant(sniff_axion_csv), read_axion_csv, doc=_DOC)
MCD_TEXT = Loader("mcd_text", (".txt", ".gz"), tolerant(sniff_mcd_text), read_mcd_text, doc=_DOC)
NEX = Loader("nex", (".nex",), tolerant(sniff_nex), read_nex, doc=_DOC)
EGLEN_H5 = Loader("eglen_h5", (".h5",), tolerant(sniff_eglen_h5), read_eglen_h5, hdf5=True, doc=_DOC)
MEANAP_MAT = Loader("meanap_mat", (".mat",), tolerant(sniff_meanap_mat), read_meanap_mat, doc=_DOC)
NEX_TIMESTAMPS = Loader("nex_timestamps", (".nextimestamps", ".txt"), tolerant(sniff_nex_timestamps),
                        read_nex_timestamps, doc=_DOC)
