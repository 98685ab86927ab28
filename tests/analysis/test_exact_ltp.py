"""Exact LTP/fEPSP numbers (issue 13): normalisation to the baseline *mean*, the pre-stimulus baseline
subtracted (a DC offset, in volts, changes nothing), and the paired-pulse ratio P2/P1 of the simulator's truth."""
from __future__ import annotations

import numpy as np
import pytest
import quantities as pq

from ephystool.analysis import ltp
from ephystool.io.arrays import recording_from_arrays
from ephystool.simulate.fepsp import simulate_fepsp_session


def test_baseline_normalised_by_its_mean_not_its_median() -> None:
    """Baseline 0.9, 1.0, 1.25 repeated (mean 1.05, median 1.0), then 1.6: LTP = 160 / 1.05 = 152.4 %."""
    t = np.arange(0, 80 * 60, 30.0)
    base = np.resize([0.9, 1.0, 1.25], t.size)
    resp = np.where(t >= 1200.0, 1.6, base)
    resp = np.where((t > 1200.0) & (t < 1290.0), np.nan, resp)
    series = ltp.SweepSeries.from_values(t, resp, name="mean-not-median")
    params = ltp.LtpParams.from_protocol({}, {"induction_time_min": 20.0})
    res = ltp.session_time_course(series, params, ltp.find_induction(series, (), params, "x"), "x")
    b = resp[res.phase == "baseline"]
    assert b.size >= 30 and not res.outlier[res.phase == "baseline"].any()
    assert abs(np.mean(b) - np.median(b)) > 0.03  # the fixture tells mean from median
    assert float(res.ltp_magnitude.rescale(pq.percent).magnitude) == pytest.approx(100.0 * 1.6 / np.mean(b), rel=1e-9)
    assert float(res.baseline_slope.magnitude) == pytest.approx(np.mean(b), rel=1e-12)


@pytest.fixture(scope="module")
def session():
    rec, truth = simulate_fepsp_session(9021, ltp_percent=150.0, ppr=1.45, n_failures=0)
    return rec, truth, ltp.analyze(rec, ltp.LtpParams())


def test_ppr_is_second_over_first_response(session) -> None:
    _, truth, res = session
    assert float(res.ppr.magnitude) == pytest.approx(truth["ppr"], abs=0.02)
    assert float(res.ltp_magnitude.rescale(pq.percent).magnitude) == pytest.approx(truth["ltp_magnitude"], abs=1.5)


def test_dc_offset_in_volts_leaves_amplitudes_unchanged(session) -> None:
    """The same session in V with a +0.4 mV offset: the pre-stimulus baseline is subtracted from every sweep."""
    rec, truth, ref = session
    sweeps = [(rec.signal(k).rescale(pq.mV).magnitude.ravel() + 0.4) / 1000.0 for k in range(rec.n_sweeps)]
    shifted = recording_from_arrays(sweeps, rec.sampling_rate_hz, ["V"], "field",
                                    sweep_start_times_s=rec.sweep_start_times_s, tags=rec.tags)
    res = ltp.analyze(shifted, ltp.LtpParams())
    np.testing.assert_allclose(res.series.amplitude, ref.series.amplitude, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(res.series.fibre_volley, ref.series.fibre_volley, rtol=1e-9, atol=1e-9)
    base_amp = float(np.nanmedian(ref.series.amplitude[ref.phase == "baseline"]))
    assert base_amp == pytest.approx(truth["fepsp_amplitude"], rel=0.1)


@pytest.mark.parametrize("name", ["ltp_fepsp.yaml"])
def test_window_defaults_equal_packaged_template(name: str) -> None:
    """Baseline, STP and post windows of LtpParams (dataclass and parser) equal the packaged template's."""
    from pathlib import Path

    import yaml

    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / "protocols" / name).read_text())["analysis_params"]
    for p in (ltp.LtpParams(), ltp.LtpParams.from_protocol({})):
        for key in ("baseline_window", "stp_window", "post_window"):
            want = [float(pq.Quantity(float(s.split()[0]), s.split()[1]).rescale("min").magnitude) for s in doc[key]]
            assert [float(q.rescale("min").magnitude) for q in getattr(p, key)] == want, key
