"""The FFT zero-phase band-pass equals scipy's sosfiltfilt away from the edges, whatever the chunking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from ephystool.analysis._spike_filter import design_bandpass, filter_channels


@pytest.mark.parametrize("fs", [10000.0, 25000.0, 40000.0])
@pytest.mark.parametrize("n", [30000, 200000])
def test_fft_filter_matches_sosfiltfilt(fs: float, n: int) -> None:
    rng = np.random.default_rng(int(fs) + n)
    # drift (random walk) + white noise + a DC offset: the band-pass must remove all but the noise band
    x = (np.cumsum(rng.standard_normal((3, n)), axis=1) * 0.5 + rng.standard_normal((3, n)) * 5 + 1000.0)
    x = x.astype(np.float32)
    sos = design_bandpass((300.0, 3000.0), 2, fs)
    y = filter_channels(x, sos, "zero")
    z = signal.sosfiltfilt(np.asarray(sos, float), x.astype(float), axis=-1)
    edge = int(0.05 * fs)  # the margin the detector always adds around a chunk
    inner = slice(edge, n - edge)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert np.abs(y[:, inner] - z[:, inner]).max() < 1e-4 * z[:, inner].std()
