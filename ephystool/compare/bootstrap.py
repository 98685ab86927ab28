"""Hierarchical bootstrap of two-condition comparisons on nested tidy tables.

Within each condition the top-level units (animals) are resampled with replacement, then
the slices of each chosen animal, then the cells of each chosen slice (Saravanan, Berman &
Sober 2020); the statistic is computed on the resampled pooled means. The resampling engine
(:mod:`ephystool.compare._resample`) is vectorised over replicates. Public names are
re-exported by :mod:`ephystool.compare.stats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from ephystool.compare._resample import build_tree, resample_moments, unit_codes
from ephystool.compare._table import Prepared, prepare
from ephystool.errors import AnalysisError

__all__ = ["LEVELS_PATCH", "BootstrapResult", "Stat", "bootstrap_on", "bootstrap_p", "hedges_g", "hierarchical_bootstrap"]

Stat = Literal["ratio", "difference", "hedges_g"]
LEVELS_PATCH = ("animal", "slice", "cell")


@dataclass(frozen=True)
class BootstrapResult:
    """Point estimate and percentile interval of a hierarchical bootstrap.

    ``estimate`` is the statistic on the original data (pooled observation means);
    ``samples`` holds the finite bootstrap replicates. ``levels`` are the levels that were
    resampled (outermost first); ``note`` explains fallbacks and caveats.
    """

    estimate: float
    ci_low: float
    ci_high: float
    samples: np.ndarray = field(repr=False, compare=False)
    stat: str = "ratio"
    confidence: float = 0.95
    levels: tuple[str, ...] = ()
    paired: bool = False
    note: str = ""


def _correction(df: np.ndarray | float) -> np.ndarray:
    """Exact Hedges small-sample factor J(df) = Γ(df/2) / (sqrt(df/2) Γ((df-1)/2)); NaN for df <= 1."""
    df = np.asarray(df, dtype=float)
    ok = df > 1
    safe = np.where(ok, df, 2.0)
    j = np.exp(special.gammaln(safe / 2) - 0.5 * np.log(safe / 2) - special.gammaln((safe - 1) / 2))
    return np.where(ok, j, np.nan)


def _stat(stat: str, log: bool, paired: bool, m: dict[str, np.ndarray]) -> np.ndarray:
    """Statistic from (possibly vectorised) moments ``n_c, mean_c, var_c, n_r, mean_r, var_r``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = m["mean_c"] - m["mean_r"]
        if stat == "difference":
            return diff
        if stat == "ratio":
            return np.exp(diff) if log else m["mean_c"] / m["mean_r"]
        if paired:  # g_av: mean difference over the average SD (comparable with unpaired g)
            sd = np.sqrt((m["var_c"] + m["var_r"]) / 2)
            return diff / sd * _correction(m["n_c"] - 1)
        dof = m["n_c"] + m["n_r"] - 2
        sd = np.sqrt(((m["n_c"] - 1) * m["var_c"] + (m["n_r"] - 1) * m["var_r"]) / dof)
        return diff / sd * _correction(dof)


def _moments(s0: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased variance from weighted sums."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / s0
        var = np.maximum(s2 - s0 * mean**2, 0.0) / (s0 - 1)
    return mean, var


def bootstrap_moments(prep: Prepared, n_boot: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Bootstrap moments; ``n_boot=0`` gives the original data's moments (all weights 1)."""
    out: dict[str, np.ndarray] = {}
    if prep.paired:
        p = prep.pairs
        codes = unit_codes(p, prep.levels)
        vals = p[["y_ref", "y_cond"]].to_numpy()
        if n_boot:
            s0, s1, s2 = resample_moments(build_tree(codes), vals, n_boot, rng)
        else:
            s0, s1, s2 = np.array([len(vals)], float), vals.sum(0)[None], (vals**2).sum(0)[None]
        for c, key in ((0, "r"), (1, "c")):
            out[f"n_{key}"] = s0
            out[f"mean_{key}"], out[f"var_{key}"] = _moments(s0, s1[:, c], s2[:, c])
        return out
    for t, key in ((1.0, "c"), (0.0, "r")):
        sel = (prep.data["treat"] == t).to_numpy()
        y = prep.data["y"].to_numpy()[sel]
        if n_boot:
            s0, s1, s2 = resample_moments(build_tree(prep.codes[sel]), y[:, None], n_boot, rng)
            s1, s2 = s1[:, 0], s2[:, 0]
        else:
            s0, s1, s2 = np.array([len(y)], float), np.array([y.sum()]), np.array([(y**2).sum()])
        out[f"n_{key}"] = s0
        out[f"mean_{key}"], out[f"var_{key}"] = _moments(s0, s1, s2)
    return out


def _boot_note(prep: Prepared, requested: Any) -> str:
    """Caveats about the levels resampled."""
    notes = [prep.note] if prep.note else []
    missing = [lv for lv in requested if lv not in prep.levels]
    if missing:
        notes.append(f"level(s) {missing} absent: resampled {list(prep.levels) or ['observations']}")
    if prep.levels:
        top = prep.levels[0]
        groups = [("pairs", prep.pairs)] if prep.paired else [
            (str(g["condition"].iloc[0]), g) for _, g in prep.data.groupby("treat")]
        for name, g in groups:
            k = g[top].nunique()
            if k < 3:
                notes.append(f"only {k} {top} in {name}: too few top-level units, CI unreliable "
                             f"(between-{top} variation {'ignored' if k < 2 else 'underestimated'})")
    return "; ".join(notes)


def bootstrap_p(samples: np.ndarray, value: float) -> tuple[float, float]:
    """Bootstrap tail probabilities ``(P(s <= value), P(s >= value))`` of replicates ``samples``, each with
    the +1 correction ((1 + count) / (n + 1)); ``min(1, 2 * min(...))`` is the two-sided p against ``value``."""
    s = np.asarray(samples)
    n = s.size
    return float((1 + np.sum(s <= value)) / (n + 1)), float((1 + np.sum(s >= value)) / (n + 1))


def percentile_result(stat: str, prep: Prepared, moments: dict, point: dict, confidence: float, requested: Any,
            log: bool) -> BootstrapResult:
    """Percentile interval of one statistic from shared bootstrap moments."""
    samples = _stat(stat, log, prep.paired, moments)
    samples = samples[np.isfinite(samples)]
    estimate = float(_stat(stat, log, prep.paired, point)[0])
    note = _boot_note(prep, requested)
    if len(samples) < 0.9 * len(moments["n_c"]):
        note += ("; " if note else "") + f"only {len(samples)} finite replicates"
    a = (1 - confidence) / 2
    lo, hi = np.quantile(samples, [a, 1 - a]) if len(samples) else (np.nan, np.nan)
    return BootstrapResult(estimate, float(lo), float(hi), samples, stat, confidence, prep.levels,
                           prep.paired, note)


def check_bootstrap_args(n_boot: int, confidence: float, stat: str) -> None:
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence must be in (0, 1); got {confidence}")
    if n_boot < 10:
        raise AnalysisError(f"n_boot must be at least 10; got {n_boot} (use >= 2000 for reporting)")
    if stat not in ("ratio", "difference", "hedges_g"):
        raise AnalysisError(f"stat must be 'ratio', 'difference' or 'hedges_g'; got '{stat}'")


def hierarchical_bootstrap(
    df: pd.DataFrame,
    condition: str,
    reference: str,
    levels: tuple[str, ...] = LEVELS_PATCH,
    stat: Stat = "ratio",
    n_boot: int = 2000,
    seed: int | np.random.Generator | None = 0,
    log: bool = False,
    confidence: float = 0.95,
) -> BootstrapResult:
    """Hierarchical bootstrap CI of ``condition`` versus ``reference``.

    Within each condition, resample the top-level units (e.g. animals) with replacement,
    then the slices of each chosen animal, then the cells of each chosen slice, and compute
    the statistic on the resampled pooled means (Saravanan, Berman & Sober 2020). Levels
    absent from the table are skipped; with none, observations are resampled. Units that
    contribute to both conditions are resampled independently per condition (conservative).

    With a ``pair_id`` column (wash-in design) complete pairs are the leaves and are
    resampled, together with their two values, over the levels present.

    Parameters
    ----------
    df, condition, reference, levels
        The tidy table (``value``, ``condition``, level columns), the treated and reference labels and
        the unit levels, outermost first, as in :func:`ephystool.compare.stats.effect_summary`.
    stat : {'ratio', 'difference', 'hedges_g'}
        Ratio of means (of geometric means when ``log``), difference of means (of log
        means, i.e. a log ratio, when ``log``) or Hedges' g (g_av for paired designs).
    n_boot : int
        Number of bootstrap replicates.
    seed : int or numpy.random.Generator or None
        Seed or generator; the same seed gives identical results.
    log : bool
        Analyse natural logs of the values (rates, ratios).
    confidence : float
        Coverage of the percentile interval.

    Returns
    -------
    BootstrapResult

    Raises
    ------
    AnalysisError
        Missing columns or conditions, fewer than 2 values per condition, bad arguments.
    """
    check_bootstrap_args(n_boot, confidence, stat)
    return bootstrap_on(prepare(df, condition, reference, levels, log), (stat,), n_boot, seed, confidence,
                        levels)[stat]


def bootstrap_on(prep: Prepared, stats: tuple[Stat, ...], n_boot: int, seed: int | np.random.Generator | None,
                 confidence: float, requested: tuple[str, ...]) -> dict[str, BootstrapResult]:
    """Hierarchical bootstrap of data prepared once: the ``stats`` share one set of replicates.

    Parameters
    ----------
    prep : Prepared
        The two conditions' rows with ``y`` on the analysis scale (``prep.log``), levels and unit codes.
    stats : tuple of {'ratio', 'difference', 'hedges_g'}
        The statistics (see :func:`hierarchical_bootstrap`).
    n_boot : int
        Number of bootstrap replicates.
    seed : int or numpy.random.Generator or None
        Seed or generator; the same seed gives identical results.
    confidence : float
        Coverage of the percentile intervals.
    requested : tuple of str
        The levels asked for (a note names those absent).

    Returns
    -------
    dict of str to BootstrapResult
        One result per statistic.
    """
    rng = np.random.default_rng(seed)
    moments = bootstrap_moments(prep, n_boot, rng)
    point = bootstrap_moments(prep, 0, rng)
    return {s: percentile_result(s, prep, moments, point, confidence, requested, prep.log) for s in stats}


def hedges_g(a: Any, b: Any) -> float:
    """Hedges' g of ``a`` relative to ``b`` with the exact small-sample correction.

    ``g = J(df) (mean(a) - mean(b)) / s_pooled`` with ``df = n_a + n_b - 2`` and
    ``J(df) = Γ(df/2) / (sqrt(df/2) Γ((df-1)/2))`` (≈ ``1 - 3/(4 df - 1)``). NaNs are ignored.

    Parameters
    ----------
    a, b : array_like
        The two samples.

    Returns
    -------
    float
        NaN when the pooled SD is zero.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 1 or len(b) < 1 or len(a) + len(b) < 4:
        raise AnalysisError(f"hedges_g needs n_a + n_b >= 4 finite values (df >= 2); got {len(a)} and {len(b)}")
    m = {"n_c": np.array([len(a)]), "mean_c": np.array([a.mean()]),
         "var_c": np.array([a.var(ddof=1) if len(a) > 1 else 0.0]),
         "n_r": np.array([len(b)]), "mean_r": np.array([b.mean()]),
         "var_r": np.array([b.var(ddof=1) if len(b) > 1 else 0.0])}
    g = _stat("hedges_g", False, False, m)[0]
    return float(g) if np.isfinite(g) else float("nan")
