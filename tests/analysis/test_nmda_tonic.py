"""Tonic NMDA current (agonist wash-in) and agonist-application currents: synthetic truth and real files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import quantities as pq

from ephystool.analysis import nmda_tonic
from ephystool.errors import AnalysisError, ProtocolError
from ephystool.io.arrays import recording_from_arrays
from ephystool.simulate.vclamp import simulate_tonic

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is absent (a user's clone)")


@pytest.mark.parametrize("seed", [7101, 7102])
def test_washin_shift_and_noise_from_tag(seed: int) -> None:
    rec, truth = simulate_tonic(seed=seed, tag_text="+Mg-Asp 2.6 mM", washin_time_s=130.0, shift_pA=-120.0,
                                duration_s=440.0, rate_hz=4000.0)
    res = nmda_tonic.analyze(rec, nmda_tonic.NmdaTonicParams())
    assert res.mode == "washin" and res.washin_time_s == pytest.approx(130.0) and res.washin_source.startswith("tag")
    assert res.values["holding_current_shift"] == pytest.approx(truth["holding_current_shift_pA"], rel=0.05)
    row = next(r for r in res.rows() if r["metric"] == "holding_current_shift")
    assert row["direction"] == "inward" and row["holding_mV"] == -70.0
    measured = res.values["noise_rms_treatment"] / res.values["noise_rms_baseline"]
    assert measured == pytest.approx(truth["noise_rms_treatment_pA"] / truth["noise_rms_baseline_pA"], rel=0.10)
    assert res.values["noise_rms_change"] > 0


def test_manifest_washin_wins_over_tag_and_protocol() -> None:
    rec, truth = simulate_tonic(seed=7203, tag_text="+drug", washin_time_s=100.0, duration_s=420.0, rate_hz=2000.0)
    p = nmda_tonic.NmdaTonicParams.from_protocol({"washin_time": "300 s"}, {"washin_time_s": 100.0})
    res = nmda_tonic.analyze(rec, p)
    assert res.washin_source == "manifest" and res.washin_time_s == 100.0
    rec2, _ = simulate_tonic(seed=7203, washin_time_s=100.0, duration_s=420.0, rate_hz=2000.0)  # no tag
    res2 = nmda_tonic.analyze(rec2, nmda_tonic.NmdaTonicParams.from_protocol({"washin_time": "100 s"}))
    assert res2.washin_source == "protocol"
    assert res2.values["holding_current_shift"] == pytest.approx(truth["holding_current_shift_pA"], rel=0.05)


def test_ap5_reversal_leaves_smaller_shift() -> None:
    rec, truth = simulate_tonic(seed=7304, tag_text="+asp", ap5_time_s=330.0, duration_s=480.0, rate_hz=2000.0)
    res = nmda_tonic.analyze(rec, nmda_tonic.NmdaTonicParams())
    assert res.values["holding_current_shift"] == pytest.approx(truth["holding_current_shift_pA"], rel=0.05)


def test_windows_outside_recording_and_clipping() -> None:
    rec, _ = simulate_tonic(seed=7405, tag_text="+drug", washin_time_s=60.0, duration_s=200.0, rate_hz=1000.0)
    with pytest.raises(AnalysisError, match="treatment window .* outside the recording"):
        nmda_tonic.analyze(rec, nmda_tonic.NmdaTonicParams())
    p = nmda_tonic.NmdaTonicParams.from_protocol({"treatment_window": ["60 s", "200 s"], "equilibration": "60 s",
                                                  "baseline_window": ["0 s", "50 s"]})
    res = nmda_tonic.analyze(rec, p)
    assert any("clipped" in n for n in res.notes)


def test_current_clamp_rejected_and_bad_protocol() -> None:
    rec = recording_from_arrays([np.zeros(1000)], 1000.0, ["mV"], "current_clamp", name="cc.abf")
    with pytest.raises(AnalysisError, match=r"cc\.abf.*voltage-clamp"):
        nmda_tonic.analyze(rec, nmda_tonic.NmdaTonicParams())
    with pytest.raises(ProtocolError, match="mode"):
        nmda_tonic.NmdaTonicParams.from_protocol({"mode": "puff"})
    with pytest.raises(ProtocolError, match="noise_band"):
        nmda_tonic.NmdaTonicParams.from_protocol({"noise_band": ["1 Hz"]})


def test_application_mode_no_response() -> None:
    rng = np.random.default_rng(7506)
    sweeps = [rng.standard_normal(1600) for _ in range(3)]
    rec = recording_from_arrays(sweeps, 400.0, ["pA"], "voltage_clamp", holding=[-80 * pq.mV] * 3, name="flat.abf")
    with pytest.raises(AnalysisError, match=r"flat\.abf.*no sweep has an agonist response"):
        nmda_tonic.analyze(rec, nmda_tonic.NmdaTonicParams(mode="application"))


def test_tonic_figure(tmp_path: Path) -> None:
    from ephystool.analysis.nmda.figures import plot_nmda_tonic

    rec, _ = simulate_tonic(seed=7607, tag_text="+drug", rate_hz=1000.0)
    res = nmda_tonic.analyze(rec, nmda_tonic.NmdaTonicParams())
    assert plot_nmda_tonic(res, rec, tmp_path)[0].stat().st_size > 1000


# ----------------------------------------------------------------------------- real files
def _peer(name: str, feature: str) -> dict[int, float]:
    with open(REALDATA / "patchclamp" / "reference_peer_outputs.csv", newline="") as fh:
        return {int(r["sweep"]): float(r["value"]) for r in csv.DictReader(fh)
                if r["file"] == name and r["feature"] == feature}


@pytest.mark.realdata
@needs_realdata
def test_file_axon_7_nmda_application_peaks_match_peer() -> None:
    from ephystool.io import load

    rec = load(REALDATA / "patchclamp" / "File_axon_7.abf")
    res = nmda_tonic.analyze(rec, nmda_tonic.NmdaTonicParams())
    assert res.mode == "application"
    peaks = {r["sweep"]: r["value"] for r in res.sweep_rows() if r["metric"] == "agonist_peak" and r["responding"]}
    assert sorted(peaks) == [1, 3, 6, 9]
    ref = _peer("File_axon_7.abf", "peak_inward_current")
    ss = _peer("File_axon_7.abf", "steady_state_current")
    ours_ss = {r["sweep"]: r["value"] for r in res.sweep_rows() if r["metric"] == "agonist_steady_state"}
    for k in (1, 3, 6, 9):
        assert peaks[k] == pytest.approx(-ref[k], rel=0.02)  # ours: magnitude, peer: signed
        assert ours_ss[k] == pytest.approx(-ss[k], rel=0.02)
    assert res.values["agonist_peak"] == pytest.approx(np.mean([465.6, 445.3, 666.0, 619.6]), rel=0.02)
    assert res.selectors["direction"] == "inward" and res.selectors["holding_mV"] == -80.0


@pytest.mark.realdata
@needs_realdata
def test_drug_tag_places_washin_at_180s() -> None:
    from ephystool.io import load

    rec = load(REALDATA / "patchclamp" / "2018_11_16_sh_0006.abf")
    p = nmda_tonic.NmdaTonicParams.from_protocol(
        {"baseline_window": ["0 s", "180 s"], "equilibration": "0 s", "treatment_window": ["0 s", "120 s"]})
    res = nmda_tonic.analyze(rec, p)
    assert res.washin_time_s == pytest.approx(180.38, abs=0.05) and "+drug at 3min" in res.washin_source
    ih = _peer("2018_11_16_sh_0006.abf", "Holding Current")
    t = np.arange(60) * 5.0
    before = np.mean([ih[k] for k in range(60) if t[k] < 180.38])
    after = np.mean([ih[k] for k in range(60) if t[k] > 180.38])
    assert res.values["holding_current_baseline"] == pytest.approx(before, rel=0.01)  # -119.7 pA
    assert res.values["holding_current_treatment"] == pytest.approx(after, rel=0.01)  # -129.7 pA
    assert res.values["holding_current_shift"] == pytest.approx(after - before, abs=1.0)
