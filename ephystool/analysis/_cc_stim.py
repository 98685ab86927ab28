"""Stimulus of current-clamp sweeps: step window, step current and command transitions.

Used by :mod:`ephystool.analysis.firing_cc`. The window of each sweep comes from, in order, the
template's ``step_window``, the protocol epochs (the first epoch whose level varies across sweeps,
else the largest non-zero epoch), or the longest run of the command (or recorded current) away from
its baseline. Without any of these the recording is treated as gap-free (spontaneous firing).

The step current is measured on a recorded current channel when the file has one (the injected
current as recorded: robust to wrong DAC headers such as ``PYR2.abf``), else on the command waveform,
else taken from the epoch level (current units only), else from the template/manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.errors import AnalysisError

__all__ = ["SweepStim", "infer_stimuli"]

_BASELINE_S = 0.1


@dataclass(frozen=True)
class SweepStim:
    """Stimulus of one sweep: window (s from the sweep's first sample), step current (pA, NaN if
    unknown), times of command jumps (s) and where the current came from."""

    start_s: float
    end_s: float
    current_pA: float
    transitions_s: tuple[float, ...]
    source: str


def _is_current(units: str) -> bool:
    try:
        pq.Quantity(1.0, units).rescale(pq.pA)
    except (ValueError, LookupError):
        return False
    return True


def _epoch_window(recording: Any) -> list[tuple[float, float] | None]:
    """Per-sweep window from the protocol epochs (None where there is none)."""
    eps = [tuple(recording.epochs[k]) if k < len(recording.epochs) else () for k in range(recording.n_sweeps)]
    lengths = {len(e) for e in eps}
    if len(eps) >= 2 and len(lengths) == 1 and 0 not in lengths:
        for i in range(lengths.pop()):
            levels = np.array([e[i].level for e in eps], dtype=float)
            if eps[0][i].kind != "off" and np.ptp(levels) > 1e-9:
                return [(e[i].start_s, e[i].end_s) for e in eps]
    out: list[tuple[float, float] | None] = []
    for e in eps:
        cands = [x for x in e if x.kind != "off" and abs(x.level) > 1e-9 and x.end_s > x.start_s]
        best = max(cands, key=lambda x: abs(x.level), default=None)
        out.append(None if best is None else (best.start_s, best.end_s))
    return out


def _current_trace(recording: Any, sweep: int) -> tuple[np.ndarray, float, str] | None:
    """The recorded current channel (preferred) or the command waveform, in pA, with its rate."""
    for ch in recording.channels:
        if ch.index != recording.primary and _is_current(ch.units):
            sig = recording.signal(sweep, ch.index)
            return (sig.rescale(pq.pA).magnitude.ravel().astype(float), float(sig.sampling_rate.rescale(pq.Hz)),
                    f"recorded current channel '{ch.name}'")
    cmd = recording.command(sweep)
    if cmd is not None and _is_current(cmd.dimensionality.string):
        return (cmd.rescale(pq.pA).magnitude.ravel().astype(float), float(cmd.sampling_rate.rescale(pq.Hz)),
                "command waveform")
    return None


def _command_window(trace: np.ndarray, fs: float) -> tuple[float, float] | None:
    """Longest run of the (10 ms-smoothed) trace beyond half its largest deviation from baseline."""
    k = max(1, int(0.010 * fs))
    if trace.size < 4 * k:
        return None
    sm = np.convolve(trace, np.ones(k) / k, mode="same")
    nb = max(k, int(0.02 * fs))
    base = float(np.median(trace[:nb]))
    noise = 1.4826 * float(np.median(np.abs(sm[k:nb] - np.median(sm[k:nb])))) if nb > k + 2 else 0.0
    dev = sm - base
    inner = dev[k:-k]
    amp = float(inner[np.argmax(np.abs(inner))])
    if abs(amp) <= max(10.0 * noise, 1e-9):
        return None
    mask = np.abs(dev) > 0.5 * abs(amp)
    mask[:k] = mask[-k:] = False
    edges = np.diff(np.concatenate(([0], mask.astype(int), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    j = int(np.argmax(stops - starts))
    if stops[j] - starts[j] < k:
        return None
    return starts[j] / fs, stops[j] / fs


def _measure(trace: np.ndarray, fs: float, a: float, b: float) -> float:
    """Median in the step (after its first 10 % / 10 ms) minus median in the 100 ms before it (pA)."""
    i0, i1 = int(round(a * fs)), int(round(b * fs))
    settle = int(round(min(0.010, 0.1 * (b - a)) * fs))
    win = trace[i0 + settle : i1]
    if not win.size:
        return float("nan")
    pre = trace[max(0, i0 - int(_BASELINE_S * fs)) : max(0, i0 - int(0.001 * fs))]
    return float(np.median(win) - (np.median(pre) if pre.size else 0.0))


def _transitions(recording: Any, sweep: int, window: tuple[float, float]) -> tuple[float, ...]:
    """Times where the command jumps: step starts/ends from the epochs, plus the window edges."""
    out = {float(window[0]), float(window[1])}
    eps = recording.epochs[sweep] if sweep < len(recording.epochs) else ()
    prev = 0.0
    for e in eps:
        # steps only: in a pulse train each brief pulse is the stimulus (the AP follows it within onset_skip)
        if e.kind == "step" and abs(e.level - prev) > 1e-9:
            out.add(float(e.start_s))
        prev = e.level
    return tuple(sorted(out))


def _template_current(params: Any, sweep: int) -> float:
    if params.step_currents is not None and sweep < len(params.step_currents):
        return float(params.step_currents[sweep].rescale(pq.pA).magnitude)
    if params.step_first is not None and params.step_increment is not None:
        return float((params.step_first + sweep * params.step_increment).rescale(pq.pA).magnitude)
    return float("nan")


def _windows(recording: Any, params: Any, traces: list[Any]) -> tuple[list[tuple[float, float] | None], str]:
    if params.step_window is not None:
        a, b = (float(x.rescale(pq.s).magnitude) for x in params.step_window)
        for k, dur in enumerate(recording.sweep_durations_s):
            if a < 0 or a >= dur:
                raise AnalysisError(f"sweep {k}: step_window starts at {a:g} s, outside the sweep (0-{dur:g} s); "
                                    "fix analysis_params.step_window", recording.path)
        return [(a, min(b, dur)) for dur in recording.sweep_durations_s], "template"
    wins = _epoch_window(recording)
    if any(w is not None for w in wins):
        return wins, "epochs"
    wins = [None if tr is None else _command_window(tr[0], tr[1]) for tr in traces]
    return _consensus(wins), "command"


def _consensus(wins: list[tuple[float, float] | None]) -> list[tuple[float, float] | None]:
    """Where most windows found on the sweeps agree within 10 ms, use their median for every sweep
    (edges found on a noisy recorded current scatter, and noise can split a small step)."""
    found = np.array([w for w in wins if w is not None], dtype=float).reshape(-1, 2)
    if found.shape[0] < 2:
        return wins
    med = np.median(found, axis=0)
    agree = np.all(np.abs(found - med) <= 0.010, axis=1)
    if 2 * int(agree.sum()) > found.shape[0]:
        med = np.median(found[agree], axis=0)
        return [(float(med[0]), float(med[1]))] * len(wins)
    return wins


def infer_stimuli(recording: Any, params: Any) -> tuple[list[SweepStim], str, list[str]]:
    """Stimulus of every sweep, the mode ('steps' or 'spontaneous') and warnings.

    Raises
    ------
    AnalysisError
        ``step_window`` outside a sweep.
    """
    n = recording.n_sweeps
    traces = [_current_trace(recording, k) for k in range(n)]
    wins, wsource = _windows(recording, params, traces)
    found = [k for k in range(n) if wins[k] is not None]
    warns: list[str] = []
    if not found:
        stims = [SweepStim(0.0, dur, float("nan"), (), "none (spontaneous)")
                 for dur in recording.sweep_durations_s]
        return stims, "spontaneous", warns
    stims = []
    for k in range(n):
        w = wins[k] if wins[k] is not None else wins[min(found, key=lambda j: abs(j - k))]
        cur, src = float("nan"), ""
        if traces[k] is not None:
            cur, src = _measure(traces[k][0], traces[k][1], w[0], w[1]), traces[k][2]
        if not np.isfinite(cur) and wsource == "epochs":
            e = [x for x in recording.epochs[k] if abs(x.start_s - w[0]) < 1e-9]
            if e and _is_current(e[0].units):
                cur = float((e[0].level * pq.Quantity(1.0, e[0].units)).rescale(pq.pA).magnitude)
                src = "protocol epoch level"
        if not np.isfinite(cur):
            cur, src = _template_current(params, k), "template/manifest"
        stims.append(SweepStim(float(w[0]), float(w[1]), cur, _transitions(recording, k, w), f"{wsource}; {src}"))
    big = max((abs(s.current_pA) for s in stims if np.isfinite(s.current_pA)), default=0.0)
    if wsource == "command" and all(not s.current_pA > max(1.0, 0.1 * big) for s in stims):
        # only hyperpolarising pulses (a test pulse in a spontaneous recording): not an f-I protocol
        warns.append("the command holds no depolarising step: analysed as spontaneous firing")
        stims = [SweepStim(0.0, dur, float("nan"), (), "none (spontaneous)") for dur in recording.sweep_durations_s]
        return stims, "spontaneous", warns
    return stims, "steps", warns
