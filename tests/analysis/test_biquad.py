"""The zero-phase block filter: the numba and SciPy engines are bit-identical, and both equal sosfiltfilt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from ephystool.analysis import _biquad
from ephystool.analysis._biquad import _steady_state, engine, zero_phase_block
from ephystool.analysis._spike_filter import design_bandpass
from ephystool.errors import MissingDependencyError, SettingError

_BLOCKS = [(0, 5000, 600, 600), (100, 4000, 0, 0), (0, 50, 49, 49), (0, 1, 0, 0), (10, 3000, 0, 700), (0, 2, 1, 1),
           (2500, 5000, 0, 300)]


def _data(dtype: type, fortran: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    drift = np.cumsum(rng.standard_normal((5000, 13)), axis=0)  # a slow component 10-100x the band's
    x = (rng.standard_normal((5000, 13)) * 50 + drift * 3 + 300).astype(dtype)
    return (np.asfortranarray(x) if fortran else x), (rng.random(13) + 0.1).astype(np.float32)


@pytest.mark.parametrize(("order", "band", "fs"), [(2, (300.0, 3000.0), 25000.0), (3, (100.0, 6000.0), 20000.0),
                                                   (1, (300.0, 3000.0), 10000.0)])
@pytest.mark.parametrize(("dtype", "fortran"), [(np.int16, False), (np.float32, True), (np.float64, False),
                                                (np.int32, True)])
def test_engines_bit_identical_and_equal_sosfiltfilt(order, band, fs, dtype, fortran) -> None:
    pytest.importorskip("numba")
    sos = design_bandpass(band, order, fs)
    x, scale = _data(dtype, fortran, order)
    for lo, hi, pad_lo, pad_hi in _BLOCKS:
        fast = zero_phase_block(x, lo, hi, pad_lo, pad_hi, scale, sos, which="numba")
        slow = zero_phase_block(x, lo, hi, pad_lo, pad_hi, scale, sos, which="scipy")
        np.testing.assert_array_equal(fast, slow)
        assert fast.dtype == np.float32 and fast.shape == (13, hi - lo)
        if pad_lo and pad_lo == pad_hi:  # both ends padded: sosfiltfilt with the same odd padding
            u = (x[lo:hi].astype(float) - x[lo].astype(float)) * scale
            ref = signal.sosfiltfilt(sos.astype(float), u, axis=0, padlen=pad_lo).T
            # float32 backward pass: ~1e-5 of the peak (seen 1.1e-5 with a 100 Hz corner), far below one ADC step
            # (0.195 µV of a ~50 µV noise band: 4e-3)
            assert np.abs(fast - ref).max() < 5e-5 * np.abs(ref).max()


def test_scale_none_and_buffers_reused() -> None:
    pytest.importorskip("numba")
    sos = design_bandpass((300.0, 3000.0), 2, 20000.0)
    x, _ = _data(np.float32, False, 9)
    buf, out = np.zeros((6000, 16), np.float32), np.empty((13, 6000), np.float32)
    for which in ("numba", "scipy"):
        got = zero_phase_block(x, 0, 5000, 400, 400, None, sos, buf, which=which, out=out)
        assert np.shares_memory(got, out)
        np.testing.assert_array_equal(got, zero_phase_block(x, 0, 5000, 400, 400, np.ones(13), sos, which="scipy"))


@pytest.mark.parametrize("dtype", [np.float16, ">i2", ">f8", np.bool_, np.uint16, np.int8])
def test_any_stored_dtype(dtype) -> None:
    """Dtypes the kernels do not read (float16, big-endian, bool) are filtered from an exact float64 copy: the same
    output as the native equivalent, and the engines still agree."""
    pytest.importorskip("numba")
    sos = design_bandpass((300.0, 3000.0), 2, 20000.0)
    rng = np.random.default_rng(4)
    x = (rng.random((3000, 5)) * (1 if dtype is np.bool_ else 100)).round().astype(dtype)
    native = x.astype(x.dtype.newbyteorder("=")) if x.dtype.kind != "b" else x.astype(np.uint8)
    for which in ("numba", "scipy"):
        got = zero_phase_block(x, 100, 2900, 0, 99, None, sos, which=which)
        np.testing.assert_array_equal(got, zero_phase_block(native.astype(np.float64), 100, 2900, 0, 99, None, sos,
                                                            which=which))
    np.testing.assert_array_equal(zero_phase_block(x, 0, 3000, 500, 500, None, sos, which="numba"),
                                  zero_phase_block(x, 0, 3000, 500, 500, None, sos, which="scipy"))


def test_steady_state_equals_scipy() -> None:
    for order in (1, 2, 3, 4):
        sos = design_bandpass((250.0, 4000.0), order, 30000.0)
        np.testing.assert_allclose(_steady_state(sos.tobytes(), sos.shape[0]), signal.sosfilt_zi(sos.astype(float)),
                                   rtol=1e-6, atol=1e-7)


def test_bad_padding_is_refused() -> None:
    sos = design_bandpass((300.0, 3000.0), 2, 20000.0)
    x = np.zeros((10, 2), np.int16)
    with pytest.raises(ValueError, match="reflection"):
        zero_phase_block(x, 0, 10, 10, 0, None, sos)
    with pytest.raises(ValueError, match="reflection"):
        zero_phase_block(x, 4, 4, 0, 0, None, sos)


def test_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPHYSTOOL_FILTER_ENGINE", "scipy")
    assert engine() == "scipy"
    monkeypatch.setenv("EPHYSTOOL_FILTER_ENGINE", "fftw")
    with pytest.raises(SettingError, match="EPHYSTOOL_FILTER_ENGINE='fftw' is not a filter engine"):
        engine()
    monkeypatch.delenv("EPHYSTOOL_FILTER_ENGINE")
    monkeypatch.setattr(_biquad, "_numba_module", lambda: None)  # numba missing: the SciPy fallback
    assert engine() == "scipy"
    monkeypatch.setenv("EPHYSTOOL_FILTER_ENGINE", "numba")
    with pytest.raises(MissingDependencyError, match="pip install numba"):
        engine()


def test_cli_refuses_an_unknown_engine_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "EPHYSTOOL_FILTER_ENGINE": "fftw"}
    proc = subprocess.run([sys.executable, "-m", "ephystool", "analyze", str(tmp_path / "manifest.csv"), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "EPHYSTOOL_FILTER_ENGINE='fftw' is not a filter engine" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


def test_detection_identical_with_either_engine(tmp_path: Path, mea_nwb_writer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The spikes, amplitudes and noise of a whole detection do not depend on the engine."""
    pytest.importorskip("numba")
    from ephystool.analysis.spikes import DetectionSettings, detect_spikes
    from ephystool.io import load

    path, _ = mea_nwb_writer(tmp_path / "m.nwb", 3.0, 9, seed=11, snr=6.0, rate_hz=12.0)
    settings = DetectionSettings(chunk_s=1.0)
    runs = {}
    for which in ("numba", "scipy"):
        monkeypatch.setenv("EPHYSTOOL_FILTER_ENGINE", which)
        runs[which] = detect_spikes(load(path).mea, settings, workers=2)
    fast, slow = runs["numba"], runs["scipy"]
    assert sum(s.size for s in fast.samples) > 100
    for a, b in zip(fast.samples + fast.amplitudes_uv, slow.samples + slow.amplitudes_uv, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fast.noise_uv, slow.noise_uv)
