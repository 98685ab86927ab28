"""Ground-truth current-clamp f-I recordings from a conductance-based single-compartment neuron.

Model: Wang & Buzsáki (1996, J Neurosci 16:6402) fast-spiking neuron (instantaneous Na activation,
Na inactivation h, delayed-rectifier n; gNa 35, gK 9, gL 0.1 mS/cm², ENa 55, EK -90, EL -65 mV,
phi 5, Cm 1 µF/cm²) plus a slow M-type K current for spike-frequency adaptation
(w_inf = 1/(1 + exp(-(V + 35)/10)), tau_w = 400/(3.3 exp((V + 35)/20) + exp(-(V + 35)/20)) ms,
as in Pospischil et al. 2008, Biol Cybern 99:427). Membrane area 1e-4 cm² (100 pF): 100 pA = 1 µA/cm².

Integration: exponential Euler (gates and voltage, stable for these stiff kinetics) at ``dt_ms``
(default 0.025 ms), vectorised over sweeps; every sweep gets an Ornstein-Uhlenbeck input-current noise
(part of the truth: it moves the spikes) and the recorded trace gets white measurement noise and an
optional bridge-balance error (a voltage jump at step on/offset, the IPFX onset trap).

The truth: AP peak times from the noise-free integrated voltage (peak after each upward 0 mV crossing),
counts in the step window, rheobase (smallest step with an AP) and the f-I slope (least-squares line of
rate vs current over the steps at and above rheobase; the analyzer's definition).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.recording import EpochInfo, Recording
from ephystool.io.arrays import recording_from_arrays

__all__ = ["simulate_fi_steps", "wang_buzsaki_adapt"]

_G = {"na": 35.0, "k": 9.0, "l": 0.1, "m": 0.2}
_E = {"na": 55.0, "k": -90.0, "l": -65.0}
_PHI = 5.0


def _rates(v: np.ndarray) -> tuple[np.ndarray, ...]:
    x = -(v + 35.0) / 10.0
    am = np.where(np.abs(x) < 1e-6, 1.0, 0.1 * (v + 35.0) / -np.expm1(np.clip(x, -50, 50)))
    bm = 4.0 * np.exp(-(v + 60.0) / 18.0)
    ah = 0.07 * np.exp(-(v + 58.0) / 20.0)
    bh = 1.0 / (1.0 + np.exp(-(v + 28.0) / 10.0))
    y = -(v + 34.0) / 10.0
    an = np.where(np.abs(y) < 1e-6, 0.1, 0.01 * (v + 34.0) / -np.expm1(np.clip(y, -50, 50)))
    bn = 0.125 * np.exp(-(v + 44.0) / 80.0)
    return am / (am + bm), ah, bh, an, bn


def wang_buzsaki_adapt(
    current_pa: np.ndarray, dt_ms: float, g_m: float = _G["m"], v0: float = -65.0
) -> np.ndarray:
    """Integrate the model for a current waveform per sweep.

    Parameters
    ----------
    current_pa : numpy.ndarray
        Injected current, shape (n_sweeps, n_steps), in pA (area 1e-4 cm²).
    dt_ms : float
        Time step in ms.
    g_m : float
        M-current conductance in mS/cm² (0: no adaptation).
    v0 : float
        Initial membrane potential in mV.

    Returns
    -------
    numpy.ndarray
        Membrane potential in mV, same shape as ``current_pa``.
    """
    i_dens = np.asarray(current_pa, dtype=float) * 1e-2  # pA -> µA/cm² for 1e-4 cm²
    n_sw, n_t = i_dens.shape
    v = np.full(n_sw, v0)
    _, ah, bh, an, bn = _rates(v)
    h, n = ah / (ah + bh), an / (an + bn)
    w = 1.0 / (1.0 + np.exp(-(v + 35.0) / 10.0))
    out = np.empty((n_sw, n_t))
    for t in range(n_t):
        minf, ah, bh, an, bn = _rates(v)
        h = ah / (ah + bh) + (h - ah / (ah + bh)) * np.exp(-dt_ms * _PHI * (ah + bh))
        n = an / (an + bn) + (n - an / (an + bn)) * np.exp(-dt_ms * _PHI * (an + bn))
        u = (v + 35.0) / 20.0
        w_inf = 1.0 / (1.0 + np.exp(-(v + 35.0) / 10.0))
        tau_w = 400.0 / (3.3 * np.exp(u) + np.exp(-u))
        w = w_inf + (w - w_inf) * np.exp(-dt_ms / tau_w)
        g_na, g_k = _G["na"] * minf**3 * h, _G["k"] * n**4 + g_m * w
        g_tot = g_na + g_k + _G["l"]
        e_eff = (g_na * _E["na"] + g_k * _E["k"] + _G["l"] * _E["l"] + i_dens[:, t]) / g_tot
        v = e_eff + (v - e_eff) * np.exp(-dt_ms * g_tot)
        out[:, t] = v
    return out


def _ou(rng: np.random.Generator, shape: tuple[int, int], dt_ms: float, sd: float, tau_ms: float) -> np.ndarray:
    """Ornstein-Uhlenbeck noise (pA) with stationary SD ``sd`` and correlation time ``tau_ms``."""
    a = np.exp(-dt_ms / tau_ms)
    kick = rng.standard_normal(shape) * sd * np.sqrt(1.0 - a * a)
    x = np.empty(shape)
    x[:, 0] = rng.standard_normal(shape[0]) * sd
    for t in range(1, shape[1]):
        x[:, t] = a * x[:, t - 1] + kick[:, t]
    return x


def _true_peaks(v: np.ndarray, fs_hz: float) -> list[np.ndarray]:
    """Peak times (s) after each upward 0 mV crossing of the noise-free traces."""
    out = []
    for row in v:
        up = np.flatnonzero((row[1:] >= 0.0) & (row[:-1] < 0.0)) + 1
        down = np.flatnonzero((row[1:] < 0.0) & (row[:-1] >= 0.0)) + 1
        peaks = [u + int(np.argmax(row[u : (down[down > u][0] if np.any(down > u) else row.size)])) for u in up]
        out.append(np.asarray(peaks, dtype=float) / fs_hz)
    return out


def _fi_recording(v_rec: np.ndarray, im: np.ndarray | None, cmd: np.ndarray, cur: np.ndarray, fs: float,
                  sweep_s: float, step_s: tuple[float, float], seed: int) -> Recording:
    """The f-I sweeps as a current-clamp Recording: 'Vm' (mV) and, when ``im`` is given, 'Im' (pA); command
    (pA) and three epochs per sweep; sweeps start every ``sweep_s`` + 1 s."""
    if im is not None:
        sweeps = [np.vstack([v_rec[k], im[k]]) for k in range(cur.size)]
        units, names = ["mV", "pA"], ["Vm", "Im"]
    else:
        sweeps, units, names = [v_rec[k] for k in range(cur.size)], ["mV"], ["Vm"]
    epochs = [
        (EpochInfo(0.0, step_s[0], 0.0, "pA"), EpochInfo(step_s[0], step_s[1], float(c), "pA"),
         EpochInfo(step_s[1], sweep_s, 0.0, "pA"))
        for c in cur
    ]
    return recording_from_arrays(
        sweeps, fs, units, "current_clamp", channel_names=names,
        sweep_start_times_s=np.arange(cur.size) * (sweep_s + 1.0),
        holding=[0.0 * pq.pA] * cur.size, commands=list(cmd), command_units="pA", epochs=epochs,
        name=f"simulated_fi_seed{seed}", metadata={"simulator": "ephystool.simulate.cclamp", "seed": seed},
    )


def simulate_fi_steps(
    currents_pa: Sequence[float] = tuple(range(0, 260, 20)),
    *,
    seed: int = 0,
    sampling_rate_hz: float = 20000.0,
    sweep_s: float = 0.8,
    step_s: tuple[float, float] = (0.1, 0.6),
    noise_mv: float = 0.3,
    input_noise_pa: float = 5.0,
    bridge_error_mohm: float = 10.0,
    g_m: float = _G["m"],
    record_current: bool = True,
    dt_ms: float = 0.025,
) -> tuple[Recording, dict[str, Any]]:
    """Simulate an f-I step protocol and return ``(Recording, truth)``.

    Parameters
    ----------
    currents_pa : sequence of float
        Step amplitude per sweep (pA).
    seed : int
        Seed of the noise generator.
    sampling_rate_hz, sweep_s, step_s
        Output rate (Hz), sweep length (s) and step window (s from sweep start).
    noise_mv : float
        White measurement noise SD on the recorded membrane potential (mV).
    input_noise_pa : float
        SD of the Ornstein-Uhlenbeck input current (pA, 5 ms correlation time).
    bridge_error_mohm : float
        Uncompensated series resistance (MΩ): adds R*I to the recorded voltage.
    g_m : float
        Adaptation (M-current) conductance, mS/cm².
    record_current : bool
        Add a recorded-current channel 'Im' (pA, with 2 pA noise) beside 'Vm'.
    dt_ms : float
        Integration step in ms; must divide the sampling interval.

    Returns
    -------
    recording : Recording
        Current clamp, primary channel 'Vm' (mV), commands (pA) and epochs per sweep.
    truth : dict
        ``spike_times_s`` (list of arrays, AP peaks relative to sweep start), ``ap_count`` (in the step),
        ``currents_pA``, ``rheobase_pA``, ``fi_slope_hz_per_pA``, ``firing_rate_hz``, ``step_window_s``, ``model``,
        ``v_clean_mV`` (noise-free recorded traces, n_sweeps x n_samples).
    """
    rng = np.random.default_rng(seed)
    sub = max(1, int(round(1e3 / sampling_rate_hz / dt_ms)))
    dt = 1e3 / sampling_rate_hz / sub
    n = int(round(sweep_s * sampling_rate_hz))
    cur = np.asarray(currents_pa, dtype=float)
    i0, i1 = int(round(step_s[0] * sampling_rate_hz)), int(round(step_s[1] * sampling_rate_hz))
    cmd = np.zeros((cur.size, n))
    cmd[:, i0:i1] = cur[:, None]
    drive = np.repeat(cmd, sub, axis=1) + _ou(rng, (cur.size, n * sub), dt, input_noise_pa, 5.0)
    v_true = wang_buzsaki_adapt(drive, dt, g_m=g_m)[:, sub - 1 :: sub]
    fs = sampling_rate_hz
    peaks = _true_peaks(v_true, fs)
    counts = np.array([int(np.sum((p >= step_s[0]) & (p < step_s[1]))) for p in peaks])
    rate = counts / (step_s[1] - step_s[0])
    v_rec = v_true + bridge_error_mohm * cmd * 1e-3 + rng.standard_normal(v_true.shape) * noise_mv
    firing = np.flatnonzero(counts > 0)
    rheo = float(cur[firing[0]]) if firing.size else float("nan")
    supra = cur >= rheo
    slope = float(np.polyfit(cur[supra], rate[supra], 1)[0]) if firing.size and supra.sum() >= 2 else float("nan")
    im = cmd + rng.standard_normal(cmd.shape) * 2.0 if record_current else None
    rec = _fi_recording(v_rec, im, cmd, cur, fs, sweep_s, step_s, seed)
    truth = {
        "spike_times_s": peaks, "ap_count": counts.tolist(), "currents_pA": cur.tolist(), "rheobase_pA": rheo,
        "fi_slope_hz_per_pA": slope, "firing_rate_hz": rate.tolist(), "step_window_s": step_s,
        "model": "Wang-Buzsaki 1996 + M current (Pospischil 2008), exponential Euler", "seed": seed,
        "v_clean_mV": v_true + bridge_error_mohm * cmd * 1e-3,  # noise-free recorded trace (with the bridge error)
    }
    return rec, truth
