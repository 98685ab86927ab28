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
