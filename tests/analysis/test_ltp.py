"""LTP analyzer: ground truth from the fEPSP simulator, session logic, and real files.

Tolerances: ``ltp_magnitude`` within 3 percentage points of the realised truth (the simulator's own
mean gain ratio over the post-window sweeps; error SD about 0.6-1 pp) on seeds the code was not tuned on,
at 20 kHz / 100 ms and 10 kHz / 200 ms sweeps (``-m slow`` runs 12 more seeds of each); induction time exact (tag) or within one sweep
interval (gap); a 15 % drift flagged and estimated within 5 points; PPR within 0.05.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ephystool.analysis import ltp
from ephystool.errors import AnalysisError, ProtocolError
from ephystool.io.arrays import recording_from_arrays
from ephystool.simulate.fepsp import simulate_fepsp_session

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is absent (a user's clone)")

SEEDS = (9001, 9002, 9003)
DEFAULT = ltp.LtpParams.from_protocol({})


@functools.cache
def _session(seed: int, **kw):
    return simulate_fepsp_session(seed, **kw)


# ----------------------------------------------------------------------------- ground truth
def _check_ltp(seed: int, level: float, fs_hz: float, sweep_ms: float, max_extra_outliers: int = 3) -> None:
    rec, truth = _session(seed, ltp_percent=level, fs_hz=fs_hz, sweep_ms=sweep_ms, post_min=62.0)
    res = ltp.analyze(rec, DEFAULT)
    assert abs(float(res.ltp_magnitude.magnitude) - truth["ltp_magnitude"]) <= 3.0
    assert abs(float(res.stp_magnitude.magnitude) - truth["stp_magnitude"]) <= 5.0
    assert res.induction.time_s == pytest.approx(truth["induction_time_s"])
    assert res.induction.source == "tag"
    assert set(truth["failures"]) <= set(np.flatnonzero(res.outlier))
    assert res.n_outliers <= len(truth["failures"]) + max_extra_outliers
    assert abs(float(res.ppr.magnitude) - truth["ppr"]) <= 0.05
    assert float(res.baseline_slope.magnitude) == pytest.approx(truth["baseline_slope"], rel=0.1)
    assert abs(float(res.fibre_volley_change.magnitude)) < 5.0
    assert res.flag == ""


SAMPLING = [(20000.0, 100.0), (10000.0, 200.0)]  # (Hz, sweep ms): the simulator's default and the template's


@pytest.mark.parametrize(("fs_hz", "sweep_ms"), SAMPLING)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", [100.0, 150.0, 200.0])
def test_ltp_magnitude_recovered(seed: int, level: float, fs_hz: float, sweep_ms: float) -> None:
    _check_ltp(seed, level, fs_hz, sweep_ms)


@pytest.mark.slow
@pytest.mark.parametrize(("fs_hz", "sweep_ms"), SAMPLING)
@pytest.mark.parametrize("seed", range(7100, 7112))
@pytest.mark.parametrize("level", [100.0, 150.0, 200.0])
def test_ltp_magnitude_recovered_many_seeds(seed: int, level: float, fs_hz: float, sweep_ms: float) -> None:
    """12 more fresh seeds per level and sampling (72 sessions, about 20 s).

    The 3-MAD rule also drops a few genuine sweeps at the tails of the 3 % trial-to-trial jitter (up to 6
    besides the failures in these seeds): allowed here, see the report on the outlier rule.
    """
    _check_ltp(seed, level, fs_hz, sweep_ms, max_extra_outliers=6)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_fixed_window_method(seed: int) -> None:
    rec, truth = _session(seed, ltp_percent=200.0)
    res = ltp.analyze(rec, ltp.LtpParams.from_protocol({"slope_method": "fixed_window", "slope_fraction": [0.2, 0.8]}))
    assert abs(float(res.ltp_magnitude.magnitude) - truth["ltp_magnitude"]) <= 3.0
    fit = res.traces.baseline_fit
    assert fit.fit_ms == res.traces.post_fit.fit_ms  # one window for the whole session


@pytest.mark.parametrize("drift", [15.0, -15.0])
def test_drifting_baseline_flagged(drift: float) -> None:
    rec, truth = _session(9004, ltp_percent=150.0, drift_percent=drift)
    res = ltp.analyze(rec, DEFAULT)
    assert float(res.baseline_drift.magnitude) == pytest.approx(drift, abs=5.0)
    assert res.flag == "baseline_drift"
    rows = res.rows()
    assert all(r["flag"] == "baseline_drift" and "drift" in r["excluded_reason"] for r in rows)
    assert abs(float(res.ltp_magnitude.magnitude) - truth["ltp_magnitude"]) <= 3.0


def test_induction_from_gap_and_override() -> None:
    rec, truth = _session(9005, ltp_percent=150.0, tag=None)
    res = ltp.analyze(rec, DEFAULT)
    assert res.induction.source == "gap"
    assert abs(res.induction.time_s - truth["induction_time_s"]) <= 20.0
    over = ltp.LtpParams.from_protocol({}, {"induction_time_min": 20.5})
    res2 = ltp.analyze(rec, over)
    assert res2.induction.source == "manifest" and res2.induction.time_s == pytest.approx(1230.0)


def test_induction_sweep_excluded() -> None:
    rec, truth = _session(9006, ltp_percent=150.0, record_induction_sweep=True)
    res = ltp.analyze(rec, DEFAULT)
    assert res.induction.sweeps == tuple(truth["induction_sweeps"])
    assert res.phase[truth["induction_sweeps"][0]] == "induction"
    assert abs(float(res.ltp_magnitude.magnitude) - truth["ltp_magnitude"]) <= 3.0


def test_no_induction_is_a_flagged_run_and_too_short_raises() -> None:
    # issue 19: a session without any induction source was refused; it now gives its time course and
    # stability metrics, flagged 'no_induction' (excluded from comparisons), and no LTP number
    rec, _ = simulate_fepsp_session(9007, tag=None, resume_after_s=20.0, name="nogap.abf")
    res = ltp.analyze(rec, DEFAULT)
    assert res.flag == "no_induction" and "no induction found" in res.excluded_reason
    assert "ltp_magnitude" not in {r["metric"] for r in res.rows()}
    assert all(r["excluded_reason"] for r in res.rows())
    short, _ = simulate_fepsp_session(9008, post_min=30.0, name="short.abf")
    with pytest.raises(AnalysisError, match="post window") as err:
        ltp.analyze(short, DEFAULT)
    assert "short.abf" in str(err.value)


def test_session_over_two_files_matches_one() -> None:
    rec, truth = _session(9009, ltp_percent=150.0)
    n = 150
    starts = rec.sweep_start_times_s

    def part(sl: slice, name: str, tags: tuple):
        sweeps = [rec.signal(k).magnitude.ravel() for k in range(rec.n_sweeps)[sl]]
        t = starts[sl] - starts[sl][0] + 3.0  # each file has its own clock
        shifted = tuple(type(g)(g.time_s - starts[sl][0] + 3.0, g.text) for g in tags)
        return recording_from_arrays(sweeps, rec.sampling_rate_hz, ["mV"], "field", sweep_start_times_s=t,
                                     tags=shifted, name=name)

    a, b = part(slice(0, n), "a.abf", rec.tags), part(slice(n, None), "b.abf", ())
    one, two = ltp.analyze(rec, DEFAULT), ltp.analyze_session([a, b], DEFAULT)
    assert np.allclose(two.series.time_s, one.series.time_s - one.series.time_s[0])
    assert float(two.ltp_magnitude.magnitude) == pytest.approx(float(one.ltp_magnitude.magnitude))
    assert {r["file"] for r in two.sweep_rows()} == {"a.abf", "b.abf"}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scale=st.floats(min_value=0.01, max_value=100.0))
def test_invariant_to_scaling(scale: float) -> None:
    rec, _ = _session(9010, ltp_percent=170.0)
    ref = ltp.analyze(rec, DEFAULT)
    sweeps = [scale * rec.signal(k).magnitude.ravel() for k in range(rec.n_sweeps)]
    scaled = recording_from_arrays(sweeps, rec.sampling_rate_hz, ["mV"], "field",
                                   sweep_start_times_s=rec.sweep_start_times_s, tags=rec.tags)
    res = ltp.analyze(scaled, DEFAULT)
    assert float(res.ltp_magnitude.magnitude) == pytest.approx(float(ref.ltp_magnitude.magnitude), abs=0.05)
    assert float(res.ppr.magnitude) == pytest.approx(float(ref.ppr.magnitude), abs=1e-3)
    assert float(res.baseline_slope.magnitude) == pytest.approx(scale * float(ref.baseline_slope.magnitude), rel=1e-3)


def _inverted(rec):
    sweeps = [-rec.signal(k).magnitude.ravel() for k in range(rec.n_sweeps)]
    return recording_from_arrays(sweeps, rec.sampling_rate_hz, ["mV"], "field",
                                 sweep_start_times_s=rec.sweep_start_times_s, tags=rec.tags)


def test_positive_going_fepsp_with_polarity_positive() -> None:
    """An inverted session (positive-going fEPSP) measured with polarity: positive gives the same LTP, STP,
    PPR and drift, and slopes of the opposite sign (the recording's own); with the default polarity it is
    refused with the setting to change."""
    rec, truth = _session(9011, ltp_percent=160.0)
    ref = ltp.analyze(rec, DEFAULT)
    pos = ltp.analyze(_inverted(rec), ltp.LtpParams.from_protocol({"polarity": "positive"}))
    for name in ("ltp_magnitude", "stp_magnitude", "ppr", "baseline_drift", "fibre_volley_change"):
        assert float(getattr(pos, name).magnitude) == pytest.approx(float(getattr(ref, name).magnitude), abs=1e-9)
    assert float(pos.baseline_slope.magnitude) == pytest.approx(-float(ref.baseline_slope.magnitude))
    assert float(pos.baseline_slope.magnitude) > 0
    np.testing.assert_allclose(pos.series.slope, -ref.series.slope)
    np.testing.assert_allclose(pos.traces.baseline, -ref.traces.baseline)
    assert pos.traces.baseline_fit.slope == pytest.approx(-ref.traces.baseline_fit.slope)
    assert abs(float(pos.ltp_magnitude.magnitude) - truth["ltp_magnitude"]) <= 3.0
    with pytest.raises(AnalysisError, match="positive-going.*set polarity: positive"):
        ltp.analyze(_inverted(rec), DEFAULT)
    with pytest.raises(AnalysisError, match="negative-going.*set polarity: negative"):
        ltp.analyze(rec, ltp.LtpParams.from_protocol({"polarity": "positive"}))
    with pytest.raises(ProtocolError, match="polarity"):
        ltp.LtpParams.from_protocol({"polarity": "up"})


# ----------------------------------------------------------------------------- contract
def test_rows_contract_and_figures(tmp_path: Path) -> None:
    from ephystool.analysis.ltp.figures import plot_ltp

    rec, _ = _session(9001, ltp_percent=150.0)
    res = ltp.analyze(rec, DEFAULT)
    rows = {r["metric"]: r for r in res.rows()}
    assert set(rows) == {"ltp_magnitude", "stp_magnitude", "baseline_slope", "baseline_drift",
                         "fibre_volley_change", "ppr"}
    assert rows["ltp_magnitude"]["unit"] == "%" and rows["baseline_slope"]["unit"] == "mV/ms"
    assert all({"analysis", "metric", "value", "unit", "window", "n_sweeps"} <= set(r) for r in rows.values())
    sweeps = res.sweep_rows()
    assert {r["metric"] for r in sweeps} == {"fepsp_slope", "fepsp_slope_norm", "fepsp_amplitude", "fibre_volley", "ppr"}
    assert all({"sweep", "sweep_time_s", "time_min", "analysis", "metric", "value", "unit"} <= set(r) for r in sweeps)
    paths = plot_ltp(res, rec, tmp_path)
    assert len(paths) == 2 and all(p.stat().st_size > 1000 for p in paths)
    assert not list(tmp_path.glob("*.png.*")) and len(list(tmp_path.iterdir())) == 2


def test_params_from_protocol() -> None:
    p = ltp.LtpParams.from_protocol(
        {"slope_fraction": [0.2, 0.8], "post_window": ["55 min", "60 min"], "ppi": "none", "stim_time": "auto"},
        {"stim_time_ms": 12.0, "sweep_interval_s": 30.0, "induction_time_min": float("nan")})
    assert p.slope_fraction == (0.2, 0.8) and p.ppi is None
    assert float(p.stim_time.rescale("ms")) == 12.0 and float(p.sweep_interval.rescale("s")) == 30.0
    assert p.induction_override is None and p.windows_min()["post"] == (55.0, 60.0)
    with pytest.raises(ProtocolError, match="did you mean 'fixed_window'"):
        ltp.LtpParams.from_protocol({"slope_method": "fixed-window"})
    with pytest.raises(ProtocolError, match="baseline_window"):
        ltp.LtpParams.from_protocol({"baseline_window": ["0 min", "-20 min"]})
    with pytest.raises(ProtocolError, match="drift_limit"):
        ltp.LtpParams.from_protocol({"drift_limit": -1})


def test_series_api_for_other_readers() -> None:
    """The session part takes per-sweep values only (what an MEA evoked-response reader would give)."""
    t = np.arange(0, 80 * 60, 30.0)
    resp = np.where(t >= 1200.0, 1.6, 1.0)
    resp = np.where((t > 1200.0) & (t < 1290.0), np.nan, resp)  # no test pulses during induction
    series = ltp.SweepSeries.from_values(t, resp, name="well A1 e12")
    params = ltp.LtpParams.from_protocol({}, {"induction_time_min": 20.0})
    ind = ltp.find_induction(series, (), params, "mea")
    res = ltp.session_time_course(series, params, ind, "mea")
    assert float(res.ltp_magnitude.magnitude) == pytest.approx(160.0)
    assert float(res.baseline_drift.magnitude) == pytest.approx(0.0)


def test_rejects_voltage_clamp() -> None:
    vc = recording_from_arrays([np.zeros(2000)] * 3, 20000.0, ["pA"], "voltage_clamp", name="vc.abf")
    with pytest.raises(AnalysisError, match="field"):
        ltp.analyze(vc, DEFAULT)


# ----------------------------------------------------------------------------- real files
def _reference(file: str, feature: str) -> dict[int, float]:
    with open(REALDATA / "patchclamp" / "reference_peer_outputs.csv", newline="") as fh:
        return {int(r["sweep"]): float(r["value"]) for r in csv.DictReader(fh)
                if r["file"] == file and r["feature"] == feature}


@pytest.mark.realdata
@needs_realdata
def test_real_time_course_session_logic() -> None:
    """2018_11_16_sh_0006.abf: sweep times from the file, the '+drug at 3min' tag at 180.4 s (sweep 36)."""
    from ephystool.io import load

    rec = load(REALDATA / "patchclamp" / "2018_11_16_sh_0006.abf")
    times, tags = ltp.session_clock([rec], 20.0)
    assert np.allclose(times, np.arange(60) * 5.0)
    hold = np.array([float(np.mean(rec.signal(k).magnitude.ravel()[-400:])) for k in range(rec.n_sweeps)])
    series = ltp.SweepSeries.from_values(times, hold, name=rec.path.name, duration_s=np.full(60, 0.1),
                                         slope_unit="pA")
    params = ltp.LtpParams.from_protocol({"baseline_window": ["-3 min", "0 min"], "stp_window": ["0 min", "1 min"],
                                          "post_window": ["1 min", "1.9 min"]})
    ind = ltp.find_induction(series, tags, params, rec.path.name)
    assert ind.source == "tag" and ind.text == "+drug at 3min"
    assert ind.time_s == pytest.approx(180.38, abs=0.01) and ind.sweep == 36 == tags[0].sweep
    assert ind.sweeps == ()  # the tag falls between sweeps 36 (180.0-180.1 s) and 37
    res = ltp.session_time_course(series, params, ind, rec.path.name)
    assert res.phase[36] == "baseline" and res.phase[37] == "stp" and res.n_sweeps["baseline"] == 36
    peer = _reference("2018_11_16_sh_0006.abf", "Holding Current")
    t_min = (np.arange(60) * 5.0 - ind.time_s) / 60.0
    base = [peer[k] for k in range(60) if -3 <= t_min[k] <= 0 and k != 36]
    post = [peer[k] for k in range(60) if 1 <= t_min[k] <= 1.9]
    expected = 100.0 * np.mean(post) / np.mean(base)
    assert float(res.ltp_magnitude.magnitude) == pytest.approx(expected, abs=1.5)
    assert 105.0 < expected < 120.0
    with pytest.raises(AnalysisError, match="too short for the baseline window") as err:
        ltp.session_time_course(series, DEFAULT, ind, rec.path.name)
    assert "2018_11_16_sh_0006.abf" in str(err.value)
    with pytest.raises(AnalysisError, match="voltage_clamp"):
        ltp.analyze(rec, DEFAULT)


@pytest.mark.realdata
@needs_realdata
def test_real_paired_pulse_ratio() -> None:
    """15804044.abf: light-evoked paired EPSCs (voltage clamp); PPR per sweep against the peer table."""
    from ephystool.io import load

    rec = load(REALDATA / "patchclamp" / "15804044.abf")
    peer = _reference("15804044.abf", "paired_pulse_ratio")
    got = {}
    for k in range(rec.n_sweeps):
        light = rec.signal(k, "Light").rescale("V")
        fs = float(light.sampling_rate.rescale("Hz").magnitude)
        on = np.flatnonzero(np.diff((light.magnitude.ravel() > 10.0).astype(int)) == 1) + 1
        im = rec.signal(k).magnitude.ravel()
        t = np.arange(im.size) / fs
        peaks = ltp.evoked_peaks(t, im, on[:2] / fs, baseline_s=0.005, window_s=(0.001, 0.030))
        got[k] = peaks[1] / peaks[0]
    assert set(got) == set(peer)
    for k, value in peer.items():
        assert got[k] == pytest.approx(value, abs=0.02), k
    assert 0.6 < min(got.values()) and max(got.values()) < 1.5
