"""Per-sweep measures of evoked field responses (fEPSP) and paired pulses, on plain numpy arrays.

One evoked field response, measured the way LTP labs do it (Clampfit / WinLTP practice):

1. The pre-stimulus baseline (median of the ``baseline_ms`` before the stimulus) is subtracted.
2. The stimulus artifact is blanked (linear interpolation over ``artifact_blank`` after the stimulus).
3. The fibre volley (FV) is the trough in ``fibre_volley_window``; its amplitude is the depth of the
   trough below the line joining the maximum before it and the "notch" (the maximum between the trough
   and the fEPSP peak), so that the rising fEPSP under it does not inflate it.
4. The fEPSP peak is the most negative point of ``fepsp_window`` (after the FV); its amplitude is the
   baseline minus the peak (a magnitude, mV).
5. The initial slope is a least-squares line through the raw trace between the first crossings of
   ``f_lo`` and ``f_hi`` of the onset-to-peak excursion (10-90 % by default), the onset being the notch
   after the FV (or the window start when no FV is resolved). The alternative is a fixed window
   (``slope_in_window``), chosen on the baseline average and kept for the whole session.

Every step is linear in the signal (medians, means, fractions, noise in units of the trace's own
noise), so the normalised slope is invariant to scaling the signal. The slope is signed: negative for a
negative-going fEPSP (mV/ms).

The paired-pulse measure (:func:`evoked_peaks`) is generic: it is used for fEPSP amplitudes and for
voltage-clamp EPSCs alike (peak relative to the median just before each stimulus).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

__all__ = [
    "ResponseWindows",
    "FepspMeasure",
    "measure_fepsp",
    "slope_in_window",
    "detect_stimulus",
    "evoked_peaks",
    "robust_sd",
]

_NAN = float("nan")


@dataclass(frozen=True)
class ResponseWindows:
    """Windows of one evoked response, in ms relative to the stimulus.

    Attributes
    ----------
    fibre_volley : tuple of float
        Search window of the fibre-volley trough (ms after the stimulus).
    fepsp : tuple of float
        Search window of the fEPSP peak (ms after the stimulus).
    artifact_blank : float
        Blanked span after the stimulus (ms).
    baseline : float
        Length of the pre-stimulus baseline (ms), ending ``artifact_blank`` / 2 before the stimulus.
    fraction : tuple of float
        Fractions of the onset-to-peak excursion bounding the slope fit (0.1, 0.9 or 0.2, 0.8).
    smooth : float
        Width of the moving average used to locate the peak and the fraction crossings (ms; the fit uses
        the raw trace; the fibre volley and the notch use a 0.2 ms average).
    """

    fibre_volley: tuple[float, float] = (0.5, 2.5)
    fepsp: tuple[float, float] = (2.0, 15.0)
    artifact_blank: float = 0.5
    baseline: float = 5.0
    fraction: tuple[float, float] = (0.1, 0.9)
    smooth: float = 0.6


@dataclass(frozen=True)
class FepspMeasure:
    """One evoked field response.

    Attributes
    ----------
    slope : float
        Initial slope (mV/ms, signed: negative for a negative-going fEPSP); NaN when not measurable.
    amplitude : float
        Baseline minus the fEPSP peak (mV; positive for a negative-going fEPSP).
    fibre_volley : float
        Fibre-volley amplitude (mV, magnitude); NaN when no trough is resolved.
    fit_ms : tuple of float
        Start and end of the slope fit (ms after the stimulus).
    intercept : float
        Fitted value at ``fit_ms[0]`` (mV, baseline-subtracted), for drawing the fit.
    peak_ms : float
        Time of the fEPSP peak (ms after the stimulus).
    noise : float
        Robust SD of the pre-stimulus baseline (mV).
    """

    slope: float
    amplitude: float
    fibre_volley: float
    fit_ms: tuple[float, float]
    intercept: float
    peak_ms: float
    noise: float


def robust_sd(x: np.ndarray) -> float:
    """Robust standard deviation: 1.4826 x median absolute deviation (NaNs ignored)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return _NAN
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def _idx(t_ms: float, fs_khz: float) -> int:
    return int(round(t_ms * fs_khz))


def _prepare(v: np.ndarray, fs_khz: float, stim_ms: float, win: ResponseWindows) -> tuple[np.ndarray, float]:
    """Baseline-subtracted copy of ``v`` with the artifact blanked; also the baseline noise."""
    i_stim = _idx(stim_ms, fs_khz)
    gap = max(1, _idx(0.2, fs_khz))
    lo = max(0, i_stim - _idx(win.baseline, fs_khz) - gap)
    pre = v[lo : max(lo + 1, i_stim - gap)]
    base = float(np.median(pre)) if pre.size else float(v[0])
    y = np.asarray(v, dtype=float) - base
    i_end = min(len(y) - 1, i_stim + max(1, _idx(win.artifact_blank, fs_khz)))
    i_pre = max(0, i_stim - 1)
    if i_end > i_pre + 1:
        y[i_pre : i_end + 1] = np.linspace(y[i_pre], y[i_end], i_end + 1 - i_pre)
    return y, robust_sd(pre) if pre.size > 3 else _NAN


def _fibre_volley(s: np.ndarray, i0: int, i1: int, i_peak: int) -> tuple[float, int | None]:
    """FV amplitude (magnitude) and trough index, or (NaN, None) when no separate trough exists.

    Among the local minima of ``s[i0:i1]`` before the fEPSP peak, the trough is the one deepest below
    the line joining the maximum before it (in the window) and the notch (the maximum after it).
    """
    i1 = min(i1, i_peak - 1)
    if i1 - i0 < 3:
        return _NAN, None
    seg = s[i0:i1]
    minima = np.flatnonzero((seg[1:-1] < seg[:-2]) & (seg[1:-1] <= seg[2:])) + 1 + i0
    best, best_depth = None, 0.0
    for m in minima:
        before = i0 + int(np.argmax(s[i0:m]))
        notch = m + int(np.argmax(s[m:i_peak]))
        if before >= m or notch <= m:
            continue
        line = s[before] + (m - before) / (notch - before) * (s[notch] - s[before])
        if line - s[m] > best_depth:
            best, best_depth = int(m), float(line - s[m])
    return (best_depth, best) if best is not None else (_NAN, None)


def _smooth(y: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` samples (made odd); the trace itself when width < 2."""
    return uniform_filter1d(y, width | 1, mode="nearest") if width > 1 else y


def _crossing(seg: np.ndarray, level: float) -> int:
    """First sample of a falling segment at or below ``level``."""
    first = int(np.argmax(seg <= level))
    return first


def _fit(t: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept at t[0]."""
    if t.size < 2:
        return _NAN, _NAN
    tc = t - t[0]
    a, b = np.polyfit(tc, y, 1)
    return float(a), float(b)


def measure_fepsp(
    v: np.ndarray,
    fs_hz: float,
    stim_ms: float,
    win: ResponseWindows,
    fixed_fit_ms: tuple[float, float] | None = None,
) -> FepspMeasure:
    """Measure one evoked field response.

    Parameters
    ----------
    v : numpy.ndarray
        The sweep in mV (1-D).
    fs_hz : float
        Sampling rate (Hz).
    stim_ms : float
        Stimulus time relative to the sweep's first sample (ms).
    win : ResponseWindows
        Windows and slope fractions.
    fixed_fit_ms : tuple of float, optional
        Fit the slope over this fixed window (ms after the stimulus) instead of the fraction method.

    Returns
    -------
    FepspMeasure
        NaN fields where the sweep does not contain the windows.
    """
    fs_khz = fs_hz / 1000.0
    i_stim = _idx(stim_ms, fs_khz)
    i_f0, i_f1 = i_stim + _idx(win.fepsp[0], fs_khz), i_stim + _idx(win.fepsp[1], fs_khz)
    if i_stim < 1 or i_f1 > len(v) or i_f1 - i_f0 < 3:
        return FepspMeasure(_NAN, _NAN, _NAN, (_NAN, _NAN), _NAN, _NAN, _NAN)
    y, noise = _prepare(v, fs_khz, stim_ms, win)
    s = _smooth(y, _idx(win.smooth, fs_khz))
    fine = _smooth(y, _idx(0.2, fs_khz))
    i_v0 = i_stim + _idx(win.fibre_volley[0], fs_khz)
    i_v1 = i_stim + _idx(win.fibre_volley[1], fs_khz)
    i_peak = i_f0 + int(np.argmin(s[i_f0:i_f1]))
    fv, trough = _fibre_volley(fine, i_v0, i_v1 + 1, i_peak)
    half = max(1, _idx(0.5, fs_khz))  # the peak value: mean over +-0.5 ms (an argmin of noise is biased)
    peak_value = float(np.mean(y[max(i_f0, i_peak - half) : i_peak + half + 1]))
    amplitude = -peak_value
    t_ms = np.arange(len(y)) / fs_khz - stim_ms
    if fixed_fit_ms is not None:
        slope, intercept = slope_in_window(y, fs_hz, stim_ms, fixed_fit_ms)
        return FepspMeasure(slope, amplitude, fv, fixed_fit_ms, intercept, float(t_ms[i_peak]), noise)
    i_on = i_f0 if trough is None else trough + int(np.argmax(fine[trough:i_peak]))
    i_on = min(i_on, i_peak - 1)
    level = min(float(fine[i_on]), 0.0)  # a notch above the baseline (FV's last phase) counts from the baseline
    excursion = peak_value - level
    if not excursion < 0:
        return FepspMeasure(_NAN, amplitude, fv, (_NAN, _NAN), _NAN, float(t_ms[i_peak]), noise)
    lo = i_on + _crossing(s[i_on : i_peak + 1], level + win.fraction[0] * excursion)
    hi = i_on + _crossing(s[i_on : i_peak + 1], level + win.fraction[1] * excursion)
    if hi - lo < 2:
        lo, hi = max(i_on, lo - 1), min(i_peak, hi + 1)
    slope, intercept = _fit(t_ms[lo : hi + 1], y[lo : hi + 1])
    return FepspMeasure(
        slope * 1.0, amplitude, fv, (float(t_ms[lo]), float(t_ms[hi])), intercept, float(t_ms[i_peak]), noise
    )


def slope_in_window(
    y: np.ndarray, fs_hz: float, stim_ms: float, fit_ms: tuple[float, float]
) -> tuple[float, float]:
    """Least-squares slope (units of ``y`` per ms) over a fixed window after the stimulus.

    Parameters
    ----------
    y : numpy.ndarray
        Baseline-subtracted trace.
    fs_hz : float
        Sampling rate (Hz).
    stim_ms : float
        Stimulus time (ms from the first sample).
    fit_ms : tuple of float
        Window (ms after the stimulus).

    Returns
    -------
    slope, intercept : float
        Slope per ms and the fitted value at the window start; NaN when the window leaves the trace.
    """
    fs_khz = fs_hz / 1000.0
    i0 = _idx(stim_ms + fit_ms[0], fs_khz)
    i1 = _idx(stim_ms + fit_ms[1], fs_khz)
    if i0 < 0 or i1 >= len(y) or not np.isfinite(fit_ms[0] + fit_ms[1]):
        return _NAN, _NAN
    i1 = max(i1, i0 + 1)
    t = np.arange(i0, i1 + 1) / fs_khz - stim_ms
    return _fit(t, np.asarray(y[i0 : i1 + 1], dtype=float))


def detect_stimulus(
    v: np.ndarray, fs_hz: float, near_ms: float | None = None, search_ms: float = 1.0, min_snr: float = 10.0
) -> float | None:
    """Time (ms) of a stimulus artifact: the first sample of the steepest jump in the trace.

    Parameters
    ----------
    v : numpy.ndarray
        The sweep.
    fs_hz : float
        Sampling rate (Hz).
    near_ms : float, optional
        Search only within ``search_ms`` of this time; the whole sweep when None.
    search_ms : float
        Half-width of the search (ms).
    min_snr : float
        The jump must exceed this many robust SDs of the sample-to-sample differences.

    Returns
    -------
    float or None
        Artifact onset (ms from the first sample), or None when no artifact stands out.
    """
    d = np.diff(np.asarray(v, dtype=float))
    dv = np.abs(d)
    if dv.size < 4:
        return None
    fs_khz = fs_hz / 1000.0
    lo, hi = 0, dv.size
    if near_ms is not None:
        lo = max(0, _idx(near_ms - search_ms, fs_khz))
        hi = min(dv.size, _idx(near_ms + search_ms, fs_khz) + 1)
    if hi - lo < 1:
        return None
    seg = dv[lo:hi]
    k = int(np.argmax(seg))
    if not seg[k] > min_snr * robust_sd(d):
        return None
    first = int(np.argmax(seg >= 0.5 * seg[k]))
    return (lo + first) / fs_khz


def evoked_peaks(
    t_s: np.ndarray,
    y: np.ndarray,
    stim_times_s: Sequence[float],
    baseline_s: float = 0.005,
    window_s: tuple[float, float] = (0.001, 0.030),
    polarity: int = -1,
) -> np.ndarray:
    """Peak of the evoked response after each stimulus, relative to the median just before it.

    Generic: fEPSP amplitudes (mV) and voltage-clamp EPSCs (pA) alike. The paired-pulse ratio is
    ``peaks[1] / peaks[0]``.

    Parameters
    ----------
    t_s : numpy.ndarray
        Sample times (s), same clock as ``stim_times_s``.
    y : numpy.ndarray
        The trace.
    stim_times_s : sequence of float
        Stimulus times (s).
    baseline_s : float
        Length of the pre-stimulus baseline (s).
    window_s : tuple of float
        Peak search window after each stimulus (s).
    polarity : int
        -1 for inward/negative-going responses (the most negative point), +1 for positive-going.

    Returns
    -------
    numpy.ndarray
        Signed peak per stimulus (in the units of ``y``); NaN where a window leaves the trace.
    """
    t_s = np.asarray(t_s, dtype=float)
    y = np.asarray(y, dtype=float)
    out = np.full(len(stim_times_s), np.nan)
    for k, ts in enumerate(stim_times_s):
        base = y[(t_s >= ts - baseline_s) & (t_s < ts)]
        sel = (t_s >= ts + window_s[0]) & (t_s <= ts + window_s[1])
        if base.size == 0 or not sel.any():
            continue
        seg = y[sel] - np.median(base)
        out[k] = float(seg.min() if polarity < 0 else seg.max())
    return out
