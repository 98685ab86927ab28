"""Spontaneous/miniature synaptic events (sEPSC/mEPSC) on realistic noise, with the truth.

Events arrive as a Poisson process; each is a bi-exponential current
``A (1 - exp(-t/tau_r)) exp(-t/tau_d)`` normalised to peak ``A`` (the template form of Clements &
Bekkers 1997), with lognormal amplitudes truncated to ``amp_range_pA`` and per-event kinetics jittered
by a lognormal factor. The noise is Gaussian, low-passed like an amplifier's Bessel filter, plus a
1/f ("pink") component, scaled together to ``noise_rms_pA``. Frequency can be set by condition
through the chemistry's illustrative Dodge-Rahamimoff release factor (:func:`condition_frequency`,
SCIENCE.md section 1: "Release factor").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.vocabulary import CONTROL, DEFAULT_DESIGN

__all__ = ["condition_frequency", "event_waveform", "pink_noise", "simulate_events", "simulate_events_arrays",
           "simulate_events_cell"]


def event_waveform(t_ms: np.ndarray, tau_rise_ms: float, tau_decay_ms: float) -> np.ndarray:
    """Bi-exponential ``(1 - exp(-t/tau_r)) exp(-t/tau_d)`` for t >= 0, normalised to a peak of 1."""
    t = np.clip(np.asarray(t_ms, dtype=float), 0.0, None)
    w = (1.0 - np.exp(-t / tau_rise_ms)) * np.exp(-t / tau_decay_ms)
    tp = tau_rise_ms * np.log((tau_rise_ms + tau_decay_ms) / tau_rise_ms)
    peak = (1.0 - np.exp(-tp / tau_rise_ms)) * np.exp(-tp / tau_decay_ms)
    return np.where(np.asarray(t_ms) >= 0, w / peak, 0.0)


def pink_noise(n: int, rate_hz: float, rng: np.random.Generator, f_min_hz: float = 0.5) -> np.ndarray:
    """Unit-variance Gaussian noise with a 1/f power spectrum above ``f_min_hz`` (flat below)."""
    spec = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    f = np.fft.rfftfreq(n, 1.0 / rate_hz)
    spec /= np.sqrt(np.maximum(f, f_min_hz))
    spec[0] = 0.0
    x = np.fft.irfft(spec, n)
    return x / (np.std(x) or 1.0)


def _noise(n: int, rate_hz: float, rms: float, pink_fraction: float, lowpass_hz: float,
           rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import bessel, sosfiltfilt

    white = rng.standard_normal(n)
    if lowpass_hz < 0.45 * rate_hz:
        white = sosfiltfilt(bessel(4, lowpass_hz, fs=rate_hz, output="sos", norm="mag"), white)
    white /= np.std(white) or 1.0
    x = np.sqrt(1.0 - pink_fraction) * white + np.sqrt(pink_fraction) * pink_noise(n, rate_hz, rng)
    return rms * x / (np.std(x) or 1.0)


def simulate_events_arrays(
    duration_s: float = 60.0, rate_hz: float = 20000.0, frequency_hz: float = 5.0,
    amp_median_pA: float = 15.0, amp_sigma: float = 0.5, amp_range_pA: tuple[float, float] = (5.0, 60.0),
    tau_rise_ms: float = 0.5, tau_decay_ms: float = 4.0, kinetics_cv: float = 0.15, noise_rms_pA: float = 2.5,
    pink_fraction: float = 0.3, lowpass_hz: float = 2000.0, holding_pA: float = -20.0, polarity: int = -1,
    seed: int | None = None, rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """One gap-free sweep of spontaneous events with known times, amplitudes and kinetics.

    Parameters
    ----------
    duration_s, rate_hz : float
        Length (s) and sampling rate (Hz).
    frequency_hz : float
        Mean event rate (Hz, Poisson).
    amp_median_pA, amp_sigma : float
        Lognormal amplitude: median (pA) and sigma of log amplitude; truncated to ``amp_range_pA``.
    tau_rise_ms, tau_decay_ms, kinetics_cv : float
        Bi-exponential time constants (ms) and the per-event lognormal jitter (sigma of log).
    noise_rms_pA, pink_fraction, lowpass_hz : float
        Noise RMS (pA), share of its variance that is 1/f, and the Bessel low-pass of the rest (Hz).
    holding_pA : float
        Holding current (pA) the events ride on.
    polarity : int
        -1 for inward (EPSCs at negative holding), +1 for outward.

    Returns
    -------
    dict
        ``trace`` (pA), ``rate_hz``, ``truth`` with ``times_s`` (onsets), ``amplitudes_pA`` (magnitudes),
        ``tau_rise_ms``, ``tau_decay_ms``, ``frequency_hz`` (count / duration), ``median_amplitude_pA``,
        ``noise_rms_pA``.
    """
    rng = rng if rng is not None else np.random.default_rng(seed)
    n = int(round(duration_s * rate_hz))
    count = rng.poisson(frequency_hz * duration_s)
    times = np.sort(rng.uniform(0.0, duration_s, count))
    lo, hi = amp_range_pA
    amps = np.exp(rng.normal(np.log(amp_median_pA), amp_sigma, 4 * count + 16))
    amps = amps[(amps >= lo) & (amps <= hi)][:count]
    taus_r = tau_rise_ms * np.exp(rng.normal(0.0, kinetics_cv, count))
    taus_d = tau_decay_ms * np.exp(rng.normal(0.0, kinetics_cv, count))
    x = holding_pA + _noise(n, rate_hz, noise_rms_pA, pink_fraction, lowpass_hz, rng)
    span = int(round(10 * tau_decay_ms * 1e-3 * rate_hz))
    t_rel = np.arange(span) / rate_hz * 1e3
    for t0, a, tr, td in zip(times, amps, taus_r, taus_d, strict=True):
        i0 = int(np.ceil(t0 * rate_hz))
        seg = x[i0 : i0 + span]
        seg += polarity * a * event_waveform(t_rel[: seg.size] + (i0 / rate_hz - t0) * 1e3, tr, td)
    truth = {"times_s": times, "amplitudes_pA": amps, "tau_rise_ms": taus_r, "tau_decay_ms": taus_d,
             "frequency_hz": count / duration_s, "median_amplitude_pA": float(np.median(amps)) if count else np.nan,
             "noise_rms_pA": noise_rms_pA, "polarity": polarity}
    return {"trace": x, "rate_hz": rate_hz, "holding_mV": -70.0, "truth": truth}


def simulate_events(*, seed: int | None = None, rng: np.random.Generator | None = None, **kwargs: Any) -> tuple[Any, dict]:
    """Spontaneous events as a one-sweep voltage-clamp :class:`~ephystool.io.recording.Recording` plus the truth.

    Keyword arguments are those of :func:`simulate_events_arrays`.
    """
    from ephystool.io.arrays import recording_from_arrays

    arr = simulate_events_arrays(seed=seed, rng=rng, **kwargs)
    rec = recording_from_arrays([arr["trace"]], arr["rate_hz"], ["pA"], "voltage_clamp", channel_names=["Im"],
                                holding=[arr["holding_mV"] * pq.mV], name=f"sim_events_seed{seed}",
                                metadata={"simulated": True})
    return rec, arr["truth"]


def condition_frequency(condition: str, design: str = DEFAULT_DESIGN, control_hz: float = 5.0,
                        n: float = 4.0) -> float:
    """Event frequency (Hz) of a condition: ``control_hz`` x the release-factor ratio to the control bath.

    The ratio is the illustrative Dodge-Rahamimoff factor of free Ca2+ and Mg2+ computed by the chemistry
    module for the design's baths (:func:`ephystool.compare.predictions.release_factor`); sEPSC
    frequency scales with release probability (direction only, SCIENCE.md).
    """
    from ephystool.compare.predictions import condition_ions, release_factor

    cond, ref = condition_ions(condition, design), condition_ions(CONTROL, design)
    if cond is None or ref is None:
        return control_hz
    return control_hz * release_factor(cond.free_ca_mM, cond.free_mg_mM, n) / release_factor(
        ref.free_ca_mM, ref.free_mg_mM, n)


def simulate_events_cell(condition: str, design: str = DEFAULT_DESIGN, rng: np.random.Generator | None = None,
                         control_hz: float = 5.0, cell_cv: float = 0.3, **kwargs: Any) -> tuple[Any, dict]:
    """One cell's sEPSC recording for the experiment simulator: the condition's frequency with cell-to-cell
    (lognormal, sigma ``cell_cv``) variation; other keywords go to :func:`simulate_events_arrays`."""
    rng = rng if rng is not None else np.random.default_rng()
    f = condition_frequency(condition, design, control_hz) * float(np.exp(rng.normal(0.0, cell_cv)))
    rec, truth = simulate_events(rng=rng, frequency_hz=f, **kwargs)
    truth["condition_frequency_hz"] = f
    return rec, truth
