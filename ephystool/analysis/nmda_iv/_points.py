"""I-V points of the isolated NMDA EPSC without peak-picking bias (helper of :mod:`ephystool.analysis.nmda_iv`).

The extreme of a noisy trace overstates a small current (at the reversal potential a peak search
returns a few pA of noise instead of 0; TRAPS.md, "Peak-picking on noisy traces is biased"). Every
point is therefore measured the same way at every potential, at one latency taken from the
highest-SNR potentials:

1. **Reference waveform.** The averaged EPSCs of the potentials whose NMDA amplitude is at least half
   the largest (the highest-SNR ones) are sign-corrected and summed, weighted by their sweep counts,
   and smoothed with a centred moving average of ``iv_window``; its extreme in ``nmda_peak_window``
   is the common peak latency, and the waveform scaled to 1 there is the template ``T(t)``.
2. **Point.**
   * ``template`` (default, a whole-trace fit): least squares ``x(t) = a T(t) + b`` over the baseline
     window and ``[artifact_blank, charge_window end]`` after the stimulus; the point is ``a`` (signed
     pA at the common latency). ``b`` absorbs the error of the baseline estimate, which otherwise
     dominates small currents. Assumes the same time course at every potential (Mg2+ block is fast
     compared with the EPSC, Jahr & Stevens 1990); where the decay depends on voltage use ``window``.
   * ``window``: the mean over ``iv_window`` centred on the common latency, rescaled by the template's
     peak / window-mean ratio (one constant factor for every potential, so Kd(0) and delta are
     unchanged and the point reads as a peak current).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import quantities as pq

__all__ = ["IV_METHODS", "iv_points"]

IV_METHODS = ("template", "window")


def _ms(q: pq.Quantity) -> Any:
    return q.rescale(pq.ms).magnitude


def _reference(groups: Sequence[Any], params: Any, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    amps = np.array([float(g.nmda_peak) if g.nmda_peak is not None else 0.0 for g in groups])
    top = [g for g, a in zip(groups, amps) if a >= 0.5 * amps.max() and a > 0]
    t = np.asarray(groups[0].t_ms[:n], dtype=float)
    comb = np.zeros(n)
    for g in top:
        sign = -1.0 if g.direction == "inward" else 1.0
        comb += sign * g.n_sweeps * np.asarray(g.trace_pA[:n], dtype=float)
    dt = float(t[1] - t[0])
    half = max(int(round(0.5 * float(_ms(params.iv_window)) / dt)), 0)
    sm = np.convolve(comb, np.ones(2 * half + 1) / (2 * half + 1), mode="same") if half else comb
    p0, p1 = (float(x) for x in _ms(params.epsc.nmda_peak_window))
    inside = (t >= p0) & (t <= p1)
    j = int(np.argmax(np.where(inside, sm, -np.inf)))
    return t, comb / sm[j], j


def iv_points(groups: Sequence[Any], params: Any) -> tuple[np.ndarray, float, str]:
    """Signed I-V points (pA, one per group), the common latency (ms) and a one-line description.

    Parameters
    ----------
    groups : sequence of GroupMeasure
        Averaged, baseline-subtracted isolated NMDA EPSCs, one per holding potential.
    params : NmdaIvParams
        Uses ``iv_measure``, ``iv_window`` and the EPSC windows.
    """
    n = min(len(g.trace_pA) for g in groups)
    t, tmpl, j = _reference(groups, params, n)
    lat = float(t[j])
    half = 0.5 * float(_ms(params.iv_window))
    if params.iv_measure == "window":
        m = np.abs(t - lat) <= half
        scale = 1.0 / float(np.mean(tmpl[m]))
        pts = np.array([scale * float(np.mean(np.asarray(g.trace_pA[:n])[m])) for g in groups])
        return pts, lat, f"mean over {2 * half:g} ms centred on {lat:.1f} ms, scaled to the peak"
    b0, b1 = (float(x) for x in _ms(params.epsc.baseline_window))
    c1 = float(_ms(params.epsc.charge_window)[1])
    blank = float(params.epsc.artifact_blank.rescale(pq.ms).magnitude)
    w = ((t >= b0) & (t <= b1)) | ((t >= blank) & (t <= c1))
    design = np.column_stack([tmpl[w], np.ones(int(w.sum()))])
    pts = np.array([np.linalg.lstsq(design, np.asarray(g.trace_pA[:n], dtype=float)[w], rcond=None)[0][0]
                    for g in groups])
    return pts, lat, f"template fit (baseline + {blank:g}-{c1:g} ms), current at {lat:.1f} ms"
