"""Measurements on one averaged, baseline-subtracted EPSC (helper of :mod:`ephystool.analysis.nmda`).

Definitions (times relative to the stimulus; amplitudes are magnitudes, the sign is in ``direction``)

* ``epsc_peak``: extreme in ``ampa_window`` (on the trace smoothed over 0.2 ms).
* ``ampa_peak``: ``epsc_peak`` of a mixed EPSC at a negative holding potential.
* ``nmda_late``: mean over ``nmda_late_window`` (the standard +40 mV NMDA measure). For a mixed EPSC at a
  negative potential the AMPA current still flowing in that window is subtracted: one exponential plus a
  constant (the slow NMDA current) is fitted to the decay from the AMPA peak to the end of ``ampa_window``
  and its exponential extrapolated over ``nmda_late_window``; ``ampa_residual_fraction`` is that residual
  over the uncorrected late mean (Hestrin et al. 1990 J Physiol 422:203: the slow component of the mixed
  EPSC at negative potentials is NMDA-mediated once AMPA has decayed).
* ``nmda_peak``: isolated NMDA EPSC (AMPA receptors blocked): extreme in ``nmda_peak_window`` (mean over
  1 ms); mixed EPSC at a positive potential: the late component (= ``nmda_late``).
* ``nmda_charge``: integral over ``charge_window`` (pC); isolated EPSCs and mixed EPSCs at positive potentials.
* ``nmda_rise_10_90``: 10-90 % rise from the stimulus to the NMDA peak (isolated EPSCs only).
* decay: one and two exponentials fitted over ``decay_fit_window`` after the NMDA peak (mixed: after the
  start of ``nmda_late_window``, where the AMPA current is over); ``nmda_decay_tau_w`` is the tau of the
  two-exponential fit weighted by its amplitudes **extrapolated back to the NMDA peak** (mixed: to the start
  of the late window), so it does not depend on where the fit starts; the single tau when the double fit
  fails or has a negative component.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import _signal as sig

__all__ = ["GroupMeasure", "measure_group", "sweep_amplitude", "direction_of"]


def _w(q: pq.Quantity) -> tuple[float, float]:
    a, b = q.rescale(pq.s).magnitude
    return float(a), float(b)


def direction_of(avg: np.ndarray, rate: float, i_pre: int, v: float, params: Any) -> int:
    """-1 (inward) below -5 mV, +1 above +5 mV, else the sign of the larger excursion after the stimulus."""
    if v < -5:
        return -1
    if v > 5:
        return 1
    a0, a1 = _w(params.nmda_peak_window if params.isolated_nmda else params.ampa_window)
    seg = avg[i_pre + int(round(a0 * rate)) : i_pre + int(round(a1 * rate))]
    return -1 if seg.size and abs(np.min(seg)) >= abs(np.max(seg)) else 1


def sweep_amplitude(seg: np.ndarray, rate: float, i_pre: int, v: float, params: Any) -> float:
    """The amplitude used to reject failures/outliers (magnitude, pA): NMDA peak, AMPA peak or NMDA late."""
    d = direction_of(seg, rate, i_pre, v, params)
    t0 = i_pre / rate
    if params.isolated_nmda:
        a, b = _w(params.nmda_peak_window)
        return abs(sig.peak_in_window(seg, rate, t0 + a, t0 + b, d, 2e-3)[1])
    if d < 0:
        a, b = _w(params.ampa_window)
        return abs(sig.peak_in_window(seg, rate, t0 + a, t0 + b, d, 2e-4)[1])
    a, b = _w(params.nmda_late_window)
    return abs(sig.window_mean(seg, rate, t0 + a, t0 + b))


@dataclass(frozen=True)
class GroupMeasure:
    """Measurements of the averaged EPSC at one holding potential (pA, pA*s = pC, ms; None where not applicable)."""

    holding_mV: float
    component: str
    direction: str
    n_sweeps: int
    n_excluded: int
    epsc_peak: pq.Quantity
    ampa_peak: pq.Quantity | None
    nmda_peak: pq.Quantity | None
    nmda_late: pq.Quantity | None
    nmda_charge: pq.Quantity | None
    nmda_rise_10_90: pq.Quantity | None
    fit_single: sig.ExpFit | None
    fit_double: sig.ExpFit | None
    nmda_decay_tau_w: pq.Quantity | None
    ppr: float | None
    t_ms: np.ndarray
    trace_pA: np.ndarray
    fit_start_ms: float | None
    peak_ms: float | None = None
    note: str = ""
    ampa_residual_fraction: float | None = None

    def rows(self, analysis: str) -> list[dict[str, Any]]:
        """Tidy rows of this group."""
        base = {"analysis": analysis, "holding_mV": self.holding_mV, "direction": self.direction,
                "component": self.component, "n_sweeps": self.n_sweeps, "n_excluded": self.n_excluded}
        out = []

        def add(metric: str, value: Any, unit: str, note: str = "") -> None:
            if value is not None and np.isfinite(float(value)):
                out.append(dict(base, metric=metric, value=float(value), unit=unit, note=note))

        if self.component == "mixed":
            add("epsc_peak", self.epsc_peak, "pA")
        add("ampa_peak", self.ampa_peak, "pA")
        late_note = "mixed EPSC: late component (mean of nmda_late_window)" if self.component == "mixed" else ""
        add("nmda_peak", self.nmda_peak, "pA", late_note)
        res_note = "" if self.ampa_residual_fraction is None else "residual AMPA (fitted decay) subtracted"
        add("nmda_late", self.nmda_late, "pA", res_note)
        add("ampa_residual_fraction", self.ampa_residual_fraction, "1", "AMPA share of the uncorrected late mean")
        add("nmda_charge", self.nmda_charge, "pC")
        add("nmda_rise_10_90", self.nmda_rise_10_90, "ms")
        add("nmda_decay_tau_w", self.nmda_decay_tau_w, "ms", self.note)
        if self.fit_single is not None and self.fit_single.ok:
            add("nmda_decay_tau_single", self.fit_single.taus[0], "ms")
            add("nmda_decay_r2_single", self.fit_single.r2, "1")
        if self.fit_double is not None and self.fit_double.ok:
            add("nmda_decay_tau_fast", self.fit_double.taus[0], "ms")
            add("nmda_decay_tau_slow", self.fit_double.taus[1], "ms")
            add("nmda_decay_r2", self.fit_double.r2, "1")
        add("ppr", self.ppr, "1")
        return out

    def mean_at(self, latency_ms: float, half_width_ms: float = 1.0) -> float:
        """Magnitude of the mean current over ``latency_ms +- half_width_ms`` (after the stimulus)."""
        m = np.abs(self.t_ms - latency_ms) <= half_width_ms
        return abs(float(np.mean(self.trace_pA[m]))) if np.any(m) else float("nan")


def _decay(avg: np.ndarray, rate: float, start: int, d: int, params: Any) -> tuple[Any, Any, float | None, str]:
    f0, f1 = _w(params.decay_fit_window)
    i0 = start + int(round(f0 * rate))
    i1 = min(start + int(round(f1 * rate)), len(avg))
    y = d * avg[i0:i1]
    t = np.arange(y.size) / rate * 1e3
    one = sig.fit_exponential_decay(t, y, 1)
    two = sig.fit_exponential_decay(t, y, 2)
    note = ""
    if two.ok and min(two.amplitudes) > 0 and two.r2 >= one.r2:
        # amplitudes extrapolated back to the reference point (the NMDA peak, or the late window's start):
        # tau_w then does not depend on where inside the decay the fit starts
        a = np.asarray(two.amplitudes) * np.exp(f0 * 1e3 / np.asarray(two.taus))
        tau_w = float(np.sum(a * np.asarray(two.taus)) / np.sum(a))
    elif one.ok:
        tau_w, note = one.taus[0], "single-exponential decay (double fit failed or not better)"
    else:
        tau_w, note = None, "decay fit failed"
    return one, two, tau_w, note


def _late_minus_ampa(avg: np.ndarray, rate: float, i_pre: int, d: int, params: Any, late: float, skip_s: float
                     ) -> tuple[float | None, float | None]:
    """Late mean of a mixed EPSC at a negative potential minus the extrapolated AMPA decay (pA), and its share."""
    t0 = i_pre / rate
    a0, a1 = _w(params.ampa_window)
    l0, l1 = _w(params.nmda_late_window)
    i0 = i_pre + int(round(max(a0, skip_s) * rate))
    i1 = i_pre + int(round(a1 * rate))
    if i1 - i0 < 8:
        return None, None
    ip = i0 + int(np.argmax(d * avg[i0:i1]))
    y = d * avg[ip : i_pre + int(round(l0 * rate))]
    t = np.arange(y.size) / rate * 1e3
    fit = sig.fit_exponential_decay(t, y, 1, offset=True)
    if not fit.ok or fit.amplitudes[0] <= 0:
        return None, None
    sl = sig.window_slice(len(avg), rate, t0 + l0, t0 + l1)
    tl = (np.arange(sl.start, sl.stop) - ip) / rate * 1e3
    residual = float(np.mean(fit.amplitudes[0] * np.exp(-tl / fit.taus[0])))
    return late - residual, (residual / late if late > 0 else None)


def measure_group(avg: np.ndarray, rate: float, i_pre: int, v: float, params: Any, n: int, n_excl: int,
                  ppr: float | None, skip_s: float = 0.0) -> GroupMeasure:
    """Measure the averaged EPSC ``avg`` (pA, stimulus at sample ``i_pre``) recorded at ``v`` mV.

    ``skip_s``: the stimulus artefact lasts this long (s); the EPSC peak is a local extreme after it
    (0 when the window holds none: the average is a failure).
    """
    from ephystool.analysis.nmda._stim import pulse_amplitude

    d = direction_of(avg, rate, i_pre, v, params)
    t0 = i_pre / rate
    b0, b1 = _w(params.baseline_window)
    noise = float(np.std(avg[sig.window_slice(len(avg), rate, t0 + b0, t0 + b1)]))
    epsc = pulse_amplitude(avg, rate, t0, t0 + skip_s, params, d, noise, 0.0) or 0.0
    l0, l1 = _w(params.nmda_late_window)
    c0, c1 = _w(params.charge_window)
    late = abs(sig.window_mean(avg, rate, t0 + l0, t0 + l1))
    isolated = bool(params.isolated_nmda)
    ampa = nmda_peak = nmda_late = chg = rise = None
    one = two = tau_w = None
    note, fit_start, peak_ms, residual = "", None, None, None
    if isolated or d > 0:
        nmda_late = late
        chg = abs(sig.charge(avg, rate, t0 + c0, t0 + c1))
        if isolated:
            p0, p1 = _w(params.nmda_peak_window)
            ip, val = sig.peak_in_window(avg, rate, t0 + p0, t0 + p1, d, 2e-3)
            nmda_peak = abs(val)
            rise = sig.rise_time(avg, rate, i_pre, ip) * 1e3
            start, peak_ms = ip, (ip - i_pre) / rate * 1e3
        else:
            nmda_peak = late
            start = i_pre + int(round(l0 * rate))
        one, two, tau_w, note = _decay(avg, rate, start, d, params)
        fit_start = (start - i_pre) / rate * 1e3
    else:
        ampa = epsc
        signed_late = d * sig.window_mean(avg, rate, t0 + l0, t0 + l1)
        nmda_late, residual = _late_minus_ampa(avg, rate, i_pre, d, params, signed_late, skip_s)
    q = (lambda x, u: None if x is None or not np.isfinite(x) else x * u)  # noqa: E731
    return GroupMeasure(
        holding_mV=v, component="isolated" if isolated else "mixed", direction="inward" if d < 0 else "outward",
        n_sweeps=n, n_excluded=n_excl, epsc_peak=epsc * pq.pA, ampa_peak=q(ampa, pq.pA), nmda_peak=q(nmda_peak, pq.pA),
        nmda_late=q(nmda_late, pq.pA), nmda_charge=q(chg, pq.pA * pq.s), nmda_rise_10_90=q(rise, pq.ms),
        fit_single=one, fit_double=two, nmda_decay_tau_w=q(tau_w, pq.ms), ppr=ppr,
        t_ms=(np.arange(avg.size) - i_pre) / rate * 1e3, trace_pA=avg, fit_start_ms=fit_start, peak_ms=peak_ms, note=note,
        ampa_residual_fraction=residual,
    )
