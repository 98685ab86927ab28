"""Exact current-clamp numbers against the seeded Wang-Buzsaki simulator's ground truth (issue 13).

Each test pins a number a plausible one-line bug would move (benchmarks/mutation_score.py): the AP threshold
fraction (IPFX: 5 % of the mean maximum upstroke), the AHP sign, the amplitude reference, the first-spike
latency measured from the step onset, and the f-I least-squares line over the steps at and above rheobase.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import quantities as pq
import yaml

from ephystool.analysis import firing_cc as fc
from ephystool.simulate.cc_artefacts import true_thresholds
from ephystool.simulate.cclamp import simulate_fi_steps
from ephystool.units import parse_quantity

REPO = Path(__file__).resolve().parents[2]
FS = 20000.0
STEP = (0.1, 0.6)
CURRENTS = [0, 40, 80, 120, 160, 200, 240]


@pytest.fixture(scope="module")
def sim():
    """Noise-free recorded voltage (input-current noise only, no bridge error): thresholds are exact."""
    rec, truth = simulate_fi_steps(currents_pa=CURRENTS, seed=3, sweep_s=0.7, step_s=STEP, noise_mv=0.0,
                                   input_noise_pa=5.0, bridge_error_mohm=0.0)
    return rec, truth, fc.analyze(rec)


def _step_peaks(truth: dict, k: int) -> np.ndarray:
    p = np.asarray(truth["spike_times_s"][k])
    return p[(p >= STEP[0]) & (p < STEP[1])]


def test_counts_and_rheobase_equal_truth(sim) -> None:
    rec, truth, res = sim
    assert [s.ap_count for s in res.sweeps] == truth["ap_count"]
    assert float(res.rheobase.rescale(pq.pA).magnitude) == pytest.approx(truth["rheobase_pA"], abs=0.5)


def test_fi_slope_is_least_squares_over_steps_at_and_above_rheobase(sim) -> None:
    """Rates 0, 0, 10, 24, 36, 46, 58 Hz: the line through 80..240 pA (rheobase included, 0 and 40 pA not)."""
    _, truth, res = sim
    cur, rate = res.fi_curve()
    rheo = float(res.rheobase.rescale(pq.pA).magnitude)
    at_or_above = cur >= rheo
    assert int(at_or_above.sum()) == 5 and rate[~at_or_above].max() == 0.0
    expected = np.polyfit(cur[at_or_above], rate[at_or_above], 1)[0]
    slope = float(res.fi_slope.rescale(pq.Hz / pq.pA).magnitude)
    assert slope == pytest.approx(expected, rel=1e-9)
    assert slope == pytest.approx(truth["fi_slope_hz_per_pA"], rel=2e-3)  # truth: documented currents
    # the two plausible wrong lines differ by more than the tolerance
    assert abs(np.polyfit(cur[cur > rheo], rate[cur > rheo], 1)[0] - expected) > 0.01
    assert abs(np.polyfit(cur, rate, 1)[0] - expected) > 0.01


def test_first_ap_threshold_equals_ipfx_truth_at_rheobase(sim) -> None:
    """Threshold: 5 % of the mean maximum upstroke, on the noise-free trace (IPFX); 6 % is 0.8 mV higher."""
    _, truth, res = sim
    k = truth["ap_count"].index(next(c for c in truth["ap_count"] if c > 0))
    v = truth["v_clean_mV"][k]
    peaks = truth["spike_times_s"][k]
    thr5 = true_thresholds(v, FS, peaks, 0.05)[0]
    thr6 = true_thresholds(v, FS, peaks, 0.06)[0]
    assert thr6 - thr5 > 0.5  # the test can tell the two fractions apart
    got = float(res.ap_threshold.rescale(pq.mV).magnitude)
    assert got == pytest.approx(thr5, abs=0.25)
    assert float(res.sweeps[k].features.threshold_mv[0]) == pytest.approx(thr5, abs=0.25)


def test_ahp_depth_positive_below_threshold_and_amplitude_from_threshold(sim) -> None:
    """AHP depth = threshold minus the trough before the next AP (positive); amplitude = peak minus threshold."""
    rec, truth, res = sim
    s = next(s for s in res.sweeps if s.ap_count >= 2)
    v = rec.signal(s.sweep).rescale(pq.mV).magnitude.ravel()
    f = s.features
    trough = float(np.min(v[int(f.peak[0]) : int(f.onset[1])]))
    assert float(f.ahp_depth_mv[0]) == pytest.approx(float(f.threshold_mv[0]) - trough, abs=1e-9)
    assert 10.0 < float(f.ahp_depth_mv[0]) < 40.0  # the model's AHP: ~20 mV below threshold
    assert float(res.ahp_depth.rescale(pq.mV).magnitude) > 10.0
    peak_mv = float(v[int(f.peak[0])])
    assert float(f.amplitude_mv[0]) == pytest.approx(peak_mv - float(f.threshold_mv[0]), abs=1e-9)
    assert float(f.amplitude_mv[0]) > peak_mv + 30.0  # threshold ~ -45 mV: amplitude exceeds the overshoot


def test_first_spike_latency_from_step_onset(sim) -> None:
    """Latency = first AP threshold time minus the step onset (0.1 s): 0-2 ms before the true peak latency."""
    _, truth, res = sim
    n = 0
    for s in res.sweeps:
        if not s.ap_count:
            continue
        peak_latency_ms = (_step_peaks(truth, s.sweep)[0] - STEP[0]) * 1e3
        lat = float(s.first_spike_latency.rescale(pq.ms).magnitude)
        assert 0.0 < peak_latency_ms - lat < 2.0, (s.sweep, lat, peak_latency_ms)
        n += 1
    assert n == 5


def test_detector_defaults_equal_packaged_template() -> None:
    """FiringCCParams defaults (dataclass and parser) equal analysis_params of protocols/cc_fi_steps.yaml."""
    doc = yaml.safe_load((REPO / "protocols" / "cc_fi_steps.yaml").read_text())["analysis_params"]
    fields = {"dvdt_threshold": "mV/ms", "dvdt_sustain": "ms", "min_ap_amplitude": "mV", "min_ap_width": "ms",
              "max_repolarisation": "ms", "refractory": "ms", "onset_skip": "ms"}
    assert set(fields) <= set(doc)
    for p in (fc.FiringCCParams(), fc.FiringCCParams.from_protocol({})):
        for key, unit in fields.items():
            want = float(parse_quantity(doc[key], unit, name=key).rescale(unit).magnitude)
            assert float(getattr(p, key).rescale(unit).magnitude) == pytest.approx(want), key


def test_absolute_rheobase_adds_the_holding_bias_current(sim) -> None:
    """The same cell on a +30 pA bias (recorded current 30 pA before the step): the rheobase relative to holding
    is unchanged and the absolute rheobase is 30 pA larger (holding + step)."""
    from ephystool.io.arrays import recording_from_arrays

    rec, truth, res = sim
    sweeps = [np.vstack([rec.signal(k, 0).rescale(pq.mV).magnitude.ravel(),
                         rec.signal(k, 1).rescale(pq.pA).magnitude.ravel() + 30.0]) for k in range(rec.n_sweeps)]
    biased = recording_from_arrays(sweeps, FS, ["mV", "pA"], "current_clamp", channel_names=["Vm", "Im"],
                                   sweep_start_times_s=rec.sweep_start_times_s, epochs=list(rec.epochs))
    got = fc.analyze(biased)
    rel = float(got.rheobase.rescale(pq.pA).magnitude)
    assert rel == pytest.approx(float(res.rheobase.rescale(pq.pA).magnitude), abs=0.5)
    assert float(got.rheobase_absolute.rescale(pq.pA).magnitude) == pytest.approx(rel + 30.0, abs=0.5)
