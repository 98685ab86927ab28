"""Recording-level fEPSP measurement for the LTP analyzer: every sweep of a session's files, on one clock.

Per sweep: the stimulus time (the file's stimulus times, else the protocol/manifest time snapped to the
artifact within 1 ms, else the artifact), the fEPSP measures of :mod:`ephystool.analysis.ltp._fepsp` and,
when a second stimulus follows after ``ppi`` with a response above 5x the baseline noise, the
paired-pulse ratio (slope 2 / slope 1). Sweep times come from each file's recorded episode starts,
continued across files by the files' recording dates when all have one, else one sweep interval after
the previous file's last sweep; a file without usable times gets ``sweep_interval`` spacing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from ephystool.analysis.ltp._fepsp import (
    FepspMeasure,
    ResponseWindows,
    detect_stimulus,
    measure_fepsp,
    slope_in_window,
)
from ephystool.analysis.ltp._fepsp_units import field_channel, field_trace_mv
from ephystool.core.recording import Recording, Tag
from ephystool.errors import AnalysisError

__all__ = ["FepspTraces", "MeasuredSession", "measure_recordings", "running_outliers", "session_clock"]

_RUNNING_MEDIAN = 9
_MIN_SCALE = 0.01

@dataclass(frozen=True)
class FepspTraces:
    """Averaged baseline and post responses (mV, baseline-subtracted) with their slope fits, for figures.

    ``t_ms`` is relative to the stimulus; ``*_fit`` are the measures of the averaged traces.
    """

    t_ms: np.ndarray
    baseline: np.ndarray
    post: np.ndarray
    baseline_fit: FepspMeasure
    post_fit: FepspMeasure


@dataclass(frozen=True)
class MeasuredSession:
    """Per-sweep fEPSP measures of a session's files, with the session clock and the raw sweeps.

    Attributes
    ----------
    time_s, duration_s : numpy.ndarray
        Sweep start on the session clock and sweep length (s).
    file_index : numpy.ndarray
        Index into ``files``.
    files : tuple of str
        File names.
    tags : tuple of Tag
        Tags of all files, times on the session clock.
    slope, amplitude, fibre_volley, ppr : numpy.ndarray
        Per-sweep measures (fraction method).
    stim_ms : tuple
        Per sweep: (first stimulus, second stimulus or NaN), ms from the sweep's first sample.
    sweeps : tuple of numpy.ndarray
        The raw sweeps (mV).
    rates : numpy.ndarray
        Sampling rate of each sweep (Hz).
    windows : ResponseWindows
        The windows used.
    channel : dict
        The field channel read and its unit (:meth:`FieldChannel.statement` of the first file).
    """

    time_s: np.ndarray
    duration_s: np.ndarray
    file_index: np.ndarray
    files: tuple[str, ...]
    tags: tuple[Tag, ...]
    slope: np.ndarray
    amplitude: np.ndarray
    fibre_volley: np.ndarray
    ppr: np.ndarray
    stim_ms: tuple[tuple[float, float], ...]
    sweeps: tuple[np.ndarray, ...]
    rates: np.ndarray
    windows: ResponseWindows
    channel: dict = field(default_factory=dict)

    def fixed_window(self, baseline: np.ndarray) -> tuple[float, float]:
        """The fraction-method fit window of the averaged baseline response (ms after the stimulus)."""
        t, avg = self._average(baseline)
        m = measure_fepsp(avg, self.rates[0], -float(t[0]), self.windows)
        if not np.all(np.isfinite(m.fit_ms)):
            raise AnalysisError("the averaged baseline response has no measurable rising phase", self.files[0])
        return m.fit_ms

    def refit(self, fit_ms: tuple[float, float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Slopes and paired-pulse ratios of every sweep over fixed windows (ms after each stimulus).

        ``fit_ms`` is one window for all sweeps, or an array of shape (n_sweeps, 2) of per-sweep windows
        (a sweep with a NaN window keeps NaN).
        """
        wins = np.broadcast_to(np.asarray(fit_ms, dtype=float), (self.slope.size, 2))
        slope, ppr = np.full(self.slope.size, np.nan), np.full(self.slope.size, np.nan)
        for k, (v, fs, (s1, s2)) in enumerate(zip(self.sweeps, self.rates, self.stim_ms)):
            win = (float(wins[k, 0]), float(wins[k, 1]))
            slope[k] = slope_in_window(v, fs, s1, win)[0]
            if np.isfinite(s2) and np.isfinite(self.ppr[k]):
                ppr[k] = slope_in_window(v, fs, s2, win)[0] / slope[k]
        return slope, ppr

    def _average(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fs = float(self.rates[0])
        pre, post = 5.0, self.windows.fepsp[1] + 5.0
        n0, n1 = int(round(pre * fs / 1e3)), int(round(post * fs / 1e3))
        segs = []
        for k in np.flatnonzero(mask):
            if self.rates[k] != fs:
                continue
            i = int(round(self.stim_ms[k][0] * fs / 1e3))
            v = self.sweeps[k]
            if i - n0 >= 0 and i + n1 <= v.size:
                seg = v[i - n0 : i + n1]
                segs.append(seg - np.median(seg[: max(1, n0 - int(0.2 * fs / 1e3))]))
        t = (np.arange(n0 + n1) - n0) / fs * 1e3
        return t, (np.mean(segs, axis=0) if segs else np.full(t.size, np.nan))

    def extremes(self, mask: np.ndarray) -> tuple[float, float]:
        """Most negative and most positive points (mV) of the averaged response in the fEPSP window."""
        t, avg = self._average(mask)
        inside = (t >= self.windows.fepsp[0]) & (t <= self.windows.fepsp[1]) & np.isfinite(avg)
        if not inside.any():
            return float("nan"), float("nan")
        return float(avg[inside].min()), float(avg[inside].max())

    def average_traces(self, baseline: np.ndarray, post: np.ndarray,
                       fit_ms: tuple[float, float] | None = None) -> FepspTraces:
        """Average the baseline and post sweeps and measure the averages."""
        t, b = self._average(baseline)
        _, p = self._average(post)
        stim = -float(t[0])
        fs = float(self.rates[0])
        return FepspTraces(t, b, p, measure_fepsp(b, fs, stim, self.windows, fit_ms),
                           measure_fepsp(p, fs, stim, self.windows, fit_ms))


def _usable_times(rec: Recording) -> np.ndarray | None:
    t = np.asarray(rec.sweep_start_times_s, dtype=float)
    if t.size != rec.n_sweeps or not np.all(np.isfinite(t)) or (t.size > 1 and not np.all(np.diff(t) > 0)):
        return None
    return t


def _start_datetime(rec: Recording) -> datetime | None:
    dt = getattr(rec.block, "rec_datetime", None)
    if isinstance(dt, datetime):
        return dt
    text = rec.metadata.get("recorded")
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _session_clock(recordings: Sequence[Recording], interval_s: float) -> list[tuple[np.ndarray, float]]:
    """Per file: sweep times on its own clock and the offset that puts them on the session clock."""
    local = []
    for rec in recordings:
        t = _usable_times(rec)
        local.append(t if t is not None else np.arange(rec.n_sweeps) * interval_s)
    dates = [_start_datetime(r) for r in recordings]
    out: list[tuple[np.ndarray, float]] = []
    for j, t in enumerate(local):
        if j == 0:
            out.append((t, -float(t[0]) if t.size else 0.0))
            continue
        prev_t, prev_off = out[-1]
        prev_end = float(prev_t[-1] + prev_off) if prev_t.size else 0.0
        offset = prev_end + interval_s - float(t[0]) if t.size else prev_end
        if all(d is not None for d in dates[: j + 1]) and t.size:
            by_date = (dates[j] - dates[0]).total_seconds() + out[0][1]  # type: ignore[operator]
            if float(t[0]) + by_date > prev_end:
                offset = by_date
        out.append((t, offset))
    return out


def _file_tags(rec: Recording, t_local: np.ndarray, offset: float) -> list[Tag]:
    out = []
    no_times = _usable_times(rec) is None  # per file, not per tag
    for g in rec.tags:
        use_sweep = no_times and g.sweep is not None and g.sweep < rec.n_sweeps
        out.append(Tag(float(t_local[g.sweep] + offset) if use_sweep else float(g.time_s + offset), g.text, g.sweep))
    return out


def session_clock(recordings: Sequence[Recording], interval_s: float) -> tuple[np.ndarray, tuple[Tag, ...]]:
    """Sweep start times and tags of a session's files on one clock (s from the first sweep).

    Parameters
    ----------
    recordings : sequence of Recording
        The session's files in acquisition order (any kind).
    interval_s : float
        Sweep spacing for files without usable recorded times, and between files without dates.

    Returns
    -------
    (numpy.ndarray, tuple of Tag)
        One time per sweep of all files, and every file's tags with times on the same clock.
    """
    times: list[np.ndarray] = []
    tags: list[Tag] = []
    for rec, (t_local, off) in zip(recordings, _session_clock(recordings, interval_s)):
        times.append(t_local + off)
        tags.extend(_file_tags(rec, t_local, off))
    return (np.concatenate(times) if times else np.zeros(0)), tuple(tags)


def _stimuli(rec: Recording, k: int, v: np.ndarray, fs: float, stim_ms: float | None,
             ppi_ms: float | None) -> tuple[float, float]:
    """First and second stimulus of a sweep (ms from its first sample): file, then parameter, then artifact."""
    listed = rec.stim_times_s[k] if k < len(rec.stim_times_s) else ()
    if listed:
        s1 = 1e3 * float(listed[0])
        s2 = 1e3 * float(listed[1]) if len(listed) > 1 else (s1 + ppi_ms if ppi_ms else np.nan)
        return s1, s2
    if stim_ms is not None:
        found = detect_stimulus(v, fs, near_ms=stim_ms, search_ms=1.0)
        s1 = stim_ms if found is None else found
    else:
        found = detect_stimulus(v, fs)
        if found is None:
            raise AnalysisError(
                f"sweep {k}: no stimulus time in the file and no artifact found; set stim_time_ms in the "
                "manifest or stim_time in the protocol", rec.path)
        s1 = found
    if not ppi_ms:
        return s1, np.nan
    near = detect_stimulus(v, fs, near_ms=s1 + ppi_ms, search_ms=1.0)
    return s1, (s1 + ppi_ms if near is None else near)


def measure_recordings(recordings: Sequence[Recording], windows: ResponseWindows, stim_ms: float | None,
                       ppi_ms: float | None, interval_s: float, sign: float = 1.0,
                       signal_unit: str | None = None) -> MeasuredSession:
    """Measure every sweep of a session's files (fraction method) and put them on one clock.

    ``sign`` -1 measures the inverted sweeps (a positive-going response made negative-going); the
    sweeps kept for refits and averages are the inverted ones. ``signal_unit`` declares the unit of a
    field channel the file labels wrongly (:mod:`ephystool.analysis.ltp._fepsp_units`).

    Raises
    ------
    AnalysisError
        If a recording is not a field/current-clamp recording in mV, or a sweep has no stimulus.
    """
    cols: dict[str, list] = {k: [] for k in ("t", "dur", "file", "slope", "amp", "fv", "ppr", "stim", "v", "fs")}
    tags: list[Tag] = []
    statement: dict = {}
    for j, (rec, (t_local, off)) in enumerate(zip(recordings, _session_clock(recordings, interval_s))):
        if rec.kind not in ("field", "current_clamp") or rec.mea is not None:
            raise AnalysisError(f"LTP needs a field (or current-clamp) recording in mV; this one is {rec.kind}; "
                                "set kind: field in the manifest if the header is wrong", rec.path)
        chan = field_channel(rec, signal_unit)
        statement = statement or chan.statement()
        for k in range(rec.n_sweeps):
            fs = float(rec.signal(k).sampling_rate.rescale("Hz").magnitude)
            v = sign * field_trace_mv(rec, k, chan)
            s1, s2 = _stimuli(rec, k, v, fs, stim_ms, ppi_ms)
            m1 = measure_fepsp(v, fs, s1, windows)
            ppr = np.nan
            if np.isfinite(s2):
                m2 = measure_fepsp(v, fs, s2, windows)
                if np.isfinite(m2.amplitude) and m2.amplitude > 5.0 * (m1.noise or np.inf):
                    ppr = m2.slope / m1.slope
            for key, val in zip(("t", "dur", "file", "slope", "amp", "fv", "ppr", "stim", "v", "fs"),
                                (float(t_local[k] + off), v.size / fs, j, m1.slope, m1.amplitude,
                                 m1.fibre_volley, ppr, (s1, s2), v, fs)):
                cols[key].append(val)
        tags.extend(_file_tags(rec, t_local, off))
    arr = {k: np.asarray(cols[k], dtype=float) for k in ("t", "dur", "slope", "amp", "fv", "ppr", "fs")}
    return MeasuredSession(arr["t"], arr["dur"], np.asarray(cols["file"], dtype=int),
                           tuple(r.path.name for r in recordings), tuple(tags), arr["slope"], arr["amp"], arr["fv"],
                           arr["ppr"], tuple(cols["stim"]), tuple(cols["v"]), arr["fs"], windows, statement)


# ----------------------------------------------------------------------------- outliers
def _local_prediction(t: np.ndarray, x: np.ndarray) -> float:
    """Robust local line (Theil-Sen slope, median intercept) through neighbours, evaluated at 0."""
    i, j = np.triu_indices(t.size, 1)
    dt = t[j] - t[i]
    ok = dt != 0
    slope = float(np.median((x[j] - x[i])[ok] / dt[ok])) if ok.any() else 0.0
    return float(np.median(x - slope * t))


def running_outliers(values: np.ndarray, times: np.ndarray, usable: np.ndarray, groups: np.ndarray, k: float) -> np.ndarray:
    """Sweeps more than ``k`` robust SDs from a running median of their neighbours (within each group).

    The running median is a robust local line through the sweep's 8 neighbours (Theil-Sen), so that a
    trend such as the post-tetanic decay does not make the first sweeps after induction outliers; the
    sweep itself is left out (a median that includes it shrinks the residuals). The scale, per group,
    is 1.4826 x the median absolute residual, but at least 1 % of the median response (a sweep within
    3 % of its neighbours is never an outlier, however quiet the recording).
    """
    half = _RUNNING_MEDIAN // 2
    out = np.zeros(values.size, bool)
    for g in np.unique(groups[usable]):
        idx = np.flatnonzero(usable & (groups == g))
        x, t = values[idx], times[idx]
        resid = np.full(x.size, np.nan)
        for j in range(x.size):
            lo, hi = max(0, min(j - half, x.size - 2 * half - 1)), min(x.size, max(j + half + 1, 2 * half + 1))
            nb = np.delete(np.arange(lo, hi), j - lo)
            if nb.size >= 2:
                resid[j] = x[j] - _local_prediction(t[nb] - t[j], x[nb])
        good = np.isfinite(resid)
        if good.sum() < 3:
            continue
        scale = max(1.4826 * float(np.median(np.abs(resid[good]))), _MIN_SCALE * float(np.median(np.abs(x))))
        out[idx] = good & (np.abs(resid) > k * scale)
    return out
