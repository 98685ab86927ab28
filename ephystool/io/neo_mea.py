"""Multi-electrode raw formats through neo's rawio layer, as chunked sources like the MCS reader.

Open Ephys (legacy ``.continuous`` folder and binary ``structure.oebin``), 3Brain BrainWave ``.brw``,
Intan ``.rhd``/``.rhs``, Maxwell ``.raw.h5`` and Blackrock ``.nsX``: neo's rawio classes return raw
integer samples with a per-channel gain and offset and the file's unit strings. Samples are read only
for the requested range (a long recording is never loaded whole); units go through the closed unit
table (:mod:`ephystool.io.unitnames`), never through ``quantities``.

Traps handled (``realdata/more/PROVENANCE.md``): Open Ephys ADC channels are labelled µV although their
``bit_volts`` (10 V / 2^16) makes them volts; timestamps do not start at 0 (kept as ``t_start_s``);
a neural stream and an ADC stream in one file are separate streams (``--stream``); BRW samples are
unsigned with the offset in the header (neo applies it: raw 2048 = 0 µV).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ephystool.core.recording import ChannelInfo, Electrode, Recording
from ephystool.errors import CorruptFileError, LoadError
from ephystool.io.base import captured_logs
from ephystool.io.loader import FormatDoc, Loader, by_extension, never
from ephystool.io.recording import deferred_sha256
from ephystool.io.unitnames import lookup_unit

__all__ = ["FORMATS", "NeoRawSource", "read", "open_ephys_root", "BRW", "MAXWELL", "INTAN", "BLACKROCK",
           "OPEN_EPHYS_LEGACY", "OPEN_EPHYS_BINARY"]

#: format -> (neo rawio class, keyword for the path)
FORMATS: dict[str, tuple[str, str]] = {
    "openephys_legacy": ("OpenEphysRawIO", "dirname"), "openephys_binary": ("OpenEphysBinaryRawIO", "dirname"),
    "brw": ("BiocamRawIO", "filename"), "intan": ("IntanRawIO", "filename"),
    "maxwell": ("MaxwellRawIO", "filename"), "blackrock": ("BlackrockRawIO", "filename"),
}
#: µV per unit of each voltage unit of the table
_TO_UV = {"V": 1e6, "mV": 1e3, "uV": 1.0, "nV": 1e-3}
#: Open Ephys ADC channels: bit_volts of 10 V over 16 bits means volts whatever the unit field says
_OE_ADC_BITVOLTS = 10.0 / 2**16


def open_ephys_root(path: Path) -> tuple[Path, str] | None:
    """(recording folder, format) when ``path`` is an Open Ephys recording folder or a file inside one."""
    for d in [path, *path.parents][:6] if path.is_dir() else list(path.parents)[:6]:
        if not d.is_dir():
            continue
        if any(d.glob("*.continuous")) and (any(d.glob("*.openephys")) or (d / "settings.xml").is_file()):
            return d, "openephys_legacy"
        if (d / "settings.xml").is_file() and any(d.glob("**/structure.oebin")):
            return d, "openephys_binary"
        if (d / "structure.oebin").is_file():
            return d, "openephys_binary"
    return None


class NeoRawSource:
    """Chunked access to one signal stream of a neo rawio reader, in µV (float32)."""

    def __init__(self, raw: Any, stream: int, path: Path) -> None:
        streams = raw.header["signal_streams"]
        if not 0 <= stream < len(streams):
            raise LoadError(f"no signal stream {stream}; the file has {len(streams)} "
                            f"({', '.join(str(s['name']) for s in streams)}): choose one with --stream", path)
        self._raw, self._stream = raw, stream
        chans = raw.header["signal_channels"]
        mine = chans[chans["stream_id"] == streams[stream]["id"]]
        self.n_channels = len(mine)
        self.n_samples = int(raw.get_signal_size(0, 0, stream))
        self.sampling_rate_hz = float(raw.get_signal_sampling_rate(stream))
        self.t_start_s = float(raw.get_signal_t_start(0, 0, stream))
        self.warnings: list[str] = []
        scale = np.ones(len(mine))
        for i, c in enumerate(mine):
            unit = lookup_unit(str(c["units"]))
            if str(c["name"]).upper().startswith("ADC") and abs(float(c["gain"]) - _OE_ADC_BITVOLTS) < 1e-9:
                unit = "V"  # Open Ephys labels ADC inputs µV; 10 V / 2^16 per bit is volts
                self.warnings.append(f"channel '{c['name']}' is labelled {c['units']} but its bit_volts "
                                     f"({float(c['gain']):g}) is 10 V / 2^16: read as volts")
            if unit not in _TO_UV:
                raise CorruptFileError(f"channel '{c['name']}' has unit {ascii(str(c['units'])[:16])}, not a "
                                       "voltage: not an extracellular voltage stream (choose another --stream)", path)
            scale[i] = _TO_UV[unit]
        self._scale = scale.astype(np.float32)
        self.electrodes = tuple(Electrode(str(c["name"]), *_rowcol(str(c["name"]))) for c in mine)

    def get_traces(self, start: int, stop: int, channels: Sequence[int] | None = None) -> np.ndarray:
        """Samples ``start:stop`` in µV as float32, shape (n, channels)."""
        idx = None if channels is None else list(channels)
        chunk = self._raw.get_analogsignal_chunk(0, 0, max(0, start), min(stop, self.n_samples),
                                                 stream_index=self._stream, channel_indexes=idx)
        out = self._raw.rescale_signal_raw_to_float(chunk, dtype="float32", stream_index=self._stream,
                                                    channel_indexes=idx)
        return out * (self._scale if idx is None else self._scale[idx])[None, :]


def _rowcol(name: str) -> tuple[float, float]:
    """Grid position of a BRW channel named 'ch<row>-<col>' (in electrode pitches; NaN otherwise)."""
    m = re.fullmatch(r"ch(\d+)-(\d+)", name)
    return (float(m.group(2)), float(m.group(1))) if m else (float("nan"), float("nan"))


def _default_stream(raw: Any) -> int:
    """The stream with the most channels that are not auxiliary ADC inputs (the neural one)."""
    chans, streams = raw.header["signal_channels"], raw.header["signal_streams"]
    best, best_n = 0, -1
    for si, s in enumerate(streams):
        mine = chans[chans["stream_id"] == s["id"]]
        n = sum(1 for c in mine if not str(c["name"]).upper().startswith(("ADC", "AUX")))
        if n > best_n:
            best, best_n = si, n
    return best


def check_legacy_sizes(folder: Path) -> None:
    """Refuse an Open Ephys legacy folder with a ``.continuous`` file that is not 1024 + n x 2070 bytes.

    The format (Open Ephys GUI docs, "Open Ephys format"): a 1024-byte text header, then records of an
    8-byte timestamp, 2-byte sample count, 2-byte recording number, 1024 int16 samples and a 10-byte marker.
    A damaged copy (a whitespace-fixing bot took 6 bytes off one of these very files upstream) is refused
    instead of being clipped silently.
    """
    for f in sorted(folder.glob("*.continuous")):
        size = f.stat().st_size
        if size < 1024 or (size - 1024) % 2070:
            raise CorruptFileError(f"truncated or damaged Open Ephys file {f.name}: {size} bytes is not 1024 + n x "
                                   "2070 (header + whole records); re-copy the recording", folder)


def read(path: Path, fmt: str, kind: str | None = None, stream: int | None = None) -> Recording:
    """Open one stream of a neo-rawio MEA format as a chunked MEA :class:`Recording` (µV)."""
    import neo
    import neo.rawio

    cls_name, key = FORMATS[fmt]
    if fmt == "openephys_legacy":
        check_legacy_sizes(path)
    try:
        with warnings.catch_warnings(), captured_logs("neo") as said:
            warnings.simplefilter("ignore")
            raw = getattr(neo.rawio, cls_name)(**{key: str(path)})
            raw.parse_header()
            chosen = _default_stream(raw) if stream is None else int(stream)
            src = NeoRawSource(raw, chosen, path)
    except (LoadError, CorruptFileError):
        raise
    except ImportError as exc:
        raise LoadError(f"reading {fmt} needs a package that is not installed: {exc}", path) from exc
    except Exception as exc:  # neo readers raise many types on damaged files
        raise CorruptFileError(f"neo.rawio.{cls_name} cannot read it ({type(exc).__name__}: {str(exc)[:160]})",
                               path) from exc
    streams = raw.header["signal_streams"]
    block = neo.Block(name=path.name, file_origin=str(path))
    block.segments.append(neo.Segment(index=0))
    chans = tuple(ChannelInfo(i, e.label, "uV", src.sampling_rate_hz) for i, e in enumerate(src.electrodes))
    meta = {"reader": f"neo.rawio.{cls_name}", "stream": chosen, "n_streams": len(streams),
            "streams": ";".join(f"{i}:{s['name']}" for i, s in enumerate(streams)), "t_start_s": src.t_start_s,
            "stream_source": "option" if stream is not None else "detected (most non-ADC channels)"}
    return Recording(path=path, sha256=deferred_sha256(path), format=fmt, kind=kind or "mea", block=block, channels=chans,
                     electrodes=src.electrodes, mea=src, metadata=meta,
                     warnings=(*src.warnings, *dict.fromkeys(said)))


# ----- loaders ------------------------------------------------------------------------------------------------
def _reader(fmt: str) -> Any:
    def read_fmt(path: Path, kind: str | None = None, stream: int | None = None) -> Recording:
        return read(path, fmt, kind, stream)

    read_fmt.__doc__ = f"Read one stream of a {fmt} recording (see :func:`read`)."
    return read_fmt


def _h5_keys(path: Path) -> set[str]:
    """The HDF5 file's top-level names (empty when it cannot be opened)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return set(f.keys())
    except (OSError, RuntimeError, KeyError, ValueError):
        return set()


def sniff_brw(path: Path) -> bool:
    """3Brain BrainWave: ``3BData``/``3BRecInfo``, or ``Well_*`` groups with ``ExperimentSettings`` (BRW 4)."""
    keys = _h5_keys(path)
    return bool(keys & {"3BData", "3BRecInfo"} or any(k.startswith("Well_") for k in keys) and "ExperimentSettings" in keys)


def sniff_maxwell(path: Path) -> bool:
    """Maxwell: a ``mapping`` dataset (MaxOne) or ``recordings`` and ``wells`` groups (MaxTwo)."""
    keys = _h5_keys(path)
    return "mapping" in keys or {"recordings", "wells"} <= keys


#: files that belong to an Open Ephys recording folder (the folder is the recording)
_OPEN_EPHYS_PARTS = (".continuous", ".openephys", ".oebin", ".events", ".spikes", ".npy", ".dat", ".xml")


def _open_ephys_folder(fmt: str) -> Any:
    def folder(path: Path) -> Path | None:
        p = Path(path)
        if not p.exists() or not (p.is_dir() or p.suffix.lower() in _OPEN_EPHYS_PARTS):
            return None
        found = open_ephys_root(p)
        return found[0] if found is not None and found[1] == fmt else None

    folder.__doc__ = f"The {fmt} recording folder that ``path`` (the folder or a file in it) belongs to."
    return folder


_NEO_CHUNKED = FormatDoc("Intan / Maxwell / Blackrock", "`.rhd` `.rhs` / `.raw.h5` / `.ns1`-`.ns6`",
                         "neo `IntanRawIO` / `MaxwellRawIO` / `BlackrockRawIO`", "chunked; units through the table")
BRW = Loader("brw", (".brw",), sniff_brw, _reader("brw"), hdf5=True,
             doc=FormatDoc("3Brain BrainWave", "`.brw`", "neo `BiocamRawIO`",
                           "unsigned samples with the header offset (2048 = 0 uV)"))
MAXWELL = Loader("maxwell", (".h5",), sniff_maxwell, _reader("maxwell"), hdf5=True, doc=_NEO_CHUNKED)
_NS = tuple(f".ns{k}" for k in range(1, 7))
INTAN = Loader("intan", (".rhd", ".rhs"), by_extension((".rhd", ".rhs")), _reader("intan"), doc=_NEO_CHUNKED)
BLACKROCK = Loader("blackrock", _NS, by_extension(_NS), _reader("blackrock"), doc=_NEO_CHUNKED)
OPEN_EPHYS_LEGACY = Loader(
    "openephys_legacy", (".continuous",), never, _reader("openephys_legacy"),
    folder=_open_ephys_folder("openephys_legacy"),
    doc=FormatDoc("Open Ephys legacy", "folder of `.continuous`", "neo `OpenEphysRawIO`",
                  "the folder (or any file in it) is one recording; `.continuous` sizes checked (1024 + n x 2070)"))
OPEN_EPHYS_BINARY = Loader(
    "openephys_binary", (".oebin",), never, _reader("openephys_binary"),
    folder=_open_ephys_folder("openephys_binary"),
    doc=FormatDoc("Open Ephys binary", "folder with `structure.oebin`", "neo `OpenEphysBinaryRawIO`",
                  "neural stream by default (`--stream`); ADC channels labelled uV read as volts"))
