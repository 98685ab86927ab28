"""Trains of stimuli in one sweep (e.g. 5 pulses at 50 Hz, in vivo or in slices): per-pulse fEPSPs.

Definitions, per pulse k of a sweep (stimulus s_k, ms):

* **local baseline** b_k: mean of the trace 1.5 to 0.3 ms before s_k (short, because from the second
  pulse on the previous response is still decaying); the **pre-train baseline** is b_1;
* **peak**: the minimum of a 0.2-ms running mean in the fEPSP window after s_k (``fepsp_window``, its end
  kept 0.5 ms before the next stimulus);
* **amplitude** ``fepsp_amplitude`` = peak - b_1 (against the pre-train baseline: what the train does to
  the membrane field), and ``fepsp_amplitude_local`` = peak - b_k (the pulse's own deflection, the
  usual paired-pulse measure; e.g. Zucker & Regehr, Annu Rev Physiol 64:355, 2002); mV, signed (negative
  for a negative-going fEPSP);
* **slope**: least-squares line through the trace between the last crossings before the peak of the
  ``slope_fraction`` levels (e.g. 20 and 80 %) of the excursion from b_k to the peak (searched backwards
  from the peak, so that the stimulus artifact and fibre volley are never taken for the rise); mV/ms;
* **facilitation** (per pulse k >= 2): slope_k / slope_1 and amplitude_k / amplitude_1 (local
  amplitudes), > 1 for facilitation, < 1 for depression.

Result rows give per pulse the mean amplitude over sweeps and the slope of the averaged trace (more
robust than the mean of noisy single-sweep slopes); sweeps.csv gives every sweep's per-pulse values.

Stimulus times: the file's, else the first stimulus (``stim_time`` snapped to the artifact within 1 ms,
else the largest artifact) followed by ``train_pulses`` stimuli ``train_interval`` apart, each snapped to
its artifact within 1 ms; without ``train_pulses`` every artifact of the sweep (jumps over 10 robust SDs,
2 ms apart) is a stimulus. The source is stated in every row, with the channel and its unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.ndimage import uniform_filter1d

from ephystool.analysis.ltp._fepsp import detect_stimulus, robust_sd
from ephystool.analysis.ltp._fepsp_units import FieldChannel, field_channel, field_trace_mv
from ephystool.analysis.ltp.params import LtpParams
from ephystool.errors import AnalysisError

__all__ = ["FepspTrainResult", "analyze_train", "measure_pulse", "train_stimuli"]

NAME = "ltp"
_NAN = float("nan")


@dataclass(frozen=True)
class PulseMeasure:
    """One pulse of a train (mV, mV/ms; NaN where not measurable)."""

    amplitude: float  # against the pre-train baseline
    amplitude_local: float
    slope: float
    peak_ms: float


@dataclass(frozen=True)
class FepspTrainResult:
    """Per-pulse measures of the sweeps of a train recording and of their average."""

    source: str
    stim_ms: tuple[float, ...]
    stim_source: str
    amplitude: np.ndarray  # (n_sweeps, n_pulses), against the pre-train baseline
    amplitude_local: np.ndarray
    slope: np.ndarray
    mean_amplitude: np.ndarray  # (n_pulses,) means over sweeps
    mean_amplitude_local: np.ndarray
    average_slope: np.ndarray  # (n_pulses,) slopes of the averaged trace
    channel: FieldChannel
    sweep_time_s: np.ndarray
    notes: tuple[str, ...] = field(default_factory=tuple)
    flag: str = ""
    excluded_reason: str = ""

    @property
    def n_pulses(self) -> int:
        """Stimuli per sweep."""
        return len(self.stim_ms)

    def rows(self) -> list[dict]:
        """Tidy rows: per pulse amplitude (pre-train and local), slope, and facilitation ratios."""
        common = {"analysis": NAME, "experiment": "train", "stim_source": self.stim_source, "flag": self.flag,
                  "excluded_reason": self.excluded_reason, "n_sweeps": int(self.amplitude.shape[0]),
                  **self.channel.statement()}
        rows = []

        def add(metric: str, k: int, value: float, unit: str) -> None:
            if np.isfinite(value):
                rows.append({**common, "metric": metric, "value": float(value), "unit": unit, "pulse": k + 1,
                             "window": f"pulse {k + 1} at {self.stim_ms[k]:.2f} ms"})

        for k in range(self.n_pulses):
            add("fepsp_amplitude", k, self.mean_amplitude[k], "mV")
            add("fepsp_amplitude_local", k, self.mean_amplitude_local[k], "mV")
            add("fepsp_slope", k, self.average_slope[k], "mV/ms")
            if k:
                add("facilitation_slope", k, self.average_slope[k] / self.average_slope[0], "1")
                add("facilitation_amplitude", k, self.mean_amplitude_local[k] / self.mean_amplitude_local[0], "1")
        return rows

    def sweep_rows(self) -> list[dict]:
        """Per sweep and pulse: amplitude (pre-train, local) and slope."""
        rows = []
        for j in range(self.amplitude.shape[0]):
            for k in range(self.n_pulses):
                common = {"sweep": j, "sweep_time_s": float(self.sweep_time_s[j]), "analysis": NAME, "pulse": k + 1,
                          "phase": "train"}
                for metric, arr, unit in (("fepsp_amplitude", self.amplitude, "mV"),
                                          ("fepsp_amplitude_local", self.amplitude_local, "mV"),
                                          ("fepsp_slope", self.slope, "mV/ms")):
                    if np.isfinite(arr[j, k]):
                        rows.append({**common, "metric": metric, "value": float(arr[j, k]), "unit": unit})
        return rows


def _mean(y: np.ndarray, fs_khz: float, a_ms: float, b_ms: float) -> float:
    i, j = int(round(a_ms * fs_khz)), int(round(b_ms * fs_khz))
    return float(np.mean(y[max(i, 0) : max(j, i + 1)])) if j > 0 and i < y.size else _NAN


def measure_pulse(y: np.ndarray, fs_hz: float, stim_ms: float, end_ms: float, window: tuple[float, float],
                  fraction: tuple[float, float], pre_train: float, sign: float = -1.0) -> PulseMeasure:
    """Measure one pulse of a train (see the module docstring); ``sign`` -1 for a negative-going fEPSP."""
    fs_khz = fs_hz / 1e3
    base = _mean(y, fs_khz, stim_ms - 1.5, stim_ms - 0.3)
    i0 = int(round((stim_ms + window[0]) * fs_khz))
    i1 = min(int(round(min(stim_ms + window[1], end_ms) * fs_khz)), y.size)
    if not np.isfinite(base) or i1 - i0 < 3:
        return PulseMeasure(_NAN, _NAN, _NAN, _NAN)
    s = uniform_filter1d(y, max(1, int(round(0.2 * fs_khz))) | 1, mode="nearest")
    ip = i0 + int(np.argmin(sign * -s[i0:i1]))  # most negative for sign -1
    peak = float(s[ip])
    excursion = peak - base
    out_amp = PulseMeasure(peak - pre_train, excursion, _NAN, (ip / fs_khz) - stim_ms)
    if not sign * excursion > 0:
        return out_amp
    seg = sign * (s[i0 : ip + 1] - base)  # rises from ~0 to the excursion's magnitude at the peak

    def last_below(level: float) -> int:
        below = np.flatnonzero(seg < level)
        return i0 + int(below[-1]) + 1 if below.size else i0

    lo, hi = last_below(fraction[0] * sign * excursion), last_below(fraction[1] * sign * excursion)
    if hi - lo < 2:
        return out_amp
    t = np.arange(lo, hi + 1) / fs_khz
    slope = float(np.polyfit(t, y[lo : hi + 1], 1)[0])
    return PulseMeasure(out_amp.amplitude, out_amp.amplitude_local, slope, out_amp.peak_ms)


def _artifacts(v: np.ndarray, fs_hz: float, min_snr: float = 10.0, dead_ms: float = 2.0) -> list[float]:
    d = np.diff(v)
    big = np.flatnonzero(np.abs(d) > min_snr * robust_sd(d))
    out: list[float] = []
    for i in big:
        t = i / fs_hz * 1e3
        if not out or t - out[-1] >= dead_ms:
            out.append(t)
    return out


def train_stimuli(rec: Any, v: np.ndarray, fs_hz: float, params: LtpParams) -> tuple[tuple[float, ...], str]:
    """Stimulus times of a sweep (ms from its first sample) and their source."""
    listed = rec.stim_times_s[0] if rec.stim_times_s else ()
    if listed:
        return tuple(1e3 * float(t) for t in listed), "file"
    stim = None if params.stim_time is None else float(params.stim_time.rescale("ms").magnitude)
    if params.train_pulses is None:
        found = _artifacts(v, fs_hz)
        if not found:
            raise AnalysisError("no stimulus artifact found in the sweep; set train_pulses, train_interval and "
                                "stim_time in the protocol", rec.path)
        return tuple(found), "detected"
    first = detect_stimulus(v, fs_hz, near_ms=stim, search_ms=1.0) if stim is not None else detect_stimulus(v, fs_hz)
    s1 = first if first is not None else stim
    if s1 is None:
        raise AnalysisError("no stimulus artifact found; set stim_time in the protocol", rec.path)
    if params.train_pulses > 1 and params.train_interval is None:
        raise AnalysisError("train_pulses without train_interval; set train_interval (e.g. '20 ms' at 50 Hz)", rec.path)
    step = 0.0 if params.train_interval is None else float(params.train_interval.rescale("ms").magnitude)
    times = [s1]
    for k in range(1, params.train_pulses):
        near = detect_stimulus(v, fs_hz, near_ms=s1 + k * step, search_ms=1.0)
        times.append(near if near is not None else s1 + k * step)
    return tuple(times), "detected" if first is not None else "protocol"


def _measure_all(y: np.ndarray, fs: float, stims: Sequence[float], params: LtpParams, sign: float) -> list[PulseMeasure]:
    win = (float(params.fepsp_window[0].rescale("ms").magnitude), float(params.fepsp_window[1].rescale("ms").magnitude))
    pre = _mean(y, fs / 1e3, stims[0] - 1.5, stims[0] - 0.3)
    ends = [*[s - 0.5 for s in stims[1:]], y.size / fs * 1e3]
    return [measure_pulse(y, fs, s, e, win, params.slope_fraction, pre, sign) for s, e in zip(stims, ends)]


def analyze_train(recordings: Sequence[Any], params: LtpParams) -> FepspTrainResult:
    """Per-pulse fEPSPs of every sweep of train recordings (one stimulus pattern for all sweeps).

    Raises
    ------
    AnalysisError
        A channel that is not a voltage (see :mod:`ephystool.analysis.ltp._fepsp_units`), sweeps of different
        sampling rates, or no stimulus found.
    """
    rec = recordings[0]
    path = " + ".join(r.path.name for r in recordings)
    chan = field_channel(rec, params.signal_unit)
    sign = 1.0 if params.polarity == "positive" else -1.0
    traces, times = [], []
    for r in recordings:
        c = field_channel(r, params.signal_unit)
        for k in range(r.n_sweeps):
            traces.append(field_trace_mv(r, k, c))
            times.append(r.sweep_time(k))
    fs = float(rec.sampling_rate_hz)
    n = min(t.size for t in traces)
    sweeps = np.stack([t[:n] for t in traces])
    average = sweeps.mean(axis=0)
    stims, source = train_stimuli(rec, average, fs, params)
    per = [_measure_all(v, fs, stims, params, sign) for v in sweeps]
    amp = np.array([[p.amplitude for p in row] for row in per])
    loc = np.array([[p.amplitude_local for p in row] for row in per])
    slope = np.array([[p.slope for p in row] for row in per])
    avg_slope = np.array([p.slope for p in _measure_all(average, fs, stims, params, sign)])
    with np.errstate(invalid="ignore"):
        result = FepspTrainResult(path, tuple(float(s) for s in stims), source, amp, loc, slope,
                                  np.nanmean(amp, axis=0), np.nanmean(loc, axis=0), avg_slope, chan,
                                  np.asarray(times, dtype=float))
    return result
