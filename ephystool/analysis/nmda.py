"""Evoked NMDA/AMPA EPSCs in voltage clamp: peaks, NMDA/AMPA ratio, kinetics, rectification index.

Per sweep: the stimulus time comes from the file (``Recording.stim_times_s``, or pulses on a stimulus /
light / TTL channel), else the manifest's ``stim_time_ms``, else the protocol's ``stim_time``, else it is
detected from the stimulus artifact. The artifact span (``artifact_blank``) is replaced by a straight
line before anything is measured. The mean of ``baseline_window`` (relative to the stimulus) is
subtracted. Sweeps are grouped by holding potential; failures (amplitude < 3 x baseline noise where the
group's EPSC is well resolved) and outliers (``outlier_mad`` x MAD from the group median) are excluded
and counted; the accepted sweeps are averaged and measured (see :mod:`ephystool.analysis._nmda_measure`
for the definitions). Amplitudes are magnitudes (>= 0) with the direction (inward/outward) in its own
column. Series resistance is followed from a test pulse (``test_pulse_window`` or a short command step
in the epochs) and sweeps whose Rs changed by more than ``rs_change_limit`` are flagged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import _signal as sig
from ephystool.analysis._nmda_measure import GroupMeasure, measure_group, sweep_amplitude
from ephystool.analysis._nmda_params import NmdaParams
from ephystool.errors import AnalysisError

__all__ = ["NAME", "NmdaParams", "NmdaResult", "analyze", "rectification_from_rows", "stimulus_times"]

NAME = "nmda"
_STIM_CHANNEL = re.compile(r"light|stim|ttl|trig|led|laser|opto|^do\b|digital", re.IGNORECASE)


def _s(q: pq.Quantity) -> Any:
    return q.rescale(pq.s).magnitude


# ----------------------------------------------------------------------------- stimulus, holding
def stimulus_times(recording: Any, sweep: int, params: NmdaParams) -> tuple[list[float], str]:
    """Stimulus times (s from the sweep's first sample) and where they came from.

    Order: the file's stimulus table, a stimulus/light/TTL channel, the manifest's ``stim_time_ms``,
    the protocol's ``stim_time``, the stimulus artifact on the recorded current.

    Raises
    ------
    AnalysisError
        If no stimulus can be found (names the file and sweep and what to set).
    """
    st = recording.stim_times_s[sweep] if sweep < len(recording.stim_times_s) else ()
    if st:
        return [float(x) for x in st], "file"
    for ch in recording.channels:
        if ch.index != recording.primary and (ch.role == "stimulus" or _STIM_CHANNEL.search(ch.name)):
            s = recording.signal(sweep, ch.index)
            pulses = sig.detect_pulses(np.asarray(s.magnitude).ravel(), float(s.sampling_rate.rescale("Hz")))
            if pulses:
                return pulses, f"channel '{ch.name}'"
    if params.stim_time is not None:
        return [float(_s(params.stim_time))], params.stim_source
    x = recording.signal(sweep)
    found = sig.detect_artifacts(np.asarray(x.magnitude).ravel(), float(x.sampling_rate.rescale("Hz")))
    if found:
        return found, "artifact"
    raise AnalysisError(
        f"sweep {sweep}: no stimulus found (no stimulus table or channel in the file, no stim_time in the "
        "protocol, no stimulus artifact on the trace); set stim_time_ms in the manifest or stim_time in the protocol",
        recording.path,
    )


def _holdings(recording: Any, params: NmdaParams) -> tuple[list[float], list[str]]:
    plist = params.holding_potentials.rescale(pq.mV).magnitude
    out, notes = [], []
    for k in range(recording.n_sweeps):
        h = recording.holding_at(k)
        if h is None:
            out.append(float(plist[k % len(plist)]))
            notes.append("holding from the protocol's holding_potentials (cycled over sweeps)")
        else:
            out.append(float(h.rescale(pq.mV).magnitude))
            notes.append("")
    return out, notes


def _warn_holding(recording: Any, holds: list[float], notes: list[str], params: NmdaParams) -> None:
    """Warn (:class:`~ephystool.io.overrides.HoldingWarning`) where the holding potentials are a guess: not in
    the file (taken from the protocol), or one level for every sweep where the protocol measures AMPA and
    NMDA at two (a file recorded with the amplifier driven externally says 0 mV)."""
    import warnings

    from ephystool.io.overrides import HoldingWarning

    fix = "pass holding_mV to ephystool.io.load() or in the manifest"
    a, n = (float(x.rescale(pq.mV).magnitude) for x in (params.ampa_holding, params.nmda_holding))
    if any(notes):
        msg = "holding potential unknown in the file: taken from the protocol's holding_potentials cycled over sweeps"
    elif recording.metadata.get("holding_source") == "manifest":
        return
    elif set(holds) == {0.0} and len(holds) > 1 and abs(a - n) > 0.5 and 0.0 not in (a, n):
        msg = (f"every sweep is at 0 mV by the file (amplifier driven externally?), the protocol measures AMPA at "
               f"{a:g} and NMDA at {n:g} mV: the file does not record the holding potential")
    else:
        return
    warnings.warn(f"{recording.path}: {msg}; {fix}", HoldingWarning, stacklevel=3)


def _test_pulse(recording: Any, sweep: int, params: NmdaParams, first_stim: float) -> tuple[float, float] | None:
    if params.test_pulse_window is not None:
        a, b = _s(params.test_pulse_window)
        return float(a), float(b)
    eps = recording.epochs[sweep] if sweep < len(recording.epochs) else ()
    hold = recording.holding_at(sweep)
    hv = None if hold is None else float(hold.rescale(pq.mV).magnitude)
    for e in eps:
        if e.units == "mV" and 0 < e.end_s - e.start_s < 0.2 and e.end_s <= first_stim and hv is not None:
            if abs(e.level - hv) > 0.5:
                return e.start_s, e.end_s
    return None


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True)
class NmdaResult:
    """Evoked-EPSC measurements of one recording.

    ``groups`` holds one :class:`GroupMeasure` per holding potential (averaged accepted sweeps);
    ``nmda_ampa_ratio`` and ``rectification_index`` are None where the recording lacks the sweeps.
    """

    path: str
    groups: tuple[GroupMeasure, ...]
    sweeps: tuple[dict[str, Any], ...]
    nmda_ampa_ratio: pq.Quantity | None
    rectification_index: pq.Quantity | None
    stim_source: str
    params: NmdaParams
    notes: tuple[str, ...] = ()

    def rows(self) -> list[dict[str, Any]]:
        """Tidy recording-level rows (``analysis, metric, value, unit, holding_mV, direction, component, ...``)."""
        out = [r for g in self.groups for r in g.rows(NAME)]
        pair = f"{float(self.params.ampa_holding.rescale(pq.mV)):g}/{float(self.params.nmda_holding.rescale(pq.mV)):g}"
        for metric, q in (("nmda_ampa_ratio", self.nmda_ampa_ratio), ("nmda_rectification_index", self.rectification_index)):
            if q is not None:
                out.append({"analysis": NAME, "metric": metric, "value": float(q), "unit": "1", "holding_mV": None,
                            "holding_pair_mV": pair, "component": "isolated" if "rect" in metric else "mixed",
                            "n_sweeps": sum(g.n_sweeps for g in self.groups), "note": ""})
        return out

    def sweep_rows(self) -> list[dict[str, Any]]:
        """Tidy per-sweep rows (``sweep, sweep_time_s, analysis, metric, value, unit`` + selectors)."""
        return [dict(r, analysis=NAME) for r in self.sweeps]


# ----------------------------------------------------------------------------- analysis
def _check_recording(recording: Any) -> None:
    if recording.kind != "voltage_clamp":
        raise AnalysisError(
            f"the nmda analysis needs a voltage-clamp recording (membrane current), but this is {recording.kind}; "
            "use a current-clamp protocol for it or correct the manifest's kind/holding", recording.path)
    units = recording.channels[recording.primary].units
    try:
        (1.0 * pq.Quantity(1.0, units)).rescale(pq.pA)
    except (ValueError, LookupError) as exc:
        raise AnalysisError(
            f"channel '{recording.channels[recording.primary].name}' is in {units}, expected a current (pA); "
            "check the clamp mode of the file", recording.path) from exc


def _span(params: NmdaParams) -> tuple[float, float]:
    wins = [params.baseline_window, params.ampa_window, params.nmda_late_window, params.charge_window,
            params.nmda_peak_window]
    lo = min(float(_s(w)[0]) for w in wins)
    hi = max(float(_s(w)[1]) for w in wins)
    return min(lo, 0.0), hi


def _extract(recording: Any, k: int, params: NmdaParams, span: tuple[float, float]) -> dict[str, Any]:
    s = recording.signal(k)
    x = np.asarray(s.rescale(pq.pA).magnitude, dtype=float).ravel()
    rate = float(s.sampling_rate.rescale("Hz"))
    stims, source = stimulus_times(recording, k, params)
    where = f"sweep {k}: "
    y = x
    for t in stims:
        y = sig.blank_artifact(y, rate, t, float(_s(params.artifact_blank)))
    t0 = stims[0]
    b0, b1 = (float(v) for v in _s(params.baseline_window))
    base = sig.window_mean(y, rate, t0 + b0, t0 + b1, where, recording.path)
    noise = float(np.std(x[sig.window_slice(len(x), rate, t0 + b0, t0 + b1, where, recording.path)]))
    sl = sig.window_slice(len(y), rate, t0 + span[0], t0 + span[1], where, recording.path)
    hi_avail = len(y) / rate - t0
    ext_end = min(hi_avail, span[1] + float(_s(params.decay_fit_window)[1]))
    seg = y[sl.start : int(round((t0 + ext_end) * rate))] - base
    return {"seg": seg, "rate": rate, "stims": stims, "source": source, "base": base, "noise": noise,
            "raw": x, "blanked": y, "t0": t0}


def analyze(recording: Any, params: NmdaParams) -> NmdaResult:
    """Measure evoked EPSCs of one voltage-clamp recording.

    Raises
    ------
    AnalysisError
        Not voltage clamp, a window outside a sweep, no stimulus found, or no usable sweep.
    """
    _check_recording(recording)
    holds, hold_notes = _holdings(recording, params)
    span = _span(params)
    data = [_extract(recording, k, params, span) for k in range(recording.n_sweeps)]
    rate = data[0]["rate"]
    i_pre = int(round(-span[0] * rate))
    groups: dict[float, list[int]] = {}
    for k, v in enumerate(holds):
        groups.setdefault(round(v, 1), []).append(k)
    sweep_rows: list[dict[str, Any]] = []
    measures = []
    for v, ks in sorted(groups.items()):
        accepted, info = _select(data, ks, v, params, i_pre, rate)
        for k in ks:
            sweep_rows.extend(_sweep_rows(recording, k, data[k], v, info[k], params, hold_notes[k]))
        if not accepted:
            continue
        n = min(len(data[k]["seg"]) for k in accepted)
        avg = np.mean([data[k]["seg"][:n] for k in accepted], axis=0)
        measures.append(measure_group(avg, rate, i_pre, v, params, len(accepted), len(ks) - len(accepted),
                                      _ppr([data[k] for k in accepted], params, v)))
    if not measures:
        raise AnalysisError("no sweep passed the failure/outlier rules; check the stimulus time and windows",
                            recording.path)
    _rs_check(recording, data, params, sweep_rows)
    _warn_holding(recording, holds, hold_notes, params)  # after the errors: a failed analysis says why first
    return NmdaResult(str(recording.path), tuple(measures), tuple(sweep_rows), _ratio(measures, params),
                      _rect(measures, params), data[0]["source"], params)


def _select(data: list[dict], ks: list[int], v: float, params: NmdaParams, i_pre: int, rate: float
            ) -> tuple[list[int], dict[int, str]]:
    amps = np.array([sweep_amplitude(data[k]["seg"], rate, i_pre, v, params) for k in ks])
    noise = np.array([data[k]["noise"] for k in ks])
    resolved = np.median(amps) > 10 * np.median(noise)
    out = sig.mad_outliers(amps, params.outlier_mad)
    info, accepted = {}, []
    for j, k in enumerate(ks):
        if resolved and amps[j] < 3 * noise[j]:
            info[k] = "failure"
        elif out[j]:
            info[k] = "outlier"
        else:
            info[k] = ""
            accepted.append(k)
    return accepted, info


def _ppr(items: list[dict], params: NmdaParams, v: float) -> float | None:
    peaks = []
    for d in items:
        if len(d["stims"]) < 2:
            return None
        peaks.append([_stim_peak(d, t, params, v) for t in d["stims"][:2]])
    p = np.mean(peaks, axis=0)
    return float(p[1] / p[0]) if p[0] > 0 else None


def _stim_peak(d: dict, t: float, params: NmdaParams, v: float) -> float:
    rate, y = d["rate"], d["blanked"]
    b0, b1 = (float(x) for x in _s(params.baseline_window))
    a0, a1 = (float(x) for x in _s(params.ampa_window))
    base = sig.window_mean(y, rate, t + b0, t + b1)
    direction = -1 if v < -5 else (1 if v > 5 else 0)
    if direction == 0:
        lo = sig.peak_in_window(y - base, rate, t + a0, t + a1, -1)[1]
        hi = sig.peak_in_window(y - base, rate, t + a0, t + a1, 1)[1]
        return abs(lo) if abs(lo) >= abs(hi) else abs(hi)
    return abs(sig.peak_in_window(y - base, rate, t + a0, t + a1, direction)[1])


def _sweep_rows(recording: Any, k: int, d: dict, v: float, status: str, params: NmdaParams, note: str) -> list[dict]:
    i_pre = int(round(-_span(params)[0] * d["rate"]))
    common = {"sweep": k, "sweep_time_s": recording.sweep_time(k), "holding_mV": v,
              "accepted": status == "", "exclusion": status, "stim_source": d["source"], "note": note}
    rows = [dict(common, metric="baseline_current", value=d["base"], unit="pA", stimulus=1)]
    for j, t in enumerate(d["stims"][:2]):
        rows.append(dict(common, metric="epsc_peak", value=_stim_peak(d, t, params, v), unit="pA", stimulus=j + 1,
                         stim_time_s=t))
    if len(d["stims"]) >= 2 and rows[1]["value"] > 0:
        rows.append(dict(common, metric="ppr", value=rows[2]["value"] / rows[1]["value"], unit="1", stimulus=2))
    amp = sweep_amplitude(d["seg"], d["rate"], i_pre, v, params)
    name = "nmda_peak" if params.isolated_nmda else ("ampa_peak" if v < 0 else "nmda_late")
    rows.append(dict(common, metric=name, value=amp, unit="pA", stimulus=1))
    return rows


def _rs_check(recording: Any, data: list[dict], params: NmdaParams, rows: list[dict]) -> None:
    peaks = {}
    for k, d in enumerate(data):
        tp = _test_pulse(recording, k, params, d["stims"][0])
        if tp is None:
            continue
        rate, x = d["rate"], d["raw"]
        pre = sig.window_mean(x, rate, max(tp[0] - 0.005, 0.0), tp[0]) if tp[0] > 1.0 / rate else float(x[0])
        seg = np.abs(x[sig.window_slice(len(x), rate, tp[0], min(tp[0] + 0.003, tp[1]))] - pre)
        peaks[k] = float(np.max(seg)) if seg.size else float("nan")
    if not peaks:
        return
    ref = peaks[min(peaks)]
    for k, pk in peaks.items():
        change = ref / pk - 1.0 if pk > 0 else float("nan")
        flag = bool(abs(change) > params.rs_change_limit)
        rows.append({"sweep": k, "sweep_time_s": recording.sweep_time(k), "metric": "rs_change", "value": 100.0 * change,
                     "unit": "%", "holding_mV": None, "rs_flag": flag,
                     "note": f"series resistance changed by more than {params.rs_change_limit:.0%}" if flag else ""})


def _find(measures: Sequence[GroupMeasure], v: pq.Quantity) -> GroupMeasure | None:
    target = float(v.rescale(pq.mV).magnitude)
    for g in measures:
        if abs(g.holding_mV - target) < 0.5:
            return g
    return None


def _ratio(measures: Sequence[GroupMeasure], params: NmdaParams) -> pq.Quantity | None:
    a, n = _find(measures, params.ampa_holding), _find(measures, params.nmda_holding)
    if params.isolated_nmda or a is None or n is None or a.ampa_peak is None or n.nmda_late is None:
        return None
    return (n.nmda_late / a.ampa_peak).simplified if float(a.ampa_peak) > 0 else None


def _rect(measures: Sequence[GroupMeasure], params: NmdaParams) -> pq.Quantity | None:
    a, n = _find(measures, params.ampa_holding), _find(measures, params.nmda_holding)
    if not params.isolated_nmda or a is None or n is None or n.peak_ms is None:
        return None
    i_pos, i_neg = n.mean_at(n.peak_ms), a.mean_at(n.peak_ms)
    return i_neg / i_pos * pq.dimensionless if i_pos > 0 else None


def rectification_from_rows(
    rows: Sequence[Mapping[str, Any]], v_neg_mV: float = -70.0, v_pos_mV: float = 40.0
) -> dict[str, Any] | None:
    """Combine isolated-NMDA peaks of one cell recorded in separate files into a rectification index.

    Parameters
    ----------
    rows : sequence of mapping
        ``NmdaResult.rows()`` of the files of **one cell** (the pipeline groups them).
    v_neg_mV, v_pos_mV : float
        The two holding potentials.

    Returns
    -------
    dict or None
        A row ``{analysis, metric='nmda_rectification_index', value, unit='1', holding_pair_mV, n_sweeps}``,
        or None when the cell lacks an isolated NMDA peak at one of the potentials.
    """
    def pick(v: float) -> list[Mapping[str, Any]]:
        return [r for r in rows if r.get("metric") == "nmda_peak" and r.get("component") == "isolated"
                and r.get("holding_mV") is not None and abs(float(r["holding_mV"]) - v) < 0.5]

    neg, pos = pick(v_neg_mV), pick(v_pos_mV)
    if not neg or not pos:
        return None
    wn = [max(int(r.get("n_sweeps") or 1), 1) for r in neg]
    wp = [max(int(r.get("n_sweeps") or 1), 1) for r in pos]
    i_neg = float(np.average([float(r["value"]) for r in neg], weights=wn))
    i_pos = float(np.average([float(r["value"]) for r in pos], weights=wp))
    if i_pos <= 0:
        return None
    return {"analysis": NAME, "metric": "nmda_rectification_index", "value": i_neg / i_pos, "unit": "1",
            "holding_mV": None, "holding_pair_mV": f"{v_neg_mV:g}/{v_pos_mV:g}", "component": "isolated",
            "n_sweeps": sum(wn) + sum(wp), "note": "combined from separate recordings of the same cell"}
