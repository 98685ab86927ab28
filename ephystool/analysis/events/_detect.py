"""Event detection traces and candidate onsets for :mod:`ephystool.analysis.events`.

Two detectors, both returning a detection trace whose peaks sit at event **onsets**:

* ``template`` - Clements & Bekkers (1997, Biophys J 73:220): at every sample the template ``T`` is
  fitted to the next ``N`` samples as ``scale * T + offset`` (least squares, closed form); the detection
  criterion is ``DC = scale / SE`` with ``SE`` the standard error of that fit. Sums over the sliding
  window are cumulative sums and one FFT correlation, so the cost is O(n log n).
* ``deconvolution`` - Pernia-Andrade et al. (2012, Biophys J 103:1429): the trace is deconvolved by the
  template in the frequency domain and the result band-pass filtered (zero phase, Gaussian roll-off).

The threshold is in standard deviations of the detection trace's noise, measured robustly
(1.4826 x MAD) on event-free stretches: a first estimate over every analysed sample, then again with
the neighbourhood of each detected event left out (Pernia-Andrade et al. fit a Gaussian to the
all-point histogram for the same purpose).
"""

from __future__ import annotations

import numpy as np

__all__ = ["biexp_template", "detect", "detection_trace", "robust_sd"]

_MAD = 1.4826


def biexp_template(rate_hz: float, tau_rise_ms: float, tau_decay_ms: float, pre_ms: float = 0.0,
                   length_decays: float = 3.0) -> np.ndarray:
    """Clements-Bekkers template ``(1 - exp(-t/tau_r)) exp(-t/tau_d)``, peak 1: ``pre_ms`` of baseline
    (zeros) before the onset, then up to the peak plus ``length_decays`` decay time constants.

    The baseline stretch lets the fitted offset be the level *before* the event, as a local baseline
    is measured by hand; without it the offset and the scale trade off against each other and the
    scale is several times noisier (and 1/f noise leaks in).
    """
    tp = tau_rise_ms * np.log((tau_rise_ms + tau_decay_ms) / tau_rise_ms)  # time of the peak
    n = max(int(np.ceil((tp + length_decays * tau_decay_ms) * 1e-3 * rate_hz)), 4)
    pre = int(round(pre_ms * 1e-3 * rate_hz))
    t = np.arange(n) / rate_hz * 1e3
    w = (1.0 - np.exp(-t / tau_rise_ms)) * np.exp(-t / tau_decay_ms)
    peak = (1.0 - np.exp(-tp / tau_rise_ms)) * np.exp(-tp / tau_decay_ms)
    return np.concatenate([np.zeros(pre), w / peak])


def robust_sd(x: np.ndarray, max_samples: int = 500_000) -> float:
    """1.4826 x median absolute deviation (the SD of Gaussian noise; robust to sparse events), from at
    most ``max_samples`` evenly strided samples (the estimate's own error is then < 0.2 %)."""
    x = x[:: max(x.size // max_samples, 1)]
    x = x[np.isfinite(x)]
    return float(_MAD * np.median(np.abs(x - np.median(x)))) if x.size else float("nan")


def _median(x: np.ndarray, max_samples: int = 500_000) -> float:
    return float(np.median(x[:: max(x.size // max_samples, 1)]))


def _window_sums(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    c1 = np.concatenate(([0.0], np.cumsum(x)))
    c2 = np.concatenate(([0.0], np.cumsum(x * x)))
    return c1[n:] - c1[:-n], c2[n:] - c2[:-n]


def clements_bekkers(y: np.ndarray, template: np.ndarray, criterion: str = "scale") -> np.ndarray:
    """Optimal scale (``criterion='scale'``) or ``scale / SE`` (``'scale_se'``) at every onset sample
    (``len(y) - len(T) + 1`` values).

    ``y`` must be oriented so that events are positive (multiply by the polarity first).
    """
    from scipy.signal import oaconvolve

    n = template.size
    y = y - np.mean(y)  # the offset term absorbs any level; centring keeps the cumulative sums exact
    s_t, s_t2 = float(template.sum()), float((template * template).sum())
    s_d, s_d2 = _window_sums(y, n)
    s_td = oaconvolve(y, template[::-1], mode="valid")
    scale = (s_td - s_t * s_d / n) / (s_t2 - s_t * s_t / n)
    if criterion == "scale":
        return scale
    offset = (s_d - scale * s_t) / n
    sse = s_d2 + scale * scale * s_t2 + n * offset * offset - 2.0 * (scale * s_td + offset * s_d - scale * offset * s_t)
    se = np.sqrt(np.maximum(sse, 1e-30) / (n - 1))
    return scale / se


def deconvolve(y: np.ndarray, template: np.ndarray, rate_hz: float, band_hz: tuple[float, float]) -> np.ndarray:
    """Pernia-Andrade deconvolution of ``y`` by ``template``, band-passed to ``band_hz`` (Gaussian roll-off)."""
    n = y.size
    nfft = 1 << int(np.ceil(np.log2(n + template.size)))
    yp = np.zeros(nfft)
    yp[:n] = y - np.mean(y)
    yp[n:] = yp[n - 1] if n else 0.0  # no step at the wrap-around
    spec_t = np.fft.rfft(template, nfft)
    f = np.fft.rfftfreq(nfft, 1.0 / rate_hz)
    lo, hi = band_hz
    gain = np.exp(-0.5 * (f / hi) ** 2) * (1.0 - np.exp(-0.5 * (f / lo) ** 2) if lo > 0 else 1.0)
    spec = np.fft.rfft(yp) / np.where(np.abs(spec_t) > 1e-12, spec_t, 1e-12) * gain
    return np.fft.irfft(spec, nfft)[:n]


def detection_trace(y: np.ndarray, template: np.ndarray, method: str, rate_hz: float,
                    band_hz: tuple[float, float], pre: int = 0) -> np.ndarray:
    """Detection trace of length ``len(y)``, indexed by event onset (``template`` starts with ``pre``
    baseline samples; where the template does not fit in the trace the value is NaN)."""
    if method == "deconvolution":
        return deconvolve(y, template[pre:], rate_hz, band_hz)
    out = np.full(y.size, np.nan)
    if y.size >= template.size:
        out[pre : pre + y.size - template.size + 1] = clements_bekkers(y, template)
    return out


def _peaks(d: np.ndarray, allowed: np.ndarray, thr: float, distance: int) -> np.ndarray:
    from scipy.signal import find_peaks

    dd = np.where(allowed & np.isfinite(d), d, -np.inf)
    idx, _ = find_peaks(np.where(np.isfinite(dd), dd, np.nanmin(d) if np.any(np.isfinite(d)) else 0.0),
                        height=thr, distance=max(distance, 1))
    return idx[allowed[idx]]


def detect(d: np.ndarray, allowed: np.ndarray, threshold_sd: float, distance: int,
           quiet: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Onset samples where the detection trace ``d`` peaks above ``threshold_sd`` noise SDs.

    Parameters
    ----------
    d : numpy.ndarray
        Detection trace (events positive).
    allowed : numpy.ndarray of bool
        Samples where an onset may be reported (analysed, unmasked time).
    threshold_sd : float
        Threshold in SDs of ``d`` on event-free stretches.
    distance : int
        Minimum samples between two onsets.
    quiet : (int, int)
        Samples before and after an onset left out of the noise estimate.

    Returns
    -------
    (numpy.ndarray, float)
        Onset sample indices and the noise SD of ``d``.
    """
    ok = allowed & np.isfinite(d)
    if not np.any(ok):
        return np.zeros(0, dtype=int), float("nan")
    base, sd = _median(d[ok]), robust_sd(d[ok])
    if np.isfinite(sd) and sd > 0:  # re-estimate the noise without the events a first pass finds
        free = ok.copy()
        for i in _peaks(d - base, allowed, threshold_sd * sd, distance):
            free[max(i - quiet[0], 0) : i + quiet[1]] = False
        if free.sum() >= 100:
            base, sd = _median(d[free]), robust_sd(d[free])
    if not np.isfinite(sd) or sd <= 0:
        return np.zeros(0, dtype=int), float("nan")
    return _peaks(d - base, allowed, threshold_sd * sd, distance), sd

