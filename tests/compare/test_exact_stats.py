"""Exact values of the comparison statistics, computed by hand or by SciPy (issue 13).

Each test pins a number a plausible one-line bug would move (benchmarks/mutation_score.py): Holm-adjusted p on
a known vector, the Welch estimate/SE/df and its t interval, the paired t SE, the TOST 90 % interval and
bounds (LTP ±15 pp; ratio margins on the log scale), the calibration minimum of 3 units, and the bootstrap
percentile interval.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from ephystool.compare.bootstrap import hierarchical_bootstrap
from ephystool.compare.claims import parse_claims
from ephystool.compare.decision import DecisionTest, decision_test
from ephystool.compare.stats import holm
from ephystool.compare.verdicts import run_test

A = np.array([10.0, 12.5, 9.0, 14.0, 11.0])  # condition: 5 units
B = np.array([8.0, 8.5, 7.5, 9.5])  # reference: 4 units, smaller variance (Welch df != pooled df)


def _table(a: np.ndarray, b: np.ndarray, metric: str = "nmda_peak", with_animals: bool = False) -> pd.DataFrame:
    rows = [{"condition": c, "value": float(v), "metric": metric, "animal": f"{c}-A{i}" if with_animals else None}
            for c, vals in (("mg_citrate", a), ("control", b)) for i, v in enumerate(vals)]
    return pd.DataFrame(rows)


def test_holm_adjusted_p_on_a_known_vector() -> None:
    """Sorted 0.005, 0.01, 0.03, 0.04 x 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> monotone 0.02, 0.03, 0.06, 0.06."""
    got = holm([0.01, 0.04, 0.03, 0.005, np.nan])
    np.testing.assert_allclose(got[:4], [0.03, 0.06, 0.06, 0.02], rtol=0, atol=1e-15)
    assert np.isnan(got[4])
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])  # capped at 1


def test_welch_estimate_se_df_p_and_ci_equal_scipy() -> None:
    d = decision_test(_table(A, B), "mg_citrate", "control", ())
    va, vb = A.var(ddof=1) / A.size, B.var(ddof=1) / B.size
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (A.size - 1) + vb ** 2 / (B.size - 1))
    assert d.estimate == pytest.approx(A.mean() - B.mean(), rel=1e-12)
    assert d.se == pytest.approx(se, rel=1e-12)
    assert d.df == pytest.approx(df, rel=1e-12)
    assert abs(df - (A.size + B.size - 2)) > 1.0  # Welch-Satterthwaite, not the pooled df
    assert d.p == pytest.approx(sps.ttest_ind(A, B, equal_var=False).pvalue, rel=1e-10)
    q = sps.t.ppf(0.975, df)
    np.testing.assert_allclose(d.ci(0.95), (d.estimate - q * se, d.estimate + q * se), rtol=1e-12)


def test_paired_t_se_uses_the_sample_sd() -> None:
    """Paired design (pair_id): the mean difference, SE = SD(ddof 1)/sqrt(n), p equal to scipy's ttest_rel."""
    ref = np.array([5.0, 6.0, 7.0, 8.0, 9.0])
    cond = ref + np.array([1.0, 0.5, 2.0, 1.5, 0.2])
    rows = [{"condition": c, "value": float(v), "pair_id": f"p{i}", "animal": None}
            for c, vals in (("mg_citrate", cond), ("control", ref)) for i, v in enumerate(vals)]
    d = decision_test(pd.DataFrame(rows), "mg_citrate", "control", ())
    diff = cond - ref
    assert d.estimate == pytest.approx(diff.mean(), rel=1e-12)
    assert d.se == pytest.approx(diff.std(ddof=1) / math.sqrt(diff.size), rel=1e-12)
    assert d.df == pytest.approx(diff.size - 1)
    assert d.p == pytest.approx(sps.ttest_rel(cond, ref).pvalue, rel=1e-10)


def test_tost_uses_the_90_percent_t_interval() -> None:
    """TOST at alpha 0.05: the 1 - 2 alpha = 90 % t interval must lie inside the bounds; p from both tails."""
    d = DecisionTest(estimate=1.0, se=2.0, df=10.0, p=float("nan"), method="x", unit="animal", n_units=(6, 6),
                     reference_mean=0.0, log=False, calibrated=True)
    q90 = sps.t.ppf(0.95, 10.0)
    eq, p, (lo, hi) = d.tost(-5.0, 5.0)
    assert (lo, hi) == pytest.approx((1.0 - q90 * 2.0, 1.0 + q90 * 2.0), rel=1e-12)
    assert p == pytest.approx(max(sps.t.sf(3.0, 10.0), sps.t.cdf(-2.0, 10.0)), rel=1e-12)
    assert eq is True  # 90 % CI -2.62 to 4.62 lies inside +-5 (the 95 % CI, -3.46 to 5.46, would not)
    assert d.tost(-5.0, 4.5)[0] is False


@pytest.mark.parametrize(("n_units", "calibrated"), [(2, False), (3, True)])
def test_decision_rule_calibrated_from_3_units_per_condition(n_units: int, calibrated: bool) -> None:
    d = decision_test(_table(A[:n_units], B[:n_units], with_animals=True), "mg_citrate", "control", ("animal",))
    assert d.n_units == (n_units, n_units) and d.calibrated is calibrated


def _claim(metric: str, expected: str, **over: object):
    base = {"id": "T-1", "parameter": "synthetic", "seed_column": "mg_citrate", "source": "vendor",
            "statement": "synthetic", "condition": "mg_citrate", "analysis": "x", "metric": metric,
            "protocol": "p", "expected": expected}
    base.update(over)
    return parse_claims([base]).claims[0]


def test_ltp_default_equivalence_margin_is_15_percentage_points() -> None:
    """SCIENCE.md 5: LTP no-change claims are equivalent within +-15 pp (a difference margin, not a ratio)."""
    data = _table(A * 10 + 100, B * 10 + 100, metric="ltp_magnitude", with_animals=True)
    t = run_test(data, _claim("ltp_magnitude", "no_change"), "no_change", "mg_citrate", "control", ("animal",),
                 n_boot=100)
    assert t.statistic == "difference" and t.margin.value == 15 and t.bounds == (-15.0, 15.0)


def test_ratio_margin_is_tested_on_the_log_scale() -> None:
    """A +-20 % ratio margin: bounds log(0.8), log(1.2) on the log scale (not +-0.2)."""
    data = _table(A, B, with_animals=True)
    claim = _claim("nmda_peak", "no_change", margin={"value": 0.2, "scale": "ratio"})
    t = run_test(data, claim, "no_change", "mg_citrate", "control", ("animal",), n_boot=100)
    assert t.bounds == pytest.approx((math.log(0.8), math.log(1.2)), rel=1e-12)


def test_bootstrap_interval_is_the_central_95_percent_of_the_replicates() -> None:
    res = hierarchical_bootstrap(_table(A, B, with_animals=True), "mg_citrate", "control", ("animal",),
                                 stat="difference", n_boot=400, seed=1)
    assert res.confidence == 0.95
    lo, hi = np.quantile(res.samples, [0.025, 0.975])
    assert (res.ci_low, res.ci_high) == pytest.approx((lo, hi), rel=1e-12)
    assert res.estimate == pytest.approx(A.mean() - B.mean(), rel=1e-12)
