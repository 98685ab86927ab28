"""Igor Pro binary waves (``.ibw``): one folder of ``<name>_ch<k>_<sweep>.ibw`` waves is one recording.

Acquisition packages built on Igor (e.g. the Blue Brain / MIES-style "FirePattern" and "IDthresh"
protocols) save every channel of every sweep as its own wave, named ``<name>_ch<k>_<sweep>.ibw``.
A sweep is the set of waves that share a sweep number; channels are ordered by ``k``. Loading any one
of the waves (or the folder) returns the whole series.

Units come from the wave header (``dataUnits``), looked up in a closed table (never evaluated):
volts are converted to mV, amperes to pA. The channel kinds follow from the units: the voltage channel is
the primary (membrane potential) in current clamp. The x scaling (``hsA``/``sfA``) gives the sampling
interval. Where the wave note holds the stimulus (``ANALOG0#Pulse($,onset,duration)``, ``SWEEP0#a:b:c``,
``UNITS0#A``, ``GAIN0#1e-12``), the step window and its nominal level become protocol epochs with
source ``file`` (``metadata['step_window_source']``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ephystool.core.recording import EpochInfo
from ephystool.errors import CorruptFileError, LoadError, MissingDependencyError
from ephystool.io.loader import FormatDoc, Loader, by_extension, never

__all__ = ["read", "series_files", "series_folder", "SERIES", "LOADER", "DOC"]

_NAME = re.compile(r"^(?P<name>.+)_ch(?P<ch>\d+)_(?P<sweep>\d+)\.ibw$", re.IGNORECASE)
# closed table: Igor unit string -> (canonical unit, factor)
_UNITS = {"V": ("mV", 1e3), "mV": ("mV", 1.0), "A": ("pA", 1e12), "nA": ("pA", 1e3), "pA": ("pA", 1.0)}
_PULSE = re.compile(r"Pulse\(\s*\$\s*,\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)")
_IGOR_EPOCH_OFFSET_S = 2082844800  # seconds from 1904-01-01 (Igor) to 1970-01-01


def series_files(path: Path) -> tuple[str, dict[int, dict[int, Path]]]:
    """The series ``path`` belongs to: its name and ``{sweep: {channel: file}}``.

    Raises
    ------
    LoadError
        The name does not follow ``<name>_ch<k>_<sweep>.ibw``, or a folder holds several series.
    """
    folder, wanted = (path, None) if path.is_dir() else (path.parent, _NAME.match(path.name))
    if not path.is_dir() and wanted is None:
        raise LoadError("Igor wave name is not '<name>_ch<k>_<sweep>.ibw'; rename it or load it with neo's IgorIO", path)
    groups: dict[str, dict[int, dict[int, Path]]] = {}
    for f in sorted(folder.iterdir()):
        m = _NAME.match(f.name)
        if m is None or not f.is_file():
            continue
        groups.setdefault(m["name"], {}).setdefault(int(m["sweep"]), {})[int(m["ch"])] = f
    if wanted is not None:
        return wanted["name"], groups[wanted["name"]]
    if len(groups) != 1:
        found = ", ".join(sorted(groups)) or "none"
        raise LoadError(f"folder must hold exactly one Igor wave series '<name>_ch<k>_<sweep>.ibw' (found: {found}); "
                        "load one wave file of the series instead", path)
    name = next(iter(groups))
    return name, groups[name]


def _text(raw: Any) -> str:
    if isinstance(raw, np.ndarray):
        raw = b"".join(bytes(x) for x in raw.ravel())
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    return str(raw).replace("\x00", "").strip()


def _load_wave(f: Path) -> dict[str, Any]:
    try:
        from igor2 import binarywave
    except ImportError as exc:  # pragma: no cover - igor2 is a core dependency
        raise MissingDependencyError("reading Igor waves needs igor2: pip install igor2", f) from exc
    try:
        d = binarywave.load(str(f))
    except (ValueError, KeyError, OSError, AssertionError) as exc:
        raise CorruptFileError(f"Igor wave cannot be read ({type(exc).__name__}: {str(exc)[:120]}); damaged or "
                               "truncated: re-copy it", f) from exc
    w, wh = d["wave"], d["wave"]["wave_header"]
    if "sfA" in wh:  # version 5
        dx, x0 = float(wh["sfA"][0]), float(wh["sfB"][0])
        xunit = _text(wh["dimUnits"][0])
    else:  # versions 1-3
        dx, x0, xunit = float(wh["hsA"]), float(wh["hsB"]), _text(wh["xUnits"])
    unit = _text(wh["dataUnits"])
    if unit not in _UNITS:
        raise CorruptFileError(f"Igor wave unit '{unit[:12]}' is not one of {', '.join(_UNITS)}; re-export the "
                               "wave with its physical unit", f)
    if xunit not in ("s", "ms") or not dx > 0:
        raise CorruptFileError(f"Igor wave x scaling '{dx:g} {xunit[:8]}' is not a time axis in s or ms", f)
    scale = 1e-3 if xunit == "ms" else 1.0
    canon, factor = _UNITS[unit]
    created = int(wh.get("creationDate", 0) or wh.get("modDate", 0) or 0)
    return {"data": np.asarray(w["wData"], dtype=np.float64).ravel() * factor, "units": canon,
            "fs": 1.0 / (dx * scale), "x0": x0 * scale, "note": _text(w.get("note", b"")),
            "time": created - _IGOR_EPOCH_OFFSET_S if created else None}


def _note_field(note: str, key: str) -> str | None:
    m = re.search(rf"(?:^|[\r\n]){key}#([^\r\n]*)", note)
    return m.group(1).strip() if m else None


def _note_epochs(note: str, n_sweeps: int, duration_s: float) -> tuple[list[tuple[EpochInfo, ...]], str | None]:
    """Step window (and nominal level) from the wave note's ``Pulse($,onset,duration)``."""
    analog = _note_field(note, "ANALOG0") or ""
    m = _PULSE.search(analog)
    if m is None:
        return [() for _ in range(n_sweeps)], None
    a, dur = float(m.group(1)), float(m.group(2))
    levels = [float("nan")] * n_sweeps
    sweep_def, unit, gain = _note_field(note, "SWEEP0"), _note_field(note, "UNITS0"), _note_field(note, "GAIN0")
    try:
        first, inc, _last = (float(x) for x in (sweep_def or "").split(":"))
        if unit == "A" and gain is not None:
            to_pa = float(gain) * 1e12
            levels = [(first + k * inc) * to_pa for k in range(n_sweeps)]
    except ValueError:
        pass
    b = min(a + dur, duration_s)
    eps = [(EpochInfo(0.0, a, 0.0, "pA"), EpochInfo(a, b, levels[k], "pA"), EpochInfo(b, duration_s, 0.0, "pA"))
           for k in range(n_sweeps)]
    return eps, m.group(0)


def read(path: Path, kind: str | None = None) -> Any:
    """Read an Igor wave series (one ``.ibw`` of it, or its folder) as one :class:`Recording`.

    Raises
    ------
    LoadError, CorruptFileError
        Not a wave series, a sweep missing a channel, mismatched sampling rates or unknown units.
    """
    from ephystool.io.arrays import recording_from_arrays

    path = Path(path)
    name, sweeps = series_files(path)
    numbers = sorted(sweeps)
    chans = sorted({c for s in sweeps.values() for c in s})
    waves: list[list[dict[str, Any]]] = []
    for s in numbers:
        missing = [c for c in chans if c not in sweeps[s]]
        if missing:
            raise CorruptFileError(f"Igor series '{name}': sweep {s} has no wave for channel(s) {missing}; "
                                   "copy the missing .ibw files", path)
        waves.append([_load_wave(sweeps[s][c]) for c in chans])
    first = waves[0]
    units = [w["units"] for w in first]
    for s, ws in zip(numbers, waves):
        if [w["units"] for w in ws] != units or any(abs(w["fs"] - first[0]["fs"]) > 1e-6 * first[0]["fs"] for w in ws):
            raise CorruptFileError(f"Igor series '{name}': sweep {s} differs in units or sampling rate", path)
        if len({w["data"].size for w in ws}) != 1:
            raise CorruptFileError(f"Igor series '{name}': the channels of sweep {s} differ in length", path)
    warns: list[str] = []
    volt = [i for i, u in enumerate(units) if u == "mV"]
    amp = [i for i, u in enumerate(units) if u == "pA"]
    note = next((w["note"] for ws in waves for w in ws if w["note"]), "")
    stim_unit = _note_field(note, "UNITS0")
    if kind is None:
        if volt and (stim_unit == "A" or not amp):
            kind, evidence = "current_clamp", ("wave note: stimulus in A" if stim_unit == "A" else "only voltage waves")
        elif amp and (stim_unit == "V" or not volt):
            kind, evidence = "voltage_clamp", ("wave note: stimulus in V" if stim_unit == "V" else "only current waves")
        else:
            kind, evidence = "current_clamp", "assumed: voltage and current waves, no stimulus unit in the note"
            warns.append("Igor series: clamp mode not stated in the file; assumed current clamp (voltage wave = "
                         "membrane potential); set the manifest 'kind' if it is voltage clamp")
    else:
        evidence = "given by the caller"
    primary = (volt or [0])[0] if kind == "current_clamp" else (amp or [0])[0]
    fs = first[0]["fs"]
    duration = first[0]["data"].size / fs
    epochs, pulse = _note_epochs(note, len(numbers), duration)
    times = [ws[0]["time"] for ws in waves]
    starts = np.array(times, dtype=float) - times[0] if all(t is not None for t in times) else None
    meta = {"reader": "igor2", "series": name, "sweep_numbers": ";".join(str(s) for s in numbers),
            "clamp_evidence": evidence}
    if pulse is not None:
        meta.update(step_window_source=f"file (wave note {pulse})", protocol=_note_field(note, "PATTERNNAME0") or "")
    rec = recording_from_arrays(
        [np.vstack([w["data"] for w in ws]) for ws in waves], fs, units, kind,
        channel_names=[f"{name}_ch{c}" for c in chans], sweep_start_times_s=starts, epochs=epochs,
        primary=primary, name=str(path), metadata=meta)
    return rec.replace(path=path, format="igor", warnings=tuple(warns))


def series_folder(path: Path) -> Path | None:
    """The folder when ``path`` is a folder of one Igor wave series ``<name>_ch<k>_<sweep>.ibw`` or a wave in one."""
    p = Path(path)
    if not p.exists() or not (p.is_dir() or p.suffix.lower() == ".ibw"):
        return None
    folder = p if p.is_dir() else p.parent
    names = {m["name"] for f in folder.iterdir() if f.is_file() and (m := _NAME.match(f.name))}
    return folder if len(names) == 1 else None


DOC = FormatDoc(
    "Igor", "`.ibw` `.pxp`", "igor2 (own series reader, `ephystool/io/igor.py`); `.pxp` through neo `IgorIO`",
    "a folder of `<name>_ch<k>_<sweep>.ibw` waves (or any wave in it) is one recording, sweeps matched by number; "
    "SI units (V, A) through the table; step window from the wave note's `Pulse(...)` (source `file`)")
#: a folder holding one wave series (or a wave in such a folder) is one recording
SERIES = Loader("igor", (".ibw",), never, read, folder=series_folder, doc=DOC)
#: a ``.ibw`` wave outside a one-series folder: the series it belongs to (by name) is one recording
LOADER = Loader("igor", (".ibw",), by_extension((".ibw",)), read, doc=DOC)
