"""Tonic NMDA-receptor current: holding-current shift on agonist wash-in, and agonist-application currents.

Two modes (``mode``: ``auto``, ``washin`` or ``application``):

* **washin** (gap-free or sweep-by-sweep time course): the wash-in time is the manifest's
  ``washin_time_s``, else the first comment tag whose text mentions a drug, wash, salt, agonist or
  starts with '+' (e.g. '+drug at 3min'), else the protocol's ``washin_time``. The holding current is
  the mean over ``baseline_window`` (from the recording start) and over ``treatment_window`` (relative
  to the wash-in; it starts no earlier than ``equilibration``); ``holding_current_shift`` = treatment -
  baseline (pA, **signed**: negative = inward, also given in ``direction``). Current noise is the RMS of
  the current band-passed to ``noise_band`` in each window (``noise_rms_change`` = after - before).
  Only samples at the holding command are used: samples during command steps (test pulses) and 5 ms
  after each step are left out. Windows that run past the recording are clipped (noted in the row).
* **application** (agonist puffed in every sweep, e.g. NMDA at -80 mV): per sweep, baseline mean over
  ``application_baseline_window``, peak current in ``application_window``, steady state in
  ``steady_state_window``, charge over ``application_charge_window``, 10-90 % rise from the window
  start to the peak. Sweeps whose peak exceeds both ``min_response`` and ``response_snr`` x the baseline
  SD are responses; the recording values are their means.

``auto`` picks washin when the manifest or a tag gives a wash-in time or the protocol's wash-in
windows fit in the recording, else application.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import _signal as sig
from ephystool.analysis.nmda._analyzer import _check_recording
from ephystool.analysis.nmda._measure import _w
from ephystool.analysis.nmda.figures import plot_nmda_tonic
from ephystool.analysis.nmda_tonic.metrics import METRICS
from ephystool.analysis.nmda_tonic.params import NmdaTonicParams
from ephystool.analysis.spec import AnalysisSpec
from ephystool.errors import AnalysisError

__all__ = ["SPEC", "NAME", "NmdaTonicParams", "NmdaTonicResult", "analyze", "washin_time"]

NAME = "nmda_tonic"
_TAG = re.compile(r"drug|wash|salt|agonist|aspart|nmda|mg|^\s*\+", re.IGNORECASE)
_SETTLE_S = 0.005


def washin_time(recording: Any, params: NmdaTonicParams) -> tuple[float, str]:
    """Wash-in time in s from the recording start and its source (manifest > file tag > protocol)."""
    if params.washin_source == "manifest":
        return float(params.washin_time.rescale(pq.s).magnitude), "manifest"
    t0 = float(recording.sweep_start_times_s[0]) if len(recording.sweep_start_times_s) else 0.0
    for tag in recording.tags:
        if tag.text and _TAG.search(tag.text):
            return float(tag.time_s) - t0, f"tag '{tag.text}'"
    return float(params.washin_time.rescale(pq.s).magnitude), "protocol"


# ----------------------------------------------------------------------------- time course
def _holding_mask(recording: Any, k: int, n: int, rate: float) -> np.ndarray:
    hold = recording.holding_at(k)
    cmd = recording.command(k)
    if hold is None:
        return np.ones(n, dtype=bool)
    hv = float(hold.rescale(pq.mV).magnitude)
    if cmd is not None and cmd.shape[0] == n:
        c = np.asarray(cmd.rescale(pq.mV).magnitude, dtype=float).ravel()
    else:
        eps = recording.epochs[k] if k < len(recording.epochs) else ()
        c = np.full(n, hv)
        for e in eps:
            if e.units == "mV":
                c[int(round(e.start_s * rate)) : int(round(e.end_s * rate))] = e.level
    mask = np.abs(c - hv) < 0.5
    settle = int(round(_SETTLE_S * rate))
    for i in np.flatnonzero(mask[1:] & ~mask[:-1]) + 1:
        mask[i : i + settle] = False
    return mask


def _timecourse(recording: Any, params: NmdaTonicParams) -> list[dict[str, Any]]:
    out = []
    lo, hi = (float(x) for x in params.noise_band.rescale(pq.Hz).magnitude)
    for k in range(recording.n_sweeps):
        s = recording.signal(k)
        x = np.asarray(s.rescale(pq.pA).magnitude, dtype=float).ravel()
        rate = float(s.sampling_rate.rescale(pq.Hz))
        mask = _holding_mask(recording, k, x.size, rate)
        runs = np.split(np.arange(x.size), np.flatnonzero(np.diff(mask.astype(int))) + 1)
        runs = [r for r in runs if r.size and mask[r[0]]]
        longest = max(runs, key=len) if runs else np.arange(0)
        filt = np.full(x.size, np.nan)
        if longest.size:
            filt[longest] = sig.bandpass(x[longest], rate, lo, hi)
        out.append({"t": recording.sweep_time(k) + np.arange(x.size) / rate, "x": x, "mask": mask, "filt": filt})
    return out


def _window_stats(tc: list[dict[str, Any]], a: float, b: float) -> tuple[float, float, int]:
    vals, noise = [], []
    for d in tc:
        m = d["mask"] & (d["t"] >= a) & (d["t"] < b)
        vals.append(d["x"][m])
        f = d["filt"][m]
        noise.append(f[np.isfinite(f)])
    v, f = np.concatenate(vals), np.concatenate(noise)
    return (float(np.mean(v)) if v.size else float("nan"), sig.rms(f) if f.size else float("nan"), int(v.size))


@dataclass(frozen=True)
class NmdaTonicResult:
    """Tonic-current (washin) or agonist-application measurements of one recording."""

    path: str
    mode: str
    values: dict[str, float]
    units: dict[str, str]
    selectors: dict[str, Any]
    sweeps: tuple[dict[str, Any], ...]
    washin_time_s: float | None = None
    washin_source: str = ""
    notes: tuple[str, ...] = ()

    def rows(self) -> list[dict[str, Any]]:
        """Tidy recording-level rows (``analysis, metric, value, unit, holding_mV, ...``)."""
        note = "; ".join(self.notes)
        return [dict(self.selectors, analysis=NAME, metric=m, value=float(v), unit=self.units[m], note=note)
                for m, v in self.values.items() if np.isfinite(v)]

    def sweep_rows(self) -> list[dict[str, Any]]:
        """Per-sweep rows (holding current per sweep, or per-sweep application measurements)."""
        return [dict(r, analysis=NAME) for r in self.sweeps]


def _clip(a: float, b: float, end: float, name: str, notes: list[str], path: Any) -> tuple[float, float]:
    if a >= end or b <= a:
        raise AnalysisError(f"the {name} ({a:.1f}-{b:.1f} s) lies outside the recording (0-{end:.1f} s); "
                            "shorten it in the protocol or check the wash-in time", path)
    if b > end:
        notes.append(f"{name} clipped to the recording end ({a:.1f}-{end:.1f} s instead of {a:.1f}-{b:.1f} s)")
        b = end
    return a, b


def _analyze_washin(recording: Any, params: NmdaTonicParams) -> NmdaTonicResult:
    tw, source = washin_time(recording, params)
    tc = _timecourse(recording, params)
    end = float(max(d["t"][-1] for d in tc))
    notes: list[str] = []
    b0, b1 = _w(params.baseline_window)
    if b1 > tw:
        notes.append(f"baseline window ends at the wash-in ({tw:.1f} s)")
        b1 = tw
    b0, b1 = _clip(b0, b1, end, "baseline window", notes, recording.path)
    t0, t1 = _w(params.treatment_window)
    t0 = max(t0, float(params.equilibration.rescale(pq.s).magnitude))
    a0, a1 = _clip(tw + t0, tw + t1, end, "treatment window", notes, recording.path)
    i_b, n_b, cnt_b = _window_stats(tc, b0, b1)
    i_t, n_t, cnt_t = _window_stats(tc, a0, a1)
    if cnt_b == 0 or cnt_t == 0:
        raise AnalysisError("no samples at the holding potential in the baseline or treatment window; check the "
                            "windows and the wash-in time", recording.path)
    shift = i_t - i_b
    hold = recording.holding_at(0)
    values = {"holding_current_shift": shift, "holding_current_baseline": i_b, "holding_current_treatment": i_t,
              "noise_rms_baseline": n_b, "noise_rms_treatment": n_t, "noise_rms_change": n_t - n_b}
    units = dict.fromkeys(values, "pA")
    sel = {"holding_mV": None if hold is None else float(hold.rescale(pq.mV).magnitude),
           "direction": "inward" if shift < 0 else "outward", "washin_time_s": tw, "washin_source": source,
           "window": f"{b0:g}-{b1:g} s vs {a0:g}-{a1:g} s", "n_sweeps": recording.n_sweeps}
    return NmdaTonicResult(str(recording.path), "washin", values, units, sel, tuple(_course_rows(recording, tc)),
                           tw, source, tuple(notes))


def _course_rows(recording: Any, tc: list[dict[str, Any]], bin_s: float = 10.0) -> list[dict[str, Any]]:
    rows = []
    for k, d in enumerate(tc):
        if len(tc) > 1:
            x = d["x"][d["mask"]]
            rows.append({"sweep": k, "sweep_time_s": recording.sweep_time(k), "metric": "holding_current",
                         "value": float(np.mean(x)) if x.size else float("nan"), "unit": "pA"})
            continue
        edges = np.arange(d["t"][0], d["t"][-1] + bin_s, bin_s)
        for a in edges[:-1]:
            m = d["mask"] & (d["t"] >= a) & (d["t"] < a + bin_s)
            if np.any(m):
                rows.append({"sweep": 0, "sweep_time_s": float(a), "metric": "holding_current",
                             "value": float(np.mean(d["x"][m])), "unit": "pA", "window": f"{a:g}-{a + bin_s:g} s"})
    return rows


# ----------------------------------------------------------------------------- application
def _application_sweep(x: np.ndarray, rate: float, params: NmdaTonicParams, where: str, path: Any) -> dict[str, float]:
    b0, b1 = _w(params.application_baseline_window)
    y, base = sig.subtract_baseline(x, rate, b0, b1, where=where, path=path)
    sd = float(np.std(x[sig.window_slice(len(x), rate, b0, b1, where, path)]))
    p0, p1 = _w(params.application_window)
    i_lo, v_lo = sig.peak_in_window(y, rate, p0, p1, -1, 0.0, where, path)
    i_hi, v_hi = sig.peak_in_window(y, rate, p0, p1, 1, 0.0, where, path)
    ip, vp = (i_lo, v_lo) if abs(v_lo) >= abs(v_hi) else (i_hi, v_hi)
    s0, s1 = _w(params.steady_state_window)
    c0, c1 = _w(params.application_charge_window)
    ss = sig.window_mean(y, rate, s0, s1, where, path)
    return {"baseline": base, "baseline_sd": sd, "peak": vp, "time_of_peak": ip / rate,
            "steady_state": ss, "charge": sig.charge(y, rate, c0, c1, where, path),
            "rise": sig.rise_time(y, rate, int(round(p0 * rate)), ip) * 1e3}


def _analyze_application(recording: Any, params: NmdaTonicParams) -> NmdaTonicResult:
    per, rows = [], []
    thr = float(params.min_response.rescale(pq.pA).magnitude)
    for k in range(recording.n_sweeps):
        s = recording.signal(k)
        x = np.asarray(s.rescale(pq.pA).magnitude, dtype=float).ravel()
        m = _application_sweep(x, float(s.sampling_rate.rescale(pq.Hz)), params, f"sweep {k}: ", recording.path)
        m["responding"] = abs(m["peak"]) >= max(thr, params.response_snr * m["baseline_sd"])
        per.append(m)
        hold = recording.holding_at(k)
        common = {"sweep": k, "sweep_time_s": recording.sweep_time(k), "responding": m["responding"],
                  "holding_mV": None if hold is None else float(hold.rescale(pq.mV).magnitude),
                  "direction": "inward" if m["peak"] < 0 else "outward"}
        for metric, key, unit in _APP_METRICS:
            val = abs(m[key]) if unit in ("pA", "pC") else m[key]
            rows.append(dict(common, metric=metric, value=float(val), unit=unit))
    resp = [m for m in per if m["responding"]]
    if not resp:
        raise AnalysisError(f"no sweep has an agonist response above {thr:g} pA and {params.response_snr:g} x the "
                            "baseline noise; check application_window and min_response", recording.path)
    values = {metric: float(np.nanmean([abs(m[key]) if unit in ("pA", "pC") else m[key] for m in resp]))
              for metric, key, unit in _APP_METRICS if key not in ("baseline", "time_of_peak")}
    values["agonist_desensitization"] = float(np.mean([1 - m["steady_state"] / m["peak"] for m in resp]))
    values["n_responding"] = float(len(resp))
    units = {metric: unit for metric, _, unit in _APP_METRICS} | {"agonist_desensitization": "1", "n_responding": "1"}
    hold = recording.holding_at(0)
    sel = {"holding_mV": None if hold is None else float(hold.rescale(pq.mV).magnitude),
           "direction": "inward" if np.mean([m["peak"] for m in resp]) < 0 else "outward",
           "n_sweeps": len(resp), "window": "application"}
    return NmdaTonicResult(str(recording.path), "application", values, units, sel, tuple(rows))


_APP_METRICS = (
    ("holding_current", "baseline", "pA"), ("agonist_peak", "peak", "pA"), ("agonist_time_of_peak", "time_of_peak", "s"),
    ("agonist_steady_state", "steady_state", "pA"), ("agonist_charge", "charge", "pC"),
    ("agonist_rise_10_90", "rise", "ms"),
)


def _pick_mode(recording: Any, params: NmdaTonicParams) -> str:
    if params.mode != "auto":
        return params.mode
    tw, source = washin_time(recording, params)
    if source != "protocol":
        return "washin"
    end = recording.sweep_time(recording.n_sweeps - 1) + recording.sweep_durations_s[-1]
    fits = tw + _w(params.treatment_window)[0] < end
    sweep_ok = min(recording.sweep_durations_s) >= _w(params.application_charge_window)[1]
    return "washin" if fits or not sweep_ok else "application"


def analyze(recording: Any, params: NmdaTonicParams) -> NmdaTonicResult:
    """Tonic-current shift (washin) or agonist-application currents of one voltage-clamp recording.

    Parameters
    ----------
    recording : Recording
        Voltage clamp: holding current (pA) over one long sweep (washin) or agonist puffs per sweep.
    params : NmdaTonicParams
        Windows in s (baseline from the recording start, treatment from wash-in), wash-in time (s), noise
        band (Hz), application-mode thresholds (pA, SNR).

    Returns
    -------
    NmdaTonicResult
        Washin: holding-current shift, baseline and treatment currents and noise RMS (pA); application:
        agonist peak, steady state (pA), charge (pC), rise time (ms) and desensitisation.

    Raises
    ------
    AnalysisError
        Not voltage clamp, windows outside the recording, or no agonist response.

    Examples
    --------
    >>> from ephystool.simulate.vclamp import simulate_tonic
    >>> rec, truth = simulate_tonic(seed=7607, tag_text="+drug", rate_hz=1000.0)
    >>> shift = next(r for r in analyze(rec, NmdaTonicParams()).rows() if r["metric"] == "holding_current_shift")
    >>> abs(shift["value"] - truth["holding_current_shift_pA"]) < 2.0, shift["unit"]
    (True, 'pA')
    """
    _check_recording(recording)
    mode = _pick_mode(recording, params)
    return _analyze_washin(recording, params) if mode == "washin" else _analyze_application(recording, params)


#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, NmdaTonicParams, analyze, plot_nmda_tonic, METRICS, output_name='nmda')
