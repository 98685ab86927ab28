"""The decision rule is calibrated at lab sample sizes (issue 17; full size: benchmarks/bench_verdict_calibration.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from ephystool.compare._synth import nested_dataset
from ephystool.compare.calibration import calibrate, clopper_pearson_upper
from ephystool.compare.claims import parse_claims
from ephystool.compare.decision import MIN_UNITS, decision_test, welch
from ephystool.compare.engine import compare


@pytest.mark.parametrize("total_sd", [0.5, 0.15])
def test_false_positive_rates_at_lab_sizes(total_sd: float) -> None:
    # 30000 experiments per cell (fixed seed): the directional rule and TOST at the margin stay at or below
    # 5 % (the Clopper-Pearson interval reaches below 5 %) with the 95 % upper bound <= 7 %, at 3/4/6/10 animals,
    # one cell per animal and 2 slices x 3 cells. At 200000 experiments every point estimate is <= 5 % (benchmark).
    rows = calibrate(reps=30000, seed=17, total_sd=total_sd)
    assert {(r.design, r.n_animals) for r in rows} == {(d, n) for d in ("1 cell/animal", "2 slices x 3 cells")
                                                       for n in (3, 4, 6, 10)}
    for r in rows:
        for rate, upper in ((r.fpr_directional, r.fpr_directional_upper), (r.fpr_tost, r.fpr_tost_upper)):
            k = round(rate * r.reps)
            lower = sps.beta.ppf(0.025, k, r.reps - k + 1) if k else 0.0
            assert lower <= 0.05 and upper <= 0.07, r
        assert 0.02 < r.fpr_directional  # not absurdly conservative either
    by = {(r.design, r.n_animals): r for r in rows}
    assert by[("2 slices x 3 cells", 10)].power_directional > by[("2 slices x 3 cells", 3)].power_directional
    if total_sd == 0.15:  # where equivalence is decidable the TOST rate at the margin approaches alpha
        assert by[("2 slices x 3 cells", 10)].fpr_tost > 0.03 and by[("2 slices x 3 cells", 10)].power_tost > 0.9


def test_clopper_pearson_upper() -> None:
    assert clopper_pearson_upper(50, 1000) == pytest.approx(0.0653, abs=5e-4)
    assert clopper_pearson_upper(10, 10) == 1.0


@pytest.mark.parametrize("slices,cells", [(1, 1), (2, 3)])
def test_engine_path_equals_the_calibrated_rule(slices: int, cells: int) -> None:
    df = nested_dataset(4, slices, cells, effect_ratio=1.3, seed=5, conditions=("control", "mg_citrate"))
    d = decision_test(df, "mg_citrate", "control", ("animal", "slice", "cell"), log=True)
    m = df.assign(y=np.log(df.value)).groupby(["condition", "animal"])["y"].mean()
    est, se, dof = welch(m["mg_citrate"].to_numpy(), m["control"].to_numpy())
    assert d.estimate == pytest.approx(float(est)) and d.se == pytest.approx(float(se))
    assert d.df == pytest.approx(float(dof)) and d.unit == "animal" and d.n_units == (4, 4) and d.calibrated
    assert d.p == pytest.approx(float(sps.ttest_ind(m["mg_citrate"], m["control"], equal_var=False).pvalue))


def _rows(df: pd.DataFrame, metric: str = "nmda_rectification_index") -> pd.DataFrame:
    return df.assign(analysis="nmda", metric=metric, protocol="nmda_iv", unit="1", recording=df.animal + df.cell)


def test_below_the_calibrated_n_the_verdict_is_inconclusive() -> None:
    df = _rows(nested_dataset(MIN_UNITS - 1, 1, 3, effect_ratio=3.0, seed=1, conditions=("control", "mg_citrate"),
                              animal_sd=0.01, slice_sd=0.0, cell_sd=0.01))
    claim = {"id": "T", "parameter": "p", "source": "mechanism", "statement": "big effect", "condition": "mg_citrate",
             "analysis": "nmda", "metric": "nmda_rectification_index", "expected": "increase"}
    v = compare(df, parse_claims([claim]), n_boot=200).verdicts[0]
    assert v.verdict == "inconclusive" and f"calibrated from {MIN_UNITS}" in v.reason
    assert v.effect["decision"]["calibrated"] is False and v.p["raw"] < 0.05  # the effect is reported, not decided


def test_one_question_counts_once_in_holm() -> None:
    # CIT-MECH-1 (increase) and CIT-NMDA-3 (decrease) test the same rectification-index data.
    df = _rows(nested_dataset(6, 1, 2, effect_ratio=1.26, seed=3, conditions=("control", "mg_citrate")))
    res = compare(df, n_boot=200)
    by = {v.id: v for v in res.verdicts}
    a, b = by["CIT-MECH-1"], by["CIT-NMDA-3"]
    assert a.p["holm"] == b.p["holm"] and a.p["raw"] == b.p["raw"]
    assert res.settings["holm_family"] == 1  # SALTS-1 has no aspartate data, the rest no rows
    assert a.power and 0 < a.power["power"] <= 1 and a.power["unit"] == "animal"
