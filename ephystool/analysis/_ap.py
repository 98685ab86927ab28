"""Action-potential detection and per-AP features on one membrane-potential trace (plain numpy).

Detection is a dV/dt onset detector with a re-arm rule (the approach of IPFX's ``find_time_index``
/ ``detect_putative_spikes`` family, made robust to the traps seen on real files):

1. ``dV/dt`` (mV/ms) is computed on the trace, optionally low-passed first (``smooth_hz``: zero-phase
   2nd-order Butterworth, for slow, noisy traces such as pacemaker cells).
2. Every upward crossing of ``dvdt_threshold`` is a candidate onset, except inside the ``exclude``
   intervals (the first ``onset_skip`` after a command step, where the bridge/capacitive transient
   has a large dV/dt: the IPFX trap).
3. A candidate is an AP when its peak (the maximum of the raw trace between the onset and shortly
   after dV/dt turns negative) is at least ``min_peak`` and ``min_amplitude`` above the onset voltage.
4. After an AP, the detector is disarmed until the trace has fallen below half-way between the AP's
   threshold and its peak, and no new onset is accepted within ``refractory`` of the last one. This
   is what stops noise on a slow repolarisation from being counted again (eFEL's -20 mV threshold
   counts 957 "spikes" for 103 APs on a pacemaker recording) while APs riding on a depolarised
   plateau (depolarisation block) are still counted once each.

Per AP: threshold (the voltage where dV/dt, walking back from the maximum upstroke, first falls
below ``threshold_fraction`` of the mean maximum upstroke of the sweep's APs, as IPFX defines it), peak, amplitude (peak minus
threshold), half-width (full width at half height, linearly interpolated; the height is trough-to-peak, or
threshold-to-peak where the trough-based level would lie below threshold, as IPFX and eFEL define
it) and AHP depth (threshold minus the minimum between the peak and the next AP onset or the end of
the analysis window).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["APFeatures", "detect_aps", "ap_features", "dvdt_mv_per_ms"]


@dataclass(frozen=True)
class APFeatures:
    """Features of the APs of one trace (arrays of equal length, one entry per AP).

    Attributes
    ----------
    onset : numpy.ndarray of int
        Sample index where dV/dt crossed the detection threshold.
    peak : numpy.ndarray of int
        Sample index of the AP peak (spike time).
    threshold_mv, peak_mv, amplitude_mv, half_width_ms, ahp_depth_mv : numpy.ndarray of float
        Threshold voltage, peak voltage, peak minus threshold, full width at half amplitude and
        AHP depth (threshold minus the trough after the AP, positive when the trough is below).
    """

    onset: np.ndarray
    peak: np.ndarray
    threshold_mv: np.ndarray
    peak_mv: np.ndarray
    amplitude_mv: np.ndarray
    half_width_ms: np.ndarray
    ahp_depth_mv: np.ndarray

    @property
    def count(self) -> int:
        """Number of APs."""
        return int(self.peak.size)


def dvdt_mv_per_ms(v_mv: np.ndarray, fs_hz: float, smooth_hz: float | None = None) -> np.ndarray:
    """dV/dt in mV/ms (central differences), optionally on a zero-phase low-passed copy.

    Parameters
    ----------
    v_mv : numpy.ndarray
        Membrane potential in mV.
    fs_hz : float
        Sampling rate in Hz.
    smooth_hz : float, optional
        Low-pass cut-off in Hz (2nd-order Butterworth, ``filtfilt``); ignored when at or above Nyquist.
    """
    v = np.asarray(v_mv, dtype=float)
    if smooth_hz is not None:
        v = _smoothed(v, fs_hz, smooth_hz)
    if v.size < 2:
        return np.zeros_like(v)
    return np.gradient(v) * fs_hz / 1000.0


def _excluded(idx: int, exclude: Sequence[tuple[int, int]]) -> bool:
    return any(a <= idx < b for a, b in exclude)


def _peak_after(v: np.ndarray, dv: np.ndarray, onset: int, fs_hz: float, max_rise_ms: float) -> int:
    """Index of the AP peak: max of ``v`` from the onset to 0.3 ms after dV/dt first turns negative."""
    n = v.size
    stop = min(n, onset + max(2, int(round(max_rise_ms * 1e-3 * fs_hz))))
    neg = np.flatnonzero(dv[onset:stop] < 0)
    end = onset + (int(neg[0]) if neg.size else stop - onset)
    end = min(n, end + max(1, int(round(0.3e-3 * fs_hz))))
    return onset + int(np.argmax(v[onset:end]))


def detect_aps(
    v_mv: np.ndarray,
    fs_hz: float,
    *,
    dvdt_threshold: float = 20.0,
    min_peak: float = 0.0,
    min_amplitude: float = 20.0,
    refractory_ms: float = 2.0,
    smooth_hz: float | None = None,
    exclude: Sequence[tuple[int, int]] = (),
    max_rise_ms: float = 10.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Detect APs: onset and peak sample indices.

    Parameters
    ----------
    v_mv : numpy.ndarray
        Membrane potential in mV (one sweep or a window of it).
    fs_hz : float
        Sampling rate in Hz.
    dvdt_threshold : float
        Onset criterion in mV/ms.
    min_peak : float
        Minimum AP peak in mV.
    min_amplitude : float
        Minimum peak minus onset voltage in mV.
    refractory_ms : float
        Minimum interval between accepted onsets in ms.
    smooth_hz : float, optional
        Low-pass cut-off for dV/dt (Hz).
    exclude : sequence of (int, int)
        Sample intervals ``[a, b)`` in which onsets are ignored.
    max_rise_ms : float
        Longest onset-to-peak time searched, in ms.

    Returns
    -------
    onsets, peaks : numpy.ndarray of int
    """
    v = np.asarray(v_mv, dtype=float)
    vs = v if smooth_hz is None else _smoothed(v, fs_hz, smooth_hz)
    dv = dvdt_mv_per_ms(vs, fs_hz)  # the derivative of the smoothed trace: one low-pass, not two
    above = dv >= dvdt_threshold
    cand = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    if above.size and above[0]:
        cand = np.concatenate(([0], cand))
    refr = refractory_ms * 1e-3 * fs_hz
    onsets: list[int] = []
    peaks: list[int] = []
    armed, rearm_level, scan = True, np.inf, 0
    for k in cand:
        k = int(k)
        if not armed:
            seg = vs[scan:k]
            hit = np.flatnonzero(seg < rearm_level)
            if hit.size:
                armed = True
            scan = max(scan, k)
        if not armed or (onsets and k - onsets[-1] < refr) or _excluded(k, exclude):
            continue
        p = _peak_after(v, dv, k, fs_hz, max_rise_ms)
        if v[p] < min_peak or v[p] - v[k] < min_amplitude:
            continue
        onsets.append(k)
        peaks.append(p)
        armed, rearm_level, scan = False, v[p] - 0.5 * (v[p] - v[k]), p
    return np.asarray(onsets, dtype=int), np.asarray(peaks, dtype=int)


def _smoothed(v: np.ndarray, fs_hz: float, smooth_hz: float) -> np.ndarray:
    if not 0 < smooth_hz < 0.5 * fs_hz or v.size <= 15:
        return v
    from scipy.signal import butter, sosfiltfilt

    return sosfiltfilt(butter(2, smooth_hz / (0.5 * fs_hz), output="sos"), v)


def _threshold_index(dv: np.ndarray, onset: int, peak: int, lo: int, level: float) -> int:
    """Walk back from the maximum upstroke until dV/dt < ``level`` (IPFX's threshold rule)."""
    up = onset + int(np.argmax(dv[onset : max(peak, onset + 1)]))
    below = np.flatnonzero(dv[lo : up + 1] < level)
    return lo + int(below[-1]) + 1 if below.size else lo


def _upstrokes(dv: np.ndarray, onsets: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    return np.array([dv[k : max(int(p), int(k) + 1)].max() for k, p in zip(onsets, peaks)], dtype=float)


def _cross_time(v: np.ndarray, i0: int, level: float, step: int, limit: int) -> float:
    """Fractional index where ``v`` crosses ``level`` walking from ``i0`` by ``step`` (±1)."""
    i = i0
    while i != limit and v[i + step] > level:
        i += step
    if i == limit:
        return float("nan")
    a, b = v[i], v[i + step]
    frac = (a - level) / (a - b) if a != b else 0.0
    return i + step * frac


def ap_features(
    v_mv: np.ndarray,
    fs_hz: float,
    onsets: np.ndarray,
    peaks: np.ndarray,
    *,
    smooth_hz: float | None = None,
    threshold_fraction: float = 0.05,
    end: int | None = None,
) -> APFeatures:
    """Per-AP features for detected APs.

    Parameters
    ----------
    v_mv : numpy.ndarray
        Membrane potential in mV.
    fs_hz : float
        Sampling rate in Hz.
    onsets, peaks : numpy.ndarray of int
        From :func:`detect_aps`.
    smooth_hz : float, optional
        Low-pass cut-off used for dV/dt.
    threshold_fraction : float
        Threshold = where dV/dt, walking back from an AP's maximum upstroke, falls below this
        fraction of the mean maximum upstroke of the APs passed in (IPFX: 0.05 of the sweep's mean).
    end : int, optional
        Last sample (exclusive) of the analysis window (the step end).

    Returns
    -------
    APFeatures
    """
    v = np.asarray(v_mv, dtype=float)
    dv = dvdt_mv_per_ms(v, fs_hz, smooth_hz)
    n_ap = len(peaks)
    stop_all = v.size if end is None else min(v.size, end)
    out = {k: np.full(n_ap, np.nan) for k in ("thr", "pk", "hw", "ahp")}
    level = threshold_fraction * float(np.mean(_upstrokes(dv, onsets, peaks))) if n_ap else 0.0
    for j in range(n_ap):
        k, p = int(onsets[j]), int(peaks[j])
        lo = int(peaks[j - 1]) if j else max(0, k - int(round(5e-3 * fs_hz)))
        ti = _threshold_index(dv, k, p, lo, level)
        thr = v[ti]
        nxt = int(onsets[j + 1]) if j + 1 < n_ap else stop_all
        stop = max(p + 1, min(nxt, stop_all))
        trough = float(np.min(v[p:stop]))
        half = trough + 0.5 * (v[p] - trough)
        if half < thr:
            half = thr + 0.5 * (v[p] - thr)
        left = _cross_time(v, p, half, -1, max(ti - 1, 0))
        right = _cross_time(v, p, half, +1, min(v.size - 1, stop))
        out["thr"][j], out["pk"][j] = thr, v[p]
        out["hw"][j] = (right - left) / fs_hz * 1e3
        out["ahp"][j] = thr - trough
    return APFeatures(
        onset=np.asarray(onsets, dtype=int),
        peak=np.asarray(peaks, dtype=int),
        threshold_mv=out["thr"],
        peak_mv=out["pk"],
        amplitude_mv=out["pk"] - out["thr"],
        half_width_ms=out["hw"],
        ahp_depth_mv=out["ahp"],
    )
