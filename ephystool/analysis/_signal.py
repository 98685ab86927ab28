"""Generic signal helpers shared by the analyzers (NMDA, LTP, firing).

Everything here works on plain 1-D numpy arrays sampled at a constant rate, with times in
seconds relative to the first sample. Nothing reads files or knows about a protocol; the
functions that can fail on user data raise :class:`~ephystool.errors.AnalysisError` with a
``where`` text supplied by the caller (file, sweep) so that the message names the place.

Contents
--------
* windows: :func:`window_slice`, :func:`window_mean`, :func:`subtract_baseline`
* artifacts and stimuli: :func:`blank_artifact`, :func:`detect_artifacts`, :func:`detect_pulses`
* peaks and kinetics: :func:`peak_in_window`, :func:`rise_time`, :func:`charge`,
  :func:`fit_exponential_decay` (one or two exponentials, amplitude-weighted tau)
* filtering and noise: :func:`bandpass`, :func:`rms`
* sweep rejection: :func:`mad_outliers`
* parameter parsing lives in :mod:`ephystool.analysis.params`
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ephystool.errors import AnalysisError

__all__ = [
    "ExpFit",
    "bandpass",
    "blank_artifact",
    "charge",
    "detect_artifacts",
    "detect_pulses",
    "fit_exponential_decay",
    "mad_outliers",
    "peak_in_window",
    "rise_time",
    "rms",
    "subtract_baseline",
    "window_mean",
    "window_slice",
]


# ----------------------------------------------------------------------------- windows
def window_slice(n: int, rate_hz: float, start_s: float, stop_s: float, where: str = "", path: Any = None) -> slice:
    """Sample slice of the window ``[start_s, stop_s)`` in a trace of ``n`` samples.

    Raises
    ------
    AnalysisError
        If the window does not lie inside the trace (the message says by how much and what to do).
    """
    i0 = int(round(start_s * rate_hz))
    i1 = int(round(stop_s * rate_hz))
    dur = n / rate_hz
    if i0 < 0 or i1 > n or i1 <= i0:
        raise AnalysisError(
            f"{where}window {start_s * 1e3:.1f}-{stop_s * 1e3:.1f} ms lies outside the sweep "
            f"(0-{dur * 1e3:.1f} ms); shorten the window in the protocol or check the stimulus time",
            path,
        )
    return slice(i0, i1)


def window_mean(x: np.ndarray, rate_hz: float, start_s: float, stop_s: float, where: str = "", path: Any = None) -> float:
    """Mean of ``x`` over ``[start_s, stop_s)`` (seconds from the first sample)."""
    return float(np.mean(x[window_slice(len(x), rate_hz, start_s, stop_s, where, path)]))


def subtract_baseline(
    x: np.ndarray, rate_hz: float, start_s: float, stop_s: float, method: str = "mean", where: str = "", path: Any = None
) -> tuple[np.ndarray, float]:
    """Subtract the mean (or median) of a baseline window.

    Returns
    -------
    (numpy.ndarray, float)
        The baseline-subtracted copy and the baseline value (same units as ``x``).
    """
    seg = x[window_slice(len(x), rate_hz, start_s, stop_s, where, path)]
    base = float(np.median(seg) if method == "median" else np.mean(seg))
    return x - base, base


# ----------------------------------------------------------------------------- stimuli
def blank_artifact(x: np.ndarray, rate_hz: float, t_s: float, duration_s: float) -> np.ndarray:
    """Replace ``[t_s, t_s + duration_s]`` by a straight line between the samples around it.

    The artifact is never measured: any peak search over the blanked span sees the line.
    Returns a copy; out-of-range spans are clipped to the trace.
    """
    y = np.array(x, dtype=float, copy=True)
    i0 = max(int(np.floor(t_s * rate_hz)) - 1, 0)
    i1 = min(int(np.ceil((t_s + duration_s) * rate_hz)) + 1, len(y) - 1)
    if i1 > i0:
        y[i0 : i1 + 1] = np.linspace(y[i0], y[i1], i1 - i0 + 1)
    return y


def detect_artifacts(
    x: np.ndarray, rate_hz: float, k: float = 30.0, min_interval_s: float = 0.01, max_width_s: float = 0.002
) -> list[float]:
    """Find stimulus artifacts: brief, biphasic, very steep transients far above the trace's noise.

    A sample is a candidate when its first difference exceeds ``k`` times the robust (MAD) standard
    deviation of the differences. Candidates closer than ``min_interval_s`` form one event; an event
    is an artifact when steep steps of *both* signs occur within ``max_width_s`` of its onset
    (a synaptic current rises steeply in one direction only and decays slowly).

    Returns
    -------
    list of float
        Onset times in seconds from the first sample.
    """
    d = np.diff(np.asarray(x, dtype=float))
    sd = 1.4826 * float(np.median(np.abs(d - np.median(d))))
    if not np.isfinite(sd) or sd == 0.0:
        return []
    idx = np.flatnonzero(np.abs(d) > k * sd)
    gap = int(round(min_interval_s * rate_hz))
    width = max(int(round(max_width_s * rate_hz)), 1)
    onsets: list[float] = []
    last = -(10**12)
    for i in idx:
        if i - last >= gap:
            span = d[i : i + width + 1]
            if np.any(span > k * sd) and np.any(span < -k * sd):
                onsets.append(i / rate_hz)
        last = i
    return onsets


def detect_pulses(x: np.ndarray, rate_hz: float, min_interval_s: float = 0.005) -> list[float]:
    """Onsets of pulses on a stimulus/TTL/light channel (upward crossings of the mid-level).

    Returns an empty list when the channel is flat (range below 10 % of its largest magnitude).
    """
    x = np.asarray(x, dtype=float)
    lo, hi = float(np.percentile(x, 1)), float(np.max(x))
    if hi - lo <= 0.1 * max(abs(hi), abs(lo), 1e-12):
        return []
    mid = 0.5 * (lo + hi)
    up = np.flatnonzero((x[1:] > mid) & (x[:-1] <= mid)) + 1
    out: list[float] = []
    for i in up:
        if not out or i / rate_hz - out[-1] >= min_interval_s:
            out.append(i / rate_hz)
    return out


# ----------------------------------------------------------------------------- peaks, kinetics
def peak_in_window(
    x: np.ndarray, rate_hz: float, start_s: float, stop_s: float, direction: int, smooth_s: float = 0.0,
    where: str = "", path: Any = None,
) -> tuple[int, float]:
    """Extreme of ``x`` in a window, in the given direction (-1: minimum, +1: maximum).

    With ``smooth_s`` > 0 the trace is first smoothed with a centred moving average of ``smooth_s``
    (a guard against picking a noise spike on a broad peak); the extreme and its value are taken on
    the smoothed trace.

    Returns
    -------
    (int, float)
        Sample index (into ``x``) and the signed value.
    """
    sl = window_slice(len(x), rate_hz, start_s, stop_s, where, path)
    half = int(round(0.5 * smooth_s * rate_hz))
    if half > 0:
        lo, hi = max(sl.start - half, 0), min(sl.stop + half, len(x))
        kernel = np.ones(2 * half + 1) / (2 * half + 1)
        sm = np.convolve(np.asarray(x[lo:hi], dtype=float), kernel, mode="same")
        seg = sm[sl.start - lo : sl.stop - lo]
    else:
        seg = np.asarray(x[sl], dtype=float)
    j = int(np.argmin(seg) if direction < 0 else np.argmax(seg))
    return sl.start + j, float(seg[j])


def rise_time(x: np.ndarray, rate_hz: float, start: int, peak: int, lo: float = 0.1, hi: float = 0.9) -> float:
    """10-90 % (``lo``-``hi``) rise time in seconds between sample ``start`` and the peak sample.

    ``x`` is baseline-subtracted; the crossings are the last samples below each level before the
    peak, refined by linear interpolation. Returns NaN when the rise cannot be resolved.
    """
    if peak <= start:
        return float("nan")
    sign = 1.0 if x[peak] >= 0 else -1.0
    seg = sign * np.asarray(x[start : peak + 1], dtype=float)
    amp = seg[-1]
    times = []
    for level in (lo * amp, hi * amp):
        below = np.flatnonzero(seg < level)
        if below.size == 0:
            return float("nan")
        k = int(below[-1])
        if k + 1 >= seg.size:
            return float("nan")
        frac = (level - seg[k]) / (seg[k + 1] - seg[k])
        times.append((k + frac) / rate_hz)
    return float(times[1] - times[0])


def charge(x: np.ndarray, rate_hz: float, start_s: float, stop_s: float, where: str = "", path: Any = None) -> float:
    """Integral of ``x`` over the window (trapezoid rule): pA x s = pC when ``x`` is in pA."""
    seg = x[window_slice(len(x), rate_hz, start_s, stop_s, where, path)]
    return _trapz(seg, 1.0 / rate_hz) if seg.size > 1 else 0.0


def _trapz(y: np.ndarray, dx: float) -> float:
    """Trapezoid integral with a constant step (numpy 1.26 has no ``trapezoid``)."""
    return float((np.sum(y) - 0.5 * (y[0] + y[-1])) * dx)


@dataclass(frozen=True)
class ExpFit:
    """Result of an exponential decay fit ``y = sum_i a_i exp(-t / tau_i) (+ c)``.

    ``amplitudes`` in the units of the data, ``taus`` in the units of ``t`` (fast first),
    ``tau_w`` the amplitude-weighted time constant ``sum(a_i tau_i) / sum(a_i)``, ``r2`` and
    ``rmse`` the fit quality; ``ok`` is False when the fit failed (values are then NaN).
    """

    amplitudes: tuple[float, ...]
    taus: tuple[float, ...]
    offset: float
    r2: float
    rmse: float
    ok: bool

    @property
    def tau_w(self) -> float:
        """Amplitude-weighted time constant."""
        a = np.asarray(self.amplitudes)
        return float(np.sum(a * np.asarray(self.taus)) / np.sum(a)) if self.ok and np.sum(a) != 0 else float("nan")

    def evaluate(self, t: np.ndarray) -> np.ndarray:
        """The fitted curve at times ``t`` (same time origin as the fit)."""
        t = np.asarray(t, dtype=float)
        return self.offset + sum(a * np.exp(-t / tau) for a, tau in zip(self.amplitudes, self.taus))


def _failed(n: int) -> ExpFit:
    nan = float("nan")
    return ExpFit((nan,) * n, (nan,) * n, 0.0, nan, nan, False)


def fit_exponential_decay(t: np.ndarray, y: np.ndarray, n_exp: int = 1, offset: bool = False) -> ExpFit:
    """Fit one or two decaying exponentials to ``y(t)`` (``t`` from the fit start, e.g. the peak).

    Parameters
    ----------
    t, y : numpy.ndarray
        Times (any unit; taus come back in it) and values (sign-free: a negative decay is fitted too).
    n_exp : {1, 2}
        Number of exponentials.
    offset : bool
        Fit a constant offset as well.

    Returns
    -------
    ExpFit
        ``ok`` False (and NaN values) when the fit does not converge or the data are too short.
    """
    from scipy.optimize import curve_fit

    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    if t.size < 3 * n_exp + 3 or not np.all(np.isfinite(y)) or np.ptp(t) <= 0:
        return _failed(n_exp)
    y0 = float(y[0]) if y[0] != 0 else float(np.mean(y[:5]))
    span = float(np.ptp(t))
    area = float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(t)))
    tau0 = min(max(area / y0 if y0 else span / 5, span / 100), span)

    def model(tt: np.ndarray, *p: float) -> np.ndarray:
        out = np.zeros_like(tt) + (p[-1] if offset else 0.0)
        for k in range(n_exp):
            out = out + p[2 * k] * np.exp(-tt / p[2 * k + 1])
        return out

    if n_exp == 1:
        p0 = [y0, tau0]
    else:
        p0 = [0.5 * y0, 0.3 * tau0, 0.5 * y0, 2.0 * tau0]
    if offset:
        p0.append(0.0)
    lo_b = [-np.inf if k % 2 == 0 else 1e-9 * span for k in range(2 * n_exp)] + ([-np.inf] if offset else [])
    hi_b = [np.inf if k % 2 == 0 else 1e3 * span for k in range(2 * n_exp)] + ([np.inf] if offset else [])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, _ = curve_fit(model, t, y, p0=p0, bounds=(lo_b, hi_b), maxfev=20000)
    except (RuntimeError, ValueError):
        return _failed(n_exp)
    amps = [float(p[2 * k]) for k in range(n_exp)]
    taus = [float(p[2 * k + 1]) for k in range(n_exp)]
    order = np.argsort(taus)
    resid = y - model(t, *p)
    ss_tot = float(np.sum((y - np.mean(y)) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else float("nan")
    return ExpFit(
        tuple(amps[i] for i in order), tuple(taus[i] for i in order), float(p[-1]) if offset else 0.0,
        r2, float(np.sqrt(np.mean(resid**2))), True,
    )


# ----------------------------------------------------------------------------- filters, noise, outliers
def bandpass(x: np.ndarray, rate_hz: float, low_hz: float | None, high_hz: float | None, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth band-pass (or low/high-pass when one edge is None).

    An upper edge at or above 0.95 x Nyquist is dropped (the trace is already band-limited there);
    a lower edge that leaves fewer than three cycles in the trace is dropped too, and the mean is then
    subtracted instead (the output is always centred on zero).
    """
    from scipy.signal import butter, sosfiltfilt

    x = np.asarray(x, dtype=float)
    nyq = 0.5 * rate_hz
    hi = high_hz if high_hz is not None and high_hz < 0.95 * nyq else None
    lo = low_hz if low_hz is not None and low_hz * len(x) / rate_hz >= 3.0 else None
    if lo is None and hi is None:
        return x - np.mean(x)
    if lo is not None and hi is not None:
        sos = butter(order, [lo, hi], btype="bandpass", fs=rate_hz, output="sos")
    elif hi is not None:
        sos = butter(order, hi, btype="lowpass", fs=rate_hz, output="sos")
    else:
        sos = butter(order, lo, btype="highpass", fs=rate_hz, output="sos")
    if len(x) <= 3 * (2 * order + 1) * 2:
        return x - np.mean(x)
    y = sosfiltfilt(sos, x)
    return y - np.mean(y) if lo is None else y


def rms(x: np.ndarray) -> float:
    """Root-mean-square about the mean (the standard deviation)."""
    x = np.asarray(x, dtype=float)
    return float(np.sqrt(np.mean((x - np.mean(x)) ** 2))) if x.size else float("nan")


def mad_outliers(values: np.ndarray, k: float = 5.0) -> np.ndarray:
    """Boolean mask of outliers: ``|x - median| > k * 1.4826 * MAD``.

    NaNs are outliers. With fewer than three finite values, or a zero MAD, nothing else is flagged.
    """
    v = np.asarray(values, dtype=float)
    out = ~np.isfinite(v)
    good = v[~out]
    if good.size < 3:
        return out
    med = float(np.median(good))
    mad = 1.4826 * float(np.median(np.abs(good - med)))
    if mad == 0.0:
        return out
    return out | (np.abs(v - med) > k * mad)
