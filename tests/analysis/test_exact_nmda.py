"""Exact NMDA/AMPA numbers against the seeded voltage-clamp simulator (issue 13): holding potentials cycled
from the protocol onto the right sweeps, the paired-pulse ratio P2/P1, and the NMDA charge in pC."""
from __future__ import annotations

import numpy as np
import pytest
import quantities as pq

from ephystool.analysis import nmda
from ephystool.io.arrays import recording_from_arrays
from ephystool.simulate.vclamp import nmda_conductance, simulate_epsc_arrays, simulate_epsc_sweeps


def _rows(res) -> dict:
    return {(r["metric"], r["holding_mV"]): r["value"] for r in res.rows()}


def test_protocol_holding_cycle_lands_on_the_right_sweeps() -> None:
    """No holding in the file: sweeps 0, 2, ... are at -70 mV and 1, 3, ... at +40 mV (the protocol's list)."""
    from ephystool.io.holding import HoldingWarning

    arr = simulate_epsc_arrays(seed=4512, noise_pA=3.0)
    assert arr["holding_mV"][:2] == [-70.0, 40.0]
    rec = recording_from_arrays(arr["sweeps"], arr["rate_hz"], ["pA"], "voltage_clamp", stim_times_s=arr["stim_times_s"])
    with pytest.warns(HoldingWarning):
        res = nmda.analyze(rec, nmda.NmdaParams())
    r, truth = _rows(res), arr["truth"]
    assert r[("ampa_peak", -70.0)] == pytest.approx(truth["ampa_peak_pA"][-70.0], rel=0.05)
    assert r[("nmda_late", 40.0)] == pytest.approx(truth["nmda_late_pA"][40.0], rel=0.05)
    assert {g.holding_mV: g.direction for g in res.groups} == {-70.0: "inward", 40.0: "outward"}


def test_paired_pulse_ratio_is_second_over_first() -> None:
    """Each -70 mV sweep plus a copy 50 ms later scaled by 1.5: the paired-pulse ratio is 1.5 (not 0.67)."""
    arr = simulate_epsc_arrays(seed=4613, holding_mV=(-70.0,), n_sweeps_per_holding=8, noise_pA=2.0, test_pulse=False)
    shift = int(round(0.05 * arr["rate_hz"]))
    sweeps = [y + 1.5 * np.concatenate([np.full(shift, y[0]), y[:-shift]]) for y in arr["sweeps"]]
    rec = recording_from_arrays(sweeps, arr["rate_hz"], ["pA"], "voltage_clamp", stim_times_s=[[0.1, 0.15]] * 8,
                                holding=[-70.0 * pq.mV] * 8)
    res = nmda.analyze(rec, nmda.NmdaParams())
    g = next(g for g in res.groups if g.holding_mV == -70.0)
    assert g.ppr == pytest.approx(1.5, abs=0.1)
    assert float(g.ampa_peak.rescale(pq.pA).magnitude) == pytest.approx(arr["truth"]["ampa_peak_pA"][-70.0], rel=0.05)


def test_nmda_charge_in_picocoulombs() -> None:
    """Isolated NMDA EPSC at +40 mV: charge = integral of g_NMDA(t) B(40) 40 mV over 0-300 ms (nS x mV x s = pC)."""
    rec, truth = simulate_epsc_sweeps(seed=4714, isolated_nmda=True, noise_pA=2.0)
    res = nmda.analyze(rec, nmda.NmdaParams(isolated_nmda=True))
    g = next(g for g in res.groups if g.holding_mV == 40.0)
    pn = truth["nmda"]
    t_ms = np.arange(0, 300.0, 0.05)
    i_pa = nmda_conductance(t_ms, pn["g_nS"], pn["tau_rise"], pn["tau_fast"], pn["tau_slow"], pn["w_fast"]) \
        * truth["block"][40.0] * 40.0
    expected_pc = float(np.sum(i_pa) * 0.05e-3)
    assert float(g.nmda_charge.rescale(pq.pA * pq.s).magnitude) == pytest.approx(expected_pc, rel=0.05)
    row = next(r for r in res.rows() if r["metric"] == "nmda_charge" and r["holding_mV"] == 40.0)
    assert row["unit"] == "pC" and row["value"] == pytest.approx(expected_pc, rel=0.05)
