"""fEPSP runs without an induction: baseline (stability) and input-output runs (issue 19).

Acceptance: synthetic baseline-only and I/O runs: per-sweep slopes within 3 % of truth (every sweep at a
low noise of 2 uV; the median sweep at the simulator's usual 10-25 uV, where the noise alone moves a
sweep's slope by a few %), I/O slope within 5 %.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ephystool.analysis import ltp
from ephystool.analysis.ltp.params import LtpParams
from ephystool.errors import AnalysisError, ProtocolError
from ephystool.pipeline import run_analysis
from ephystool.simulate.abf_writer import write_abf1
from ephystool.simulate.fepsp import simulate_fepsp_run

BASELINE = LtpParams.from_protocol({"experiment": "baseline"})
LEVELS = tuple(np.arange(10.0, 110.0, 10.0))


@functools.cache
def _cached(seed: int, levels: tuple[float, ...] | None, **kw):
    return simulate_fepsp_run(seed, intensities_uA=None if levels is None else np.asarray(levels), **kw)


def _run(seed: int, intensities_uA=None, **kw):
    return _cached(seed, None if intensities_uA is None else tuple(intensities_uA), **kw)


@pytest.mark.parametrize("seed", [11, 12])
def test_baseline_run_per_sweep_slopes(seed: int) -> None:
    rec, truth = _run(seed, n_sweeps=240, noise_mv=0.002)  # 10 min at 0.4 Hz
    res = ltp.analyze(rec, BASELINE)
    err = np.abs(res.series.slope / truth["slope"] - 1.0)
    assert np.all(err[~res.outlier] <= 0.03) and res.n_outliers <= 3
    assert res.metrics["baseline_slope"][0] == pytest.approx(truth["baseline_slope"], rel=0.03)
    assert abs(res.metrics["baseline_drift"][0]) < 3.0 and res.flag == ""
    assert res.metrics["ppr"][0] == pytest.approx(truth["ppr"], abs=0.05)
    assert res.metrics["baseline_cv"][0] == pytest.approx(3.0, abs=1.5)  # the simulator's 3 % jitter
    rec, truth = _run(seed, n_sweeps=240)
    res = ltp.analyze(rec, BASELINE)
    assert np.median(np.abs(res.series.slope / truth["slope"] - 1.0)) <= 0.03


def test_drifting_baseline_run_is_flagged() -> None:
    rec, truth = _run(13, n_sweeps=120, drift_percent=-20.0)
    res = ltp.analyze(rec, BASELINE)
    assert res.flag == "baseline_drift" and "drift" in res.excluded_reason
    assert res.metrics["baseline_drift"][0] == pytest.approx(-20.0, abs=4.0)


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_input_output_slope_within_5_percent(seed: int) -> None:
    rec, truth = _run(seed, intensities_uA=np.repeat(LEVELS, 3), threshold_uA=5.0, noise_mv=0.01)
    params = LtpParams.from_protocol({"experiment": "input_output"}, {"stim_intensity_uA": LEVELS})
    res = ltp.analyze(rec, params)
    assert res.metrics["io_slope"][0] == pytest.approx(truth["io_slope"], rel=0.05)
    assert res.metrics["io_slope_fv"][0] == pytest.approx(truth["io_slope_fv"], rel=0.08)
    assert [c[0] for c in res.curve] == list(LEVELS) and all(c[3] == 3 for c in res.curve)
    big = truth["intensity"] >= 40
    assert np.median(np.abs(res.series.slope[big] / truth["slope"][big] - 1)) <= 0.03
    rows = {r["metric"]: r for r in res.rows()}
    assert rows["io_slope"]["unit"] == "mV/ms/uA" and rows["io_slope"]["intensity_source"] == "manifest"
    assert (rows["io_slope"]["channel"], rows["io_slope"]["signal_unit_source"]) == ("field", "file")


def test_input_output_with_interleaved_intensities() -> None:
    levels = np.tile([20.0, 80.0], 10)  # alternating low / high: not mistaken for two pathways
    rec, truth = _run(25, intensities_uA=levels, threshold_uA=5.0, noise_mv=0.01)
    res = ltp.analyze(rec, LtpParams.from_protocol({"experiment": "input_output"}, {"stim_intensity_uA": tuple(levels)}))
    assert res.metrics["io_slope"][0] == pytest.approx(truth["io_slope"], rel=0.05)
    with pytest.raises(AnalysisError, match="alternate between two responses"):
        ltp.analyze(rec, BASELINE)


def test_input_output_intensities_from_the_protocol_in_volts() -> None:
    rec, truth = _run(24, intensities_uA=np.array(LEVELS), threshold_uA=5.0)
    params = LtpParams.from_protocol({"experiment": "input_output",
                                      "stim_intensities": [f"{v / 10:g} V" for v in LEVELS]})
    res = ltp.analyze(rec, params)
    assert res.intensity_unit == "V" and res.intensity_source == "protocol"
    assert res.metrics["io_slope"][0] == pytest.approx(10 * truth["io_slope"], rel=0.05)


def test_input_output_without_or_with_wrong_intensities_is_refused() -> None:
    rec, _ = _run(24, intensities_uA=np.array(LEVELS), threshold_uA=5.0)
    with pytest.raises(AnalysisError, match="needs stimulus intensities"):
        ltp.analyze(rec, LtpParams.from_protocol({"experiment": "input_output"}))
    with pytest.raises(AnalysisError, match="3 stimulus intensities .* for 10 sweeps"):
        ltp.analyze(rec, LtpParams.from_protocol({"experiment": "input_output"}, {"stim_intensity_uA": (1, 2, 3)}))
    with pytest.raises(ProtocolError, match="unknown experiment 'io'"):
        LtpParams.from_protocol({"experiment": "io"})


def test_baseline_run_through_the_pipeline(tmp_path: Path) -> None:
    rec, truth = _run(31, n_sweeps=40, sweep_interval_s=2.5, intensities_uA=np.repeat(LEVELS[2:6], 10),
                      threshold_uA=5.0)
    sweeps = np.stack([np.asarray(rec.signal(k).magnitude).ravel() for k in range(rec.n_sweeps)])[:, None, :]
    write_abf1(tmp_path / "io.abf", sweeps, 20000, ["field"], ["mV"], sweep_interval_s=2.5)
    proto = tmp_path / "io.yaml"
    from ephystool.protocols import find_protocol

    text = find_protocol("ltp_fepsp").read_text().replace("name: ltp_fepsp", "name: io_run")
    proto.write_text(text.replace("analysis_params:\n", "analysis_params:\n  experiment: input_output\n", 1))
    (tmp_path / "m.csv").write_text("path,condition,protocol,slice,stim_intensity_uA\n"
                                    "io.abf,control,io.yaml,s1,30;40;50;60\n")
    res = run_analysis(tmp_path / "m.csv", tmp_path / "out", jobs=1, figures=True, progress=False)
    assert res.exit_code == 0, res.failures
    df = pd.read_csv(tmp_path / "out" / "results.csv", keep_default_na=False).set_index("metric")
    assert float(df.loc["io_slope", "value"]) == pytest.approx(truth["io_slope"], rel=0.05)
    sw = pd.read_csv(tmp_path / "out" / "sweeps.csv", keep_default_na=False)
    assert sorted(set(sw.metric)) == ["fepsp_amplitude", "fepsp_slope", "fibre_volley", "ppr"]
    assert sorted(set(sw.stim_intensity)) == [30.0, 40.0, 50.0, 60.0]
