"""Tests of the shared signal helpers (ephystool.analysis._signal)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ephystool.analysis import _signal as sig
from ephystool.analysis import params
from ephystool.errors import AnalysisError, ProtocolError

RATE = 20000.0


def test_window_slice_outside_raises_with_where() -> None:
    with pytest.raises(AnalysisError, match="sweep 3: window .* outside the sweep"):
        sig.window_slice(1000, RATE, 0.0, 0.1, "sweep 3: ", "f.abf")


def test_window_mean_and_baseline() -> None:
    x = np.r_[np.full(100, 5.0), np.full(100, 9.0)]
    assert sig.window_mean(x, 1000.0, 0.0, 0.1) == pytest.approx(5.0)
    y, base = sig.subtract_baseline(x, 1000.0, 0.1, 0.2, method="median")
    assert base == pytest.approx(9.0) and y[-1] == pytest.approx(0.0)


@settings(max_examples=25, deadline=None)
@given(offset=st.floats(-1e3, 1e3, allow_nan=False))
def test_baseline_offset_invariance(offset: float) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(500)
    a, _ = sig.subtract_baseline(x, 1000.0, 0.0, 0.1)
    b, _ = sig.subtract_baseline(x + offset, 1000.0, 0.0, 0.1)
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_blank_artifact_is_a_line() -> None:
    x = np.zeros(200)
    x[100:104] = [500, -400, 300, -100]
    y = sig.blank_artifact(x, 1000.0, 0.1, 0.004)
    assert np.max(np.abs(y)) == 0.0 and np.max(np.abs(x)) == 500  # original untouched


def test_detect_artifacts_biphasic_not_epsc() -> None:
    t = np.arange(int(0.5 * RATE)) / RATE
    rng = np.random.default_rng(1)
    x = rng.standard_normal(t.size) * 2.0
    x += np.where(t > 0.3, -200 * (np.exp(-(t - 0.3) / 0.006) - np.exp(-(t - 0.3) / 0.0005)), 0)  # EPSC only
    assert sig.detect_artifacts(x, RATE) == []
    ts = t - 0.1
    x += np.where(ts >= 0, 500 * np.sin(2 * np.pi * ts / 0.0004) * np.exp(-np.clip(ts, 0, None) / 0.00025), 0)
    found = sig.detect_artifacts(x, RATE)
    assert len(found) == 1 and found[0] == pytest.approx(0.1, abs=2e-4)


def test_detect_pulses() -> None:
    x = np.zeros(1000)
    x[300:310] = 40.0
    x[555:565] = 40.0
    assert sig.detect_pulses(x, 1000.0) == pytest.approx([0.3, 0.555])
    assert sig.detect_pulses(np.ones(100), 1000.0) == []


def test_peak_rise_charge_on_known_shape() -> None:
    t = np.arange(int(0.3 * RATE)) / RATE
    tau_r, tau_d = 0.002, 0.05
    y = -(np.exp(-t / tau_d) - np.exp(-t / tau_r))
    i, v = sig.peak_in_window(y, RATE, 0.0, 0.2, -1)
    tp = tau_r * tau_d / (tau_d - tau_r) * np.log(tau_d / tau_r)
    assert i / RATE == pytest.approx(tp, abs=1 / RATE)
    # 10-90 rise against a dense numerical reference
    fine = np.linspace(0, tp, 200001)
    f = (np.exp(-fine / tau_d) - np.exp(-fine / tau_r)) / -v
    ref = np.interp(0.9, f, fine) - np.interp(0.1, f, fine)
    assert sig.rise_time(y, RATE, 0, i) == pytest.approx(ref, rel=0.01)
    assert sig.charge(y, RATE, 0.0, 0.3) == pytest.approx(-(tau_d - tau_r), rel=0.01)


@pytest.mark.parametrize("seed", [7, 8])
def test_fit_exponential_decay_two_components(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(0, 400, 0.1)
    y = 70 * np.exp(-t / 40) + 30 * np.exp(-t / 200) + rng.standard_normal(t.size) * 0.5
    fit = sig.fit_exponential_decay(t, y, 2)
    assert fit.ok and fit.taus[0] == pytest.approx(40, rel=0.05) and fit.taus[1] == pytest.approx(200, rel=0.05)
    assert fit.tau_w == pytest.approx((70 * 40 + 30 * 200) / 100, rel=0.03)
    one = sig.fit_exponential_decay(t, 50 * np.exp(-t / 80), 1)
    assert one.taus[0] == pytest.approx(80, rel=1e-4) and one.r2 > 0.9999
    assert not sig.fit_exponential_decay(t[:3], y[:3], 2).ok


def test_mad_outliers() -> None:
    v = np.array([10, 11, 9, 10.5, 9.5, 100, np.nan])
    assert sig.mad_outliers(v, 5).tolist() == [False] * 5 + [True, True]
    assert not sig.mad_outliers(np.array([1.0, 1.0, 1.0, 1.0])).any()


def test_bandpass_centred_and_rms() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal(20000) + 100.0
    y = sig.bandpass(x, 10000.0, 1.0, 1000.0)
    assert abs(np.mean(y)) < 0.05
    short = sig.bandpass(x[:500], 10000.0, 1.0, 1000.0)  # 1 Hz edge dropped, still centred
    assert abs(np.mean(short)) < 1e-9
    assert sig.rms(np.array([1.0, -1.0])) == pytest.approx(1.0)


def test_param_parsing_errors_name_the_key() -> None:
    assert params.param_window({}, "w", ["1 ms", "20 ms"], "ms") == (1.0, 20.0)
    with pytest.raises(ProtocolError, match="ampa_window"):
        params.param_window({"ampa_window": ["20 ms", "1 ms"]}, "ampa_window", None, "ms")
    with pytest.raises(ProtocolError, match="artifact_blank"):
        params.param_quantity({"artifact_blank": "1.5 mV"}, "artifact_blank", None, "ms")
    assert params.param_quantity({"stim_time": "auto"}, "stim_time", "100 ms", "ms") is None
