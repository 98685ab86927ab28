"""Acceptance of the AP detector and f-I analysis on every current-clamp file in ../shared/realdata.

Expected counts are the curated ones (PROVENANCE.md of realdata/patchclamp and realdata/more, checked by
eye on plots of every sweep); one test per file states its list.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import quantities as pq

from ephystool.analysis import firing_cc as fc

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
CC = REALDATA / "more" / "cc_steps"
pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is absent (a user's clone)")]


def _run(path, params=None):
    from ephystool.io import load

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # neo's AxoGraph metadata decoding notice
        rec = load(path)
    return rec, fc.analyze(rec, params)


def _counts(res, step=0):
    return [s.ap_count for s in res.sweeps if s.step == step]


def test_97509008_low_overshoot_aps_and_contradicted_command():
    # APs peak at only +3.5 ... +9 mV (one at 0.0 mV: eFEL at 0 mV gives 37 on sweep 15)
    _, res = _run(CC / "97509008.abf")
    assert _counts(res) == [0] * 12 + [4, 9, 20, 38]
    assert float(res.rheobase.rescale(pq.pA)) == pytest.approx(400.0, abs=0.5)
    assert [s.sweep for s in res.sweeps if s.command_contradicted] == [0, 1, 2, 3, 4, 5]
    assert any("contradicted" in w for w in res.warnings)
    assert "copy of the command" in res.sweeps[0].stimulus_source  # AO #0 is not a measured current


def test_20303010_rita_clean_fi():
    _, res = _run(CC / "20303010_rita.abf")
    assert _counts(res) == [0, 0, 0, 0, 0, 0, 13, 20, 25, 27, 29, 30, 31]
    assert float(res.rheobase.rescale(pq.pA)) == pytest.approx(100.0, abs=0.5)
    assert float(res.fi_slope) > 0


def test_axograph_no_current_channel_no_invented_currents():
    path = CC / "File_axograph.axgd"
    _, res = _run(path)
    run1, run2, run3 = [0, 0] + [1] * 14 + [2, 2], [0, 0, 0] + [1] * 15, [0, 0, 1]
    assert _counts(res) == run1 + run2 + run3
    assert all(s.window_s == pytest.approx((0.2, 0.5)) for s in res.sweeps)
    assert "file notes" in res.sweeps[0].stimulus_source
    assert np.isnan(float(res.rheobase)) and all(np.isnan(float(s.command)) for s in res.sweeps)
    assert [s.family_index for s in res.sweeps] == [k % 18 for k in range(39)]
    # with the family from the manifest, rheobase = the 3rd step (runs 1 and 3; run 2 fired from the 4th)
    params = fc.FiringCCParams.from_protocol({}, {"step_first_pA": 0.0, "step_increment_pA": 20.0})
    _, res2 = _run(path, params)
    assert float(res2.rheobase.rescale(pq.pA)) == pytest.approx(40.0)


def test_igor_c060109_idthresh_si_units():
    rec, res = _run(CC / "C060109A1-SR-C1_IDthresh" / "X_IDthresh_ch1_349.ibw")
    assert rec.n_sweeps == 9 and rec.sampling_rate_hz == pytest.approx(4000.0)
    assert [c.units for c in rec.channels] == ["pA", "mV"] and rec.primary == 1
    assert _counts(res) == [0, 0, 0, 3, 6, 8, 9, 10, 10]
    # medians, not extrema (the measured current carries +-800 pA transients at each AP)
    cur = [float(s.command) for s in res.sweeps]
    assert cur == pytest.approx([145, 159, 168, 181, 190, 200, 212, 224, 235], abs=4.0)
    assert float(res.rheobase) == pytest.approx(181.0, abs=4.0)  # relative to holding (~ -25 pA)
    assert float(res.rheobase_absolute) == pytest.approx(155.0, abs=4.0)


def test_igor_ca1py_firepattern_window_from_wave_note():
    rec, res = _run(CC / "CA1py_150216_A1_FirePattern" / "c1_FirePattern_ch2_1054.ibw")
    assert rec.metadata["step_window_source"].startswith("file (wave note Pulse($,0.25,3))")
    assert _counts(res) == [21, 46]  # a window thresholded on the noisy current loses the last AP (45)
    assert res.sweeps[1].window_s == pytest.approx((0.25, 3.25))
    assert float(res.rheobase) == pytest.approx(119.0, abs=2.0)


def test_igor_folder_is_one_recording():
    from ephystool.io.igor import read

    rec = read(CC / "CA1py_150216_A1_FirePattern")
    assert rec.n_sweeps == 2 and rec.metadata["sweep_numbers"] == "1054;1055"
    assert [c.units for c in rec.channels] == ["mV", "pA"]


def test_fsi_two_steps_per_sweep_analysed_as_two():
    _, res = _run(REALDATA / "patchclamp" / "2019_07_24_0055_fsi.abf")
    assert _counts(res, 0) == [0, 0, 0, 0, 4, 13, 20, 28, 33, 40, 45, 49, 54, 57, 60, 62, 64]
    assert _counts(res, 1) == [0, 0, 0, 0, 0, 5, 11, 15, 20, 25, 31, 33, 37, 42, 45, 52, 53]
    s2 = [s for s in res.sweeps if s.step == 1]
    assert [float(s.command) for s in s2] == pytest.approx([-100 + 25 * k for k in range(17)], abs=0.5)


def test_pulse_train_window_from_the_enabled_dac():
    # DAC 0 is disabled (its table, in mV, says 0.3-0.6 s); the enabled DAC 1 holds the 20 current pulses at
    # 1.00-1.19 s (issue 14), and the recorded Imemb shows them: each pulse is a stimulus, not a step artefact
    for name in ("18425108.abf", "18425108_abf1.abf"):
        _, res = _run(REALDATA / "patchclamp" / name)
        assert res.mode == "steps" and [s.ap_count for s in res.sweeps] == [20]  # eFEL at -20 mV: 39
        assert res.sweeps[0].window_s == pytest.approx((1.0, 1.2), abs=0.005)
        assert "amplitude of the pulses of a train" in res.sweeps[0].stimulus_source
        assert float(res.sweeps[0].command) == pytest.approx(2500.0, rel=0.02)  # 2.5 nA pulses


@pytest.mark.parametrize("name, expected", [("17o05027_ic_ramp.abf", [6, 9]),
                                            ("180330_ts_0032-okUnits.abf", [0, 0, 0, 2, 3, 4])])
def test_ramp_epoch_window(name, expected):
    # okUnits sweep 5: the 4th AP (0.984 s) falls after the ramp segment, while its end level is still held
    _, res = _run(REALDATA / "patchclamp" / name)
    assert _counts(res) == expected
    assert np.isnan(float(res.rheobase)) and any("ramp protocol" in w for w in res.warnings)  # no invented step


def test_rejected_events_reach_sweeps_rows():
    _, res = _run(CC / "97509008.abf")
    rows = res.sweep_rows()
    assert {"step", "note", "stimulus_source"} <= set(rows[0])
    feats = {r["metric"] for r in rows if r["sweep"] == 12}
    assert {"first_ap_threshold", "first_ap_amplitude", "first_ap_half_width", "first_ap_ahp_depth"} <= feats
    assert any(r["metric"] == "command_contradicted" for r in rows if r["sweep"] == 0)
