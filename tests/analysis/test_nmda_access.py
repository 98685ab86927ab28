"""Issue 16 item 4: access resistance from the test pulse, inclusion criteria with an excluded_reason that the
comparison honours, and a decay tau_w that does not depend on where the fit starts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import quantities as pq

from ephystool.analysis import nmda
from ephystool.analysis.nmda._measure import measure_group
from ephystool.io.arrays import recording_from_arrays
from ephystool.simulate.vclamp import (
    nmda_conductance,
    nmda_truth_kinetics,
    simulate_epsc_arrays,
    simulate_epsc_sweeps,
)


def _access(res: nmda.NmdaResult) -> dict[str, float]:
    return {r["metric"]: r["value"] for r in res.rows() if r["metric"].startswith(("access", "holding_current"))}


def test_access_resistance_rising_40_percent_excludes_the_cell_and_the_claim_leaves_it_out() -> None:
    from ephystool.compare._select import Selection, filter_rows
    from ephystool.compare.claims import load_claims

    stable, _ = simulate_epsc_sweeps(seed=1671, rs_MOhm=15.0, n_sweeps_per_holding=6)
    rising, _ = simulate_epsc_sweeps(seed=1672, rs_MOhm=[15.0] * 6 + [21.0] * 6, n_sweeps_per_holding=6)
    ok, bad = nmda.analyze(stable, nmda.NmdaParams()), nmda.analyze(rising, nmda.NmdaParams())
    assert ok.excluded_reason == "" and _access(ok)["access_resistance"] == pytest.approx(15.0, rel=0.05)
    assert re.search(r"access resistance changed by (38|39|40|41|42)% \(> 20%\)", bad.excluded_reason)
    assert all(r["excluded_reason"] == bad.excluded_reason for r in bad.rows())
    assert _access(bad)["access_resistance_change"] == pytest.approx(0.4, abs=0.05)
    high, _ = simulate_epsc_sweeps(seed=1673, rs_MOhm=31.0, n_sweeps_per_holding=3)
    assert re.search(r"access resistance (29|30|31|32)\.\d MOhm > 25 MOhm", nmda.analyze(high, nmda.NmdaParams()).excluded_reason)
    # the comparison: the claim's rows leave the excluded cell out and say so
    claim = next(c for c in load_claims().claims if c.metric == "ampa_peak")
    rows = [dict(r, recording=name, condition=claim.condition, protocol="nmda_epsc", animal=name, cell=name)
            for name, res in (("ok", ok), ("bad", bad)) for r in res.rows()]
    sel = Selection()
    kept = filter_rows(pd.DataFrame(rows), claim, sel)
    assert kept is not None and set(kept["recording"]) == {"ok"} and sel.n_excluded >= 1
    assert "access resistance changed" in sel.excluded_text


def test_no_test_pulse_means_no_access_resistance() -> None:
    """A protocol window where the file has no test pulse is never measured (was 'flagged' from 20-60 ms)."""
    arr = simulate_epsc_arrays(seed=1674, test_pulse=False, n_sweeps_per_holding=3)
    rec = recording_from_arrays(arr["sweeps"], arr["rate_hz"], ["pA"], "voltage_clamp", stim_times_s=arr["stim_times_s"],
                                holding=[v * pq.mV for v in arr["holding_mV"]])
    p = nmda.NmdaParams.from_protocol({"test_pulse_window": ["20 ms", "60 ms"], "test_pulse_amplitude": "-5 mV"})
    res = nmda.analyze(rec, p)
    assert not _access(res) and res.excluded_reason == ""
    assert "no test pulse in the file" in res.rows()[0]["note"]


def test_protocol_test_pulse_window_confirmed_by_its_transients() -> None:
    arr = simulate_epsc_arrays(seed=1675, rs_MOhm=12.0, n_sweeps_per_holding=3)
    rec = recording_from_arrays(arr["sweeps"], arr["rate_hz"], ["pA"], "voltage_clamp", stim_times_s=arr["stim_times_s"],
                                holding=[v * pq.mV for v in arr["holding_mV"]])  # no epochs in this 'file'
    p = nmda.NmdaParams.from_protocol({"test_pulse_window": ["20 ms", "40 ms"], "test_pulse_amplitude": "-5 mV"})
    res = nmda.analyze(rec, p)
    acc = [r for r in res.sweep_rows() if r["metric"] == "access_resistance"]
    assert len(acc) == 6 and {r["tp_source"] for r in acc} == {"protocol"}
    assert _access(res)["access_resistance"] == pytest.approx(12.0, rel=0.05)


@pytest.mark.parametrize("start_ms", [0.0, 10.0, 50.0])
def test_decay_tau_w_does_not_depend_on_the_fit_start(start_ms: float) -> None:
    """tau_w weighted by the fitted amplitudes extrapolated to the NMDA peak (fits from 0, 10, 50 ms after it)."""
    rate, pre = 10000.0, 200
    pn = {"tau_rise": 5.0, "tau_fast": 60.0, "tau_slow": 250.0, "w_fast": 0.6}
    t = (np.arange(12000) - pre) / rate * 1e3
    rng = np.random.default_rng(1676)
    avg = 150.0 * nmda_conductance(t, 1.0, **pn) + 0.3 * rng.standard_normal(t.size)
    p = nmda.NmdaParams(isolated_nmda=True, decay_fit_window=np.array([start_ms, 900.0]) * pq.ms)
    g = measure_group(avg, rate, pre, 40.0, p, 10, 0, None)
    truth = nmda_truth_kinetics(**pn)["tau_w_ms"]
    assert float(g.nmda_decay_tau_w) == pytest.approx(truth, rel=0.03)


def test_criteria_defaults_are_the_templates_inclusion_criteria() -> None:
    from ephystool.protocols import load_protocol

    for name in ("nmda_epsc", "nmda_iv"):
        proto = load_protocol(name)
        crit = {c.name: c for c in proto.inclusion}
        p = nmda.NmdaParams.from_protocol(proto.params_mapping())
        assert float(p.access_resistance_max.rescale(pq.MOhm)) == pytest.approx(
            float(pq.Quantity(*str(crit["access_resistance"].max).split()).rescale(pq.MOhm)))
        assert p.rs_change_limit == pytest.approx(float(crit["access_resistance_change"].max))


@pytest.mark.realdata
def test_membrane_test_on_the_model_cell_file(realdata_dir) -> None:
    """2018_11_16_sh_0006.abf (PROVENANCE: Ra 14.98, Rm 509.8 MOhm, holding -119.7 pA before the tag)."""
    from ephystool.analysis.nmda._access import membrane_test
    from ephystool.io import load

    rec = load(realdata_dir / "patchclamp" / "2018_11_16_sh_0006.abf")
    hold = float(rec.holding_at(0).rescale(pq.mV).magnitude)
    step = next(e for e in rec.epochs[0] if abs(e.level - hold) > 0.5)
    got = []
    for k in range(0, 36, 5):  # before the drug tag
        x = np.asarray(rec.signal(k).magnitude).ravel()
        got.append(membrane_test(x, float(rec.signal(k).sampling_rate.rescale("Hz")), step.start_s, step.end_s,
                                 step.level - hold))
    ra, rin, ih = (np.mean([g[i] for g in got]) for i in range(3))
    assert ra == pytest.approx(14.98, rel=0.05) and rin == pytest.approx(509.8, rel=0.05)
    assert ih == pytest.approx(-119.7, abs=2.0)


def test_iv_recording_carries_the_exclusion_into_combined_rows() -> None:
    from ephystool.analysis import nmda_iv
    from ephystool.analysis.combine import combine_units
    from ephystool.simulate.vclamp import simulate_iv_series

    rs = [15.0] * 7 + [22.0] * 7
    rec, _ = simulate_iv_series(n_sweeps_per_step=2, seed=1677, rs_MOhm=rs, interleave=False)
    res = nmda_iv.analyze(rec, nmda_iv.NmdaIvParams.from_protocol({"mg_mM": "1 mM"}))
    rows = [dict(r, recording="iv.abf", condition="control", protocol="nmda_iv") for r in res.rows()]
    assert all("access resistance changed" in r["excluded_reason"] for r in rows)
    extra = combine_units(rows)
    assert extra and all("access resistance changed" in r["excluded_reason"] for r in extra)
