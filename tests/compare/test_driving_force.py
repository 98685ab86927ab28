"""The sign of a tonic current follows the holding potential; difference metrics get no ratio (issue 17 item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ephystool.compare.engine import compare


def _tonic(holdings: tuple[float, ...], n_animals: int = 6, seed: int = 0, effect_pa: float = 120.0) -> pd.DataFrame:
    """holding_current_shift per cell: the aspartate current g (V - 0 mV), inward at -70, outward at +40."""
    rng = np.random.default_rng(seed)
    rows = []
    for cond in ("control", "mg_aspartate"):
        for a in range(n_animals):
            for i, v in enumerate(holdings):
                drive = effect_pa * v / 70.0 if cond == "mg_aspartate" else 0.0
                rows.append({"recording": f"{cond}{a}{i}.abf", "condition": cond, "animal": f"{cond}{a}",
                             "slice": "s1", "cell": f"c{i}", "protocol": "nmda_tonic", "analysis": "nmda",
                             "metric": "holding_current_shift", "unit": "pA", "holding_mV": v,
                             "value": drive + rng.normal(0, 15)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("holdings", [(-70.0,), (40.0,), (-70.0, 40.0)])
def test_tonic_claim_is_supported_at_any_holding_potential(holdings: tuple[float, ...]) -> None:
    v = {x.id: x for x in compare(_tonic(holdings), n_boot=200).verdicts}["ASP-MECH-2"]
    assert v.verdict == "supported", v.reason
    assert "driving force" in v.reason
    assert "ratio" not in v.effect and "percent_change" not in v.effect  # a signed difference has no ratio
    assert v.effect["statistic"] == "difference" and v.effect["estimate"] < 0


def test_outward_current_at_plus_40_is_not_read_as_a_contradiction() -> None:
    # the old engine, fed +40 mV rows, would call an outward agonist current "contradicted" (expected inward)
    v = {x.id: x for x in compare(_tonic((40.0,)), n_boot=200).verdicts}["ASP-MECH-2"]
    assert v.verdict != "contradicted"
    null = {x.id: x for x in compare(_tonic((40.0,), effect_pa=0.0, seed=3), n_boot=200).verdicts}["ASP-MECH-2"]
    assert null.verdict == "inconclusive"


def test_several_holding_potentials_are_never_pooled_into_one_estimate() -> None:
    """The agonist current is -120 pA at -70 mV but +69 pA at +40 mV here (and ~+2000 pA with the Mg block
    relieved in real cells): a mean over both, after the sign flip, is no quantity. The claim's prediction is
    stated at -70 mV (test_at_mV), so the estimate is the -70 mV effect and the +40 mV rows are named."""
    both = {x.id: x for x in compare(_tonic((-70.0, 40.0)), n_boot=200).verdicts}["ASP-MECH-2"]
    only = {x.id: x for x in compare(_tonic((-70.0, 40.0)).query("holding_mV == -70"), n_boot=200).verdicts}
    assert both.effect["estimate"] == pytest.approx(only["ASP-MECH-2"].effect["estimate"])
    assert both.effect["estimate"] == pytest.approx(-120.0, abs=20.0)
    assert "tested at -70 mV only" in both.reason and "rows also at 40 mV: 12" in both.reason
    assert "averaged within units" not in both.reason  # nothing is averaged across potentials: no such note


def test_without_a_stated_potential_the_most_recorded_one_is_tested() -> None:
    from ephystool.compare._select import Selection, _one_holding

    rows = pd.DataFrame({"value": [1.0, 2.0, 3.0, 4.0, 5.0], "holding_mV": [-70.0, 40.0, 40.0, -70.0, 40.0]})
    sel = Selection()
    kept, v = _one_holding(rows, rows["holding_mV"], None, sel)
    assert list(kept["value"]) == [2.0, 3.0, 5.0] and set(v) == {40.0}
    assert "rows also at -70 mV: 2" in sel.notes[0]
    kept, _ = _one_holding(rows, rows["holding_mV"], -70.0, Selection())
    assert list(kept["value"]) == [1.0, 4.0]
