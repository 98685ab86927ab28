"""Real-cell traps added to simulated current-clamp recordings, with their ground truth.

:func:`add_artefacts` takes a :func:`~ephystool.simulate.cclamp.simulate_fi_steps` recording and adds what
breaks absolute-voltage AP rules on real cells (TRAPS.md): single-sample digitiser glitches of +15 to +40 mV,
capacitive bridge transients at every step onset and offset, sweeps whose APs barely overshoot (peaks
-8 to +14 mV: dorsal-root-ganglion-like) and a sweep whose APs ride on a depolarised plateau (troughs
between -20 and 0 mV). :func:`simulate_model_cell` gives a passive RC model cell (no APs at any step).

Truth thresholds follow IPFX's definition on the noise-free trace: walking back from each AP's maximum
upstroke, the first sample where dV/dt is below 5 % of the mean maximum upstroke of the sweep's APs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.recording import EpochInfo, Recording
from ephystool.io.arrays import recording_from_arrays

__all__ = ["add_artefacts", "simulate_model_cell", "true_thresholds"]


def true_thresholds(v: np.ndarray, fs_hz: float, peaks_s: np.ndarray, fraction: float = 0.05) -> np.ndarray:
    """Threshold (mV) of each AP of a noise-free trace (IPFX definition, see the module docstring)."""
    dv = np.gradient(v) * fs_hz / 1000.0
    pk = np.round(np.asarray(peaks_s) * fs_hz).astype(int)
    if not pk.size:
        return np.zeros(0)
    back = int(0.003 * fs_hz)
    ups = [max(p - back, 0) + int(np.argmax(dv[max(p - back, 0) : p + 1])) for p in pk]
    level = fraction * float(np.mean(dv[ups]))
    out = []
    for j, u in enumerate(ups):
        lo = pk[j - 1] if j else max(0, u - int(0.005 * fs_hz))
        below = np.flatnonzero(dv[lo : u + 1] < level)
        out.append(v[lo + int(below[-1]) + 1] if below.size else v[lo])
    return np.asarray(out)


def _squash(v: np.ndarray, i0: int, i1: int, base: float, scale: float, to: float) -> np.ndarray:
    out = v.copy()
    out[i0:i1] = to + scale * (v[i0:i1] - base)
    return out


def add_artefacts(rec: Recording, truth: dict[str, Any], *, seed: int = 0, glitches_per_sweep: int = 3,
                  bridge_mv: float = 30.0, low_overshoot: tuple[int, ...] = (), plateau: tuple[int, ...] = ()
                  ) -> tuple[Recording, dict[str, Any]]:
    """A copy of ``rec`` with glitches, bridge transients, low-overshoot and plateau sweeps; updated truth.

    Parameters
    ----------
    rec, truth
        From :func:`~ephystool.simulate.cclamp.simulate_fi_steps` (``record_current`` True or False).
    seed : int
        Seed for glitch times and sizes.
    glitches_per_sweep : int
        Single-sample glitches (+15 to +40 mV) per sweep, >= 5 ms from any AP.
    bridge_mv : float
        Peak of the capacitive transient at step onset (positive) and offset (negative), decaying with 0.1 ms.
    low_overshoot, plateau : tuple of int
        Sweeps whose step response is rescaled so that APs peak at -8 ... +14 mV (factor 0.72 about -65 mV),
        or sit on a plateau (factor 0.4, the resting level moved to -15 mV: troughs -20 ... -10 mV).

    Returns
    -------
    (Recording, dict)
        ``truth`` gains ``threshold_mV`` (list of arrays, APs in the step window).
    """
    rng = np.random.default_rng(seed)
    fs = rec.sampling_rate_hz
    w0, w1 = truth["step_window_s"]
    i0, i1 = int(round(w0 * fs)), int(round(w1 * fs))
    clean = np.array(truth["v_clean_mV"], dtype=float)
    sweeps, thresholds = [], []
    tail = np.exp(-np.arange(int(0.001 * fs)) / (1e-4 * fs))
    for k in range(rec.n_sweeps):
        sig = np.vstack([rec.signal(k, c).magnitude.ravel() for c in range(len(rec.channels))])
        v, vc = sig[rec.primary], clean[k]
        if k in low_overshoot:
            v, vc = _squash(v, i0, i1, -65.0, 0.72, -65.0), _squash(vc, i0, i1, -65.0, 0.72, -65.0)
        if k in plateau:
            v, vc = _squash(v, i0, i1, -65.0, 0.4, -15.0), _squash(vc, i0, i1, -65.0, 0.4, -15.0)
        v = v.copy()
        v[i0 : i0 + tail.size] += bridge_mv * tail
        v[i1 : i1 + tail.size] -= bridge_mv * tail
        spikes = np.round(truth["spike_times_s"][k] * fs).astype(int)
        free = np.ones(v.size, bool)
        for p in spikes:
            free[max(0, p - int(0.005 * fs)) : p + int(0.005 * fs)] = False
        for edge in (i0, i1):
            free[max(0, edge - int(0.003 * fs)) : edge + int(0.003 * fs)] = False
        free[:2] = free[-2:] = False
        where = rng.choice(np.flatnonzero(free), size=glitches_per_sweep, replace=False)
        v[where] += rng.uniform(15.0, 40.0, size=where.size)
        sig[rec.primary] = v
        sweeps.append(sig)
        pk = truth["spike_times_s"][k]
        thr = true_thresholds(vc, fs, pk)
        thresholds.append(thr[(pk >= w0) & (pk < w1)])
    out = recording_from_arrays(
        sweeps, fs, [c.units for c in rec.channels], rec.kind, channel_names=[c.name for c in rec.channels],
        sweep_start_times_s=rec.sweep_start_times_s, holding=list(rec.holding),
        commands=[rec.command(k).magnitude.ravel() for k in range(rec.n_sweeps)], command_units="pA",
        epochs=rec.epochs, primary=rec.primary, name=f"{rec.path.name}_artefacts")
    return out, dict(truth, threshold_mV=thresholds, glitches_per_sweep=glitches_per_sweep)


def simulate_model_cell(currents_pa: tuple[float, ...] = (-100, 0, 100, 200, 400, 800), *, r_mohm: float = 500.0,
                        c_pf: float = 33.0, bridge_mohm: float = 10.0, fs_hz: float = 20000.0, seed: int = 0,
                        ) -> Recording:
    """A passive RC model cell (Axon Patch-1U-like: 500 MOhm, 33 pF) under current steps 0.1-0.6 s.

    The recorded voltage is -70 mV + I R (1 - exp(-t / RC)) plus the bridge error I R_s and 0.2 mV noise:
    fast charging at every step edge but no regenerative upstroke and no repolarisation: 0 APs.
    """
    rng = np.random.default_rng(seed)
    n, a, b = int(0.8 * fs_hz), int(0.1 * fs_hz), int(0.6 * fs_hz)
    tau = r_mohm * 1e6 * c_pf * 1e-12 * fs_hz  # samples
    sweeps, cmds = [], []
    for cur in currents_pa:
        i = np.zeros(n)
        i[a:b] = cur
        v = np.full(n, -70.0)
        for t in range(1, n):
            v[t] = v[t - 1] + ((-70.0 + i[t] * r_mohm * 1e-3) - v[t - 1]) / tau
        sweeps.append(v + i * bridge_mohm * 1e-3 + 0.2 * rng.standard_normal(n))
        cmds.append(i)
    epochs = [(EpochInfo(0.0, 0.1, 0.0, "pA"), EpochInfo(0.1, 0.6, float(c), "pA"), EpochInfo(0.6, 0.8, 0.0, "pA"))
              for c in currents_pa]
    return recording_from_arrays(sweeps, fs_hz, ["mV"], "current_clamp", commands=cmds, command_units="pA",
                                 epochs=epochs, holding=[0.0 * pq.pA] * len(currents_pa), name="model_cell")
