"""Power and sample size for two independent groups (independent units: animals, batches).

Everything is per group and assumes equal group sizes, a common SD and independent units:
with nested data ``n`` counts the top-level units (animals or culture batches), or the
effective number ``n_cells / design_effect`` (SCIENCE.md section 5: add animals, not cells).

* :func:`n_for_power` and :func:`minimal_detectable_effect` use the exact noncentral t
  power of Student's two-sample t-test (``method='t'``, default; equal to
  :class:`statsmodels.stats.power.TTestIndPower`) or the normal approximation
  ``n = 2 (z_a + z_b)^2 sd^2 / effect^2`` (``method='normal'``).
* :func:`tost_n` uses the two one-sided tests at level ``alpha`` each; the power is
  ``1 - P(fail lower) - P(fail upper)`` with noncentral t tails (exact enough for design),
  or the normal formula ``n = 2 (z_a + z_b')^2 sd^2 / (margin - |true_diff|)^2`` with
  ``b' = beta/2`` when ``true_diff = 0``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from scipy import optimize
from scipy import stats as sps

from ephystool.errors import AnalysisError

__all__ = ["design_effect", "design_effect_note", "minimal_detectable_effect", "n_for_power", "power_t",
           "tost_n", "tost_power"]

Method = Literal["t", "normal"]
_N_MAX = 1_000_000


def _check(alpha: float, power: float | None, sd: float) -> None:
    if not 0 < alpha < 1:
        raise AnalysisError(f"alpha must be in (0, 1); got {alpha}")
    if power is not None and not 0 < power < 1:
        raise AnalysisError(f"power must be in (0, 1); got {power}")
    if not sd > 0:
        raise AnalysisError(f"sd must be > 0; got {sd}")


def _z(alpha: float, power: float, two_sided: bool) -> float:
    """``z_(1 - alpha/2) + z_power`` (``z_(1 - alpha)`` one-sided): the normal approximation's noncentrality."""
    return float(sps.norm.ppf(1 - alpha / (2 if two_sided else 1)) + sps.norm.ppf(power))


def power_t(effect: float, sd: float, n_per_group: float, alpha: float = 0.05, two_sided: bool = True) -> float:
    """Power of Student's two-sample t-test with ``n_per_group`` units per group.

    Parameters
    ----------
    effect : float
        True difference of means (same units as ``sd``).
    sd : float
        Common SD between independent units.
    n_per_group : float
        Units per group (>= 2).
    alpha : float
        Significance level.
    two_sided : bool
        Two-sided test (power counts rejections in the direction of the effect and the other).

    Returns
    -------
    float
    """
    _check(alpha, None, sd)
    dof = 2 * n_per_group - 2
    nc = abs(effect) / sd * math.sqrt(n_per_group / 2)
    crit = sps.t.ppf(1 - alpha / (2 if two_sided else 1), dof)
    p = sps.nct.sf(crit, dof, nc)
    return float(p + sps.nct.cdf(-crit, dof, nc)) if two_sided else float(p)


def _smallest_n(power_of_n: Callable[[int], float], target: float) -> int:
    """Smallest integer n >= 2 with ``power_of_n(n) >= target`` (power increasing in n)."""
    hi = 2
    while power_of_n(hi) < target:
        hi *= 2
        if hi > _N_MAX:
            raise AnalysisError(f"more than {_N_MAX} units per group would be needed; the effect is too small")
    lo = max(hi // 2, 2)
    if power_of_n(lo) >= target:
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if power_of_n(mid) >= target else (mid, hi)
    return hi


def n_for_power(
    effect: float, sd: float, alpha: float = 0.05, power: float = 0.8, two_sided: bool = True, method: Method = "t"
) -> int:
    """Units per group needed to detect a difference ``effect`` with the given power.

    Parameters
    ----------
    effect : float
        Difference of means to detect (e.g. 20 percentage points of LTP).
    sd : float
        SD between independent units (e.g. 25 percentage points).
    alpha, power : float
        Significance level and target power.
    two_sided : bool
        Two-sided test.
    method : {'t', 'normal'}
        Exact noncentral t (default) or normal approximation.

    Returns
    -------
    int
        Units per group (rounded up). SCIENCE.md: 20/25 -> 26 (t) or 25 (normal).
    """
    _check(alpha, power, sd)
    if effect == 0:
        raise AnalysisError("n_for_power: effect must be non-zero")
    if method == "normal":
        return max(2, math.ceil(2 * (_z(alpha, power, two_sided) * sd / effect) ** 2))
    return _smallest_n(lambda n: power_t(effect, sd, n, alpha, two_sided), power)


def minimal_detectable_effect(
    sd: float, n_per_group: int, alpha: float = 0.05, power: float = 0.8, two_sided: bool = True,
    method: Method = "t",
) -> float:
    """Smallest true difference detected with the given power and ``n_per_group`` units per group.

    Parameters
    ----------
    sd : float
        SD between independent units.
    n_per_group : int
        Units per group (>= 2).
    alpha, power, two_sided, method
        As in :func:`n_for_power`.

    Returns
    -------
    float
        In the units of ``sd``.
    """
    _check(alpha, power, sd)
    if n_per_group < 2:
        raise AnalysisError(f"n_per_group must be >= 2; got {n_per_group}")
    if method == "normal":
        return float(_z(alpha, power, two_sided) * sd * math.sqrt(2 / n_per_group))
    def shortfall(d: float) -> float:
        return power_t(d, sd, n_per_group, alpha, two_sided) - power

    hi = minimal_detectable_effect(sd, n_per_group, alpha, power, two_sided, "normal")
    while shortfall(hi) < 0:  # the t-test needs a larger effect than the normal approximation
        hi *= 1.25
    return float(optimize.brentq(shortfall, 1e-9 * sd, hi, xtol=1e-10 * sd))


def tost_power(
    margin: float, sd: float, n_per_group: float, alpha: float = 0.05, true_diff: float = 0.0
) -> float:
    """Approximate power of a two-group TOST with symmetric bounds ``±margin``.

    ``1 - P(T_low <= t_crit) - P(T_high <= t_crit)`` with noncentral t distributions,
    floored at 0; accurate when the power is not tiny.

    Parameters
    ----------
    margin : float
        Equivalence margin (> ``|true_diff|``).
    sd : float
        SD between independent units.
    n_per_group : float
        Units per group.
    alpha : float
        Level of each one-sided test.
    true_diff : float
        Assumed true difference.

    Returns
    -------
    float
    """
    _check(alpha, None, sd)
    dof = 2 * n_per_group - 2
    se = sd * math.sqrt(2 / n_per_group)
    crit = sps.t.ppf(1 - alpha, dof)
    miss = sps.nct.cdf(crit, dof, (true_diff + margin) / se) + sps.nct.cdf(crit, dof, (margin - true_diff) / se)
    return float(max(0.0, 1.0 - miss))


def tost_n(
    margin: float, sd: float, alpha: float = 0.05, power: float = 0.8, true_diff: float = 0.0, method: Method = "t"
) -> int:
    """Units per group for a two-group TOST to conclude equivalence within ``±margin``.

    Parameters
    ----------
    margin : float
        Equivalence margin (e.g. 15 percentage points of LTP).
    sd : float
        SD between independent units.
    alpha : float
        Level of each one-sided test.
    power : float
        Target power.
    true_diff : float
        Assumed true difference (``|true_diff| < margin``).
    method : {'t', 'normal'}
        Noncentral t power (default) or the normal formula.

    Returns
    -------
    int
        SCIENCE.md: ±15 with SD 25 -> 49 (t) or 48 (normal).
    """
    _check(alpha, power, sd)
    if not margin > abs(true_diff):
        raise AnalysisError(f"tost_n: margin ({margin}) must exceed |true_diff| ({abs(true_diff)})")
    if method == "normal":
        beta = (1 - power) / 2 if true_diff == 0 else 1 - power
        z = sps.norm.ppf(1 - alpha) + sps.norm.ppf(1 - beta)
        return max(2, math.ceil(2 * (z * sd / (margin - abs(true_diff))) ** 2))
    return _smallest_n(lambda n: tost_power(margin, sd, n, alpha, true_diff), power)


def design_effect(icc: float, cluster_size: float) -> float:
    """Kish design effect ``1 + (m - 1) ICC`` of ``m`` observations per cluster.

    Parameters
    ----------
    icc : float
        Intra-class correlation at the cluster (animal/batch) level, in [0, 1].
    cluster_size : float
        Mean observations per cluster.

    Returns
    -------
    float
    """
    if not 0 <= icc <= 1 or cluster_size < 1:
        raise AnalysisError(f"design_effect: need 0 <= icc <= 1 and cluster_size >= 1; got {icc}, {cluster_size}")
    return 1.0 + (cluster_size - 1.0) * icc


def design_effect_note(icc: float, n_obs: int, n_clusters: int, unit: str = "animal") -> str:
    """One-line explanation of the effective sample size of nested data.

    Parameters
    ----------
    icc : float
        Intra-class correlation at the cluster level.
    n_obs : int
        Observations (cells, wells) per group.
    n_clusters : int
        Clusters (animals, batches) per group.
    unit : str
        Name of the cluster.

    Returns
    -------
    str
    """
    m = n_obs / max(n_clusters, 1)
    de = design_effect(icc, m)
    n_eff = n_obs / de
    return (f"{n_obs} observations from {n_clusters} {unit}s (ICC {icc:.2f}, design effect {de:.2f}) carry the "
            f"information of about {n_eff:.1f} independent units; add {unit}s, not observations per {unit}")

