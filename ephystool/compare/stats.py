"""Statistics on tidy tables: nested (hierarchical) comparisons of two conditions.

Input is a tidy :class:`pandas.DataFrame`, one row per observation (a cell's or a well's
value of one metric), with columns ``value``, ``condition`` and unit levels, outermost
first: ``animal``/``slice``/``cell`` (slice patch clamp) or ``batch``/``plate``/``well``
(MEA). Levels may be absent or blank; the functions use the levels present. An optional
``pair_id`` column marks a wash-in design (the same cell or well under both conditions).

Observations inside an animal are not independent (SCIENCE.md section 5; Aarts et al.
2014), so intervals come from a hierarchical bootstrap (Saravanan, Berman & Sober 2020)
and p-values from a mixed model ``value ~ condition + (1|animal) + (1|animal:slice)``
with documented fallbacks. Power calculations live in :mod:`ephystool.compare.power`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ephystool.compare._resample import present_levels, unit_codes
from ephystool.compare._table import Prepared, prepare
from ephystool.compare.bootstrap import (
    LEVELS_PATCH,
    BootstrapResult,
    Stat,
    bootstrap_on,
    bootstrap_p,
    check_bootstrap_args,
    hedges_g,
    hierarchical_bootstrap,
)
from ephystool.compare.mixed import MixedModelResult, mixed_model_on, mixed_model_p
from ephystool.errors import AnalysisError

__all__ = [
    "BootstrapResult",
    "check_tost_args",
    "EffectSummary",
    "MixedModelResult",
    "TostResult",
    "describe",
    "effect_summary",
    "effect_summary_on",
    "hedges_g",
    "hierarchical_bootstrap",
    "holm",
    "mixed_model_p",
    "tost",
    "tost_on",
]


@dataclass(frozen=True)
class TostResult:
    """Two one-sided tests by hierarchical bootstrap; ``equivalent`` is the verdict."""

    equivalent: bool
    estimate: float
    ci_low: float
    ci_high: float
    lower_bound: float
    upper_bound: float
    p_lower: float
    p_upper: float
    p: float
    scale: str
    alpha: float
    note: str = ""


@dataclass(frozen=True)
class EffectSummary:
    """Difference, ratio and Hedges' g with hierarchical-bootstrap CIs, plus the mixed-model p."""

    condition: str
    reference: str
    log: bool
    difference: BootstrapResult
    ratio: BootstrapResult
    hedges_g: BootstrapResult
    mixed: MixedModelResult

    @property
    def percent_change(self) -> tuple[float, float, float]:
        """Percent change ``100 (ratio - 1)`` as (estimate, ci_low, ci_high)."""
        r = self.ratio
        return tuple(100.0 * (x - 1.0) for x in (r.estimate, r.ci_low, r.ci_high))  # type: ignore[return-value]

    def rows(self) -> list[dict[str, Any]]:
        """Tidy rows: one per statistic with estimate, CI, mixed-model p and method."""
        pct = self.percent_change
        out = []
        for name, b in (("difference", self.difference), ("ratio", self.ratio), ("hedges_g", self.hedges_g)):
            out.append({"statistic": name, "estimate": b.estimate, "ci_low": b.ci_low, "ci_high": b.ci_high})
        out.append({"statistic": "percent_change", "estimate": pct[0], "ci_low": pct[1], "ci_high": pct[2]})
        for row in out:
            row.update(condition=self.condition, reference=self.reference, log=self.log,
                       confidence=self.ratio.confidence, p=self.mixed.p, p_method=self.mixed.method)
        return out


def effect_summary(
    df: pd.DataFrame,
    condition: str,
    reference: str,
    levels: tuple[str, ...] = LEVELS_PATCH,
    log: bool = False,
    n_boot: int = 2000,
    seed: int | np.random.Generator | None = 0,
    confidence: float = 0.95,
) -> EffectSummary:
    """Difference, ratio (percent change) and Hedges' g with CIs, plus the mixed-model p.

    All three statistics share one set of hierarchical bootstrap replicates (see
    :func:`hierarchical_bootstrap`); with ``log=True`` the difference is a log ratio and
    the ratio is the ratio of geometric means. The p-value is :func:`mixed_model_p`.

    Parameters
    ----------
    df : DataFrame
        Tidy table with ``value``, ``condition`` and level columns.
    condition, reference : str
        Treated and reference condition labels.
    levels : tuple of str
        Unit levels, outermost first.
    log : bool
        Analyse natural logs of the values.
    n_boot : int
        Number of bootstrap replicates.
    seed : int or numpy.random.Generator or None
        Seed or generator.
    confidence : float
        Coverage of the intervals.

    Returns
    -------
    EffectSummary
    """
    check_bootstrap_args(n_boot, confidence, "ratio")
    return effect_summary_on(prepare(df, condition, reference, levels, log), levels, n_boot, seed, confidence)


def effect_summary_on(prep: Prepared, levels: tuple[str, ...] = LEVELS_PATCH, n_boot: int = 2000,
                      seed: int | np.random.Generator | None = 0, confidence: float = 0.95) -> EffectSummary:
    """:func:`effect_summary` of data prepared once (the scale is ``prep.log``); ``levels``: those asked for."""
    check_bootstrap_args(n_boot, confidence, "ratio")
    res = bootstrap_on(prep, ("difference", "ratio", "hedges_g"), n_boot, seed, confidence, levels)
    return EffectSummary(prep.condition, prep.reference, prep.log, res["difference"], res["ratio"], res["hedges_g"],
                         mixed_model_on(prep))


def holm(pvalues: Any) -> np.ndarray:
    """Holm–Bonferroni step-down adjusted p-values; NaNs stay NaN and are not counted.

    Parameters
    ----------
    pvalues : array_like
        Raw p-values in [0, 1] (NaN allowed).

    Returns
    -------
    ndarray
        Adjusted p-values, same shape and order as the input, capped at 1.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    flat = p.ravel()
    ok = np.flatnonzero(np.isfinite(flat))
    if np.any((flat[ok] < 0) | (flat[ok] > 1)):
        raise AnalysisError("holm: p-values must lie in [0, 1]")
    m = len(ok)
    order = ok[np.argsort(flat[ok], kind="stable")]
    adj = np.minimum(np.maximum.accumulate((m - np.arange(m)) * flat[order]), 1.0)
    res = out.ravel()
    res[order] = adj
    return res.reshape(p.shape)


def _bounds(margin: float | tuple[float, float], scale: str) -> tuple[float, float]:
    """Equivalence bounds on the statistic's scale."""
    if isinstance(margin, tuple):
        lo, hi = float(margin[0]), float(margin[1])
    else:
        m = float(margin)
        if not m > 0 or (scale == "ratio" and m >= 1):
            raise AnalysisError(f"tost: margin must be > 0 (and < 1 for scale='ratio'); got {margin}")
        lo, hi = (1 - m, 1 + m) if scale == "ratio" else (-m, m)
    if not lo < (1.0 if scale == "ratio" else 0.0) < hi:
        raise AnalysisError(f"tost: bounds ({lo}, {hi}) must enclose the no-effect value")
    return lo, hi


def tost(
    df: pd.DataFrame,
    condition: str,
    reference: str,
    levels: tuple[str, ...] = LEVELS_PATCH,
    margin: float | tuple[float, float] = 0.2,
    scale: Literal["ratio", "difference"] = "ratio",
    alpha: float = 0.05,
    seed: int | np.random.Generator | None = 0,
    log: bool = False,
    n_boot: int = 2000,
) -> TostResult:
    """Equivalence test (two one-sided tests) by hierarchical bootstrap.

    Equivalent when the ``1 - 2 alpha`` (90 % for alpha = 0.05) percentile interval lies
    strictly inside the bounds (Lakens 2017). One-sided p-values are the bootstrap tail
    proportions beyond each bound, ``(1 + #{θ* <= lower}) / (n_boot + 1)`` and likewise
    above the upper bound; ``p`` is their maximum. Not equivalent does not mean different:
    with few units the interval is wide and the result is inconclusive.

    Parameters
    ----------
    df, condition, reference, levels
        The tidy table, the treated and reference labels and the unit levels, as in :func:`effect_summary`.
    margin : float or (float, float)
        ``scale='ratio'``: relative margin, bounds ``(1 - margin, 1 + margin)`` on the ratio
        of means (0.2 = ±20 %). ``scale='difference'``: bounds ``(-margin, margin)`` in value
        units (log units when ``log=True``, e.g. MEA log ratio ±0.2). A tuple gives explicit
        (lower, upper) bounds on the statistic's scale.
    scale : {'ratio', 'difference'}
        Statistic the bounds apply to.
    alpha : float
        Level of each one-sided test.
    seed : int or numpy.random.Generator or None
        Seed or generator.
    log : bool
        Analyse natural logs of the values.
    n_boot : int
        Number of bootstrap replicates.

    Returns
    -------
    TostResult
    """
    check_tost_args(margin, scale, alpha, n_boot)  # arguments checked before the data
    return tost_on(prepare(df, condition, reference, levels, log), levels, margin, scale, alpha, seed, n_boot)


def check_tost_args(margin: float | tuple[float, float], scale: str, alpha: float,
                    n_boot: int) -> tuple[float, float]:
    """The equivalence bounds of :func:`tost`'s arguments; raises AnalysisError on an invalid one."""
    if scale not in ("ratio", "difference"):
        raise AnalysisError(f"tost: scale must be 'ratio' or 'difference'; got '{scale}'")
    if not 0 < alpha < 0.5:
        raise AnalysisError(f"tost: alpha must be in (0, 0.5); got {alpha}")
    lo_hi = _bounds(margin, scale)
    check_bootstrap_args(n_boot, 1 - 2 * alpha, scale)
    return lo_hi


def tost_on(prep: Prepared, levels: tuple[str, ...], margin: float | tuple[float, float], scale: Stat,
            alpha: float = 0.05, seed: int | np.random.Generator | None = 0, n_boot: int = 2000) -> TostResult:
    """:func:`tost` of data prepared once (the scale is ``prep.log``); ``levels``: those asked for."""
    lo, hi = check_tost_args(margin, scale, alpha, n_boot)
    boot = bootstrap_on(prep, (scale,), n_boot, seed, 1 - 2 * alpha, levels)[scale]
    p_lo, p_hi = bootstrap_p(boot.samples, lo)[0], bootstrap_p(boot.samples, hi)[1]
    equivalent = bool(lo < boot.ci_low and boot.ci_high < hi)
    return TostResult(equivalent, boot.estimate, boot.ci_low, boot.ci_high, lo, hi, float(p_lo), float(p_hi),
                      float(max(p_lo, p_hi)), scale, alpha, boot.note)


def describe(df: pd.DataFrame, levels: tuple[str, ...] = LEVELS_PATCH, log: bool = False) -> pd.DataFrame:
    """Per-condition summary: counts per level, mean, SD, median, SEM, geometric mean.

    The SEM is computed over the top-level unit means (e.g. one mean per animal, the mean
    of its observations), because observations inside a unit are not independent; with a
    single top-level unit it is NaN, and with no level present it is over observations.
    ``sem_unit`` names the unit used. ``geo_mean`` is ``exp(mean(log value))`` when
    ``log=True`` (NaN otherwise). Non-finite values are ignored.

    Parameters
    ----------
    df : DataFrame
        Tidy table with ``value``, ``condition`` and level columns.
    levels : tuple of str
        Unit levels, outermost first; ``n_<level>`` is NA for absent levels.
    log : bool
        The metric is log-scale (rates, ratios); values must then be positive.

    Returns
    -------
    DataFrame
        One row per condition (in order of appearance).
    """
    for col in ("value", "condition"):
        if col not in df.columns:
            raise AnalysisError(f"describe: table has no '{col}' column")
    data = df.assign(_y=pd.to_numeric(df["value"], errors="coerce").astype(float))
    data = data[np.isfinite(data["_y"])]
    if log and (data["_y"] <= 0).any():
        raise AnalysisError("describe: log=True needs positive values; found values <= 0")
    present = present_levels(data, levels)
    rows = []
    for cond, g in data.groupby("condition", sort=False):
        y = g["_y"].to_numpy()
        row: dict[str, Any] = {"condition": cond, "n_obs": len(y)}
        codes = unit_codes(g, present)
        for lv in levels:
            row[f"n_{lv}"] = int(len(np.unique(codes[:, present.index(lv)]))) if lv in present else pd.NA
        if present:
            unit_means = pd.Series(y).groupby(codes[:, 0]).mean().to_numpy()
            unit = present[0]
        else:
            unit_means, unit = y, "observation"
        k = len(unit_means)
        row.update(mean=y.mean(), sd=y.std(ddof=1) if len(y) > 1 else np.nan, median=float(np.median(y)),
                   sem=unit_means.std(ddof=1) / np.sqrt(k) if k > 1 else np.nan, sem_unit=unit,
                   geo_mean=float(np.exp(np.log(y).mean())) if log else np.nan)
        rows.append(row)
    out = pd.DataFrame(rows)
    for lv in levels:
        out[f"n_{lv}"] = out[f"n_{lv}"].astype("Int64")
    return out
