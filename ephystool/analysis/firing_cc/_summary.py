"""Per-recording summary of current-clamp steps: rheobase, f-I slope, first-AP features, spontaneous rate,
and the check that a documented command agrees with the membrane's response.

Rheobase is the smallest step current with at least one AP, relative to holding (the step as
injected on top of the bias current) and absolute (plus the holding current, where known). The f-I slope
is the least-squares line through (measured step current, rate) of the steps at and above rheobase.
Spontaneous recordings: rate over the whole recording and the ISI coefficient of variation (Elephant
``isi`` and ``cv``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import quantities as pq

__all__ = ["flag_contradicted", "summarise"]

_MARGIN_MV = 5.0


def flag_contradicted(sweeps: tuple[Any, ...]) -> tuple[Any, ...]:
    """Flag steps whose documented current the membrane contradicts.

    Below threshold the steady-state response grows with the injected current (a passive membrane:
    dV = I R). A step without APs is flagged when a step of the same sign but smaller magnitude moved
    the membrane more, by over 5 mV (e.g. 97509008.abf: -2.0 nA gives -1.5 mV, -0.8 nA gives -54 mV:
    those sweeps did not receive the documented current). Measured currents are never flagged: they
    are what was injected.
    """
    cand = [s for s in sweeps if s.ap_count == 0 and np.isfinite(s.delta_v_mv)
            and np.isfinite(float(s.command.magnitude)) and "recorded current" not in s.stimulus_source]
    bad = set()
    for s in cand:
        i = float(s.command.rescale(pq.pA).magnitude)
        for o in cand:
            j = float(o.command.rescale(pq.pA).magnitude)
            if np.sign(i) == np.sign(j) != 0 and abs(j) < abs(i) and abs(o.delta_v_mv) > abs(s.delta_v_mv) + _MARGIN_MV:
                bad.add((s.sweep, s.step))
                break
    return tuple(dataclasses.replace(s, command_contradicted=(s.sweep, s.step) in bad) for s in sweeps)


def _median_features(feats: list[Any]) -> dict[str, float]:
    def med(name: str) -> float:
        vals = np.concatenate([getattr(f, name) for f in feats]) if feats else np.zeros(0)
        vals = vals[np.isfinite(vals)]
        return float(np.median(vals)) if vals.size else float("nan")

    return {k: med(k) for k in ("threshold_mv", "amplitude_mv", "half_width_ms", "ahp_depth_mv")}


def _spontaneous(sweeps: tuple[Any, ...]) -> tuple[float, float, dict[str, float]]:
    from elephant.statistics import cv, isi

    n = sum(s.ap_count for s in sweeps)
    dur = sum(s.window_s[1] - s.window_s[0] for s in sweeps)
    intervals = [isi(s.spiketrain).magnitude for s in sweeps if s.ap_count >= 2]
    allisi = np.concatenate(intervals) if intervals else np.zeros(0)
    return (n / dur if dur > 0 else float("nan"), float(cv(allisi)) if allisi.size >= 2 else float("nan"),
            _median_features([s.features for s in sweeps]))


def summarise(sweeps: tuple[Any, ...], mode: str, warns: tuple[str, ...]) -> Any:
    """The :class:`~ephystool.analysis.firing_cc.FiringCCResult` of the analysed steps."""
    from ephystool.analysis.firing_cc import FiringCCResult

    nan = float("nan")
    rates = np.array([float(s.firing_rate.magnitude) for s in sweeps])
    rmax = float(np.max(rates)) if rates.size else nan
    rheo, rheo_abs, slope, rate, cv_isi, feat = nan, nan, nan, nan, nan, _median_features([])
    if mode == "spontaneous":
        rate, cv_isi, feat = _spontaneous(sweeps)
    else:
        flagged = [s for s in sweeps if s.command_contradicted]
        if flagged:
            which = ", ".join(f"{s.sweep}" + (f" (step {s.step + 1})" if s.step else "") for s in flagged)
            warns = warns + (f"sweeps {which}: the documented command is contradicted by the membrane response "
                             "(smaller currents moved it more): excluded from rheobase and f-I slope",)
        cur = np.array([nan if s.command_contradicted else float(s.command.rescale(pq.pA).magnitude) for s in sweeps])
        firing = [k for k in np.argsort(np.where(np.isfinite(cur), cur, np.inf), kind="stable")
                  if np.isfinite(cur[k]) and sweeps[k].ap_count > 0]
        if firing:
            k0 = int(firing[0])
            rheo = float(cur[k0])
            rheo_abs = rheo + float(sweeps[k0].holding.rescale(pq.pA).magnitude)
            f = sweeps[k0].features
            feat = {name: float(getattr(f, name)[0]) for name in _median_features([])}
            supra = np.isfinite(cur) & (cur >= rheo)
            if np.unique(cur[supra]).size >= 2:
                slope = float(np.polyfit(cur[supra], rates[supra], 1)[0])
        elif np.all(np.isnan(cur)):
            warns = warns + ("step currents unknown: rheobase and f-I slope not computed",)
    return FiringCCResult(
        mode=mode, sweeps=sweeps, firing_rate=rate * pq.Hz, firing_rate_max=rmax * pq.Hz, rheobase=rheo * pq.pA,
        fi_slope=slope * pq.Hz / pq.pA, cv_isi=cv_isi, ap_threshold=feat["threshold_mv"] * pq.mV,
        ap_amplitude=feat["amplitude_mv"] * pq.mV, ap_half_width=feat["half_width_ms"] * pq.ms,
        ahp_depth=feat["ahp_depth_mv"] * pq.mV, warnings=tuple(dict.fromkeys(warns)),
        rheobase_absolute=rheo_abs * pq.pA,
    )
