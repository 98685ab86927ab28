"""Tests of ephystool.compare.stats and ephystool.compare.power on simulated nested data."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_h
from scipy import stats as sps

from ephystool.compare import mixed as mixed_mod
from ephystool.compare import stats
from ephystool.compare._synth import nested_dataset
from ephystool.compare.power import (
    design_effect,
    design_effect_note,
    minimal_detectable_effect,
    n_for_power,
    power_t,
    tost_n,
)
from ephystool.errors import AnalysisError

T, C = "treated", "control"


def _width(r: stats.BootstrapResult) -> float:
    return r.ci_high - r.ci_low


# ----------------------------------------------------------------------------- bootstrap
def test_true_30_percent_decrease_excluded_from_ci() -> None:
    # 8 cells from 4 animals per condition (4 animals x 1 slice x 2 cells).
    df = nested_dataset(4, 1, 2, effect_ratio=0.7, animal_sd=0.1, slice_sd=0.05, cell_sd=0.2, seed=0)
    assert df.groupby("condition").size().tolist() == [8, 8]
    r = stats.hierarchical_bootstrap(df, T, C, stat="ratio", n_boot=2000, seed=0)
    assert r.ci_high < 1.0
    assert r.ci_low < r.estimate < r.ci_high
    assert r.estimate == pytest.approx(0.7, abs=0.1)
    assert r.levels == ("animal", "slice", "cell") and not r.paired
    d = stats.hierarchical_bootstrap(df, T, C, stat="difference", seed=0)
    assert d.ci_high < 0


def test_no_effect_coverage_at_least_90_percent() -> None:
    hits = 0
    for seed in range(50):
        df = nested_dataset(6, 2, 3, 1.0, animal_sd=0.15, slice_sd=0.1, cell_sd=0.3, seed=seed)
        r = stats.hierarchical_bootstrap(df, T, C, n_boot=500, seed=seed)
        hits += r.ci_low < 1.0 < r.ci_high
    assert hits >= 45, f"coverage {hits}/50"


def test_pseudoreplication_hierarchical_ci_wider_than_naive() -> None:
    # 20 cells from 2 animals per condition, strong animal-level random effect.
    df = nested_dataset(2, 1, 10, 1.0, animal_sd=0.5, slice_sd=0.0, cell_sd=0.2, seed=0)
    hier = stats.hierarchical_bootstrap(df, T, C, stat="difference", seed=1)
    naive = stats.hierarchical_bootstrap(df, T, C, levels=(), stat="difference", seed=1)
    a = df.loc[df.condition == T, "value"].to_numpy()
    b = df.loc[df.condition == C, "value"].to_numpy()
    t_ci = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert naive.levels == ()
    assert _width(hier) > 2 * _width(naive)
    assert _width(hier) > 2 * (t_ci.high - t_ci.low)
    assert "animal" in hier.note  # few top-level units are flagged
    # The mixed model does not treat cells as independent either.
    assert stats.mixed_model_p(df, T, C).p > stats.mixed_model_p(df, T, C, levels=()).p


def test_reproducible_with_same_seed() -> None:
    df = nested_dataset(4, 2, 3, 0.8, seed=5)
    r1 = stats.hierarchical_bootstrap(df, T, C, seed=42)
    r2 = stats.hierarchical_bootstrap(df, T, C, seed=42)
    r3 = stats.hierarchical_bootstrap(df, T, C, seed=43)
    assert r1 == r2 and np.array_equal(r1.samples, r2.samples)
    assert not np.array_equal(r1.samples, r3.samples)
    g = np.random.default_rng(7)
    assert stats.hierarchical_bootstrap(df, T, C, seed=g).ci_low == stats.hierarchical_bootstrap(
        df, T, C, seed=np.random.default_rng(7)).ci_low


def test_bootstrap_is_fast() -> None:
    df = nested_dataset(4, 2, 3, 0.8, seed=1)  # 48 rows
    stats.hierarchical_bootstrap(df, T, C, n_boot=20, seed=0)  # warm-up
    t0 = time.perf_counter()
    r = stats.hierarchical_bootstrap(df, T, C, n_boot=2000, seed=0)
    assert time.perf_counter() - t0 < 1.0
    assert len(r.samples) == 2000


def test_missing_levels_fall_back_to_levels_present() -> None:
    df = nested_dataset(5, 2, 3, 0.7, seed=2)
    no_slice = stats.hierarchical_bootstrap(df.drop(columns="slice"), T, C, n_boot=200)
    assert no_slice.levels == ("animal", "cell") and "slice" in no_slice.note
    blank = stats.hierarchical_bootstrap(df.assign(slice="", cell=None), T, C, n_boot=200)
    assert blank.levels == ("animal",)
    none = stats.hierarchical_bootstrap(df[["value", "condition"]], T, C, n_boot=200)
    assert none.levels == () and "observations" in none.note
    assert no_slice.estimate == pytest.approx(none.estimate)  # same pooled means
    mea = df.rename(columns={"animal": "batch", "slice": "plate", "cell": "well"})
    r = stats.hierarchical_bootstrap(mea, T, C, levels=("batch", "plate", "well"), n_boot=200, log=True)
    assert r.levels == ("batch", "plate", "well") and r.ci_high < 1


def test_slice_labels_are_nested_in_animals() -> None:
    # "s0" in every animal must be a different slice; the tree should see 5 x 2 slices.
    df = nested_dataset(5, 2, 3, 1.0, seed=3)
    desc = stats.describe(df)
    assert desc["n_slice"].tolist() == [10, 10]
    assert desc["n_cell"].tolist() == [30, 30]


def test_paired_design_bootstraps_within_unit_ratios() -> None:
    df = nested_dataset(4, 2, 3, 0.8, animal_sd=0.3, cell_sd=0.3, seed=4, paired=True)
    r = stats.hierarchical_bootstrap(df, T, C, log=True, seed=0)
    assert r.paired and "24 pairs" in r.note
    assert r.ci_low < 0.8 < r.ci_high and r.ci_high < 1
    unpaired = stats.hierarchical_bootstrap(df.drop(columns="pair_id"), T, C, log=True, seed=0)
    assert _width(r) < _width(unpaired)  # pairing removes the between-cell variance
    m = stats.mixed_model_p(df, T, C, log=True)
    assert "pair_id" in m.method and m.p < 0.05
    assert m.estimate == pytest.approx(np.log(0.8), abs=0.1)


def test_input_errors() -> None:
    df = nested_dataset(3, 1, 2, 1.0, seed=0)
    with pytest.raises(AnalysisError, match="not in table"):
        stats.hierarchical_bootstrap(df, "mg_citrate", C)
    with pytest.raises(AnalysisError, match="positive"):
        stats.hierarchical_bootstrap(df.assign(value=df.value - 1000), T, C, log=True)
    with pytest.raises(AnalysisError, match="stat"):
        stats.hierarchical_bootstrap(df, T, C, stat="median")  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="value"):
        stats.mixed_model_p(df.drop(columns="value"), T, C)


# ----------------------------------------------------------------------------- mixed model
def test_mixed_model_small_p_for_large_effect() -> None:
    df = nested_dataset(6, 3, 4, 0.6, animal_sd=0.1, slice_sd=0.25, cell_sd=0.2, seed=6)
    m = stats.mixed_model_p(df, T, C, log=True)
    assert m.method == "mixedlm(groups=animal; vc=slice)" and "df=10" in m.note
    assert m.p < 0.01
    assert m.estimate == pytest.approx(np.log(0.6), abs=0.25)
    null = [stats.mixed_model_p(nested_dataset(6, 2, 4, 1.0, seed=s), T, C, log=True).p for s in range(10)]
    assert sum(p < 0.05 for p in null) <= 2  # 0.5 expected


def test_mixed_model_fallbacks_recorded_in_method(monkeypatch: pytest.MonkeyPatch) -> None:
    one_slice = nested_dataset(5, 1, 4, 0.6, seed=7)  # slice level not identifiable
    assert stats.mixed_model_p(one_slice, T, C).method == "mixedlm(groups=animal)"
    no_levels = stats.mixed_model_p(one_slice[["value", "condition"]], T, C)
    assert no_levels.method == "welch_t(observation means)"
    one_animal = stats.mixed_model_p(nested_dataset(1, 1, 8, 0.6, seed=7), T, C)
    assert one_animal.method == "welch_t(cell means)" and "pseudoreplication" in one_animal.note

    calls = []

    def failing_fit(table: pd.DataFrame, groups: str, vc: list[str]) -> tuple[float, float, str]:
        calls.append((groups, tuple(vc)))
        return np.nan, np.nan, "simulated singular fit"

    monkeypatch.setattr(mixed_mod, "_fit", failing_fit)
    df = nested_dataset(5, 2, 4, 0.6, seed=8)
    m = stats.mixed_model_p(df, T, C)
    assert calls == [("animal", ("slice",)), ("animal", ())]
    assert m.method == "welch_t(animal means)" and "simulated singular fit" in m.note
    means = df.groupby(["condition", "animal"])["value"].mean()
    ref = sps.ttest_ind(means[T], means[C], equal_var=False)
    assert m.p == pytest.approx(ref.pvalue)


# ----------------------------------------------------------------------------- effects, Holm
def test_hedges_g_hand_example() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0]
    d = -1.0 / np.sqrt(5 / 3)  # pooled SD^2 = 5/3
    j = 1 - 3 / (4 * 6 - 1)  # Hedges' approximation of J(6); exact J(6) = 0.8686
    assert stats.hedges_g(a, b) == pytest.approx(d * j, rel=2e-3)
    assert stats.hedges_g(a, b) == pytest.approx(-stats.hedges_g(b, a))
    with pytest.raises(AnalysisError):
        stats.hedges_g([1.0], [2.0, 3.0])


def test_effect_summary_combines_statistics() -> None:
    df = nested_dataset(8, 2, 3, 0.6, animal_sd=0.1, seed=9)
    e = stats.effect_summary(df, T, C, n_boot=1000, seed=0)
    assert e.ratio.ci_high < 1 and e.difference.ci_high < 0 and e.hedges_g.ci_high < 0
    pct = e.percent_change
    assert pct[0] == pytest.approx(100 * (e.ratio.estimate - 1))
    rows = pd.DataFrame(e.rows())
    assert set(rows.statistic) == {"difference", "ratio", "hedges_g", "percent_change"}
    assert (rows.p == e.mixed.p).all() and e.mixed.p < 0.05
    same = stats.hierarchical_bootstrap(df, T, C, stat="ratio", n_boot=1000, seed=0)
    assert same.ci_low == e.ratio.ci_low  # one shared set of replicates per seed
    plain_g = stats.hedges_g(df.value[df.condition == T], df.value[df.condition == C])
    assert e.hedges_g.estimate == pytest.approx(plain_g)


def test_holm_hand_example_and_nan() -> None:
    p = [0.01, 0.04, np.nan, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 (m = 4): 0.02, 0.03, 0.06, max(0.04, 0.06) = 0.06
    np.testing.assert_allclose(stats.holm(p), [0.03, 0.06, np.nan, 0.06, 0.02])
    np.testing.assert_allclose(stats.holm([0.5, 0.9]), [1.0, 1.0])
    assert stats.holm([]).shape == (0,)


@settings(max_examples=50, deadline=None)
@given(st_h.lists(st_h.one_of(st_h.floats(0, 1), st_h.just(float("nan"))), max_size=12))
def test_holm_properties(p: list[float]) -> None:
    raw = np.array(p, dtype=float)
    adj = stats.holm(raw)
    ok = np.isfinite(raw)
    assert np.array_equal(np.isnan(adj), ~ok)
    assert np.all(adj[ok] >= raw[ok] - 1e-12) and np.all(adj[ok] <= 1)
    order = np.argsort(raw[ok], kind="stable")
    assert np.all(np.diff(adj[ok][order]) >= -1e-12)


# ----------------------------------------------------------------------------- equivalence
def test_tost_equivalent_with_large_n_not_with_small_n() -> None:
    big = nested_dataset(12, 2, 5, 1.0, animal_sd=0.1, slice_sd=0.05, cell_sd=0.2, seed=0)
    r = stats.tost(big, T, C, margin=0.2, seed=0)
    assert r.equivalent and r.p < 0.05 and (r.lower_bound, r.upper_bound) == (0.8, 1.2)
    small = nested_dataset(3, 1, 2, 1.0, animal_sd=0.2, slice_sd=0.1, cell_sd=0.3, seed=0)
    s = stats.tost(small, T, C, margin=0.2, seed=0)
    assert not s.equivalent and s.p > 0.05
    d = stats.tost(big, T, C, margin=0.2, scale="difference", log=True, seed=0)  # MEA-style log ratio
    assert d.equivalent and d.lower_bound == -0.2
    with pytest.raises(AnalysisError):
        stats.tost(big, T, C, margin=1.5)


# ----------------------------------------------------------------------------- describe
def test_describe_counts_and_sem_over_animal_means() -> None:
    df = nested_dataset(4, 2, 3, 0.7, seed=10)
    d = stats.describe(df, log=True).set_index("condition")
    assert d.loc[C, ["n_obs", "n_animal", "n_slice", "n_cell"]].tolist() == [24, 4, 8, 24]
    ctrl = df[df.condition == C]
    animal_means = ctrl.groupby("animal")["value"].mean()
    assert d.loc[C, "sem"] == pytest.approx(animal_means.std(ddof=1) / 2)
    assert d.loc[C, "sem_unit"] == "animal"
    assert d.loc[C, "geo_mean"] == pytest.approx(np.exp(np.log(ctrl.value).mean()))
    flat = stats.describe(df[["value", "condition"]])
    assert flat["n_animal"].isna().all() and (flat["sem_unit"] == "observation").all()


# ----------------------------------------------------------------------------- power
def test_power_numbers_match_science_md_within_2() -> None:
    # SCIENCE.md section 5: 20 pp (SD 25) -> 25; 30 pp -> 11; TOST +-15 pp -> 48. Tolerance +-2.
    for method in ("t", "normal"):
        assert abs(n_for_power(20, 25, method=method) - 25) <= 2
        assert abs(n_for_power(30, 25, method=method) - 11) <= 2
        assert abs(tost_n(15, 25, method=method) - 48) <= 2
    assert (n_for_power(20, 25), n_for_power(30, 25), tost_n(15, 25)) == (26, 12, 49)
    assert (n_for_power(20, 25, method="normal"), tost_n(15, 25, method="normal")) == (25, 48)
    assert power_t(20, 25, 26) >= 0.8 > power_t(20, 25, 25)


def test_minimal_detectable_effect_inverts_n_for_power() -> None:
    mde = minimal_detectable_effect(25, 26)
    assert power_t(mde, 25, 26) == pytest.approx(0.8, abs=1e-6)
    assert mde < 20  # n = 26 detects 20 pp
    assert minimal_detectable_effect(25, 25, method="normal") == pytest.approx(19.81, abs=0.01)
    assert design_effect(0.3, 10) == pytest.approx(3.7)
    assert "2 animals" in design_effect_note(0.3, 20, 2)
