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

__all__ = ["APFeatures", "DetectorRules", "Rejected", "detect_aps", "ap_features", "dvdt_mv_per_ms"]


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

    onset: np.ndarray  # sample index
    peak: np.ndarray  # sample index
    threshold_mv: np.ndarray
    peak_mv: np.ndarray
    amplitude_mv: np.ndarray
    half_width_ms: np.ndarray
    ahp_depth_mv: np.ndarray

    @property
    def count(self) -> int:
        """Number of APs (one peak each)."""
        return len(self.peak)


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


@dataclass(frozen=True)
class DetectorRules:
    """The shape rules of an AP (plain floats; see :func:`detect_aps` for the sources of the defaults).

    Attributes
    ----------
    dvdt_threshold : float
        Onset: dV/dt crosses this (mV/ms = V/s). 20 V/s: Sekerli et al. 2004 (IEEE TBME 51:1665)
        compare threshold definitions and find the first-derivative criterion at 10-20 V/s the most
        consistent with the visual onset; eFEL's ``DerivativeThreshold`` is 12 V/s, IPFX's 20 V/s.
    sustain_ms, sustain_samples : float, int
        dV/dt must stay above threshold for at least ``max(sustain_samples, sustain_ms)``: an AP
        upstroke lasts >= 0.1 ms at any sampling rate, a one-sample digitiser glitch does not.
    min_amplitude : float
        Peak at least this far above the onset voltage (mV). 20 mV: the smallest full APs (DRG cells
        peaking at -8 mV from about -35 mV; spikes on a plateau) exceed it, synaptic potentials do not.
    min_peak : float or None
        Optional absolute peak criterion (mV); off by default: absolute rules drop low-overshoot APs.
    min_width_ms : float
        Full width at half height (onset-to-peak) at least this: 0.15 ms, below the narrowest
        mammalian APs (~0.2 ms in fast-spiking interneurons at 35 C; Bean 2007, Nat Rev Neurosci 8:451).
    max_repolarisation_ms : float
        The AP must fall back below half height within this time after its peak (repolarisation);
        RC charging and bridge steps do not. 150 ms admits cardiac pacemaker APs (SAN, APD50 ~ 100 ms).
    refractory_ms : float
        Minimum interval between accepted onsets (ms).
    max_rise_ms : float
        Longest onset-to-peak time searched (ms).
    """

    dvdt_threshold: float = 20.0
    sustain_ms: float = 0.1
    sustain_samples: int = 3
    min_amplitude: float = 20.0
    min_peak: float | None = None
    min_width_ms: float = 0.15
    max_repolarisation_ms: float = 150.0
    refractory_ms: float = 2.0
    max_rise_ms: float = 10.0


@dataclass(frozen=True)
class Rejected:
    """A candidate onset that failed a rule: its sample index and why."""

    index: int
    reason: str


def _run_length(above: np.ndarray, k: int) -> int:
    """Consecutive samples from ``k`` with ``above`` True (looked at in growing blocks: runs are short)."""
    n, step = above.size, 16
    while True:
        stop = np.flatnonzero(~above[k : k + step])
        if stop.size:
            return int(stop[0])
        if k + step >= n:
            return n - k
        step *= 4


def _judge(v: np.ndarray, dv: np.ndarray, above: np.ndarray, k: int, fs: float, r: DetectorRules,
           exclude: Sequence[tuple[int, int]]) -> tuple[int, int, str]:
    """Check one armed candidate onset: (peak index, repolarised index, '' or the rejection reason)."""
    if _excluded(k, exclude):
        return -1, -1, "step transition (bridge/capacitive artefact)"
    n_sus = max(int(r.sustain_samples), int(np.ceil(r.sustain_ms * 1e-3 * fs)))
    run = _run_length(above, k)
    if run < n_sus:
        jump = float(np.max(v[k : k + run + 2]) - v[k])
        if jump < 0.5 * r.min_amplitude:
            return -1, -1, "noise"  # a noise crossing: not reported
        return -1, -1, f"glitch: dV/dt above threshold for {run} sample(s) < {n_sus} (+{jump:.0f} mV)"
    p = _peak_after(v, dv, k, fs, r.max_rise_ms)
    height = v[p] - v[k]
    if height < r.min_amplitude:
        return p, -1, f"height {height:.1f} mV above onset < {r.min_amplitude:g} mV"
    if r.min_peak is not None and v[p] < r.min_peak:
        return p, -1, f"peak {v[p]:.1f} mV < min_peak {r.min_peak:g} mV"
    if int(np.argmax(dv[k : p + 1])) == 0:
        return p, -1, "no regenerative upstroke (dV/dt largest at onset: RC charging or a step)"
    half = v[p] - 0.5 * height
    lim = min(v.size, p + 1 + int(r.max_repolarisation_ms * 1e-3 * fs))
    down = np.flatnonzero(v[p:lim] < half)
    if not down.size:
        return p, -1, f"no repolarisation to half height within {r.max_repolarisation_ms:g} ms"
    rep = p + int(down[0])
    up = np.flatnonzero(v[k : p + 1] >= half)
    left = k + int(up[0]) if up.size else p
    width = _interp_width(v, left, rep, half) / fs * 1e3
    if width < r.min_width_ms:
        return p, rep, f"narrower than {r.min_width_ms:g} ms at half height ({width:.3f} ms): a glitch"
    return p, rep, ""


def _interp_width(v: np.ndarray, left: int, right: int, level: float) -> float:
    """Samples between the interpolated up- and down-crossings of ``level`` (left: first >=, right: first <)."""
    a = left - 1 + (level - v[left - 1]) / (v[left] - v[left - 1]) if left > 0 and v[left] != v[left - 1] else left
    b = right - 1 + (v[right - 1] - level) / (v[right - 1] - v[right]) if v[right - 1] != v[right] else right
    return float(b - a)


def detect_aps(
    v_mv: np.ndarray,
    fs_hz: float,
    *,
    rules: DetectorRules | None = None,
    smooth_hz: float | None = None,
    exclude: Sequence[tuple[int, int]] = (),
    rejected: list[Rejected] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Detect APs by their shape: onset and peak sample indices.

    A candidate is every upward crossing of ``rules.dvdt_threshold`` by dV/dt (on the low-passed trace
    when ``smooth_hz`` is set). While the detector is armed, a candidate is an AP when it is outside the
    ``exclude`` intervals (step transitions), dV/dt stays above threshold long enough (not a glitch),
    the peak is ``min_amplitude`` above the onset (and ``min_peak`` if set), dV/dt grows after the
    onset (a regenerative upstroke, unlike RC charging), the trace repolarises below half height within
    ``max_repolarisation_ms``, and the half-height width is at
    least ``min_width_ms``. After an AP the detector re-arms once the AP has repolarised below half
    height (the derivative turned negative and the voltage fell back), so APs riding on a depolarised
    plateau are separated while noise on a slow repolarisation is not counted twice; onsets closer than
    ``refractory_ms`` are ignored.

    Parameters
    ----------
    v_mv : numpy.ndarray
        Membrane potential in mV (one sweep or a window of it).
    fs_hz : float
        Sampling rate in Hz.
    rules : DetectorRules, optional
        Shape rules; defaults (with their sources) in :class:`DetectorRules`.
    smooth_hz : float, optional
        Low-pass cut-off for dV/dt (Hz).
    exclude : sequence of (int, int)
        Sample intervals ``[a, b)`` in which onsets are artefacts (step transitions).
    rejected : list, optional
        Filled with a :class:`Rejected` per armed candidate that failed a rule.

    Returns
    -------
    onsets, peaks : numpy.ndarray of int
    """
    r = rules or DetectorRules()
    v = np.asarray(v_mv, dtype=float)
    vs = v if smooth_hz is None else _smoothed(v, fs_hz, smooth_hz)
    dv = dvdt_mv_per_ms(vs, fs_hz)  # the derivative of the smoothed trace: one low-pass, not two
    above = dv >= r.dvdt_threshold
    cand = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    if above.size and above[0]:
        cand = np.concatenate(([0], cand))
    refr = r.refractory_ms * 1e-3 * fs_hz
    onsets: list[int] = []
    peaks: list[int] = []
    armed_from = 0
    for k in (int(c) for c in cand):
        if k < armed_from or (onsets and k - onsets[-1] < refr):
            continue
        p, rep, reason = _judge(v, dv, above, k, fs_hz, r, exclude)
        if reason:
            if rejected is not None and reason != "noise":
                rejected.append(Rejected(k, reason))
            if p >= 0 and rep < 0 and "repolarisation" in reason:
                armed_from = p  # the same depolarisation: judged once
            continue
        onsets.append(k)
        peaks.append(p)
        armed_from = rep
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
    v_mv, fs_hz : numpy.ndarray, float
        Membrane potential (mV) and its sampling rate (Hz).
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
