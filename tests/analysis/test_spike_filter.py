"""The zero-phase band-pass equals scipy's sosfiltfilt (odd padding over the block margin), edges included,
whatever the chunking and the layout of the samples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from ephystool.analysis._spike_filter import (
    BLOCK,
    block_margin,
    design_bandpass,
    filter_channels,
    filtered_blocks,
)


@pytest.mark.parametrize("fs", [10000.0, 25000.0, 40000.0])
@pytest.mark.parametrize("n", [30000, 200000])
def test_zero_phase_filter_matches_sosfiltfilt(fs: float, n: int) -> None:
    rng = np.random.default_rng(int(fs) + n)
    # drift (random walk) + white noise + a DC offset: the band-pass must remove all but the noise band
    x = (np.cumsum(rng.standard_normal((3, n)), axis=1) * 0.5 + rng.standard_normal((3, n)) * 5 + 1000.0)
    x = x.astype(np.float32)
    sos = design_bandpass((300.0, 3000.0), 2, fs)
    y = filter_channels(x, sos, "zero")
    z = signal.sosfiltfilt(np.asarray(sos, float), x.astype(float), axis=-1, padlen=block_margin(sos))
    assert y.dtype == np.float32 and y.shape == x.shape
    assert np.abs(y - z).max() < 1e-4 * z.std()  # everywhere: the edges are padded as sosfiltfilt pads them


def test_blocks_tile_and_do_not_depend_on_layout() -> None:
    """Channel-major and time-major samples give the same blocks; the cores tile the data in order."""
    rng = np.random.default_rng(3)
    n = 2 * BLOCK + 5000  # three blocks, the last one short
    counts = rng.integers(-300, 300, size=(n, 5)).astype(np.int16)
    scale = np.linspace(0.1, 0.3, 5).astype(np.float32)
    sos = design_bandpass((300.0, 3000.0), 2, 20000.0)
    time_major = [(a, b, lo, y.copy()) for a, b, lo, y in filtered_blocks(counts.T, sos, "zero", scale)]
    chan_major = [(a, b, lo, y.copy()) for a, b, lo, y in
                  filtered_blocks(np.ascontiguousarray(counts.T), sos, "zero", scale)]
    assert [t[:3] for t in time_major] == [t[:3] for t in chan_major]
    assert [t[0] for t in time_major] == [0, BLOCK, 2 * BLOCK] and time_major[-1][1] == n
    for (_, _, _, y1), (_, _, _, y2) in zip(time_major, chan_major, strict=True):
        np.testing.assert_array_equal(y1, y2)
    whole = filter_channels(counts.T, sos, "zero", scale)
    ref = signal.sosfiltfilt(sos.astype(float), (counts - counts[0]).T * scale[:, None].astype(float), axis=-1,
                             padlen=block_margin(sos))
    assert np.abs(whole - ref).max() < 1e-4 * ref.std()
