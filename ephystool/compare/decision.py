"""The calibrated decision rule: t tests on the independent units' means (cluster means).

Verdicts are decided here, not by the hierarchical bootstrap (which stays a description: its
percentile CI is anti-conservative with 3-6 animals per condition, 11-20 % false directional
verdicts at nominal 5 % in null simulations with ICC 0.29). The rule:

* The independent unit is the outermost present level whose units each lie in one condition
  (animal for slice work, culture batch or well for MEA); levels above it that hold both
  conditions (a culture batch or plate with wells of both) are blocks. Observations are averaged
  within each unit (for a log metric: the mean of the logs), so a cluster of cells enters once.
* **Unpaired**: Welch's t on the unit means with Welch-Satterthwaite degrees of freedom
  (Welch 1947; Satterthwaite 1946). With cluster means this is the between-cluster test of the
  nested mixed model; for balanced clusters its df equal the Kenward-Roger df of that model
  (Kenward & Roger 1997), and it needs no variance-component estimates that fail at n = 3.
* **Blocked** (>= 3 blocks holding both conditions): paired t on the per-block condition means
  (df = blocks - 1).
* **Paired** (wash-in, ``pair_id``): paired t on the per-unit mean within-pair differences.
* **TOST** (Schuirmann 1987; Lakens 2017): equivalence when the ``1 - 2 alpha`` t interval of
  the same estimate, with the same df, lies inside the bounds.

Below :data:`MIN_UNITS` units per condition (pairs, blocks) the verdict is ``inconclusive``:
``benchmarks/bench_verdict_calibration.py`` shows the rule calibrated from 3 units per condition
(null lognormal data, animal ICC 0.29, one cell per animal and 2 slices x 3 cells).
Everything is vectorised over replicates (:func:`welch`, :func:`one_sample`) so the calibration
benchmark runs the same code as the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ephystool.compare._table import Prepared, prepare
from ephystool.errors import AnalysisError

__all__ = ["MIN_UNITS", "DecisionTest", "decision_test", "decision_test_on", "one_sample", "welch"]

#: Smallest number of independent units (per condition; pairs or blocks when paired) where the
#: rule is calibrated (benchmarks/bench_verdict_calibration.py).
MIN_UNITS = 3


def welch(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Welch difference ``mean(a) - mean(b)``, its SE and Welch-Satterthwaite df, per row.

    Parameters
    ----------
    a, b : ndarray, shape (..., n_a) and (..., n_b)
        Unit means of the condition and of the reference (last axis: units); n >= 2 each.

    Returns
    -------
    estimate, se, df : ndarray
    """
    na, nb = a.shape[-1], b.shape[-1]
    va, vb = a.var(axis=-1, ddof=1) / na, b.var(axis=-1, ddof=1) / nb
    se2 = va + vb
    with np.errstate(invalid="ignore", divide="ignore"):
        df = se2 ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    df = np.where(np.isfinite(df), df, na + nb - 2)
    return a.mean(axis=-1) - b.mean(axis=-1), np.sqrt(se2), df


def one_sample(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean of differences, its SE and df ``n - 1``, per row (last axis: pairs or blocks)."""
    n = d.shape[-1]
    return d.mean(axis=-1), d.std(axis=-1, ddof=1) / np.sqrt(n), np.full(d.shape[:-1], n - 1.0)


def t_p(est: np.ndarray | float, se: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided t p-value (1 where the SE is zero and the estimate too)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(np.asarray(se) > 0, np.asarray(est) / np.asarray(se), np.where(np.asarray(est) == 0, 0, np.inf))
    return 2 * sps.t.sf(np.abs(t), df)


def t_ci(est: np.ndarray | float, se: np.ndarray | float, df: np.ndarray | float,
         confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided t interval ``est ± t_{(1+c)/2, df} se``."""
    q = sps.t.ppf(0.5 + confidence / 2, df)
    return np.asarray(est) - q * np.asarray(se), np.asarray(est) + q * np.asarray(se)


@dataclass(frozen=True)
class DecisionTest:
    """The calibrated test of one claim, on the analysis scale (log units when ``log``).

    ``estimate`` is the condition minus reference difference of unit means (a log ratio of
    geometric means when ``log``); ``reference_mean`` is the reference's mean of unit means on
    the same scale (the sign of a linear ratio follows from it); ``calibrated`` is False below
    :data:`MIN_UNITS` units, where no verdict may be directional or equivalent.
    """

    estimate: float
    se: float
    df: float
    p: float
    method: str
    unit: str
    n_units: tuple[int, int]
    reference_mean: float
    log: bool
    calibrated: bool
    note: str = ""

    def ci(self, confidence: float = 0.95) -> tuple[float, float]:
        """t interval of the estimate (analysis scale)."""
        lo, hi = t_ci(self.estimate, self.se, self.df, confidence)
        return float(lo), float(hi)

    def tost(self, low: float, high: float, alpha: float = 0.05) -> tuple[bool, float, tuple[float, float]]:
        """(equivalent, TOST p, ``1 - 2 alpha`` CI) for bounds ``(low, high)`` on the analysis scale."""
        lo, hi = self.ci(1 - 2 * alpha)
        if not self.se > 0:
            p = 0.0 if low < self.estimate < high else 1.0
        else:
            p_lo = sps.t.sf((self.estimate - low) / self.se, self.df)
            p_hi = sps.t.cdf((self.estimate - high) / self.se, self.df)
            p = float(max(p_lo, p_hi))
        return bool(self.calibrated and low < lo and hi < high), p, (lo, hi)


def _unit_level(data: pd.DataFrame, levels: tuple[str, ...], codes: np.ndarray) -> tuple[int | None, int | None]:
    """(index of the independent unit level, index of the block level or None); ``codes``: the rows' unit codes."""
    if not levels:
        return None, None
    treat = data["treat"].to_numpy()
    block = None
    for i in range(len(levels)):
        mixed = pd.Series(treat).groupby(codes[:, i]).nunique()
        if (mixed == 1).all():
            return i, block
        if block is None and (mixed == 2).sum() >= 1:
            block = i
    return None, block


def _paired(prep: Prepared, levels: tuple[str, ...], min_units: int, log: bool) -> DecisionTest:
    pairs = prep.pairs
    top = levels[0] if levels else None
    d = pairs["y_cond"] - pairs["y_ref"]
    ref = pairs["y_ref"]
    if top is not None and pairs[top].notna().all() and pairs[top].nunique() >= min_units:
        d = d.groupby(pairs[top].astype(str)).mean()
        ref = ref.groupby(pairs[top].astype(str)).mean()
        unit = top
    else:
        unit = "pair"
    arr = d.to_numpy(dtype=float)
    est, se, df = (float(x) for x in one_sample(arr))
    p = float(t_p(est, se, df))
    return DecisionTest(est, se, df, p, f"paired_t({unit} mean differences)", unit, (len(arr), len(arr)),
                        float(ref.mean()), log, len(arr) >= min_units, prep.note)


def decision_test(df: pd.DataFrame, condition: str, reference: str, levels: tuple[str, ...],
                  log: bool = False, min_units: int = MIN_UNITS) -> DecisionTest:
    """The calibrated test of ``condition`` vs ``reference`` on tidy nested data.

    Parameters
    ----------
    df : DataFrame
        Tidy table with ``value``, ``condition``, level columns (outermost first) and optional ``pair_id``.
    condition, reference : str
        Treated and reference labels.
    levels : tuple of str
        Unit levels, outermost first (absent or blank levels are skipped).
    log : bool
        Analyse natural logs (estimate = log ratio of geometric means).
    min_units : int
        Units per condition below which the test is marked not calibrated.

    Returns
    -------
    DecisionTest

    Raises
    ------
    AnalysisError
        Missing columns or conditions, or fewer than 2 values per condition.
    """
    return decision_test_on(prepare(df, condition, reference, levels, log), min_units)


def decision_test_on(prep: Prepared, min_units: int = MIN_UNITS) -> DecisionTest:
    """:func:`decision_test` of ``prep``, the two conditions prepared once (``y`` on the analysis scale, the
    levels present, their unit codes and pairs: :meth:`ClaimData.prepared
    <ephystool.compare.claim_data.ClaimData.prepared>`); raises AnalysisError below 2 units per condition."""
    lv, log = prep.levels, prep.log
    if prep.paired:
        return _paired(prep, lv, min_units, log)
    data = prep.data
    i, block = _unit_level(data, lv, prep.codes)
    notes = [prep.note] if prep.note else []
    if i is None:
        unit, key = "observation", np.arange(len(data))
        if lv:
            notes.append(f"no level of {list(lv)} holds one condition per unit: observations treated as independent")
    else:
        unit, key = lv[i], prep.codes[:, i]
    means = data.assign(_u=key).groupby(["_u", "treat"])["y"].mean().reset_index()
    if block is not None and i is not None and block < i:
        blk = prep.codes[:, block]
        bm = data.assign(_b=blk).groupby(["_b", "treat"])["y"].mean().unstack("treat").dropna()
        if len(bm) >= min_units:
            d = (bm[1.0] - bm[0.0]).to_numpy()
            est, se, dof = (float(x) for x in one_sample(d))
            return DecisionTest(est, se, dof, float(t_p(est, se, dof)), f"paired_t({lv[block]} condition means)",
                                lv[block], (len(d), len(d)), float(bm[0.0].mean()), log, True,
                                "; ".join(notes + [f"{lv[block]} holds both conditions: blocked comparison"]))
        notes.append(f"{len(bm)} {lv[block]}(s) hold both conditions (fewer than {min_units}): compared between "
                     f"{unit}s, {lv[block]} differences ignored")
    a = means.loc[means["treat"] == 1.0, "y"].to_numpy()
    b = means.loc[means["treat"] == 0.0, "y"].to_numpy()
    if min(len(a), len(b)) < 2:
        raise AnalysisError(f"fewer than 2 {unit}s per condition ({len(a)} vs {len(b)}): no test is possible")
    est, se, dof = (float(x) for x in welch(a, b))
    return DecisionTest(est, se, dof, float(t_p(est, se, dof)), f"welch_t({unit} means)", unit, (len(a), len(b)),
                        float(b.mean()), log, min(len(a), len(b)) >= min_units, "; ".join(notes))

