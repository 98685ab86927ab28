"""Filtering and threshold search of a chunk in one compiled call: the same crossings, bit for bit, as the
block loop over ``zero_phase_block`` and ``crossings``, with one return to Python per chunk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ephystool.analysis import _biquad
from ephystool.analysis._spike_events import crossings
from ephystool.analysis._spike_filter import crossings_in_blocks, design_bandpass, filtered_blocks

pytest.importorskip("numba")

SOS = design_bandpass((300.0, 3000.0), 2, 25000.0)


def _loop(x: np.ndarray, scale: np.ndarray | None, thr: np.ndarray, polarity: str,
          window: int) -> tuple[np.ndarray, ...]:
    found = []
    for a, b, lo, y in filtered_blocks(x, SOS, "zero", scale):
        c, i, v = crossings(y, thr, polarity, window, (a - lo, b - lo))
        found.append((c, i + lo, v))
    return tuple(np.concatenate(f) for f in zip(*found, strict=True))


def _chunk(n: int, c: int, dtype: type, fortran: bool, seed: int) -> np.ndarray:
    """(channels, samples) as the detector hands it over: a view of time-major or channel-major storage."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((n, c)) * 20 + np.cumsum(rng.standard_normal((n, c)), axis=0)
    spikes = rng.random((n, c)) < 2e-3  # troughs beyond any threshold below, and some on both sides
    u[spikes] -= 400
    u[np.roll(spikes, 3, axis=0)] += 250
    if np.dtype(dtype).kind in "iu":
        u = u.round()
    x = u.astype(dtype)
    return (np.asfortranarray(x) if fortran else x).T


@pytest.mark.parametrize("polarity", ["negative", "positive", "both"])
@pytest.mark.parametrize(("n", "dtype", "fortran"), [(130000, np.int16, False), (60000, np.float32, True),
                                                      (3000, np.float64, False), (49, np.int32, True),
                                                      (2, np.int16, False)])
def test_same_crossings_as_the_block_loop(polarity: str, n: int, dtype: type, fortran: bool) -> None:
    x = _chunk(n, 11, dtype, fortran, seed=n)
    rng = np.random.default_rng(1)
    thr = (rng.random(11) * 60 + 20).astype(np.float32)
    thr[3] = np.inf  # a dead channel
    scale = (rng.random(11) + 0.2).astype(np.float32)
    for window in (1, 25):
        want = _loop(x, scale, thr, polarity, window)
        got = crossings_in_blocks(x, SOS, "zero", scale, thr, polarity, window)
        assert got is not None
        for w, g in zip(want, got, strict=True):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)
        if n > 10000:
            assert want[0].size > 50 and 3 not in want[0]


def test_more_crossings_than_room_and_nan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk with more crossings than the first room holds is searched again with more; NaN samples never
    cross and a peak window reaching one takes it (NumPy's argmin)."""
    x = np.array(_chunk(60000, 5, np.float32, False, seed=3))
    x[2, 30000:30010] = np.nan
    thr = np.full(5, 30.0, np.float32)
    want = _loop(x, None, thr, "both", 25)
    blocks = _biquad_plan(x)
    kernels = _biquad._numba_module()
    calls: list[int] = []
    real = kernels.crossings_blocks
    monkeypatch.setattr(kernels, "crossings_blocks", lambda *a: calls.append(a[-1].size) or real(*a))
    got = _biquad.zero_phase_crossings(x.T, blocks, None, SOS, thr, "both", 25, capacity=1)
    assert got is not None and want[0].size > 100
    assert calls == [1, want[0].size]  # counted in the first call: the second has exactly the room
    for w, g in zip(want, got, strict=True):
        np.testing.assert_array_equal(g, w)


def _biquad_plan(x: np.ndarray) -> np.ndarray:
    from ephystool.analysis._spike_filter import block_margin, block_plan

    return block_plan(x.shape[1], block_margin(SOS))


def test_block_plan_tiles_the_samples() -> None:
    from ephystool.analysis._spike_filter import BLOCK, block_plan

    for n, margin in ((1, 600), (2 * BLOCK, 600), (2 * BLOCK + 1, 600), (10 * BLOCK + 17, 64)):
        plan = block_plan(n, margin)
        assert plan[0, 0] == 0 and plan[-1, 1] == n and (plan[1:, 0] == plan[:-1, 1]).all()
        a, b, lo, hi, pad_lo, pad_hi = plan.T
        assert (lo == np.maximum(0, a - margin)).all() and (hi == np.minimum(n, b + margin)).all()
        assert ((pad_lo == 0) | (lo == 0)).all() and ((pad_hi == 0) | (hi == n)).all()  # reflection at the edges only
        edge = np.minimum(margin, hi - lo - 1)
        assert pad_lo[0] == edge[0] and pad_hi[-1] == edge[-1]


def test_loop_where_the_kernels_do_not_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    x = _chunk(3000, 3, np.float32, False, seed=4)
    thr = np.full(3, 30.0, np.float32)
    assert crossings_in_blocks(x, SOS, "causal", None, thr, "negative", 25) is None
    assert crossings_in_blocks(x.astype(np.float16), SOS, "zero", None, thr, "negative", 25) is None
    assert crossings_in_blocks(x[:, :0], SOS, "zero", None, thr, "negative", 25) is None
    monkeypatch.setenv("EPHYSTOOL_FILTER_ENGINE", "scipy")
    assert crossings_in_blocks(x, SOS, "zero", None, thr, "negative", 25) is None


def test_detector_returns_to_python_once_per_chunk(tmp_path: Path, mea_nwb_writer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The detector's threads take the GIL back once per chunk: one compiled call each, not one per block (a
    thread coming back from compiled code waits up to a switch interval for a busy Python thread)."""
    from ephystool.analysis.spikes import DetectionSettings, detect_spikes
    from ephystool.io import load

    kernels = _biquad._numba_module()
    calls: list[int] = []
    real = kernels.crossings_blocks
    monkeypatch.setattr(kernels, "crossings_blocks", lambda *a: calls.append(a[1].shape[0]) or real(*a))
    path, _ = mea_nwb_writer(tmp_path / "m.nwb", 8.0, 6, seed=2, snr=6.0, rate_hz=10.0)  # 20 kHz
    settings = DetectionSettings(chunk_s=4.0)
    det = detect_spikes(load(path).mea, settings, workers=2)
    assert sum(s.size for s in det.samples) > 50
    assert calls == [4, 4]  # two chunks (80 000 samples and margins): one call each, for its 4 blocks
