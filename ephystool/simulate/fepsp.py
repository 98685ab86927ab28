"""Ground-truth field-EPSP (LTP) sessions: a hippocampal CA1 slice recorded with test pulses.

Each sweep (default 100 ms at 20 kHz, stimulus at 10 ms, a second stimulus 50 ms later) holds:

* a **stimulus artifact**: biphasic, several mV, over within 0.5 ms (a 0.1 ms positive phase, then a
  negative phase decaying with tau 0.08 ms);
* a **fibre volley**: triphasic (negative Mexican hat), trough 0.2-0.5 mV at 1.3 ms after the stimulus,
  constant through the session (the input does not change);
* the **fEPSP**: negative-going, 0.6-1.5 mV, a difference of exponentials (rise 1.5 ms, decay 6 ms)
  starting 2 ms after the stimulus, smoothed by conduction dispersion (Gaussian, SD 0.3 ms), peaking
  about 4.5-5 ms after the stimulus with an initial slope of about -0.2 to -0.8 mV/ms (SCIENCE.md 1h;
  typical CA1 Schaffer-collateral values);
* the second fEPSP scaled by the paired-pulse ratio (facilitation 1.3-1.6 at 50 ms);
* Gaussian noise of 10-25 uV RMS (lightly low-passed; [M] a clean field recording) and a random DC offset per sweep.

Test pulses every 20 s: a 20-min baseline, induction (TBS) with no test pulses for ``resume_after_s``,
then 60 min of post-induction sweeps. The fEPSP gain follows ``1 + (L - 1) + (P - L) exp(-t / tau)``
after the induction (post-tetanic potentiation P decaying with tau of a few minutes to the LTP level L),
times a linear baseline drift (``drift_percent`` over the baseline, held after it), times a trial-to-trial
jitter (CV 3 %). A few "failure" sweeps (gain x 0.4) are outliers. The truth holds the realised values:
``ltp_magnitude`` = 100 x (mean realised gain of the non-failure sweeps starting 50-60 min after the
induction, inclusive) / (mean realised gain of the non-failure sweeps starting 20-0 min before it), i.e.
the mean over the analyzer's default post-window sweeps of the true slope normalised to the true
baseline mean (the fEPSP slope is proportional to the gain); ``stp_magnitude`` likewise over 0-5 min.
Jitter and drift are in the truth, so a test's tolerance is the measurement's own: with this noise the
per-sweep slope CV from noise is 1-5 %, and the error of ``ltp_magnitude`` has an SD of about 0.6-1 pp.
Checked: recomputing the truth over exactly the sweeps the analyzer keeps changes it by <= 0.15 pp.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d, uniform_filter1d

from ephystool.core.recording import Recording, Tag
from ephystool.io.arrays import recording_from_arrays

__all__ = ["fepsp_shape", "simulate_fepsp_session", "simulate_two_pathways", "simulate_fepsp_run",
           "simulate_ltd_session"]


def fepsp_shape(t_ms: np.ndarray, delay_ms: float = 2.2, tau_rise_ms: float = 1.5, tau_decay_ms: float = 6.0,
                dispersion_ms: float = 0.25) -> np.ndarray:
    """A unit-peak, positive fEPSP waveform at times ``t_ms`` after the stimulus (negate it for the field).

    Parameters
    ----------
    t_ms : numpy.ndarray
        Times after the stimulus (ms), evenly spaced.
    delay_ms, tau_rise_ms, tau_decay_ms : float
        Synaptic delay, rise and decay time constants of the difference of exponentials (ms).
    dispersion_ms : float
        SD of the Gaussian smoothing for conduction dispersion (ms).

    Returns
    -------
    numpy.ndarray
        Peak 1; zero before the stimulus.
    """
    s = np.clip(t_ms - delay_ms, 0.0, None)
    y = np.where(t_ms > delay_ms, np.exp(-s / tau_decay_ms) - np.exp(-s / tau_rise_ms), 0.0)
    dt = float(t_ms[1] - t_ms[0]) if t_ms.size > 1 else 1.0
    y = gaussian_filter1d(y, dispersion_ms / dt, mode="nearest")
    return y / y.max()


def _sweep(rel: np.ndarray, fepsp: np.ndarray, gain: float, fv_mv: float, art_mv: float, amp_mv: float) -> np.ndarray:
    """One evoked response at times ``rel`` (ms after its stimulus), mV."""
    art = np.where((rel >= 0) & (rel < 0.1), art_mv, 0.0)
    art += np.where(rel >= 0.1, -0.6 * art_mv * np.exp(-np.clip(rel - 0.1, 0, None) / 0.08), 0.0)
    z = (rel - 1.2) / 0.15
    fv = -fv_mv * (1 - z**2) * np.exp(-(z**2) / 2)
    return art + fv - amp_mv * gain * fepsp


@dataclass(frozen=True)
class _Slice:
    """The per-slice draws: fEPSP amplitude, fibre volley and artifact (mV), noise RMS (mV), paired-pulse ratio."""

    amp: float
    fv_mv: float
    art_mv: float
    noise_mv: float
    ppr: float


def _draw_slice(rng: np.random.Generator, ppr: float | None) -> _Slice:
    """Draw a slice (in this order: amplitude, fibre volley, artifact, noise, then the PPR unless given)."""
    amp = float(rng.uniform(0.6, 1.5))
    fv_mv, art_mv, noise = float(rng.uniform(0.2, 0.5)), float(rng.uniform(3.0, 8.0)), float(rng.uniform(0.01, 0.025))
    return _Slice(amp, fv_mv, art_mv, noise, float(rng.uniform(1.3, 1.6)) if ppr is None else float(ppr))


def _render(rng: np.random.Generator, cell: _Slice, t_ms: np.ndarray, stim_ms: float, gains: np.ndarray,
            fvs: np.ndarray, paired: bool) -> list[np.ndarray]:
    """One sweep (mV) per gain and fibre volley: the response (and the paired one 50 ms later), lightly
    low-passed noise of RMS ``cell.noise_mv`` and a random DC offset (SD 0.1 mV)."""
    n = t_ms.size
    shape, shape2 = fepsp_shape(t_ms - stim_ms), fepsp_shape(t_ms - stim_ms - 50.0) if paired else None
    sweeps = []
    for g, f in zip(gains, fvs):
        v = _sweep(t_ms - stim_ms, shape, g, f, cell.art_mv, cell.amp)
        if paired:
            v += _sweep(t_ms - stim_ms - 50.0, shape2, g * cell.ppr, f, cell.art_mv, cell.amp)
        w = uniform_filter1d(rng.standard_normal(n), 3)
        sweeps.append(v + cell.noise_mv * w / w.std() + rng.normal(0.0, 0.1))
    return sweeps


def _theta_burst(rng: np.random.Generator, cell: _Slice, t_ms: np.ndarray, stim_ms: float) -> np.ndarray:
    """The induction sweep: a theta burst of 4 stimuli at 100 Hz (gain 1.5 each) plus white noise (mV)."""
    burst = sum(_sweep(t_ms - stim_ms - 10.0 * j, fepsp_shape(t_ms - stim_ms - 10.0 * j),
                       1.5, cell.fv_mv, cell.art_mv, cell.amp) for j in range(4))
    return burst + cell.noise_mv * rng.standard_normal(t_ms.size)


def _gains(t_rel_min: np.ndarray, baseline: np.ndarray, rng: np.random.Generator, ltp: float, ptp: float,
           tau_min: float, drift: float, base_min: float, jitter_cv: float) -> np.ndarray:
    pot = np.where(t_rel_min >= 0, ltp + (ptp - ltp) * np.exp(-np.clip(t_rel_min, 0, None) / tau_min), 1.0)
    frac = np.clip((t_rel_min + base_min) / base_min, 0.0, 1.0)
    dr = 1.0 + drift * (frac - 0.5)
    return pot * dr * (1.0 + jitter_cv * rng.standard_normal(t_rel_min.size))


def simulate_fepsp_session(
    seed: int,
    *,
    ltp_percent: float = 150.0,
    ptp_percent: float | None = None,
    ptp_tau_min: float = 3.0,
    drift_percent: float = 0.0,
    baseline_min: float = 20.0,
    post_min: float = 60.0,
    sweep_interval_s: float = 20.0,
    resume_after_s: float = 60.0,
    ppr: float | None = None,
    paired: bool = True,
    tag: str | None = "TBS",
    record_induction_sweep: bool = False,
    n_failures: int = 2,
    fs_hz: float = 20000.0,
    sweep_ms: float = 100.0,
    stim_ms: float = 10.0,
    name: str = "sim_fepsp",
) -> tuple[Recording, dict[str, Any]]:
    """Simulate one fEPSP LTP session with known truth.

    Parameters
    ----------
    seed : int
        Seed of the generator (amplitudes, noise, jitter, failures).
    ltp_percent : float
        Stable potentiation level (% of baseline; 100 = no LTP).
    ptp_percent : float, optional
        Potentiation right after induction (default ``ltp_percent + 60``), decaying with ``ptp_tau_min``.
    drift_percent : float
        Linear change of the response over the baseline (% of its mean), held after the baseline.
    baseline_min, post_min, sweep_interval_s, resume_after_s : float
        Baseline and post durations (min), test-pulse interval (s) and the pause after induction (s).
    ppr : float, optional
        Paired-pulse ratio (default drawn in 1.3-1.6); ``paired=False`` gives one stimulus per sweep.
    tag : str or None
        Text of the comment tag placed at the induction (None: no tag; the induction is then only a gap).
    record_induction_sweep : bool
        Also store a sweep at the induction holding a theta burst (4 stimuli at 100 Hz).
    n_failures : int
        Sweeps whose response is 40 % of normal (outliers to exclude).
    fs_hz, sweep_ms, stim_ms : float
        Sampling rate, sweep length and stimulus time.

    Returns
    -------
    (Recording, dict)
        The field recording (mV) and its truth: ``induction_time_s``, ``ltp_magnitude``, ``stp_magnitude``
        (realised, %), ``baseline_drift`` (%), ``ppr``, ``baseline_slope`` (mV/ms of the noiseless
        baseline fEPSP, 10-90 %), ``fibre_volley`` (mV), ``failures`` (sweep indices), ``gain`` per sweep.
    """
    rng = np.random.default_rng(seed)
    cell = _draw_slice(rng, ppr)
    ltp, ptp = ltp_percent / 100.0, (ltp_percent + 60.0 if ptp_percent is None else ptp_percent) / 100.0
    n_base = int(round(baseline_min * 60.0 / sweep_interval_s))
    t_ind = n_base * sweep_interval_s
    post = np.arange(t_ind + resume_after_s, t_ind + post_min * 60.0 + 1e-6, sweep_interval_s)
    times = np.concatenate([np.arange(n_base) * sweep_interval_s, post])
    t_rel = (times - t_ind) / 60.0
    gain = _gains(t_rel, t_rel < 0, rng, ltp, ptp, ptp_tau_min, drift_percent / 100.0, baseline_min, 0.03)
    failures = np.sort(rng.choice(np.arange(5, times.size - 5), size=n_failures, replace=False))
    gain_used = gain.copy()
    gain_used[failures] *= 0.4
    t_ms = np.arange(int(round(sweep_ms * fs_hz / 1e3))) / fs_hz * 1e3
    sweeps = _render(rng, cell, t_ms, stim_ms, gain_used, np.full(gain_used.size, cell.fv_mv), paired)
    truth = _truth(t_ind, t_rel, gain, failures, drift_percent, cell.ppr, cell.amp, cell.fv_mv, stim_ms, ltp_percent)
    if record_induction_sweep:
        sweeps.insert(n_base, _theta_burst(rng, cell, t_ms, stim_ms))
        times = np.insert(times, n_base, t_ind)
        gain_used = np.insert(gain_used, n_base, np.nan)
        failures = np.where(failures >= n_base, failures + 1, failures)
    tags = (Tag(float(t_ind), tag),) if tag else ()
    rec = recording_from_arrays(sweeps, fs_hz, ["mV"], "field", channel_names=["field"], sweep_start_times_s=times,
                                tags=tags, name=name, metadata={"simulated": "fepsp", "seed": seed})
    truth.update(failures=[int(f) for f in failures], gain=gain_used,
                 induction_sweeps=[n_base] if record_induction_sweep else [])
    return rec, truth


def _truth(t_ind: float, t_rel: np.ndarray, gain: np.ndarray, failures: np.ndarray, drift: float, ppr: float,
           amp: float, fv_mv: float, stim_ms: float, ltp_percent: float) -> dict[str, Any]:
    ok = np.ones(gain.size, bool)
    ok[failures] = False
    base = ok & (t_rel >= -20.0) & (t_rel <= 0.0)
    post = ok & (t_rel >= 50.0) & (t_rel <= 60.0)
    stp = ok & (t_rel >= 0.0) & (t_rel <= 5.0)
    slope = _unit_slope(amp)

    def mean(mask: np.ndarray) -> float:
        return float(np.mean(gain[mask])) if mask.any() else float("nan")

    bmean = mean(base)
    return {
        "induction_time_s": float(t_ind),
        "ltp_percent": float(ltp_percent),
        "ltp_magnitude": 100.0 * mean(post) / bmean,
        "stp_magnitude": 100.0 * mean(stp) / bmean,
        "baseline_drift": float(drift),
        "ppr": ppr,
        "baseline_slope": slope * bmean,
        "fepsp_amplitude": amp,
        "fibre_volley": fv_mv,
        "stim_ms": stim_ms,
    }


def simulate_two_pathways(
    seed: int,
    *,
    test_percent: float = 150.0,
    control_percent: float = 100.0,
    n_channels: int = 1,
    sweep_interval_s: float = 10.0,
    **kw: Any,
) -> tuple[Recording, dict[str, Any]]:
    """A two-pathway slice session: test and control inputs stimulated on alternate sweeps of one file.

    Even sweeps (0, 2, ...) stimulate the test pathway (potentiated to ``test_percent``), odd sweeps the
    control pathway (``control_percent``; 100 = an untetanised, stable input), each every
    ``2 * sweep_interval_s``; both share the induction time and its tag. With ``n_channels=2`` every
    sweep records two field channels: the test pathway's response appears on channel 0 (``field1``),
    the control's on channel 1 (``field2``); the other channel of a sweep holds only noise. Other keywords
    (``baseline_min``, ``post_min``, ``resume_after_s``, ``n_failures``, ``fs_hz`` ...) go to
    :func:`simulate_fepsp_session` for both pathways, with its defaults.

    Returns
    -------
    (Recording, dict)
        The recording and ``{'test': truth, 'control': truth}`` as in :func:`simulate_fepsp_session`, each
        with ``ltp_magnitude`` realised over that pathway's own sweep times.
    """
    common = dict(sweep_interval_s=2.0 * sweep_interval_s, **kw)
    test, t_truth = simulate_fepsp_session(seed, ltp_percent=test_percent, **common)
    ctrl, c_truth = simulate_fepsp_session(seed + 7919, ltp_percent=control_percent, ptp_percent=control_percent,
                                           **common)
    t_ind = t_truth["induction_time_s"]
    t_truth = _retimed(t_truth, np.asarray(test.sweep_start_times_s), t_ind)
    c_truth = _retimed(c_truth, np.asarray(ctrl.sweep_start_times_s) + sweep_interval_s, t_ind)
    rng = np.random.default_rng(seed + 1)
    sweeps, times = [], []
    for k in range(min(test.n_sweeps, ctrl.n_sweeps)):
        for j, rec in enumerate((test, ctrl)):
            v = np.asarray(rec.signal(k).magnitude, dtype=float).ravel()
            if n_channels == 2:
                quiet = rng.normal(0.0, 0.015, v.size) + float(np.median(v[:100]))
                v = np.vstack([v, quiet] if j == 0 else [quiet, v])
            sweeps.append(v)
            times.append(float(rec.sweep_start_times_s[k]) + (sweep_interval_s if j else 0.0))
    names = ["field1", "field2"] if n_channels == 2 else ["field"]
    rec = recording_from_arrays(sweeps, float(kw.get("fs_hz", 20000.0)), ["mV"] * n_channels, "field",
                                channel_names=names, sweep_start_times_s=np.asarray(times), tags=test.tags,
                                name=kw.get("name", "sim_two_pathways"), metadata={"simulated": "two_pathways",
                                                                                   "seed": seed})
    return rec, {"test": t_truth, "control": c_truth}


def _retimed(truth: dict[str, Any], times_s: np.ndarray, t_ind: float, shift_min: float = 0.0) -> dict[str, Any]:
    """Truth of a pathway recomputed over its own sweep times (s) relative to the shared induction; a sweep
    at the induction itself (``resume_after_s=0``) is potentiated and never baseline. ``shift_min``: the
    windows after the induction count from its end (a long induction such as 15 min of 1 Hz LFS)."""
    gain = np.asarray(truth["gain"], dtype=float)
    ok = np.ones(gain.size, bool)
    ok[truth["failures"]] = False
    t_rel = (times_s - t_ind) / 60.0

    def mean(lo: float, hi: float) -> float:
        m = ok & (t_rel >= lo) & (t_rel <= hi)
        return float(np.mean(gain[m]))

    base = mean(-20.0, -1e-9)
    return {**truth, "ltp_magnitude": 100.0 * mean(50.0 + shift_min, 60.0 + shift_min) / base,
            "stp_magnitude": 100.0 * mean(shift_min, 5.0 + shift_min) / base}


def simulate_ltd_session(seed: int, *, ltd_percent: float = 70.0, std_percent: float = 55.0, lfs_min: float = 15.0,
                         **kw: Any) -> tuple[Recording, dict[str, Any]]:
    """An LTD session: 20 min baseline, low-frequency stimulation (900 pulses at 1 Hz: ``lfs_min`` = 15 min,
    no test pulses, tagged 'LFS 1 Hz' at its start), test pulses from 1 min after its end for 62 min.

    The response is depressed to ``std_percent`` at the LFS onset and recovers (tau 3 min) to the lasting
    ``ltd_percent``. The truth's ``ltd_magnitude`` (= ``ltp_magnitude``) and ``stp_magnitude`` are the
    realised mean gain ratios over 50-60 and 0-5 min after the END of the LFS (the ``ltd_fepsp`` windows).
    """
    kw.setdefault("tag", "LFS 1 Hz")
    rec, truth = simulate_fepsp_session(seed, ltp_percent=ltd_percent, ptp_percent=std_percent,
                                        resume_after_s=60.0 * lfs_min + 60.0, post_min=lfs_min + 62.0, **kw)
    truth = _retimed(truth, np.asarray(rec.sweep_start_times_s), truth["induction_time_s"], shift_min=lfs_min)
    truth["ltd_magnitude"] = truth["ltp_magnitude"]
    return rec, truth


def _unit_slope(amp_mv: float) -> float:
    """10-90 % slope (mV/ms) of the noiseless fEPSP of amplitude ``amp_mv`` (the simulator's definition)."""
    t = np.arange(0.0, 20.0, 0.005)
    y = -amp_mv * fepsp_shape(t)
    pk = int(np.argmin(y))
    lo, hi = int(np.argmax(y <= 0.1 * y[pk])), int(np.argmax(y <= 0.9 * y[pk]))
    return float(np.polyfit(t[lo : hi + 1], y[lo : hi + 1], 1)[0])


def simulate_fepsp_run(
    seed: int,
    *,
    n_sweeps: int = 25,
    sweep_interval_s: float = 2.5,
    intensities_uA: np.ndarray | None = None,
    threshold_uA: float = 10.0,
    reference_uA: float = 60.0,
    drift_percent: float = 0.0,
    fs_hz: float = 20000.0,
    sweep_ms: float = 100.0,
    stim_ms: float = 10.0,
    paired: bool = True,
    noise_mv: float | None = None,
    name: str = "sim_fepsp_run",
) -> tuple[Recording, dict[str, Any]]:
    """A run without induction: a baseline (stability) run, or an input-output run when intensities are given.

    Baseline: ``n_sweeps`` test pulses every ``sweep_interval_s`` (0.4 Hz; ``n_sweeps=240`` is 10 min) with
    trial-to-trial jitter (CV 3 %) and a linear drift; noise RMS ``noise_mv`` (default drawn in 10-25 uV).
    Input-output: sweep k is stimulated at ``intensities_uA[k]``; the fEPSP amplitude grows linearly with
    the intensity above ``threshold_uA`` (``amp`` at ``reference_uA``) and the fibre volley in proportion to
    the intensity (the number of recruited axons).

    Returns
    -------
    (Recording, dict)
        Truth: ``slope`` per sweep (mV/ms, realised, noiseless), ``baseline_slope`` (their mean),
        ``baseline_drift`` (%), ``fibre_volley`` per sweep (mV), ``intensity`` per sweep (uA), ``io_slope``
        (least-squares slope of the true per-sweep slopes against intensity, mV/ms per uA), ``io_slope_fv``.
    """
    rng = np.random.default_rng(seed)
    cell = _draw_slice(rng, None)
    if noise_mv is not None:
        cell = dataclasses.replace(cell, noise_mv=float(noise_mv))
    amp, fv_mv, ppr = cell.amp, cell.fv_mv, cell.ppr
    io = intensities_uA is not None
    level = np.asarray(intensities_uA, dtype=float) if io else np.full(n_sweeps, reference_uA)
    n_sw = level.size
    times = np.arange(n_sw) * sweep_interval_s
    frac = times / max(times[-1], 1e-9) - 0.5
    gain = np.clip((level - threshold_uA) / (reference_uA - threshold_uA), 0.0, None)
    gain = gain * (1.0 + drift_percent / 100.0 * frac) * (1.0 + 0.03 * rng.standard_normal(n_sw))
    fv = fv_mv * level / reference_uA
    t_ms = np.arange(int(round(sweep_ms * fs_hz / 1e3))) / fs_hz * 1e3
    sweeps = _render(rng, cell, t_ms, stim_ms, gain, fv, paired)
    slope = gain * _unit_slope(amp)
    rec = recording_from_arrays(sweeps, fs_hz, ["mV"], "field", channel_names=["field"], sweep_start_times_s=times,
                                name=name, metadata={"simulated": "fepsp_run", "seed": seed})
    truth = {"slope": slope, "baseline_slope": float(np.mean(slope)), "baseline_drift": float(drift_percent),
             "fibre_volley": fv, "intensity": level, "ppr": ppr, "fepsp_amplitude": amp}
    if io:
        truth["io_slope"] = float(np.polyfit(level, slope, 1)[0])
        truth["io_slope_fv"] = float(np.polyfit(fv, slope, 1)[0])
    return rec, truth
