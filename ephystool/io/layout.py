"""Electrode layouts given by the experimenter: a probeinterface JSON file or a small CSV table.

MEA files usually carry their electrode labels and often their positions (MCS HDF5 InfoChannel, Axion
plate maps); spike lists and exported text often do not. The manifest's ``layout`` column names a file
that gives (or corrects) the positions:

- ``*.json``: a `probeinterface <https://probeinterface.readthedocs.io>`_ file (``ProbeGroup``), the format
  SpikeInterface, Kilosort and the MEA vendors' converters share. A contact is matched to an electrode by
  its ``contact_id`` (the vendor label, e.g. ``'47'`` or ``'A5'``), else by its device channel index
  (the electrode's position in the file);
- ``*.csv`` / ``*.tsv``: columns ``electrode`` (or ``label``/``channel``/``contact_id``), ``x_um`` and
  ``y_um`` (or ``x``/``y``, in µm).

Positions feed the electrode-grid heat map. Every electrode of the recording must have a position; a
layout that names none of them (wrong file) or misses some is an error naming the labels.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from ephystool.errors import LoadError

__all__ = ["read_layout", "apply_layout"]

_LABEL_COLUMNS = ("electrode", "label", "channel", "contact_id", "contact")
_X_COLUMNS = ("x_um", "x")
_Y_COLUMNS = ("y_um", "y")


def read_layout(path: str | Path) -> dict[str, tuple[float, float]]:
    """Electrode positions (µm) by label from a probeinterface JSON or a CSV/TSV table.

    Device channel indices of a probeinterface file are also keys, as ``'#<index>'``.

    Raises
    ------
    LoadError
        The file is missing, of another kind, or does not give a label and two coordinates per row.
    """
    p = Path(path)
    if not p.is_file():
        raise LoadError("layout file does not exist; check the manifest's layout column (paths are relative "
                        "to the manifest)", p)
    suffix = p.suffix.lower()
    if suffix == ".json":
        return _read_probeinterface(p)
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_table(p)
    raise LoadError("unknown layout format: give a probeinterface .json or a .csv with electrode,x_um,y_um", p)


def _read_probeinterface(path: Path) -> dict[str, tuple[float, float]]:
    try:
        from probeinterface import read_probeinterface

        group = read_probeinterface(path)
    except Exception as exc:  # probeinterface raises bare Exceptions/KeyErrors on foreign JSON
        raise LoadError(f"not a probeinterface file ({type(exc).__name__}: {exc}); export the layout with "
                        "probeinterface.write_probeinterface or give a CSV", path) from None
    out: dict[str, tuple[float, float]] = {}
    for probe in group.probes:
        scale = {"um": 1.0, "mm": 1000.0, "m": 1e6}.get(str(getattr(probe, "si_units", "um")), 1.0)
        xy = np.asarray(probe.contact_positions, dtype=float)[:, :2] * scale
        ids = [str(c) for c in (probe.contact_ids if probe.contact_ids is not None else [])]
        chans = probe.device_channel_indices
        for k in range(xy.shape[0]):
            pos = (float(xy[k, 0]), float(xy[k, 1]))
            if k < len(ids) and ids[k]:
                out[ids[k]] = pos
            if chans is not None and int(chans[k]) >= 0:
                out[f"#{int(chans[k])}"] = pos
    if not out:
        raise LoadError("the probeinterface file has no contacts", path)
    return out


def _pick(header: list[str], names: tuple[str, ...]) -> str | None:
    low = {h.strip().lower(): h for h in header}
    return next((low[n] for n in names if n in low), None)


def _read_table(path: Path) -> dict[str, tuple[float, float]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        dialect = "excel-tab" if path.suffix.lower() == ".tsv" or (lines and "\t" in lines[0]) else "excel"
        rows = list(csv.DictReader(lines, dialect=dialect))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(f"not a text table ({type(exc).__name__}); give a CSV electrode,x_um,y_um", path) from None
    header = list(rows[0].keys()) if rows else []
    lab, x, y = _pick(header, _LABEL_COLUMNS), _pick(header, _X_COLUMNS), _pick(header, _Y_COLUMNS)
    if not rows or lab is None or x is None or y is None:
        raise LoadError(f"a layout table needs columns electrode, x_um, y_um (found: {', '.join(header) or 'none'})",
                        path)
    out: dict[str, tuple[float, float]] = {}
    for i, r in enumerate(rows, start=2):
        try:
            out[str(r[lab]).strip()] = (float(r[x]), float(r[y]))
        except (TypeError, ValueError):
            raise LoadError(f"line {i}: position '{r.get(x)}', '{r.get(y)}' is not a pair of numbers (µm)", path) from None
    return out


def apply_layout(recording: Any, positions: dict[str, tuple[float, float]], source: str | Path = "") -> Any:
    """A copy of an MEA recording with its electrodes placed from ``positions`` (see :func:`read_layout`).

    Electrodes are matched by label, else (probeinterface) by their index in the file as ``'#<index>'``.

    Raises
    ------
    LoadError
        The recording has no electrodes, or some have no position in the layout.
    """
    from ephystool.core.recording import Electrode

    elecs = list(recording.electrodes or (recording.mea.electrodes if recording.mea is not None else ()))
    if not elecs:
        raise LoadError("the recording has no electrodes to place; the layout applies to MEA recordings", recording.path)
    placed, missing = [], []
    for i, e in enumerate(elecs):
        pos = positions.get(e.label, positions.get(f"#{i}"))
        if pos is None:
            missing.append(e.label)
            continue
        placed.append(Electrode(e.label, pos[0], pos[1], e.well))
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        what = "none of the" if len(missing) == len(elecs) else f"{len(missing)} of the {len(elecs)}"
        raise LoadError(f"layout {Path(source).name or 'file'} places {what} recording's electrodes (missing: "
                        f"{shown}); match its labels to the file's, e.g. with 'ephystool info'", recording.path)
    return recording.replace(electrodes=tuple(placed))
