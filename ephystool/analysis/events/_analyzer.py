"""Spontaneous and miniature synaptic events (sEPSC/mEPSC/sIPSC, PSPs): detection, kinetics, frequency.

Detection (``method``): template matching by optimal scaling (Clements & Bekkers 1997, Biophys J
73:220; the template has ``template_baseline`` of baseline before the onset, so the fitted offset is the
local baseline) or deconvolution (Pernia-Andrade et al. 2012, Biophys J 103:1429); the threshold is in
SDs of the detection trace's noise on event-free stretches (:mod:`._events_detect`). Left out of the
analysis: time outside ``analysis_window``, command steps (test pulses) and ``mask_settle`` after
each edge, ``artifact_blank`` after each stimulus the file records, and ``exclude_windows``.

Per event (``event_rows`` -> ``events.csv``): onset time (and time to peak), amplitude (magnitude, from the local
baseline; overlapping events from the extrapolated decay of the preceding event), 10-90 % rise,
single-exponential decay tau, charge (:mod:`._events_measure`).

Per recording (``rows`` -> ``results.csv``): ``event_frequency`` (Hz, events / analysed time),
``event_amplitude_median`` (magnitude), ``event_rise_10_90`` and ``event_decay_tau`` (ms, of the average
of isolated events; ``decay_fit: event`` gives the median of per-event fits), ``event_count``,
``event_iei_cv`` (SD/mean of inter-event intervals within uninterrupted analysed stretches), and
``event_amplitude_mean``, ``event_charge_median``, ``event_noise_sd`` (robust SD of the trace on
event-free stretches), ``analysed_time``. Statistics across conditions belong on these per-cell
values, never on pooled events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis.events import _detect as det
from ephystool.analysis.events._measure import AverageEvent, Geometry, average_event, measure_events
from ephystool.analysis.events.figures import batch_figures, plot_events
from ephystool.analysis.events.metrics import METRICS
from ephystool.analysis.events.params import EventsParams
from ephystool.analysis.spec import AnalysisSpec
from ephystool.errors import AnalysisError

__all__ = ["SPEC", "NAME", "EventsParams", "EventsResult", "analyze"]

NAME = "events"


#: units of the catalogue (voltage clamp) -> units of the same metric in current clamp
_CC_UNITS = {"pA": "mV", "fC": "mV*ms"}


@dataclass(frozen=True)
class EventsResult:
    """Events of one recording and their per-recording summary."""

    path: str
    values: dict[str, float]  # metric -> value, in ``units``
    units: dict[str, str]  # metric -> unit, from the catalogue (metrics.py)
    selectors: dict[str, Any]
    events: tuple[dict[str, Any], ...]
    average: AverageEvent | None = None
    notes: tuple[str, ...] = ()
    display: dict[str, Any] = field(default_factory=dict)  # one stretch of trace for the figure

    def rows(self) -> list[dict[str, Any]]:
        """Tidy recording-level rows (``analysis, metric, value, unit`` + selectors)."""
        note = "; ".join(self.notes)
        return [dict(self.selectors, analysis=NAME, metric=m, value=float(v), unit=self.units[m], note=note)
                for m, v in self.values.items() if np.isfinite(v)]

    def event_rows(self) -> list[dict[str, Any]]:
        """One row per event for ``events.csv`` (the pipeline adds ``recording``)."""
        return [dict(e) for e in self.events]


def _units(recording: Any) -> tuple[str, Any]:
    if recording.kind not in ("voltage_clamp", "current_clamp"):
        raise AnalysisError(f"the events analysis needs a voltage- or current-clamp recording, not {recording.kind}; "
                            "check the manifest's kind", recording.path)
    unit = "pA" if recording.kind == "voltage_clamp" else "mV"
    ch = recording.channels[recording.primary]
    try:
        pq.Quantity(1.0, ch.units).rescale(unit)
    except (ValueError, LookupError) as exc:
        raise AnalysisError(f"channel '{ch.name}' is in {ch.units}, expected {unit} for {recording.kind}; "
                            "check the clamp mode of the file", recording.path) from exc
    return unit, getattr(pq, unit)


def _mask(recording: Any, k: int, n: int, rate: float, params: EventsParams) -> tuple[np.ndarray, str]:
    """Samples of sweep ``k`` that are analysed (True), and where the command steps masked came from."""
    t = np.arange(n) / rate
    m = np.ones(n, dtype=bool)
    if params.analysis_window is not None:
        a, b = (float(v) for v in params.analysis_window.rescale(pq.s).magnitude)
        m &= (t >= a) & (t < b)
    settle = int(round(params.ms("mask_settle") * 1e-3 * rate))
    hold = recording.holding_at(k)
    cmd = recording.command(k)
    if hold is not None and cmd is not None and cmd.shape[0] == n:
        c = np.asarray(cmd.rescale(hold.units).magnitude, dtype=float).ravel()
        off = np.abs(c - float(hold.magnitude)) > 0.5  # mV (or pA in current clamp) off the holding level
        edges = np.flatnonzero(np.diff(off.astype(np.int8))) + 1
        m &= ~off
        for e in edges:
            m[e : e + settle] = False
        steps = (edges.size + 1) // 2
        source = f"file command ({steps} step{'s' if steps != 1 else ''})" if steps else "file command (no step)"
    else:
        source = "none (no command or epochs in the file)"
        hv = float(hold.magnitude) if hold is not None else None
        for e in (recording.epochs[k] if k < len(recording.epochs) else ()):
            if hv is not None and e.units == str(hold.dimensionality) and abs(e.level - hv) > 0.5:
                i0, i1 = int(round(e.start_s * rate)), int(round(e.end_s * rate))
                m[max(i0, 0) : i1 + settle] = False
                source = "file epochs"
    blank = int(round(params.ms("artifact_blank") * 1e-3 * rate))
    for s in (recording.stim_times_s[k] if k < len(recording.stim_times_s) else ()):
        i = int(round(s * rate))
        m[max(i - int(0.001 * rate), 0) : i + blank] = False
    t0 = recording.sweep_time(k) - recording.sweep_time(0)
    for a, b in params.exclude_windows:
        m &= ~((t + t0 >= a) & (t + t0 < b))
    return m, source


def _erode(m: np.ndarray, before: int, after: int) -> np.ndarray:
    """Onsets allowed: the whole window ``[i - before, i + after)`` is analysed."""
    n = m.size
    ok = m.copy()
    ok[: min(before, n)] = False
    ok[max(n - after + 1, 0) :] = False
    edges = np.flatnonzero(np.diff(np.concatenate(([1], m.view(np.int8), [1]))))  # starts/ends of masked runs
    for s, e in zip(edges[::2], edges[1::2], strict=True):
        ok[max(s - after + 1, 0) : min(e + before, n)] = False
    return ok


def _geometry(params: EventsParams, rate: float) -> Geometry:
    tr, td = params.ms("template_rise"), params.ms("template_decay")
    tp = tr * np.log((tr + td) / tr)
    s = 1e-3 * rate
    return Geometry(rate, max(int(round(params.ms("local_baseline") * s)), 1), max(int(round(max(3 * tp, tp + 1.0) * s)), 2),
                    max(int(round(5 * td * s)), 4), td)


def _sweep(x: np.ndarray, rate: float, allowed_raw: np.ndarray, params: EventsParams) -> dict[str, Any]:
    """Detect and measure the events of one sweep (``x`` in the analysis unit)."""
    from scipy.ndimage import uniform_filter1d

    sign = -1.0 if params.polarity == "negative" else 1.0
    y = sign * x
    g = _geometry(params, rate)
    pre = int(round(params.ms("template_baseline") * 1e-3 * rate))
    tmpl = det.biexp_template(rate, params.ms("template_rise"), params.ms("template_decay"), params.ms("template_baseline"))
    allowed = _erode(allowed_raw, max(pre, g.baseline), max(tmpl.size - pre, g.peak))
    fill = y.copy()
    if not allowed_raw.all():  # masked samples (test pulses, artefacts) must not ring through the filters
        good = np.flatnonzero(allowed_raw)
        if good.size:
            fill[~allowed_raw] = np.interp(np.flatnonzero(~allowed_raw), good, y[good])
    band = tuple(params.deconvolution_band.rescale(pq.Hz).magnitude)
    dist = max(int(round(params.ms("min_interval") * 1e-3 * rate)), 1)
    d = det.detection_trace(fill, tmpl, params.method, rate, band, pre)
    idx, d_sd = det.detect(d, allowed, params.threshold, dist, (g.baseline, g.tail))
    w = max(int(round(params.ms("peak_smoothing") * 1e-3 * rate)), 1)
    ys = uniform_filter1d(fill, w, mode="nearest")
    yr = uniform_filter1d(fill, max(w // 4, 1), mode="nearest")
    meas = measure_events(fill, ys, yr, idx, g)
    free = allowed_raw.copy()
    for i in idx:
        free[max(i - g.baseline, 0) : i + g.tail] = False
    hp = fill - uniform_filter1d(fill, max(int(0.05 * rate), 1), mode="nearest")  # 50-ms running-mean baseline off
    noise = det.robust_sd(hp[free]) if free.sum() > 100 else det.robust_sd(hp[allowed_raw])
    return {"idx": idx, "meas": meas, "noise": noise, "d_sd": d_sd, "allowed": allowed, "fill": fill, "g": g}


def _floor(params: EventsParams, unit: str, path: Any) -> float:
    """``min_amplitude`` in the recording's unit (pA in voltage clamp, mV in current clamp)."""
    if float(params.min_amplitude.magnitude) == 0.0:
        return 0.0
    try:
        return float(params.min_amplitude.rescale(unit).magnitude)
    except ValueError as exc:
        raise AnalysisError(f"min_amplitude is {params.min_amplitude} but this recording measures {unit}; "
                            f"give it in {unit} in the protocol", path) from exc


def _keep(meas: dict[str, np.ndarray], noise: float, params: EventsParams, floor_abs: float) -> np.ndarray:
    amp = meas["amplitude"]
    floor = max(floor_abs, params.min_amplitude_sd * noise)
    return np.isfinite(amp) & (amp > 0) & (amp >= floor)


def _iei_cv(times: list[np.ndarray]) -> float:
    parts = [np.diff(t) for t in times if t.size > 1]
    ieis = np.concatenate(parts) if parts else np.zeros(0)
    return float(np.std(ieis, ddof=1) / np.mean(ieis)) if ieis.size > 2 else float("nan")


def _segments(recording: Any, x: np.ndarray, a: int, g: Geometry, idx: np.ndarray) -> list[np.ndarray]:
    """Baseline-subtracted segments of isolated events (no other onset within the segment)."""
    out = []
    for j, i in enumerate(idx):
        lo, hi = i - g.baseline, i + g.tail
        if lo < 0 or hi > x.size:
            continue
        if (j > 0 and idx[j - 1] > lo - g.tail) or (j + 1 < idx.size and idx[j + 1] < hi):
            continue
        seg = x[lo:hi]
        out.append(seg - np.mean(seg[: g.baseline]))
    return out


def _display(x: np.ndarray, rate: float, idx: np.ndarray, m: dict[str, np.ndarray], sign: float, k: int,
             allowed: np.ndarray, seconds: float = 2.0) -> dict[str, Any]:
    """``seconds`` of trace from 0.1 s before the first event, with its events, for the figure."""
    a = max(int(idx[0] - 0.1 * rate), 0)
    b = min(a + int(seconds * rate), x.size)
    on = (idx >= a) & (idx < b)
    return {"t": np.arange(a, b) / rate, "x": np.where(allowed[a:b], x[a:b], np.nan), "onsets": idx[on] / rate,
            "peaks": m["peak"][on] / rate, "amps": sign * m["amplitude"][on], "baseline": sign * m["baseline"][on],
            "sweep": k}


def analyze(recording: Any, params: EventsParams) -> EventsResult:
    """Detect and measure spontaneous synaptic events in every sweep of one recording.

    Parameters
    ----------
    recording : Recording
        Voltage clamp (current in pA) or current clamp (potential in mV), any number of sweeps.
    params : EventsParams
        Method, template time constants (ms), threshold (noise SDs), minimum amplitude (pA or mV),
        windows (s) and masks (ms).

    Returns
    -------
    EventsResult
        The events (time s, amplitude pA or mV, rise ms, decay ms, charge fC) and per-recording frequency
        (Hz), amplitudes, kinetics and noise; ``rows()`` and ``events`` give the tables.

    Raises
    ------
    AnalysisError
        Not a patch-clamp recording, a channel in the wrong unit, or nothing left to analyse.

    Examples
    --------
    >>> from ephystool.simulate.events import simulate_events
    >>> rec, truth = simulate_events(seed=77, duration_s=10.0, frequency_hz=6.0, noise_rms_pA=2.5)
    >>> freq = next(r for r in analyze(rec, EventsParams()).rows() if r["metric"] == "event_frequency")
    >>> abs(freq["value"] - truth["frequency_hz"]) < 1.0, freq["unit"]
    (True, 'Hz')
    """
    unit, q = _units(recording)
    events: list[dict[str, Any]] = []
    stretches: list[np.ndarray] = []
    segs: list[np.ndarray] = []
    analysed, noises, display, sources = 0.0, [], {}, []
    for k in range(recording.n_sweeps):
        s = recording.signal(k)
        x = np.asarray(s.rescale(q).magnitude, dtype=float).ravel()
        rate = float(s.sampling_rate.rescale(pq.Hz))
        mask, source = _mask(recording, k, x.size, rate, params)
        sources.append(source)
        r = _sweep(x, rate, mask, params)
        analysed += r["allowed"].sum() / rate
        noises.append(r["noise"])
        keep = _keep(r["meas"], r["noise"], params, _floor(params, unit, recording.path))
        idx = r["idx"][keep]
        m = {key: v[keep] for key, v in r["meas"].items()}
        sign = -1.0 if params.polarity == "negative" else 1.0
        segs += _segments(recording, r["fill"], 0, r["g"], idx)
        run = np.cumsum(np.concatenate(([0], np.diff(r["allowed"].astype(np.int8)) != 0)))
        for sid in np.unique(run[idx]):
            stretches.append(idx[run[idx] == sid] / rate)
        t0 = recording.sweep_time(k)
        for j, i in enumerate(idx):
            events.append({"sweep": k, "time_s": t0 + i / rate, "time_in_sweep_s": i / rate,
                           "time_to_peak_ms": (m["peak"][j] - i) / rate * 1e3,
                           "amplitude": float(m["amplitude"][j]), "rise_ms": float(m["rise_ms"][j]),
                           "decay_ms": float(m["decay_ms"][j]), "charge": float(m["charge"][j]),
                           "overlapping": bool(m["overlap"][j]), "direction": "inward" if sign < 0 else "outward",
                           "amplitude_unit": unit, "charge_unit": "fC" if unit == "pA" else "mV*ms"})
        if not display and idx.size:
            display = _display(x, rate, idx, m, sign, k, r["allowed"])
    if analysed <= 0:
        raise AnalysisError("no analysable time left after the analysis window, test pulses, stimulus artefacts and "
                            "excluded windows; check analysis_window and exclude_windows", recording.path)
    avg = average_event(segs, _geometry(params, recording.sampling_rate_hz))
    res = _summarise(recording, params, events, stretches, analysed, noises, avg, unit, display)
    res.selectors["test_pulse_mask"] = "; ".join(dict.fromkeys(sources))  # where the masked steps came from
    return res


def _summarise(recording: Any, params: EventsParams, events: list[dict[str, Any]], stretches: list[np.ndarray],
               analysed: float, noises: list[float], avg: AverageEvent | None, unit: str,
               display: dict[str, Any]) -> EventsResult:
    amps = np.array([e["amplitude"] for e in events])
    n = len(events)
    med = lambda v: float(np.nanmedian(v)) if np.any(np.isfinite(v)) else float("nan")  # noqa: E731
    decay = (avg.decay_ms if avg is not None else float("nan")) if params.decay_fit == "average" else \
        med(np.array([e["decay_ms"] for e in events]))
    values = {"event_frequency": n / analysed, "event_count": float(n),
              "event_amplitude_median": med(amps), "event_amplitude_mean": float(np.mean(amps)) if n else float("nan"),
              "event_rise_10_90": avg.rise_ms if avg is not None else float("nan"), "event_decay_tau": decay,
              "event_iei_cv": _iei_cv(stretches), "event_charge_median": med(np.array([e["charge"] for e in events])),
              "event_noise_sd": float(np.nanmedian(noises)), "analysed_time": analysed}
    catalogue = {m.name: m.unit for m in METRICS}  # voltage clamp; current clamp: amplitudes in mV, charge mV*ms
    units = {k: catalogue[k] if unit == "pA" else _CC_UNITS.get(catalogue[k], catalogue[k]) for k in values}
    notes = []
    if n == 0:
        notes.append("no events detected: frequency 0 Hz; check polarity, threshold and template kinetics")
    if avg is None or avg.n < 5:
        notes.append(f"average event from {0 if avg is None else avg.n} isolated events: rise and decay unreliable")
    hold = recording.holding_at(0)
    sel = {"holding_mV": float(hold.rescale(pq.mV).magnitude) if hold is not None and unit == "pA" else None,
           "direction": "inward" if params.polarity == "negative" else "outward", "method": params.method,
           "threshold_sd": params.threshold, "n_sweeps": recording.n_sweeps,
           "n_average": 0 if avg is None else avg.n}
    return EventsResult(str(recording.path), values, units, sel, tuple(events), avg, tuple(notes), display)


#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, EventsParams, analyze, plot_events, METRICS, batch_figures=batch_figures)
