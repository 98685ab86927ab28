"""Evoked NMDA/AMPA EPSCs in voltage clamp: peaks, NMDA/AMPA ratio, kinetics, rectification index.

Per sweep: the stimulus time comes from the manifest's ``stim_time_ms``, else the file (stimulus table,
or pulses on a stimulus / light / TTL channel), else the stimulus artefacts on the trace, where the
protocol's ``stim_time`` is used only if an artefact confirms it (:mod:`ephystool.analysis.nmda._stim`;
the source is in every row). The artefact span (``artifact_blank``, or longer where the detected artefact
lasts longer) is replaced by a straight line before the averaged EPSC is measured; per-pulse amplitudes
are local extremes after the artefact, and a pulse without one is a failure. The mean of ``baseline_window`` (relative to the stimulus) is
subtracted. Sweeps are grouped by holding potential; failures (amplitude < 3 x baseline noise where the
group's EPSC is well resolved) and outliers (``outlier_mad`` x MAD from the group median) are excluded
and counted; the accepted sweeps are averaged and measured (see :mod:`ephystool.analysis.nmda._measure`
for the definitions). Amplitudes are magnitudes (>= 0) with the direction (inward/outward) in its own
column. Access resistance, input resistance and holding current come from each sweep's test pulse where
the file (or, confirmed by its transients, the protocol) has one; a recording that fails the template's
criteria carries an ``excluded_reason`` on every row (:mod:`ephystool.analysis.nmda._access`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import _signal as sig
from ephystool.analysis.nmda._access import AccessResult, access
from ephystool.analysis.nmda._measure import GroupMeasure, measure_group, sweep_amplitude
from ephystool.analysis.nmda._stim import pulse_amplitude, stimulus_times
from ephystool.analysis.nmda.figures import plot_nmda
from ephystool.analysis.nmda.metrics import METRICS
from ephystool.analysis.nmda.params import NmdaParams
from ephystool.analysis.spec import AnalysisSpec
from ephystool.errors import AnalysisError

__all__ = ["SPEC", "NAME", "NmdaParams", "NmdaResult", "analyze", "rectification_from_rows", "stimulus_times"]

NAME = "nmda"
_STIM_CHANNEL = re.compile(r"light|stim|ttl|trig|led|laser|opto|^do\b|digital", re.IGNORECASE)


def _s(q: pq.Quantity) -> Any:
    return q.rescale(pq.s).magnitude


# ----------------------------------------------------------------------------- holding
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

    from ephystool.io.holding import HoldingWarning

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
    access: AccessResult | None = None

    @property
    def excluded_reason(self) -> str:
        """Why the inclusion criteria exclude this recording ('' = included)."""
        return self.access.excluded_reason if self.access is not None else ""

    def rows(self) -> list[dict[str, Any]]:
        """Tidy recording-level rows (``analysis, metric, value, unit, holding_mV, direction, component, ...``)."""
        out = [r for g in self.groups for r in g.rows(NAME)]
        pair = f"{float(self.params.ampa_holding.rescale(pq.mV)):g}/{float(self.params.nmda_holding.rescale(pq.mV)):g}"
        for metric, q in (("nmda_ampa_ratio", self.nmda_ampa_ratio), ("nmda_rectification_index", self.rectification_index)):
            if q is not None:
                out.append({"analysis": NAME, "metric": metric, "value": float(q), "unit": "1", "holding_mV": None,
                            "holding_pair_mV": pair, "component": _component(metric, self.params),
                            "n_sweeps": sum(g.n_sweeps for g in self.groups), "note": ""})
        if self.access is not None:
            out += [dict(r) for r in self.access.rows]
        note = "; ".join(self.notes + ((self.access.note,) if self.access is not None and self.access.note else ()))
        return [dict(r, stim_source=self.stim_source, excluded_reason=self.excluded_reason,
                     note="; ".join(x for x in (r.get("note"), note) if x)) for r in out]

    def sweep_rows(self) -> list[dict[str, Any]]:
        """Tidy per-sweep rows (``sweep, sweep_time_s, analysis, metric, value, unit`` + selectors)."""
        extra = self.access.sweep_rows if self.access is not None else ()
        return [dict(r, analysis=NAME) for r in (*self.sweeps, *extra)]


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
    stims, source, art_ends, warning = stimulus_times(recording, k, params, x, rate)
    where = f"sweep {k}: "
    y = x
    blank = float(_s(params.artifact_blank))
    for t, e in zip(stims, art_ends):
        y = sig.blank_artifact(y, rate, t, max(blank, e - t))
    t0 = stims[0]
    b0, b1 = (float(v) for v in _s(params.baseline_window))
    base = sig.window_mean(y, rate, t0 + b0, t0 + b1, where, recording.path)
    noise = float(np.std(x[sig.window_slice(len(x), rate, t0 + b0, t0 + b1, where, recording.path)]))
    sl = sig.window_slice(len(y), rate, t0 + span[0], t0 + span[1], where, recording.path)
    hi_avail = len(y) / rate - t0
    ext_end = min(hi_avail, span[1] + float(_s(params.decay_fit_window)[1]))
    seg = y[sl.start : int(round((t0 + ext_end) * rate))] - base
    return {"seg": seg, "rate": rate, "stims": stims, "source": source, "base": base, "noise": noise,
            "raw": x, "blanked": y, "t0": t0, "art_ends": art_ends, "warning": warning,
            "skip_s": max(blank, art_ends[0] - t0), "noise_robust": _robust_sd(x, rate, t0 + b0, t0 + b1)}


def analyze(recording: Any, params: NmdaParams) -> NmdaResult:
    """Measure evoked EPSCs of one voltage-clamp recording.

    Parameters
    ----------
    recording : Recording
        Voltage clamp: membrane current (pA, any current unit) in the primary channel, holding levels from
        the file, the manifest or ``params.holding_potentials`` (mV).
    params : NmdaParams
        Windows in ms relative to the stimulus, holding levels in mV, ``min_epsc`` in pA.

    Returns
    -------
    NmdaResult
        Per holding group: AMPA/NMDA peaks (pA, magnitudes), NMDA late current (pA), charge (pC), decay
        time constants (ms), NMDA/AMPA ratio and rectification index (dimensionless); ``rows()`` and
        ``sweep_rows()`` give the tidy tables.

    Raises
    ------
    AnalysisError
        Not voltage clamp, a window outside a sweep, no stimulus found, or no usable sweep.

    Examples
    --------
    >>> from ephystool.simulate.vclamp import simulate_epsc_sweeps
    >>> rec, truth = simulate_epsc_sweeps(seed=5108, n_sweeps_per_holding=3)
    >>> rows = {r["metric"]: r for r in analyze(rec, NmdaParams()).rows() if r["metric"] == "nmda_ampa_ratio"}
    >>> abs(rows["nmda_ampa_ratio"]["value"] - truth["nmda_ampa_ratio"]) < 0.02, rows["nmda_ampa_ratio"]["unit"]
    (True, '1')
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
        skip = max(data[k]["skip_s"] for k in accepted)
        measures.append(measure_group(avg, rate, i_pre, v, params, len(accepted), len(ks) - len(accepted),
                                      _ppr([data[k] for k in accepted], params, v), skip))
    if not measures:
        raise AnalysisError("no sweep passed the failure/outlier rules; check the stimulus time and windows",
                            recording.path)
    warn = tuple(sorted({d["warning"] for d in data if d["warning"]}))
    _warn_holding(recording, holds, hold_notes, params)  # after the errors: a failed analysis says why first
    return NmdaResult(str(recording.path), tuple(measures), tuple(sweep_rows), _ratio(measures, params),
                      _rect(measures, params), data[0]["source"], params, warn, access(recording, data, params))


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
        pk = [_stim_peak(d, j, params, v) for j in range(2)]
        if pk[0] is None:
            continue  # a failure of the first pulse: its PPR is undefined
        peaks.append([pk[0], pk[1] or 0.0])
    if not peaks:
        return None
    p = np.mean(peaks, axis=0)
    return float(p[1] / p[0]) if p[0] > 0 else None


def _stim_peak(d: dict, j: int, params: NmdaParams, v: float, base: float | None = None) -> float | None:
    direction = -1 if v < -5 else (1 if v > 5 else 0)
    prev = d["stims"][j - 1] if j else None
    return pulse_amplitude(d["raw"], d["rate"], d["stims"][j], d["art_ends"][j], params, direction, d["noise_robust"],
                           base, prev)


def _robust_sd(x: np.ndarray, rate: float, a: float, b: float) -> float:
    """1.4826 MAD of the baseline (spontaneous EPSCs in it do not inflate it)."""
    seg = x[sig.window_slice(len(x), rate, a, b)]
    return 1.4826 * float(np.median(np.abs(seg - np.median(seg))))


def _pulse_rows(d: dict, params: NmdaParams, v: float, common: dict) -> list[dict]:
    rows, amps = [], []
    for j, t in enumerate(d["stims"]):
        a = _stim_peak(d, j, params, v)
        amps.append(a)
        rows.append(dict(common, metric="epsc_peak", value=a or 0.0, unit="pA", stimulus=j + 1, stim_time_s=t,
                         failure=a is None, note="failure: no EPSC after the stimulus artefact" if a is None else ""))
    if len(amps) >= 2:
        if amps[0] is not None:
            rows.append(dict(common, metric="ppr", value=(amps[1] or 0.0) / amps[0], unit="1", stimulus=2))
        else:
            rows[0]["note"] += "; paired-pulse ratio undefined (pulse 1 failed)"
    if len(amps) >= 3:  # a train: amplitudes on the pre-train baseline, ratios to pulse 1
        b0, b1 = (float(x) for x in _s(params.baseline_window))
        pre = sig.window_mean(d["raw"], d["rate"], d["stims"][0] + b0, d["stims"][0] + b1)
        tr = [_stim_peak(d, j, params, v, pre) for j in range(len(amps))]
        for j, a in enumerate(tr):
            rows.append(dict(common, metric="epsc_peak_pretrain", value=a or 0.0, unit="pA", stimulus=j + 1,
                             failure=a is None, note="against the pre-train baseline"))
            if j and tr[0]:
                rows.append(dict(common, metric="train_ratio", value=(a or 0.0) / tr[0], unit="1", stimulus=j + 1,
                                 note="pulse n / pulse 1, both against the pre-train baseline"))
    return rows


def _sweep_rows(recording: Any, k: int, d: dict, v: float, status: str, params: NmdaParams, note: str) -> list[dict]:
    i_pre = int(round(-_span(params)[0] * d["rate"]))
    note = "; ".join(x for x in (note, d["warning"]) if x)
    common = {"sweep": k, "sweep_time_s": recording.sweep_time(k), "holding_mV": v,
              "accepted": status == "", "exclusion": status, "stim_source": d["source"], "note": note}
    rows = [dict(common, metric="baseline_current", value=d["base"], unit="pA", stimulus=1)]
    rows += _pulse_rows(d, params, v, common)
    amp = sweep_amplitude(d["seg"], d["rate"], i_pre, v, params)
    name = "nmda_peak" if params.isolated_nmda else ("ampa_peak" if v < 0 else "nmda_late")
    rows.append(dict(common, metric=name, value=amp, unit="pA", stimulus=1))
    return rows


def _component(metric: str, params: NmdaParams) -> str:
    if "rect" not in metric:
        return "mixed"
    return "isolated" if params.isolated_nmda else "late"


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
    """|I(ampa_holding)| / I(nmda_holding): isolated peaks, or (mixed EPSCs) the late components."""
    a, n = _find(measures, params.ampa_holding), _find(measures, params.nmda_holding)
    if a is None or n is None:
        return None
    if not params.isolated_nmda:
        if a.nmda_late is None or n.nmda_late is None or float(n.nmda_late) <= 0:
            return None
        return (a.nmda_late / n.nmda_late).simplified
    if n.peak_ms is None:
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


#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, NmdaParams, analyze, plot_nmda, METRICS)
