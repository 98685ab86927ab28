"""Access (series) resistance, input resistance and holding current from each sweep's test pulse, and the
inclusion criteria built on them (helper of :mod:`ephystool.analysis.nmda`).

Test pulse, per sweep: a short command step (< 200 ms, level different from the holding) before the first
stimulus in the **file's** epochs (``tp_source`` ``file``); else the protocol's ``test_pulse_window`` only
where the recorded current shows the step's two capacitive transients, of opposite sign, at its edges
(``protocol``; its size from ``test_pulse_amplitude``). A window without a test pulse is never measured.

Membrane test (voltage step dV through Ra onto Rm || Cm): ``I(t) - I0 = dIss + (dV/Ra - dIss) exp(-t/tau)``
from the step onset. One exponential plus a constant is fitted from where the transient has fallen to 90 %
of its peak to the step's end and extrapolated back to the peak (the amplifier's filter rounds and delays
the onset; extrapolating to the nominal onset would overstate the current), as pyABF's memtest does:
``Ra = dV / I(peak)``, ``Rin = dV / dIss`` (= Ra + Rm; reported where
``dIss`` exceeds 3 baseline SDs), ``holding_current = I0`` (mean of the 5 ms before the step).

Criteria (the template's inclusion section, mirrored in ``analysis_params``): the median Ra must not exceed
``access_resistance_max``; the running median of 3 sweeps must not move more than ``rs_change_limit`` from the
first 3 sweeps' median. A recording that fails gets an ``excluded_reason`` on every result row, which the
comparison leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import _signal as sig

__all__ = ["AccessResult", "access", "membrane_test"]


def _test_pulse(recording: Any, sweep: int, params: Any, first_stim: float, x: np.ndarray, rate: float
                ) -> tuple[float, float, float, str] | None:
    """(start_s, end_s, dV_mV, source) of the sweep's test pulse, or None."""
    hold = recording.holding_at(sweep)
    hv = None if hold is None else float(hold.rescale(pq.mV).magnitude)
    eps = [e for e in (recording.epochs[sweep] if sweep < len(recording.epochs) else ()) if e.units == "mV"]
    for i, e in enumerate(eps):
        # a pulse from the holding level and back to it, with 5 ms of holding before it
        around = [eps[j].level for j in (i - 1, i + 1) if 0 <= j < len(eps)]
        if (hv is not None and 0 < e.end_s - e.start_s < 0.2 and e.start_s >= 0.005 and e.end_s <= first_stim
                and abs(e.level - hv) > 0.5 and all(abs(v - hv) <= 0.5 for v in around)):
            return e.start_s, e.end_s, e.level - hv, "file"
    if params.test_pulse_window is None or params.test_pulse_amplitude is None:
        return None
    a, b = (float(v) for v in params.test_pulse_window.rescale(pq.s).magnitude)
    if b > len(x) / rate or a < 0.006:
        return None
    base = x[sig.window_slice(len(x), rate, a - 0.005, a)]
    sd = 1.4826 * float(np.median(np.abs(base - np.median(base)))) or float(np.std(base)) or 1e-12
    on = x[sig.window_slice(len(x), rate, a, a + 0.002)] - np.median(base)
    off = x[sig.window_slice(len(x), rate, b, min(b + 0.002, len(x) / rate))] - np.median(base)
    p_on, p_off = on[np.argmax(np.abs(on))], off[np.argmax(np.abs(off))] if off.size else 0.0
    if abs(p_on) > 10 * sd and abs(p_off) > 5 * sd and np.sign(p_on) != np.sign(p_off):
        return a, b, float(params.test_pulse_amplitude.rescale(pq.mV).magnitude), "protocol"
    return None


def membrane_test(x: np.ndarray, rate: float, start: float, end: float, dv_mV: float
                  ) -> tuple[float, float | None, float] | None:
    """(Ra MOhm, Rin MOhm or None, holding pA) from one test pulse, or None when the fit fails."""
    base = x[sig.window_slice(len(x), rate, max(start - 0.005, 0.0), start)]
    i0, sd = float(np.mean(base)), float(np.std(base))
    seg = x[sig.window_slice(len(x), rate, start, end)] - i0
    d = np.sign(dv_mV)
    k = int(np.argmax(d * seg[: max(int(0.002 * rate), 2)]))
    z = d * seg[k : max(len(seg) - int(0.0005 * rate), k + 8)]
    j = int(np.argmax(z < 0.9 * z[0])) if np.any(z < 0.9 * z[0]) else 0  # past the filter-rounded peak
    y = z[j:]
    t = np.arange(y.size) / rate * 1e3
    fit = sig.fit_exponential_decay(t, y, 1, offset=True)
    if not fit.ok or fit.amplitudes[0] <= 0:
        return None
    i_on = fit.amplitudes[0] * np.exp(j / rate * 1e3 / fit.taus[0]) + fit.offset  # back to the peak
    ra = abs(dv_mV) / i_on * 1e3  # mV / pA = GOhm -> MOhm
    rin = abs(dv_mV) / fit.offset * 1e3 if fit.offset > 3 * sd else None
    return float(ra), (None if rin is None else float(rin)), i0


@dataclass(frozen=True)
class AccessResult:
    """Per-sweep rows and the recording's exclusion (``excluded_reason`` '' = included)."""

    sweep_rows: tuple[dict[str, Any], ...]
    rows: tuple[dict[str, Any], ...]
    excluded_reason: str
    note: str


def _change(ra: np.ndarray) -> float:
    """Largest move of the running median of 3 sweeps from the first 3 sweeps' median (fraction)."""
    ref = float(np.median(ra[:3]))
    run = np.array([np.median(ra[max(i - 1, 0) : i + 2]) for i in range(ra.size)])
    return float(np.max(np.abs(run / ref - 1.0)))


def _criteria(ra: np.ndarray, params: Any) -> str:
    reasons = []
    med = float(np.median(ra))
    if params.access_resistance_max is not None:
        lim = float(params.access_resistance_max.rescale(pq.MOhm).magnitude)
        if med > lim:
            reasons.append(f"access resistance {med:.1f} MOhm > {lim:g} MOhm")
    if ra.size >= 4:
        change = _change(ra)
        if change > params.rs_change_limit:
            reasons.append(f"access resistance changed by {change:.0%} (> {params.rs_change_limit:.0%}) during the recording")
    return "; ".join(reasons)


def access(recording: Any, data: list[dict], params: Any) -> AccessResult:
    """Membrane test of every sweep that has a test pulse, and the inclusion criteria."""
    rows, ra_list, hold_list, sources = [], [], [], set()
    for k, d in enumerate(data):
        tp = _test_pulse(recording, k, params, d["stims"][0], d["raw"], d["rate"])
        if tp is None:
            continue
        m = membrane_test(d["raw"], d["rate"], tp[0], tp[1], tp[2])
        if m is None:
            continue
        sources.add(tp[3])
        common = {"sweep": k, "sweep_time_s": recording.sweep_time(k), "holding_mV": None, "tp_source": tp[3]}
        rows.append(dict(common, metric="access_resistance", value=m[0], unit="MOhm"))
        if m[1] is not None:
            rows.append(dict(common, metric="input_resistance", value=m[1], unit="MOhm"))
        rows.append(dict(common, metric="holding_current", value=m[2], unit="pA"))
        ra_list.append((recording.sweep_time(k) or k, m[0]))
        hold_list.append(m[2])
    if not ra_list:
        return AccessResult((), (), "", "no test pulse in the file: access resistance not measured, criteria not applied")
    ra = np.array([v for _, v in sorted(ra_list, key=lambda p: p[0])])
    reason = _criteria(ra, params)
    ref = float(np.median(ra[:3]))
    for r in rows:
        if r["metric"] == "access_resistance":
            r["rs_flag"] = bool(abs(r["value"] / ref - 1.0) > params.rs_change_limit)
    src = "/".join(sorted(sources))
    base = {"analysis": "nmda", "holding_mV": None, "n_sweeps": int(ra.size), "tp_source": src}
    out = [dict(base, metric="access_resistance", value=float(np.median(ra)), unit="MOhm", note="median over sweeps"),
           dict(base, metric="access_resistance_change", value=_change(ra), unit="1",
                note="largest move of the 3-sweep running median from the first 3 sweeps"),
           dict(base, metric="holding_current", value=float(np.median(hold_list)), unit="pA", note="median over sweeps")]
    return AccessResult(tuple(rows), tuple(out), reason, "")
