"""What spike detection takes and gives: :class:`DetectionSettings` (the engine's settings in plain units)
and :class:`Detection` (spike samples and amplitudes per channel, noise, thresholds, problem channels), with
the channel-check constants. The detector itself is :mod:`ephystool.analysis.spikes`, which re-exports these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DetectionSettings", "Detection", "POLARITIES", "DEAD_NOISE_UV", "SATURATION_FRACTION",
           "MIN_CHANNELS_FOR_ARTIFACTS"]

POLARITIES = ("negative", "positive", "both")
#: Filtered noise (µV, MAD estimate) below which a channel counts as dead (real MEAs: >= ~1 µV).
DEAD_NOISE_UV = 0.05
#: Fraction of raw samples at the channel's extreme values above which it counts as saturated (clipped).
SATURATION_FRACTION = 0.005
#: Artefact rejection by coincidence needs at least this many good electrodes.
MIN_CHANNELS_FOR_ARTIFACTS = 8
_MAD_TO_SD = 0.6745


@dataclass(frozen=True)
class DetectionSettings:
    """Detector settings in plain SI numbers (the analyzer converts its quantity parameters).

    Attributes
    ----------
    band_hz : tuple of float
        Pass band (low, high) in Hz.
    order : int
        Butterworth order (per band edge; the cascade has ``order`` biquads).
    threshold_sd : float
        Threshold in noise standard deviations (MAD estimate).
    polarity : str
        ``'negative'``, ``'positive'`` or ``'both'``.
    dead_time_s : float
        Minimum interval between two spikes of one channel (s); also the peak search window.
    chunk_s, margin_s : float
        Chunk length and margin (s).
    artifact_fraction : float
        Events on more than this fraction of good electrodes within ``artifact_window_s`` are rejected.
    artifact_window_s : float
        Coincidence window for artefacts (s).
    phase : str
        ``'zero'`` (forward-backward on chunks with margins) or ``'causal'`` (one pass, latency corrected).
    noise_windows : int
        Number of evenly spaced windows used for the noise estimate.
    noise_window_s : float
        Length of each noise window (s).
    stim_times_s : tuple of float
        Stimulus times (s from the recording start) to blank.
    stim_blanking_s : float
        Events within this time after a stimulus are removed (s).
    """

    band_hz: tuple[float, float] = (300.0, 3000.0)
    order: int = 2
    threshold_sd: float = 5.0
    polarity: str = "negative"
    dead_time_s: float = 1e-3
    chunk_s: float = 10.0
    margin_s: float = 0.05
    artifact_fraction: float = 0.5
    artifact_window_s: float = 2e-4
    phase: str = "zero"
    noise_windows: int = 10
    noise_window_s: float = 0.3
    stim_times_s: tuple[float, ...] = ()
    stim_blanking_s: float = 2e-3


@dataclass(frozen=True)
class Detection:
    """Detected spikes per channel (sample indices, peak amplitudes in µV of the filtered signal)."""

    samples: tuple[np.ndarray, ...]
    amplitudes_uv: tuple[np.ndarray, ...]
    noise_uv: np.ndarray
    thresholds_uv: np.ndarray
    sampling_rate_hz: float
    n_samples: int
    problems: dict[int, str] = field(default_factory=dict)
    n_artifacts: int = 0

    def times_s(self, channel: int) -> np.ndarray:
        """Spike times of one channel in seconds from the recording start."""
        return self.samples[channel] / self.sampling_rate_hz
