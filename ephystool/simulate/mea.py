"""Ground-truth multi-electrode (MEA) recordings: spikes of known times and amplitudes in realistic noise.

Model (per electrode, seeded ``numpy.random.Generator``, no global RNG):

- **Spike times**: background Poisson firing at a per-electrode rate (log-normal, median ``rate_hz``),
  plus **network bursts** (Poisson, ``network_burst_rate_per_min``) in which a random ``participation``
  fraction of the active electrodes each fire a burst of 5-12 spikes with gamma-distributed ISIs
  (mean ``burst_isi_s``), starting within 20 ms of the network-burst time. A refractory period
  (``refractory_s``) is enforced; ``silent_fraction`` of the electrodes never fire.
- **Waveform**: a biphasic extracellular spike: a Gaussian trough (sd 0.12 ms) at the spike time, a
  slower positive repolarisation (sd 0.3 ms, 30 % of the trough, 0.45 ms later) and a small positive
  pre-bump. Amplitude (trough depth, µV) = ``snr`` x noise sd, with a per-spike +-10 % jitter (truth keeps it).
- **Noise**: band-limited Gaussian noise (4th-order Butterworth 200-6000 Hz, sd ``noise_uv``) plus a slow
  local-field component (4 Hz, 3 x noise sd), so the band-pass matters.
- **Digitisation**: int16 counts with ``gain_uv`` µV per count (clipped to the int16 range).

The truth ``spike_samples`` are the trough samples. :class:`ArrayMEASource` exposes such data as an
:class:`~ephystool.io.recording.MEASource`; :func:`write_mea_h5` writes it as MCS HDF5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal

from ephystool.core.recording import Electrode

__all__ = ["MEATruth", "ArrayMEASource", "simulate_mea", "spike_waveform", "write_mea_h5", "mcs60_electrodes",
           "mea_recording"]


@dataclass(frozen=True)
class MEATruth:
    """What the simulator put in: spike samples and amplitudes per electrode, and the settings."""

    spike_samples: tuple[np.ndarray, ...]
    amplitudes_uv: tuple[np.ndarray, ...]
    rates_hz: np.ndarray
    silent: tuple[int, ...]
    network_burst_times_s: np.ndarray
    sampling_rate_hz: float
    n_samples: int
    noise_uv: float
    gain_uv: float
    labels: tuple[str, ...]
    extra: dict = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        """Recording length (s)."""
        return self.n_samples / self.sampling_rate_hz


class ArrayMEASource:
    """An in-memory :class:`~ephystool.io.recording.MEASource` over (samples x channels) data.

    Parameters
    ----------
    data : numpy.ndarray
        Samples, shape (n_samples, n_channels): int16 counts (scaled by ``gain_uv``) or floats in µV.
    sampling_rate_hz : float
        Sampling rate.
    electrodes : sequence of Electrode, optional
        Layout; default: labels ``ch0..``.
    gain_uv : float
        µV per count for integer data (ignored for float data).
    """

    def __init__(self, data: np.ndarray, sampling_rate_hz: float, electrodes: Sequence[Electrode] | None = None,
                 gain_uv: float = 1.0) -> None:
        self._data = data
        self.n_samples, self.n_channels = int(data.shape[0]), int(data.shape[1])
        self.sampling_rate_hz = float(sampling_rate_hz)
        self.electrodes = tuple(electrodes) if electrodes is not None else tuple(
            Electrode(f"ch{i}") for i in range(self.n_channels))
        self._gain = float(gain_uv) if np.issubdtype(data.dtype, np.integer) else 1.0

    def get_traces(self, start: int, stop: int, channels: Sequence[int] | None = None) -> np.ndarray:
        """Samples ``start:stop`` in µV, float32, shape (stop - start, channels)."""
        block = self._data[start:stop] if channels is None else self._data[start:stop][:, list(channels)]
        out = block.astype(np.float32)
        if self._gain != 1.0:
            out *= np.float32(self._gain)
        return out


def mcs60_electrodes() -> tuple[Electrode, ...]:
    """The MCS 60-electrode 8x8 layout as :class:`Electrode` objects (from the MCS writer's table)."""
    from ephystool.simulate.mcs_writer import mcs60_layout

    return tuple(Electrode(lab, x, y, "") for lab, x, y in mcs60_layout())


def spike_waveform(fs: float, amplitude_uv: float = 1.0) -> tuple[np.ndarray, int]:
    """The biphasic template (µV) and the index of its trough; trough depth = ``amplitude_uv``."""
    t = np.arange(-1.0e-3, 2.0e-3, 1.0 / fs)
    w = (-np.exp(-0.5 * (t / 0.12e-3) ** 2)
         + 0.30 * np.exp(-0.5 * ((t - 0.45e-3) / 0.30e-3) ** 2)
         + 0.08 * np.exp(-0.5 * ((t + 0.25e-3) / 0.10e-3) ** 2))
    k = int(np.argmin(w))
    return amplitude_uv * w / -w[k], k


def _spike_times(rng: np.random.Generator, duration: float, rate: float, bursts: np.ndarray,
                 participation: float, burst_isi: float, refractory: float) -> np.ndarray:
    times = [rng.uniform(0, duration, rng.poisson(rate * duration))]
    for tb in bursts:
        if rng.random() < participation:
            n = int(rng.integers(5, 13))
            isis = rng.gamma(4.0, burst_isi / 4.0, n - 1)
            times.append(tb + rng.uniform(0, 0.02) + np.concatenate([[0.0], np.cumsum(isis)]))
    t = np.sort(np.concatenate(times))
    t = t[(t > 2e-3) & (t < duration - 3e-3)]
    keep, last = [], -np.inf
    for v in t:
        if v - last >= refractory:
            keep.append(v)
            last = v
    return np.asarray(keep)


def _noise(rng: np.random.Generator, n: int, n_ch: int, fs: float, sd: float) -> np.ndarray:
    sos = signal.butter(4, [200.0, min(6000.0, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    white = rng.standard_normal((n_ch, n)).astype(np.float32)
    x = signal.sosfilt(sos.astype(np.float32), white, axis=-1)
    x *= np.float32(sd) / x[:, n // 10:].std(axis=1, keepdims=True).astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, (n_ch, 1))
    x += (3 * sd * np.sin(2 * np.pi * 4.0 * np.arange(n) / fs + phase)).astype(np.float32)
    return x


def simulate_mea(duration_s: float = 20.0, n_channels: int = 60, sampling_rate_hz: float = 25000.0, *,
                 seed: int, rate_hz: float = 2.0, snr: float = 8.0, noise_uv: float = 5.0, gain_uv: float = 0.1,
                 silent_fraction: float = 0.1, network_burst_rate_per_min: float = 6.0,
                 participation: float = 0.8, burst_isi_s: float = 0.01, refractory_s: float = 2.5e-3,
                 labels: Sequence[str] | None = None) -> tuple[np.ndarray, MEATruth]:
    """Simulate an MEA recording with known spikes.

    Parameters
    ----------
    duration_s : float
        Length (s).
    n_channels : int
        Electrodes (60 gives the MCS 8x8 labels unless ``labels`` are given).
    sampling_rate_hz : float
        Sampling rate (Hz).
    seed : int
        Seed of the generator (required: no global RNG).
    rate_hz : float
        Median background rate per active electrode (Hz; log-normal, sigma 0.5).
    snr : float
        Trough depth / noise sd (each spike jittered by +-10 %).
    noise_uv, gain_uv : float
        Noise sd (µV) and µV per int16 count.
    silent_fraction : float
        Fraction of electrodes without spikes.
    network_burst_rate_per_min, participation, burst_isi_s, refractory_s : float
        Network-burst rate (/min), fraction of electrodes joining a network burst, mean ISI in a burst (s),
        refractory period (s).
    labels : sequence of str, optional
        Electrode labels.

    Returns
    -------
    data : numpy.ndarray
        int16 counts, shape (n_samples, n_channels) (µV = counts x ``gain_uv``).
    truth : MEATruth
    """
    rng = np.random.default_rng(seed)
    fs = float(sampling_rate_hz)
    n = int(round(duration_s * fs))
    if labels is None:
        labels = [e.label for e in mcs60_electrodes()] if n_channels == 60 else [f"ch{i}" for i in range(n_channels)]
    silent = tuple(sorted(rng.choice(n_channels, int(round(silent_fraction * n_channels)), replace=False).tolist()))
    rates = np.where(np.isin(np.arange(n_channels), silent), 0.0, rate_hz * rng.lognormal(0, 0.5, n_channels))
    nb = np.sort(rng.uniform(0.5, max(0.6, duration_s - 1.0), rng.poisson(network_burst_rate_per_min * duration_s / 60)))
    x = _noise(rng, n, n_channels, fs, noise_uv)
    tmpl, k = spike_waveform(fs)
    samples, amps = [], []
    for ch in range(n_channels):
        if ch in silent:
            samples.append(np.zeros(0, dtype=np.int64))
            amps.append(np.zeros(0))
            continue
        t = _spike_times(rng, duration_s, rates[ch], nb, participation, burst_isi_s, refractory_s)
        s = np.round(t * fs).astype(np.int64)
        a = snr * noise_uv * rng.uniform(0.9, 1.1, s.size)
        idx = s[:, None] - k + np.arange(tmpl.size)[None, :]
        ok = (idx >= 0) & (idx < n)
        np.add.at(x[ch], idx[ok], (a[:, None] * tmpl[None, :])[ok].astype(np.float32))
        samples.append(s)
        amps.append(a)
    counts = np.clip(np.round(x / gain_uv), -32768, 32767).astype(np.int16).T.copy()
    truth = MEATruth(tuple(samples), tuple(amps), rates, silent, nb, fs, n, noise_uv, gain_uv, tuple(labels))
    return counts, truth


def write_mea_h5(path: str | Path, data: np.ndarray, truth: MEATruth) -> Path:
    """Write simulated int16 counts as an MCS HDF5 file (one count = ``truth.gain_uv`` µV, exactly).

    Raises
    ------
    ValueError
        If the gain is not a whole number of nV (the MCS ConversionFactor is an integer).
    """
    from ephystool.simulate.mcs_writer import write_mcs_h5

    factor = truth.gain_uv * 1e3
    if abs(factor - round(factor)) > 1e-9 or round(factor) < 1:
        raise ValueError(f"gain {truth.gain_uv} µV is not a whole number of nV")
    factor_i = int(round(factor))
    step = 1 << 18

    def chunks():
        for a in range(0, data.shape[0], step):
            yield data[a:a + step].T.astype(np.float64) * (factor_i * 1e-9)

    return write_mcs_h5(path, chunks, truth.sampling_rate_hz, list(truth.labels), units="V", exponent=-9,
                        conversion_factor=factor_i)


def mea_recording(data: np.ndarray, truth: MEATruth, electrodes: Sequence[Electrode] | None = None,
                  name: str = "simulated_mea") -> Any:
    """An in-memory MEA :class:`~ephystool.io.recording.Recording` over simulated counts (no file)."""
    import neo

    from ephystool.core.recording import ChannelInfo, Recording

    elecs = tuple(electrodes) if electrodes is not None else tuple(Electrode(lab) for lab in truth.labels)
    src = ArrayMEASource(data, truth.sampling_rate_hz, elecs, gain_uv=truth.gain_uv)
    block = neo.Block(name=name)
    block.segments.append(neo.Segment(index=0))
    chans = tuple(ChannelInfo(i, e.label, "uV", truth.sampling_rate_hz) for i, e in enumerate(elecs))
    return Recording(path=Path(f"<{name}>"), sha256="", format="simulated", kind="mea", block=block,
                     channels=chans, electrodes=elecs, mea=src, metadata={"simulated": True})
