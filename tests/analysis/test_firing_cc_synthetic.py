"""Synthetic ground truth with the traps of real cells: glitches, bridge transients, low-overshoot APs,
spikes on a plateau, and a passive model cell (Wang-Buzsaki simulator + ephystool.simulate.cc_artefacts)."""

from __future__ import annotations

import numpy as np
import pytest

from ephystool.analysis import firing_cc as fc
from ephystool.simulate.cc_artefacts import add_artefacts, simulate_model_cell
from ephystool.simulate.cclamp import simulate_fi_steps

CURRENTS = [0, 40, 80, 120, 160, 200, 240]


@pytest.fixture(scope="module", params=[11, 29])
def trapped(request):
    # seeds not used while developing the detector (11 was used; 29 not)
    rec, truth = simulate_fi_steps(currents_pa=CURRENTS, seed=request.param, sweep_s=0.7)
    return add_artefacts(rec, truth, seed=request.param, low_overshoot=(3, 4), plateau=(6,))


def test_counts_exact_despite_glitches_bridge_low_overshoot_and_plateau(trapped):
    rec, truth = trapped
    res = fc.analyze(rec)
    assert [s.ap_count for s in res.sweeps] == truth["ap_count"]
    low = [s for s in res.sweeps if s.sweep in (3, 4) and s.ap_count]
    assert low and all(-8.0 <= p <= 14.0 for s in low for p in s.features.peak_mv)  # a 0 mV rule would drop them
    plateau = res.sweeps[6]
    assert plateau.ap_count == truth["ap_count"][6] > 5
    assert np.all(plateau.features.threshold_mv > -20.0)  # riding on the plateau, separated one by one
    # every glitch inside the step is reported with its reason
    for s in res.sweeps:
        assert sum("glitch" in r or "narrower" in r for _, r in s.rejected) <= truth["glitches_per_sweep"]
    assert sum("glitch" in r for s in res.sweeps for _, r in s.rejected) >= 3


def test_thresholds_within_1p5_mv_and_rheobase_within_one_step(trapped):
    rec, truth = trapped
    res = fc.analyze(rec)
    first = [(s.features.threshold_mv[0], t[0]) for s, t in zip(res.sweeps, truth["threshold_mV"]) if t.size]
    assert first and all(abs(a - b) <= 1.5 for a, b in first)  # first-AP threshold per sweep
    err = np.concatenate([s.features.threshold_mv - t for s, t in zip(res.sweeps, truth["threshold_mV"])])
    assert np.median(np.abs(err)) < 1.0
    assert abs(float(res.rheobase) - truth["rheobase_pA"]) <= CURRENTS[1] - CURRENTS[0]


def test_absolute_rules_fail_where_shape_rules_hold(trapped):
    # the same file analysed with an absolute 0 mV peak rule loses the low-overshoot APs (what eFEL at 0 mV does)
    rec, truth = trapped
    res = fc.analyze(rec, fc.FiringCCParams.from_protocol({"min_peak": "0 mV"}))
    assert sum(s.ap_count for s in res.sweeps if s.sweep in (3, 4)) < truth["ap_count"][3] + truth["ap_count"][4]


@pytest.mark.parametrize("skip", ["1 ms", "0 ms"])
def test_model_cell_gives_no_ap_on_any_step(skip):
    rec = simulate_model_cell()
    res = fc.analyze(rec, fc.FiringCCParams.from_protocol({"onset_skip": skip}))
    assert [s.ap_count for s in res.sweeps] == [0] * rec.n_sweeps
    assert np.isnan(float(res.rheobase))
