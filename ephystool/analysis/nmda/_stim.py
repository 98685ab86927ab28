"""Stimulus times and per-pulse EPSC amplitudes of evoked recordings (helper of :mod:`ephystool.analysis.nmda`).

Stimulus time, in this order (the source goes into every row as ``stim_source``):

1. ``manifest``: the manifest's ``stim_time_ms`` (a manifest value wins over the file);
2. ``file``: the file's stimulus table (digital outputs, epochs) or a stimulus / light / TTL channel;
3. the stimulus artefacts on the recorded current (a train gives one onset per pulse): ``protocol``
   when the protocol's ``stim_time`` lies within ``stim_match`` of an artefact (the protocol's time is
   then used, with the artefacts after it), else ``detected`` (the artefact times, with a warning that the protocol's time
   was contradicted by the file);
4. no stimulus anywhere: an error; a protocol's default time is never taken unchecked (TRAPS.md: "A
   protocol's default stimulus time says nothing about a given file").

Artefact: away from the edges of the command's steps (the file's epochs, the protocol's
``test_pulse_window``: capacitive transients), a brief transient with steep steps of both signs within 2 ms (a synaptic current rises steeply
in one direction only), steeper than 30 robust SDs of the trace's first differences. It ends 0.5 ms after
its last lobe (the last change of sign among its steep steps); nothing before that is measured.

Per-pulse amplitude (``epsc_peak``): against the mean of ``baseline_window`` before that pulse, the
largest extreme of the trace (0.2 ms running mean) in ``ampa_window`` after the artefact has ended that
is not at the window's start: a local extreme standing out (scipy prominence) by ``min_epsc`` (5 pA, a
usual EPSC detection threshold) or 3 robust SDs of the baseline, whichever is larger, or the window's own
extreme where it lies inside the window; its amplitude must exceed the same threshold.
A window that only holds the decaying tail of the artefact has none: the pulse is a **failure** (amplitude 0, PPR undefined), never a
number read off the artefact. Trains (3 or more pulses) also get amplitudes against the pre-train baseline
(``baseline_window`` before the first pulse: summation included; a later pulse's own baseline
window starts after the previous pulse's ``ampa_window``, keeping at least its last 1 ms) and ``train_ratio`` = pulse n / pulse 1 on
that baseline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import _signal as sig
from ephystool.errors import AnalysisError

__all__ = ["find_artefacts", "pulse_amplitude", "stimulus_times"]

_STEEP_K = 30.0
_ART_WIDTH_S = 0.002
_ART_TAIL_S = 0.0005


def _s(q: pq.Quantity) -> Any:
    return q.rescale(pq.s).magnitude


def _diff_sd(d: np.ndarray) -> float:
    med = float(np.median(d))
    sd = 1.4826 * float(np.median(np.abs(d - med)))
    if sd == 0.0:  # a quantised, oversampled trace: most differences are exactly 0
        sd = 1.2533 * float(np.mean(np.abs(d - med)))
    return sd


def find_artefacts(x: np.ndarray, rate_hz: float, min_interval_s: float = 0.01) -> list[tuple[float, float]]:
    """Stimulus artefacts as ``(onset_s, end_s)`` from the first sample (end = the last lobe + 0.5 ms)."""
    d = np.diff(np.asarray(x, dtype=float))
    sd = _diff_sd(d)
    if not np.isfinite(sd) or sd == 0.0:
        return []
    thr = _STEEP_K * sd
    steep = np.flatnonzero(np.abs(d) > thr)
    gap = int(round(min_interval_s * rate_hz))
    width = max(int(round(_ART_WIDTH_S * rate_hz)), 1)
    out: list[tuple[float, float]] = []
    last = -(10**12)
    for i in steep:
        if i - last >= gap:
            span = d[i : i + width + 1]
            if np.any(span > thr) and np.any(span < -thr):
                js = np.flatnonzero(np.abs(span) > thr)
                flips = np.flatnonzero(np.diff(np.sign(span[js])) != 0)
                j = i + int(js[flips[-1] + 1])  # the last lobe of the artefact turns here
                out.append((i / rate_hz, j / rate_hz + _ART_TAIL_S))
        last = i
    return out


def _command_edge(t: float, recording: Any, sweep: int, params: Any) -> bool:
    """True for a transient at a command step (a file epoch's edge or the protocol's test pulse): a test
    pulse's capacitive transients are steep both ways too, but they are not stimuli."""
    eps = [e for e in (recording.epochs[sweep] if sweep < len(recording.epochs) else ())
           if e.units == "mV" and not getattr(e, "digital", 0)]
    edges = [b.start_s for a, b in zip(eps, eps[1:]) if abs(b.level - a.level) > 0.5]  # where the command steps
    if params.test_pulse_window is not None:
        a, b = (float(v) for v in _s(params.test_pulse_window))
        if a - 0.001 <= t <= b + 0.003:  # the whole window: the test pulse lies somewhere inside it
            return True
    return any(-0.001 <= t - edge <= 0.003 for edge in edges)


def stimulus_times(recording: Any, sweep: int, params: Any, x: np.ndarray, rate: float
                   ) -> tuple[list[float], str, list[float], str]:
    """Stimulus times (s), their source, the artefact end per stimulus (s, 0 = none) and a warning ('' = none).

    Raises
    ------
    AnalysisError
        No stimulus in the manifest, the file or the trace (one line naming the file and the fix).
    """
    from ephystool.analysis.nmda._analyzer import _STIM_CHANNEL

    arts = [a for a in find_artefacts(x, rate) if not _command_edge(a[0], recording, sweep, params)]

    def ends(times: list[float]) -> list[float]:
        out = []
        for t in times:
            hit = [e for a, e in arts if abs(a - t) <= 0.003]
            out.append(hit[0] if hit else 0.0)
        return out

    if params.stim_source == "manifest" and params.stim_time is not None:
        t = [float(_s(params.stim_time))]
        return t, "manifest", ends(t), ""
    st = recording.stim_times_s[sweep] if sweep < len(recording.stim_times_s) else ()
    if st:
        t = [float(v) for v in st]
        return t, "file", ends(t), ""
    for ch in recording.channels:
        if ch.index != recording.primary and (ch.role == "stimulus" or _STIM_CHANNEL.search(ch.name)):
            s = recording.signal(sweep, ch.index)
            pulses = sig.detect_pulses(np.asarray(s.magnitude).ravel(), float(s.sampling_rate.rescale("Hz")))
            if pulses:
                return pulses, f"file (channel '{ch.name}')", ends(pulses), ""
    if arts:
        onsets = [a for a, _ in arts]
        if params.stim_time is not None:
            tp = float(_s(params.stim_time))
            hit = [j for j, a in enumerate(onsets) if abs(a - tp) <= float(_s(params.stim_match))]
            if hit:  # earlier transients (e.g. a test pulse missing from the file's epochs) are not stimuli
                j = hit[0]
                return [tp, *onsets[j + 1 :]], "protocol", [e for _, e in arts[j:]], ""
            return onsets, "detected", [e for _, e in arts], (
                f"the protocol's stim_time {tp * 1e3:g} ms is contradicted by the stimulus artefact at "
                f"{onsets[0] * 1e3:.1f} ms: the detected time is used")
        return onsets, "detected", [e for _, e in arts], ""
    proto = "" if params.stim_time is None else (
        f" (the protocol's {float(_s(params.stim_time)) * 1e3:g} ms is not confirmed by an artefact)")
    raise AnalysisError(
        f"sweep {sweep}: no stimulus found: no stimulus table or channel in the file and no stimulus artefact on the "
        f"trace{proto}; set stim_time_ms in the manifest", recording.path)


def pulse_amplitude(y: np.ndarray, rate: float, t: float, art_end: float, params: Any, direction: int,
                    noise: float, base: float | None = None, prev: float | None = None) -> float | None:
    """Magnitude (pA) of the EPSC after the stimulus at ``t`` s, or None for a failure (see the module doc).

    ``base`` overrides the per-pulse baseline (the pre-train baseline of a train); ``prev`` is the previous
    pulse (s): the baseline window starts after its ``ampa_window`` (at least the last 1 ms of the window).
    """
    from scipy.signal import find_peaks

    b0, b1 = (float(v) for v in _s(params.baseline_window))
    a0, a1 = (float(v) for v in _s(params.ampa_window))
    if base is None:
        lo = t + b0 if prev is None else max(t + b0, prev + a1)
        base = sig.window_mean(y, rate, min(lo, t + b1 - 1e-3), t + b1)
    start = max(t + a0, art_end)
    sl = sig.window_slice(len(y), rate, start, t + a1)
    half = max(int(round(0.1e-3 * rate)), 0)
    lo, hi = max(sl.start - half, 0), min(sl.stop + half, len(y))
    sm = np.convolve(np.asarray(y[lo:hi], dtype=float) - base, np.ones(2 * half + 1) / (2 * half + 1), mode="same")
    seg = sm[sl.start - lo : sl.stop - lo]
    thr = max(3.0 * noise, float(params.min_epsc.rescale(pq.pA).magnitude), 1e-9)
    best: float | None = None
    for sgn in ((-1, 1) if direction == 0 else (direction,)):
        z = sgn * seg
        idx, _ = find_peaks(z, prominence=thr)
        cands = [float(z[i]) for i in idx]
        g = int(np.argmax(z)) if z.size else 0
        if 0 < g < z.size - 1:  # the window's extreme, reached from its start and left again
            cands.append(float(z[g]))
        val = max(cands, default=0.0)
        if val >= thr and (best is None or val > best):
            best = val
    return best
