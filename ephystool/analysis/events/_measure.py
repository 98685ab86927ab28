"""Per-event measurements for :mod:`ephystool.analysis.events`: amplitude from a local baseline, 10-90 %
rise, single-exponential decay, charge; overlapping events; the average event.

Conventions (as in Clampfit's template search and MiniAnalysis): the trace ``y`` is oriented so that
events are positive; the local baseline is the mean of ``y`` over ``baseline`` samples before the onset;
the peak is the extreme of the boxcar-smoothed trace within the peak window after the onset. An event
that starts on the decay of a preceding one (within that event's decay window) is **overlapping**: its
baseline at the peak is the preceding decay extrapolated single-exponentially from the level measured
just before its onset towards the baseline before the first event of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AverageEvent", "Geometry", "average_event", "fit_decay", "measure_events"]


@dataclass(frozen=True)
class Geometry:
    """Sample counts of the measurement windows (all derived from the template kinetics)."""

    rate_hz: float
    baseline: int  # local-baseline window before the onset
    peak: int  # peak search after the onset
    tail: int  # decay window after the peak (decay fit) and charge window after the onset
    tau_ms: float  # template decay time constant (extrapolation of a preceding event's decay)


def fit_decay(s: np.ndarray, rate_hz: float, tau_guess_ms: float) -> float:
    """Time constant (ms) of ``A exp(-t/tau)`` fitted by least squares to ``s`` (baseline subtracted,
    starting at the peak): grid over tau (0.1-10x the guess, amplitude solved in closed form), refined
    by a parabola in log tau. NaN when the fit is unresolved (too short, no decay, tau at a grid edge)."""
    if s.size < max(int(0.001 * rate_hz), 4) or s[0] <= 0:
        return float("nan")
    t = np.arange(s.size) / rate_hz * 1e3
    taus = tau_guess_ms * np.geomspace(0.1, 10.0, 61)
    e = np.exp(-t[None, :] / taus[:, None])
    es, ee = e @ s, np.einsum("ij,ij->i", e, e)
    sse = float(s @ s) - es * es / ee
    k = int(np.argmin(sse))
    if k in (0, taus.size - 1) or es[k] <= 0:
        return float("nan")
    y0, y1, y2 = sse[k - 1], sse[k], sse[k + 1]
    den = y0 - 2 * y1 + y2
    shift = 0.5 * (y0 - y2) / den if den > 0 else 0.0
    step = np.log(taus[1] / taus[0])
    return float(np.exp(np.log(taus[k]) + np.clip(shift, -1, 1) * step))


def _rise_ms(s: np.ndarray, pk: int, rate_hz: float, amp: float | None = None) -> float:
    """10-90 % rise (ms) of ``s`` (baseline subtracted) ending at its peak sample ``pk`` (amplitude
    ``amp``, default ``s[pk]``): the last crossings of 10 % and 90 % before the peak, interpolated."""
    amp = float(s[pk]) if amp is None else amp
    if pk < 1 or amp <= 0:
        return float("nan")
    out = []
    for level in (0.1 * amp, 0.9 * amp):
        below = np.flatnonzero(s[: pk + 1] < level)
        if below.size == 0:
            return float("nan")
        k = int(below[-1])
        if k + 1 >= s.size:
            return float("nan")
        out.append(k + (level - s[k]) / (s[k + 1] - s[k]))
    return float((out[1] - out[0]) / rate_hz * 1e3)


def measure_events(y: np.ndarray, ys: np.ndarray, yr: np.ndarray, onsets: np.ndarray, g: Geometry) -> dict[str, np.ndarray]:
    """Amplitude, peak sample, 10-90 % rise (ms), decay tau (ms), charge (``y`` units x ms), overlap flag.

    Parameters
    ----------
    y, ys, yr : numpy.ndarray
        The oriented trace, its boxcar-smoothed copy (peak) and a lightly smoothed copy (rise).
    onsets : numpy.ndarray of int
        Sorted onset samples.
    g : Geometry
        Window lengths.
    """
    n = len(onsets)
    out = {k: np.full(n, np.nan) for k in ("amplitude", "rise_ms", "decay_ms", "charge", "baseline")}
    out["peak"] = np.zeros(n, dtype=int)
    out["overlap"] = np.zeros(n, dtype=bool)
    root, root_end, prev_tau = np.nan, -1, g.tau_ms
    dt_ms = 1e3 / g.rate_hz
    for k, o in enumerate(onsets):
        nxt = int(onsets[k + 1]) if k + 1 < n else y.size
        a = max(o - g.baseline, 0)
        pre = float(np.mean(y[a:o])) if o > a else float(y[o])
        t_pre = 0.5 * (a + o)
        overlap = o < root_end and np.isfinite(root)
        if not overlap:
            root = pre
        tau_s = prev_tau * 1e-3 * g.rate_hz  # tau in samples
        idx = np.arange(a, min(nxt, o + g.peak + g.tail, y.size))  # far enough for the decay and charge windows
        base = root + (pre - root) * np.exp(-(idx - t_pre) / tau_s) if overlap else np.full(idx.size, pre)
        hi = min(o + g.peak, nxt, y.size - 1)
        if hi <= o:
            continue
        pk = o + int(np.argmax(ys[o:hi]))
        s = ys[a : idx[-1] + 1] - base
        amp = float(s[pk - a])
        out["amplitude"][k], out["peak"][k], out["baseline"][k], out["overlap"][k] = amp, pk, base[pk - a], overlap
        # rise on the lightly smoothed trace ``yr`` (the peak boxcar would slow it)
        pr = o + int(np.argmax(yr[o:hi]))
        out["rise_ms"][k] = _rise_ms(yr[a : pr + 1] - base[: pr + 1 - a], pr - a, g.rate_hz)
        end_d = min(pk + g.tail, nxt)
        out["decay_ms"][k] = fit_decay(s[pk - a : end_d - a], g.rate_hz, g.tau_ms)
        end_c = min(o + g.tail, nxt)
        out["charge"][k] = float(np.sum(s[o - a : end_c - a]) * dt_ms)
        tau = out["decay_ms"][k]
        prev_tau = tau if np.isfinite(tau) and 0.2 * g.tau_ms < tau < 5 * g.tau_ms else g.tau_ms
        root_end = max(root_end, pk + int(5 * prev_tau * 1e-3 * g.rate_hz))
    return out


@dataclass(frozen=True)
class AverageEvent:
    """The average of isolated events, aligned on onset (``t_ms`` from the onset, ``y`` events positive)."""

    t_ms: np.ndarray
    y: np.ndarray
    n: int
    rise_ms: float
    decay_ms: float
    peak_ms: float
    amplitude: float


def average_event(segments: list[np.ndarray], g: Geometry) -> AverageEvent | None:
    """Average baseline-subtracted segments (each ``baseline + tail`` samples, onset at ``baseline``);
    its 10-90 % rise and single-exponential decay from the peak."""
    if not segments:
        return None
    avg = np.mean(np.vstack(segments), axis=0)
    t_ms = (np.arange(avg.size) - g.baseline) / g.rate_hz * 1e3
    pk = g.baseline + int(np.argmax(avg[g.baseline : g.baseline + g.peak]))
    return AverageEvent(t_ms, avg, len(segments), _rise_ms(avg, pk, g.rate_hz),
                        fit_decay(avg[pk:], g.rate_hz, g.tau_ms), float(t_ms[pk]), float(avg[pk]))
