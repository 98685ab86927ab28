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
    """One current step of one sweep: window (s from the sweep's first sample), step current relative to
    holding (pA, NaN if unknown), holding current (pA, NaN if unknown), times of command jumps (s), where
    window and current came from, the step's number within the sweep and its index in a repeated family."""

    start_s: float
    end_s: float
    current_pA: float
    transitions_s: tuple[float, ...]
    source: str
    sweep: int = 0
    step: int = 0
    holding_pA: float = float("nan")
    family_index: int | None = None


def _is_current(units: str) -> bool:
    try:
        pq.Quantity(1.0, units).rescale(pq.pA)
    except (ValueError, LookupError):
        return False
    return True


def _epoch_window(recording: Any) -> list[list[tuple[float, float]] | None]:
    """Per-sweep step windows from the protocol epochs (None where there is none).

    Every epoch whose level varies across sweeps is a step (two steps per sweep are two steps); else
    the ramp epochs; else the largest non-zero epoch of each sweep.
    """
    eps = [tuple(recording.epochs[k]) if k < len(recording.epochs) else () for k in range(recording.n_sweeps)]
    lengths = {len(e) for e in eps}
    if len(eps) >= 2 and len(lengths) == 1 and 0 not in lengths:
        n_ep = lengths.pop()
        varying = [i for i in range(n_ep) if eps[0][i].kind != "off"
                   and np.ptp(np.array([e[i].level for e in eps], dtype=float)) > 1e-9]
        ramps = [i for i in varying if eps[0][i].kind == "ramp"]
        if ramps:
            return [[(e[i].start_s, _held_end(e, i)) for i in ramps] for e in eps]
        if varying:
            return [[(e[i].start_s, e[i].end_s) for i in varying] for e in eps]
    out: list[list[tuple[float, float]] | None] = []
    for e in eps:
        ramps = [(x.start_s, x.end_s) for x in e if x.kind == "ramp" and x.end_s > x.start_s]
        cands = [x for x in e if x.kind != "off" and abs(x.level) > 1e-9 and x.end_s > x.start_s]
        best = max(cands, key=lambda x: abs(x.level), default=None)
        out.append(ramps or (None if best is None else [(best.start_s, best.end_s)]))
    return out


def _held_end(eps: tuple[Any, ...], i: int) -> float:
    """End of ramp epoch ``i``, extended over the following epochs that hold its (non-zero) end level:
    a continuous ramp keeps injecting current after its ramp segment."""
    end, level = eps[i].end_s, eps[i].level
    for e in eps[i + 1 :]:
        if e.kind == "off" or abs(level) <= 1e-9 or abs(e.level - level) > 1e-9:
            break
        end = e.end_s
    return end


def _current_trace(recording: Any, sweep: int) -> tuple[np.ndarray, float, str] | None:
    """The recorded current channel (preferred) or the command waveform, in pA, with its rate."""
    for ch in recording.channels:
        if ch.index != recording.primary and _is_current(ch.units) and ch.role != "command_copy":
            sig = recording.signal(sweep, ch.index)
            return (sig.rescale(pq.pA).magnitude.ravel().astype(float), float(sig.sampling_rate.rescale(pq.Hz)),
                    f"recorded current channel '{ch.name}'")
    cmd = recording.command(sweep)
    if cmd is not None and _is_current(cmd.dimensionality.string):
        copies = [f"'{c.name}'" for c in recording.channels if c.role == "command_copy"]
        note = f" ({', '.join(copies)} is a copy of the command, not a measurement)" if copies else ""
        return (cmd.rescale(pq.pA).magnitude.ravel().astype(float), float(cmd.sampling_rate.rescale(pq.Hz)),
                "command waveform" + note)
    for ch in recording.channels:  # a copy of the command still shows where the step is
        if ch.index != recording.primary and _is_current(ch.units):
            sig = recording.signal(sweep, ch.index)
            return (sig.rescale(pq.pA).magnitude.ravel().astype(float), float(sig.sampling_rate.rescale(pq.Hz)),
                    f"channel '{ch.name}' (a copy of the command, not a measurement)")
    return None


def _command_window(trace: np.ndarray, fs: float) -> tuple[float, float] | None:
    """Longest run of the (10 ms-smoothed) trace beyond half its largest deviation from baseline; where
    there is none, a train of short pulses (see :func:`_train_window`)."""
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
        return _train_window(trace, fs, base)
    mask = np.abs(dev) > 0.5 * abs(amp)
    mask[:k] = mask[-k:] = False
    starts, stops = _runs(mask)
    j = int(np.argmax(stops - starts))
    if stops[j] - starts[j] < k:
        return _train_window(trace, fs, base)
    return starts[j] / fs, stops[j] / fs


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.diff(np.concatenate(([0], mask.astype(int), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _train_window(trace: np.ndarray, fs: float, base: float) -> tuple[float, float] | None:
    """A train of >= 3 short pulses (each < 20 ms, > 20x the baseline noise): from the first pulse to one
    inter-pulse interval after the last (each AP follows its pulse within that interval)."""
    nb = max(10, int(0.02 * fs))
    noise = 1.4826 * float(np.median(np.abs(trace[:nb] - base)))
    dev = trace - base
    amp = float(dev[np.argmax(np.abs(dev))])
    if abs(amp) <= max(20.0 * noise, 1e-9):
        return None
    starts, stops = _runs(np.abs(dev) > 0.5 * abs(amp))
    if starts.size < 3 or np.any(stops - starts >= 0.020 * fs):
        return None
    gap = float(np.median(np.diff(starts)))
    return starts[0] / fs, min(trace.size, stops[-1] + gap) / fs


def _pulse_amplitude(trace: np.ndarray, fs: float, a: float, b: float, hold: float) -> float | None:
    """Median current inside the pulses when [a, b) holds a train of >= 3 short pulses, else None."""
    i0, i1 = int(round(a * fs)), int(round(b * fs))
    seg = trace[i0:i1] - (hold if np.isfinite(hold) else 0.0)
    if seg.size < 3:
        return None
    amp = float(seg[np.argmax(np.abs(seg))])
    if abs(float(np.median(seg))) > 0.1 * abs(amp):  # a step carrying AP-locked transients, not a train
        return None
    starts, stops = _runs(np.abs(seg) > 0.5 * abs(amp))
    if starts.size < 3 or np.any(stops - starts >= 0.020 * fs):
        return None
    inside = np.concatenate([seg[x:y] for x, y in zip(starts, stops)])
    return float(np.median(inside))


def _level(trace: np.ndarray, fs: float, a: float, b: float) -> float:
    """Median of the trace in [a, b) after its first 10 % (at most 10 ms): robust to AP-locked transients."""
    i0, i1 = int(round(a * fs)), int(round(b * fs))
    win = trace[i0 + int(round(min(0.010, 0.1 * (b - a)) * fs)) : i1]
    return float(np.median(win)) if win.size else float("nan")


def _holding(trace: np.ndarray, fs: float, first_start: float) -> float:
    """Median of the trace in the 100 ms before the sweep's first step (the holding/bias current)."""
    i0 = int(round(first_start * fs))
    pre = trace[max(0, i0 - int(_BASELINE_S * fs)) : max(0, i0 - int(0.001 * fs))]
    return float(np.median(pre)) if pre.size else float("nan")


def _transitions(recording: Any, sweep: int, windows: list[tuple[float, float]]) -> tuple[float, ...]:
    """Times where the command jumps: step starts/ends from the epochs, plus the window edges (except where a
    window starts a train of brief pulses: each pulse is the stimulus, and the AP follows it within onset_skip)."""
    eps = recording.epochs[sweep] if sweep < len(recording.epochs) else ()
    trains = {round(e.start_s, 6) for e in eps if e.kind in ("pulse", "train")}
    out = {float(x) for w in windows for x in w if round(float(x), 6) not in trains}
    prev = 0.0
    for e in eps:
        # steps only: in a pulse train each brief pulse is the stimulus (the AP follows it within onset_skip)
        if e.kind == "step" and abs(e.level - prev) > 1e-9:
            out.add(float(e.start_s))
        prev = e.level
    return tuple(sorted(out))


def _template_current(params: Any, index: int) -> float:
    if params.step_currents is not None and index < len(params.step_currents):
        return float(params.step_currents[index].rescale(pq.pA).magnitude)
    if params.step_first is not None and params.step_increment is not None:
        return float((params.step_first + index * params.step_increment).rescale(pq.pA).magnitude)
    return float("nan")


Windows = list[list[tuple[float, float]] | None]


def _windows(recording: Any, params: Any, traces: list[Any]) -> tuple[Windows, str, list[str]]:
    """Step windows per sweep, where they came from, and warnings."""
    if params.step_window is not None:
        a, b = (float(x.rescale(pq.s).magnitude) for x in params.step_window)
        for k, dur in enumerate(recording.sweep_durations_s):
            if a < 0 or a >= dur:
                raise AnalysisError(f"sweep {k}: step_window starts at {a:g} s, outside the sweep (0-{dur:g} s); "
                                    "fix analysis_params.step_window", recording.path)
        return [[(a, min(b, dur))] for dur in recording.sweep_durations_s], "protocol (step_window)", []
    detected = _consensus([None if tr is None else _command_window(tr[0], tr[1]) for tr in traces])
    wins = _epoch_window(recording)
    if any(w is not None for w in wins):
        src = str(recording.metadata.get("step_window_source", "file (epoch table)"))
        bad = _epochs_contradicted(recording, wins, detected, traces)
        if not bad:
            return wins, src, []
        return ([None if d is None else [d] for d in detected], "detected on the current channel",
                [f"the epoch table's step window {bad} holds no current step on the recorded current channel; "
                 "the step window was detected on that channel"])
    from ephystool.analysis.firing_cc._notes import axograph_step

    notes = axograph_step(recording)
    if notes is not None:
        return [[(notes.start_s, notes.end_s)] for _ in range(recording.n_sweeps)], notes.source, []
    return [None if d is None else [d] for d in detected], "detected on the command/current", []


def _epochs_contradicted(recording: Any, wins: Windows, detected: list[Any], traces: list[Any]) -> str:
    """The epoch window, where the epochs are not in current units and a current trace shows its step
    elsewhere (e.g. a DAC table in mV on a current-clamp file); '' when consistent or not checkable."""
    eps = [e for sweep in recording.epochs for e in sweep]
    if not eps or any(_is_current(e.units) for e in eps):
        return ""
    for k, (w, d) in enumerate(zip(wins, detected)):
        if w is None or d is None or traces[k] is None:
            continue
        if all(b <= d[0] or a >= d[1] for a, b in w):
            return f"{w[0][0]:g}-{w[0][1]:g} s"
    return ""


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


def _sweep_stims(recording: Any, params: Any, k: int, w: list[tuple[float, float]], trace: Any, wsource: str,
                 family: int | None) -> list[SweepStim]:
    out = []
    hold = _holding(trace[0], trace[1], w[0][0]) if trace is not None else float("nan")
    ramps = {round(e.start_s, 9) for e in (recording.epochs[k] if k < len(recording.epochs) else ())
             if e.kind == "ramp"}
    for j, (a, b) in enumerate(w):
        cur, src = float("nan"), ""
        if round(a, 9) in ramps:  # a ramp has no single step current: no f-I point, no rheobase from it
            out.append(SweepStim(float(a), float(b), cur, _transitions(recording, k, w), f"window: {wsource} "
                                 "(ramp); current: none (a ramp has no step current)", k, j, hold, family))
            continue
        if trace is not None:
            cur, src = _level(trace[0], trace[1], a, b) - hold, trace[2]
            train = wsource.startswith("detected") or any(  # a train found on the channel or in the epoch table
                e.kind in ("pulse", "train") and abs(e.start_s - a) < 1e-6
                for e in (recording.epochs[k] if k < len(recording.epochs) else ()))
            pulse = _pulse_amplitude(trace[0], trace[1], a, b, hold) if train else None
            if pulse is not None:
                cur, src = pulse, trace[2] + ", amplitude of the pulses of a train"
        if not np.isfinite(cur) and k < len(recording.epochs):
            e = [x for x in recording.epochs[k] if abs(x.start_s - a) < 1e-9]
            if e and _is_current(e[0].units) and np.isfinite(e[0].level):
                cur = float((e[0].level * pq.Quantity(1.0, e[0].units)).rescale(pq.pA).magnitude)
                src = "file (epoch level)"
        if not np.isfinite(cur):
            cur = _template_current(params, k if family is None else family)
            src = "manifest/protocol" if np.isfinite(cur) else "unknown (no current channel, command or template)"
        out.append(SweepStim(float(a), float(b), cur, _transitions(recording, k, w), f"window: {wsource}; "
                             f"current: {src}", k, j, hold, family))
    return out


def infer_stimuli(recording: Any, params: Any) -> tuple[list[SweepStim], str, list[str]]:
    """Every step of every sweep (two steps per sweep give two entries), the mode ('steps' or
    'spontaneous') and warnings.

    Raises
    ------
    AnalysisError
        ``step_window`` outside a sweep.
    """
    from ephystool.analysis.firing_cc._notes import axograph_step

    n = recording.n_sweeps
    traces = [_current_trace(recording, k) for k in range(n)]
    wins, wsource, warns = _windows(recording, params, traces)
    found = [k for k in range(n) if wins[k] is not None]
    if not found:
        return _spontaneous(recording), "spontaneous", warns
    notes = axograph_step(recording) if wsource.startswith("file notes") else None
    per = notes.episodes if notes is not None and notes.episodes and notes.episodes < n else None
    if per:
        warns.append(f"the file's notes describe a family of {per} steps repeated: step index = episode mod {per}")
    stims: list[SweepStim] = []
    for k in range(n):
        w = wins[k] if wins[k] is not None else wins[min(found, key=lambda j: abs(j - k))]
        stims.extend(_sweep_stims(recording, params, k, w, traces[k], wsource, None if per is None else k % per))
    big = max((abs(s.current_pA) for s in stims if np.isfinite(s.current_pA)), default=0.0)
    if wsource.startswith("detected") and all(not s.current_pA > max(1.0, 0.1 * big) for s in stims):
        # only hyperpolarising pulses (a test pulse in a spontaneous recording): not an f-I protocol
        warns.append("the command holds no depolarising step: analysed as spontaneous firing")
        return _spontaneous(recording), "spontaneous", warns
    if all("(ramp)" in s.source for s in stims):
        warns.append("ramp protocol: no step currents, so no rheobase or f-I slope (APs counted over the ramp)")
    elif all(np.isnan(s.current_pA) for s in stims):
        warns.append("step currents unknown (no current channel, command or epoch level): the f-I x-axis needs "
                     "step_first_pA/step_increment_pA in the manifest or step_currents in the protocol")
    return stims, "steps", warns


def _spontaneous(recording: Any) -> list[SweepStim]:
    return [SweepStim(0.0, dur, float("nan"), (), "none (spontaneous)", k)
            for k, dur in enumerate(recording.sweep_durations_s)]
