"""The NumPy Butterworth band-pass equals scipy.signal.butter / sosfreqz / sos2zpk (so detection is unchanged)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from ephystool.analysis._butter import butter_bandpass_sos, sos_poles, sos_response


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5, 6])
def test_sections_equal_scipy(order: int) -> None:
    for fs in (10000.0, 20000.0, 25000.0, 30000.0, 50000.0):
        for band in ((1.0, 3000.0), (300.0, 3000.0), (500.0, 4000.0), (250.0, 4900.0), (1000.0, 2000.0)):
            ref = signal.butter(order, band, btype="bandpass", fs=fs, output="sos")
            got = butter_bandpass_sos(order, band, fs)
            np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-15)
            np.testing.assert_array_equal(got.astype(np.float32), ref.astype(np.float32))  # what the detector uses


def test_response_and_poles_equal_scipy() -> None:
    sos = butter_bandpass_sos(3, (300.0, 3000.0), 25000.0).astype(np.float32).astype(np.float64)
    w = np.linspace(0.0, np.pi, 4097)
    np.testing.assert_array_equal(sos_response(sos, w), signal.sosfreqz(sos, worN=w)[1])
    np.testing.assert_allclose(np.sort(np.abs(sos_poles(sos))), np.sort(np.abs(signal.sos2zpk(sos)[1])), rtol=1e-12)
