"""Ground-truth voltage-clamp generator: evoked AMPA/NMDA EPSCs, NMDA I-V series, tonic wash-in currents.

Model (all currents in pA, potentials in mV, conductances in nS, times in ms unless named ``_s``)
-----------------------------------------------------------------------------------------------
* AMPA conductance: ``g_A(t) = G_A * norm * (exp(-t/tau_d) - exp(-t/tau_r))`` (tau_r 0.5 ms,
  tau_d 6 ms), normalised so that its peak is ``G_A``.
* NMDA conductance: ``g_N(t) = G_N * norm * (w exp(-t/tau_f) + (1-w) exp(-t/tau_s) - exp(-t/tau_r))``
  (tau_r 5 ms, tau_f 60 ms, tau_s 250 ms, w 0.6), peak ``G_N``.
* ``I(t) = g_A (V - E) + g_N B(V) (V - E)`` with E = 0 mV and Jahr-Stevens block
  ``B(V) = 1 / (1 + [Mg]/3.57 exp(-0.062 V))`` (:func:`ephystool.chemistry.mg_block_fraction`) at the
  given free [Mg2+]; block is instantaneous.
* leak ``g_leak (V - E_leak)`` (the holding current), a brief biphasic stimulus artifact at the stimulus
  (``A sin(2 pi t / 0.4 ms) exp(-t / 0.25 ms)``, gone within ~1.5 ms), an optional -5 mV test pulse
  through ``R_s`` onto ``C_m`` (peak ``dV/R_s``, tau ``R_s C_m``), and band-limited Gaussian noise
  (white noise low-passed at ``noise_cutoff_hz`` by a 4th-order Butterworth, scaled to ``noise_pA`` RMS),
  drawn from a seeded generator.

Every generator returns ``(Recording, truth)``; ``*_arrays`` variants return the raw arrays
(``dict``) that the sample-data builder writes to ABF files. Truth values are computed from the
noiseless components with the analyzer's definitions (peak of the isolated NMDA current; NMDA mean
50-60 ms at +40 mV over AMPA peak at -70 mV; amplitude-weighted decay tau with the amplitudes at the
NMDA peak; RI = |I(-70)| / I(+40)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import quantities as pq

__all__ = [
    "NMDA_DEFAULTS",
    "AMPA_DEFAULTS",
    "ampa_conductance",
    "nmda_conductance",
    "band_limited_noise",
    "simulate_epsc_arrays",
    "simulate_epsc_sweeps",
    "simulate_iv_series",
    "simulate_tonic_arrays",
    "simulate_tonic",
]

#: AMPA kinetics (ms) and default peak conductance (nS).
AMPA_DEFAULTS: dict[str, float] = {"g_nS": 4.0, "tau_rise": 0.5, "tau_decay": 6.0}
#: NMDA kinetics (ms), fast-decay weight and default peak conductance (nS).
NMDA_DEFAULTS: dict[str, float] = {"g_nS": 4.0, "tau_rise": 5.0, "tau_fast": 60.0, "tau_slow": 250.0, "w_fast": 0.6}
_KD0, _SLOPE = 3.57, 0.062


def _rng(seed: int | None, rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng(seed)


def _block(v_mV: float, mg_mM: float) -> float:
    from ephystool.chemistry import mg_block_fraction

    return float(mg_block_fraction(v_mV, mg_mM))


def ampa_conductance(t_ms: np.ndarray, g_nS: float, tau_rise: float = 0.5, tau_decay: float = 6.0) -> np.ndarray:
    """Dual-exponential AMPA conductance (nS) with peak ``g_nS``; zero for t < 0."""
    t = np.asarray(t_ms, dtype=float)
    tp = np.clip(t, 0, None)
    shape = np.where(t >= 0, np.exp(-tp / tau_decay) - np.exp(-tp / tau_rise), 0.0)
    fine = np.linspace(0, 10 * tau_decay, 20001)
    peak = float(np.max(np.exp(-fine / tau_decay) - np.exp(-fine / tau_rise)))
    return g_nS * shape / peak


def nmda_conductance(
    t_ms: np.ndarray, g_nS: float, tau_rise: float = 5.0, tau_fast: float = 60.0, tau_slow: float = 250.0,
    w_fast: float = 0.6,
) -> np.ndarray:
    """NMDA conductance (nS): one rise and two decay exponentials, peak ``g_nS``; zero for t < 0."""
    t = np.asarray(t_ms, dtype=float)

    def f(tt: np.ndarray) -> np.ndarray:
        return w_fast * np.exp(-tt / tau_fast) + (1 - w_fast) * np.exp(-tt / tau_slow) - np.exp(-tt / tau_rise)

    fine = np.linspace(0, 10 * tau_slow, 200001)
    peak = float(np.max(f(fine)))
    tp = np.clip(t, 0, None)
    return g_nS * np.where(t >= 0, f(tp), 0.0) / peak


def nmda_truth_kinetics(tau_rise: float, tau_fast: float, tau_slow: float, w_fast: float) -> dict[str, float]:
    """Peak time, amplitude-weighted decay tau (amplitudes at the peak) and 10-90 % rise of the NMDA shape."""
    fine = np.linspace(0, 10 * tau_slow, 400001)
    f = w_fast * np.exp(-fine / tau_fast) + (1 - w_fast) * np.exp(-fine / tau_slow) - np.exp(-fine / tau_rise)
    k = int(np.argmax(f))
    tp = float(fine[k])
    a_f, a_s = w_fast * np.exp(-tp / tau_fast), (1 - w_fast) * np.exp(-tp / tau_slow)
    rise = f[: k + 1] / f[k]
    t10 = float(np.interp(0.1, rise, fine[: k + 1]))
    t90 = float(np.interp(0.9, rise, fine[: k + 1]))
    return {"t_peak_ms": tp, "tau_w_ms": float((a_f * tau_fast + a_s * tau_slow) / (a_f + a_s)), "rise_10_90_ms": t90 - t10}


def band_limited_noise(n: int, rate_hz: float, rms_pA: float, cutoff_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise low-passed at ``cutoff_hz`` (4th-order Butterworth) and scaled to ``rms_pA``."""
    from scipy.signal import butter, sosfiltfilt

    if rms_pA <= 0 or n == 0:
        return np.zeros(n)
    white = rng.standard_normal(n + 2000)
    if cutoff_hz < 0.45 * rate_hz:
        white = sosfiltfilt(butter(4, cutoff_hz, fs=rate_hz, output="sos"), white)
    white = white[1000 : 1000 + n]
    return rms_pA * white / np.std(white)


def _artifact(t_ms: np.ndarray, amp_pA: float) -> np.ndarray:
    tp = np.clip(t_ms, 0, None)
    return np.where(t_ms >= 0, amp_pA * np.sin(2 * np.pi * tp / 0.4) * np.exp(-tp / 0.25), 0.0)


def _test_pulse(t_ms: np.ndarray, start_ms: float, dur_ms: float, dv_mV: float, rs_MOhm: float, cm_pF: float) -> np.ndarray:
    tau = rs_MOhm * cm_pF * 1e-3  # MOhm * pF = us -> ms
    i0 = dv_mV / rs_MOhm * 1e3  # mV / MOhm = nA -> pA
    on, off = t_ms - start_ms, t_ms - (start_ms + dur_ms)
    out = np.where(on >= 0, i0 * np.exp(-np.clip(on, 0, None) / tau), 0.0)
    return out - np.where(off >= 0, i0 * np.exp(-np.clip(off, 0, None) / tau), 0.0)


def simulate_epsc_arrays(
    holding_mV: Sequence[float] = (-70.0, 40.0),
    n_sweeps_per_holding: int = 10,
    mg_mM: float = 1.0,
    ampa: dict[str, float] | None = None,
    nmda: dict[str, float] | None = None,
    isolated_nmda: bool = False,
    duration_s: float = 0.8,
    stim_time_s: float = 0.1,
    rate_hz: float = 20000.0,
    noise_pA: float = 3.0,
    noise_cutoff_hz: float = 1000.0,
    artifact_pA: float = 400.0,
    leak_nS: float = 2.0,
    e_leak_mV: float = -70.0,
    test_pulse: bool = True,
    rs_MOhm: float | Sequence[float] = 15.0,
    amplitude_cv: float = 0.0,
    failures: Sequence[int] = (),
    interleave: bool = True,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """Raw arrays of evoked EPSC sweeps at one or more holding potentials.

    Parameters
    ----------
    holding_mV : sequence of float
        Holding potentials (mV); sweeps cycle over them when ``interleave`` (else grouped).
    n_sweeps_per_holding : int
        Sweeps per potential.
    mg_mM : float
        Free extracellular Mg2+ (mM) for the Jahr-Stevens block.
    ampa, nmda : dict, optional
        Overrides of :data:`AMPA_DEFAULTS` / :data:`NMDA_DEFAULTS`.
    isolated_nmda : bool
        AMPA receptors blocked (NBQX): no AMPA current.
    amplitude_cv : float
        Sweep-to-sweep CV of both conductances (release variability; 0 = identical sweeps).
    failures : sequence of int
        Sweep indices with a synaptic failure (no EPSC, artifact only).
    rs_MOhm : float or sequence
        Series resistance, one value or one per sweep (drives the test-pulse peak).
    seed, rng
        Random source (``rng`` wins).

    Returns
    -------
    dict
        ``sweeps`` (list of float arrays, pA), ``rate_hz``, ``holding_mV`` (per sweep), ``stim_times_s``
        (per sweep), ``truth`` (dict) and ``epochs`` (test-pulse window per sweep, s).
    """
    r = _rng(seed, rng)
    pa = {**AMPA_DEFAULTS, **(ampa or {})}
    pn = {**NMDA_DEFAULTS, **(nmda or {})}
    n_total = n_sweeps_per_holding * len(holding_mV)
    order = [holding_mV[k % len(holding_mV)] if interleave else holding_mV[k // n_sweeps_per_holding] for k in range(n_total)]
    rs = np.broadcast_to(np.asarray(rs_MOhm, dtype=float), (n_total,))
    n = int(round(duration_s * rate_hz))
    t_ms = np.arange(n) / rate_hz * 1e3
    ts = t_ms - stim_time_s * 1e3
    g_a = np.zeros(n) if isolated_nmda else ampa_conductance(ts, pa["g_nS"], pa["tau_rise"], pa["tau_decay"])
    g_n = nmda_conductance(ts, pn["g_nS"], pn["tau_rise"], pn["tau_fast"], pn["tau_slow"], pn["w_fast"])
    sweeps = []
    for k, v in enumerate(order):
        scale = 0.0 if k in failures else max(1.0 + amplitude_cv * r.standard_normal(), 0.0)
        syn = scale * (g_a + g_n * _block(v, mg_mM)) * (v - 0.0)
        y = syn + leak_nS * (v - e_leak_mV) + _artifact(ts, artifact_pA)
        if test_pulse:
            y = y + _test_pulse(t_ms, 20.0, 20.0, -5.0, float(rs[k]), 30.0)
        sweeps.append(y + band_limited_noise(n, rate_hz, noise_pA, noise_cutoff_hz, r))
    truth = _epsc_truth(t_ms, ts, g_a, g_n, pa, pn, holding_mV, mg_mM, stim_time_s, isolated_nmda)
    return {
        "sweeps": sweeps, "rate_hz": rate_hz, "holding_mV": list(order), "stim_times_s": [[stim_time_s]] * n_total,
        "truth": truth, "test_pulse_s": (0.02, 0.04) if test_pulse else None,
    }


def _tau_w_at(pn: dict, t_ms: float) -> float:
    a_f = pn["w_fast"] * np.exp(-t_ms / pn["tau_fast"])
    a_s = (1 - pn["w_fast"]) * np.exp(-t_ms / pn["tau_slow"])
    return float((a_f * pn["tau_fast"] + a_s * pn["tau_slow"]) / (a_f + a_s))


def _epsc_truth(
    t_ms: np.ndarray, ts: np.ndarray, g_a: np.ndarray, g_n: np.ndarray, pa: dict, pn: dict,
    holding_mV: Sequence[float], mg_mM: float, stim_time_s: float, isolated: bool,
) -> dict[str, Any]:
    kin = nmda_truth_kinetics(pn["tau_rise"], pn["tau_fast"], pn["tau_slow"], pn["w_fast"])
    late = (ts >= 50.0) & (ts < 60.0)
    nmda_peak = {float(v): float(np.max(np.abs(g_n * _block(v, mg_mM) * v))) for v in holding_mV}
    nmda_late = {float(v): float(np.mean(np.abs(g_n[late] * _block(v, mg_mM) * v))) for v in holding_mV}
    ampa_peak = {float(v): (0.0 if isolated else float(np.max(np.abs(g_a * v)))) for v in holding_mV}
    truth: dict[str, Any] = {
        "mg_mM": mg_mM, "stim_time_s": stim_time_s, "isolated_nmda": isolated,
        "nmda_peak_pA": nmda_peak, "nmda_late_pA": nmda_late, "ampa_peak_pA": ampa_peak,
        "nmda_decay_tau_w_ms": kin["tau_w_ms"], "nmda_decay_tau_w_late_ms": _tau_w_at(pn, 50.0), "nmda_rise_10_90_ms": kin["rise_10_90_ms"],
        "nmda_t_peak_ms": kin["t_peak_ms"], "ampa": dict(pa), "nmda": dict(pn),
        "block": {float(v): _block(v, mg_mM) for v in holding_mV},
    }
    if -70.0 in nmda_late and 40.0 in nmda_late and not isolated:
        truth["nmda_ampa_ratio"] = nmda_late[40.0] / ampa_peak[-70.0]
    if -70.0 in nmda_peak and 40.0 in nmda_peak:
        truth["rectification_index"] = nmda_peak[-70.0] / nmda_peak[40.0]
    truth["kd0_mM"], truth["slope_per_mV"] = _KD0, _SLOPE
    return truth


def _to_recording(arr: dict[str, Any], name: str, kind: str = "voltage_clamp") -> Any:
    from ephystool.core.recording import EpochInfo
    from ephystool.io.arrays import recording_from_arrays

    n = len(arr["sweeps"])
    epochs = None
    if arr.get("test_pulse_s"):
        a, b = arr["test_pulse_s"]
        epochs = [
            (EpochInfo(a, b, float(arr["holding_mV"][k]) - 5.0, "mV", "step"),) for k in range(n)
        ]
    dur = len(arr["sweeps"][0]) / arr["rate_hz"]
    return recording_from_arrays(
        arr["sweeps"], arr["rate_hz"], ["pA"], kind, channel_names=["Im"],
        sweep_start_times_s=[k * max(dur, arr.get("sweep_interval_s", 10.0)) for k in range(n)],
        holding=[float(v) * pq.mV for v in arr["holding_mV"]],
        stim_times_s=arr["stim_times_s"], epochs=epochs, name=name, metadata={"simulated": True},
    )


def simulate_epsc_sweeps(*, seed: int | None = None, rng: np.random.Generator | None = None, **kwargs: Any) -> tuple[Any, dict]:
    """Evoked EPSC sweeps as a :class:`~ephystool.io.recording.Recording` plus the truth.

    Keyword arguments are those of :func:`simulate_epsc_arrays`.

    Returns
    -------
    (Recording, dict)
    """
    arr = simulate_epsc_arrays(seed=seed, rng=rng, **kwargs)
    return _to_recording(arr, f"sim_epsc_seed{seed}"), arr["truth"]


def simulate_iv_series(
    v_steps_mV: Sequence[float] = (-80, -60, -40, -20, 0, 20, 40),
    n_sweeps_per_step: int = 5,
    mg_mM: float = 1.0,
    g_nmda_nS: float = 10.0,
    *,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    **kwargs: Any,
) -> tuple[Any, dict]:
    """Isolated NMDA EPSCs at several holding potentials (one Recording) for an I-V / Woodhull fit.

    Truth adds ``kd0_mM`` (3.57), ``slope_per_mV`` (0.062), ``e_rev_mV`` (0), ``g_nS``,
    ``fraction_unblocked_m70`` and the
    noiseless I-V (``iv_pA`` per potential, measured at the NMDA peak time).
    """
    nmda = {**kwargs.pop("nmda", {}), "g_nS": g_nmda_nS}
    arr = simulate_epsc_arrays(
        holding_mV=tuple(float(v) for v in v_steps_mV), n_sweeps_per_holding=n_sweeps_per_step, mg_mM=mg_mM,
        nmda=nmda, isolated_nmda=True, seed=seed, rng=rng, **kwargs,
    )
    truth = dict(arr["truth"])
    truth.update({
        "e_rev_mV": 0.0, "g_nS": g_nmda_nS, "fraction_unblocked_m70": _block(-70.0, mg_mM),
        "iv_pA": {float(v): g_nmda_nS * _block(float(v), mg_mM) * float(v) for v in v_steps_mV},
    })
    return _to_recording(arr, f"sim_iv_seed{seed}"), truth


def simulate_tonic_arrays(
    duration_s: float = 480.0,
    rate_hz: float = 5000.0,
    washin_time_s: float = 120.0,
    shift_pA: float = -150.0,
    washin_tau_s: float = 30.0,
    holding_current_pA: float = -40.0,
    noise_pA: float = 3.0,
    extra_noise_pA: float = 4.0,
    noise_cutoff_hz: float = 1000.0,
    ap5_time_s: float | None = None,
    baseline_window_s: tuple[float, float] = (0.0, 60.0),
    treatment_window_s: tuple[float, float] = (180.0, 300.0),
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """Gap-free holding current with an agonist wash-in (and optional AP5 reversal).

    The agonist current follows ``shift_pA * (1 - exp(-(t - washin) / washin_tau_s))`` after the
    wash-in (inward for a negative shift) and decays back with the same tau after ``ap5_time_s``.
    Its channel noise adds ``extra_noise_pA`` RMS (scaled with the current's fraction) to the
    background ``noise_pA``.

    Returns
    -------
    dict
        ``sweeps`` (one array, pA), ``rate_hz``, ``washin_time_s``, ``truth``: ``holding_current_shift_pA``
        (mean over the treatment window, relative to wash-in, minus the baseline mean, noiseless),
        ``noise_rms_baseline_pA`` and ``noise_rms_treatment_pA`` (band-limited noise RMS).
    """
    r = _rng(seed, rng)
    n = int(round(duration_s * rate_hz))
    t = np.arange(n) / rate_hz
    frac = np.where(t >= washin_time_s, 1.0 - np.exp(-np.clip(t - washin_time_s, 0, None) / washin_tau_s), 0.0)
    if ap5_time_s is not None:
        off = t >= ap5_time_s
        f_ap5 = float(1.0 - np.exp(-(ap5_time_s - washin_time_s) / washin_tau_s))
        frac[off] = f_ap5 * np.exp(-(t[off] - ap5_time_s) / washin_tau_s)
    clean = holding_current_pA + shift_pA * frac
    noise = band_limited_noise(n, rate_hz, noise_pA, noise_cutoff_hz, r)
    extra = band_limited_noise(n, rate_hz, extra_noise_pA, noise_cutoff_hz, r) * frac
    b = (t >= baseline_window_s[0]) & (t < baseline_window_s[1])
    w = (t >= washin_time_s + treatment_window_s[0]) & (t < washin_time_s + treatment_window_s[1])
    truth = {
        "washin_time_s": washin_time_s,
        "holding_current_shift_pA": float(np.mean(clean[w]) - np.mean(clean[b])) if w.any() and b.any() else float("nan"),
        "noise_rms_baseline_pA": noise_pA,
        "noise_rms_treatment_pA": float(np.sqrt(noise_pA**2 + extra_noise_pA**2 * np.mean(frac[w] ** 2)))
        if w.any() else float("nan"),
        "ap5_time_s": ap5_time_s,
    }
    return {"sweeps": [clean + noise + extra], "rate_hz": rate_hz, "washin_time_s": washin_time_s, "truth": truth}


def simulate_tonic(
    *, seed: int | None = None, rng: np.random.Generator | None = None, holding_mV: float = -70.0,
    tag_text: str | None = None, **kwargs: Any,
) -> tuple[Any, dict]:
    """Gap-free agonist wash-in recording (Recording, truth); see :func:`simulate_tonic_arrays`.

    With ``tag_text`` (e.g. ``'+Mg-Asp'``) a comment tag is placed at the wash-in time.
    """
    from ephystool.core.recording import Tag
    from ephystool.io.arrays import recording_from_arrays

    arr = simulate_tonic_arrays(seed=seed, rng=rng, **kwargs)
    tags = (Tag(arr["washin_time_s"], tag_text, 0),) if tag_text else ()
    rec = recording_from_arrays(
        arr["sweeps"], arr["rate_hz"], ["pA"], "voltage_clamp", channel_names=["Im"], holding=[holding_mV * pq.mV],
        tags=tags, name=f"sim_tonic_seed{seed}", metadata={"simulated": True},
    )
    return rec, arr["truth"]
