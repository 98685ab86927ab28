"""Manifest values win over file metadata, and every inferred value says where it came from.

A manifest row may give ``sweep_interval_s``, ``stim_time_ms``, ``holding_mV`` and ``kind``. The file's
header can be wrong about each (a converted ABF claims back-to-back 200 ms sweeps; a flat DAC says 0 mV
while the cell sits at -70 mV): the manifest's value is used, and the recording's metadata names the
source of each value (``file``, ``manifest``, ``protocol``, ``detected``) for ``provenance.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ephystool.core.recording import Recording
from ephystool.errors import ManifestError

__all__ = ["apply_overrides", "value_sources", "SOURCE_KEYS"]

#: the recording-metadata keys that name where an inferred value came from
SOURCE_KEYS = ("kind_source", "sweep_times_source", "stim_times_source", "holding_source", "command_source",
               "sweep_order_source")
#: the manifest's stimulus time agrees with the file's first stimulus within this (s)
_STIM_AGREE_S = 0.001


def _sweep_times(rec: Recording, interval_s: float) -> Recording:
    if not interval_s > 0:
        raise ManifestError(f"sweep_interval_s must be > 0 s (got {interval_s:g})", rec.path)
    longest = max(rec.sweep_durations_s, default=0.0)
    if interval_s < longest - 1e-9:
        raise ManifestError(f"sweep_interval_s {interval_s:g} s is shorter than a sweep ({longest:g} s)", rec.path)
    t0 = float(rec.sweep_start_times_s[0]) if len(rec.sweep_start_times_s) else 0.0
    times = t0 + interval_s * np.arange(rec.n_sweeps, dtype=float)
    meta = {**rec.metadata, "sweep_times_source": f"manifest (sweep_interval_s = {interval_s:g} s)"}
    file_times = np.asarray(rec.sweep_start_times_s, dtype=float)
    warnings = rec.warnings
    if file_times.size > 1:
        spacing = float(np.median(np.diff(file_times)))
        meta["file_sweep_interval_s"] = spacing
        if abs(spacing - interval_s) > 0.01 * interval_s:
            warnings = (*warnings, f"the manifest's sweep_interval_s ({interval_s:g} s) replaces the file's sweep "
                                   f"spacing ({spacing:g} s)")
    return rec.replace(sweep_start_times_s=times, metadata=meta, warnings=warnings)


def _stim_times(rec: Recording, stim_ms: float) -> Recording:
    t = stim_ms / 1000.0
    listed = [s for s in rec.stim_times_s if s]
    if listed and all(abs(s[0] - t) <= _STIM_AGREE_S for s in listed) and len(listed) == len(rec.stim_times_s):
        meta = {**rec.metadata, "stim_times_source": "file (agrees with the manifest's stim_time_ms)"}
        return rec.replace(metadata=meta)
    warnings = rec.warnings
    if listed:
        warnings = (*warnings, f"the manifest's stim_time_ms ({stim_ms:g} ms) replaces the file's stimulus times "
                               f"(first {listed[0][0] * 1000:g} ms)")
    meta = {**rec.metadata, "stim_times_source": f"manifest (stim_time_ms = {stim_ms:g})"}
    return rec.replace(stim_times_s=tuple((t,) for _ in range(rec.n_sweeps)), metadata=meta, warnings=warnings)


def apply_overrides(rec: Recording, overrides: Mapping[str, Any], *, kind: str | None = None,
                    holding_given: bool = False) -> Recording:
    """``rec`` with the manifest's ``sweep_interval_s`` and ``stim_time_ms`` applied and every source named.

    Parameters
    ----------
    rec : Recording
        As loaded from the file.
    overrides : mapping
        The manifest row's overrides (numbers already parsed; ``sweep_interval_s`` in s, ``stim_time_ms`` in ms).
    kind : str, optional
        The kind that was forced at load time; ``overrides['kind']`` says whether the manifest gave it.
    holding_given : bool
        The manifest's ``holding_mV`` replaced the holding levels.
    """
    if rec.mea is None and overrides.get("sweep_interval_s") not in (None, ""):
        rec = _sweep_times(rec, float(overrides["sweep_interval_s"]))
    if rec.mea is None and overrides.get("stim_time_ms") not in (None, ""):
        rec = _stim_times(rec, float(overrides["stim_time_ms"]))
    meta = dict(rec.metadata)
    meta.setdefault("sweep_times_source", "file")
    if overrides.get("kind"):
        meta["kind_source"] = "manifest"
    elif kind is not None:
        meta["kind_source"] = "protocol"
    else:
        meta.setdefault("kind_source", f"detected ({meta.get('clamp_evidence', 'file')})")
    if holding_given:
        meta["holding_source"] = "manifest"
    return rec.replace(metadata=meta)


def value_sources(rec: Recording) -> dict[str, str]:
    """The sources of a recording's inferred values (for ``provenance.json``)."""
    return {k.removesuffix("_source"): str(rec.metadata[k]) for k in SOURCE_KEYS if rec.metadata.get(k)}
