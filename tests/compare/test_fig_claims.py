"""Claim figures: log-scale claims show geometric means with positive CIs; paired units are joined."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ephystool.report.fig_claims import _mean_ci


def test_geometric_ci_stays_positive_and_matches_the_log_statistic() -> None:
    v = pd.Series([59.4, 53.7, 61.4, 154.6])
    m, lo, hi = _mean_ci(v, None, log=True)
    assert m == pytest.approx(float(np.exp(np.log(v).mean())))
    assert 0 < lo < m < hi
    lin = _mean_ci(v, None, log=False)
    assert lin[0] == pytest.approx(v.mean()) and lin[1] < lo  # the linear CI reaches much lower


def test_paired_claim_figure_is_written(tmp_path) -> None:
    from ephystool.compare.verdicts import Verdict
    from ephystool.report.fig_claims import plot_claim

    data = pd.DataFrame({"condition": ["control"] * 3 + ["mg_citrate"] * 3, "animal": ["a", "b", "c"] * 2,
                         "value": [60.0, 55.0, 150.0, 69.0, 58.0, 180.0], "pair_id": ["a", "b", "c"] * 2})
    v = Verdict(id="X-1", parameter="p", source="mechanism", condition="mg_citrate", reference="control",
                analysis="nmda", metric="nmda_peak", selectors={}, expected="increase", verdict="supported",
                reason="", effect={"log_scale": True, "unit": "pA"}, ci=[1.05, 1.2], p=None, n=None, prediction=None,
                prediction_holds=None, design="acute_equal_total")
    path = plot_claim(v, data, tmp_path)
    assert path.is_file() and path.stat().st_size > 1000
