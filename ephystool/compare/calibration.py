"""Calibration of the decision rule at lab sample sizes, by simulation with fixed seeds.

Nested lognormal data (natural-log deviations: animal, slice, cell), two conditions with
different animals, the claims engine's decision rule (:mod:`ephystool.compare.decision`) applied
to every replicate at once. Reported per design and animals per condition:

* ``fpr_directional``: share of null experiments (true ratio 1) with a directional verdict
  (Welch p < alpha on animal means, either direction);
* ``fpr_tost``: share of experiments whose true ratio sits exactly on the equivalence margin
  (``1 + margin``) that declare equivalence (TOST, ``1 - 2 alpha`` t interval inside
  ``[log(1 - margin), log(1 + margin)]``);
* ``power_directional`` at the ratio ``effect`` and ``power_tost`` at a true ratio of 1;
* ``*_upper``: Clopper-Pearson 95 % upper bound of each false-positive rate.

Variance components follow the issue's null model: animal ICC 0.29 on the log scale (Aarts et
al. 2014 report ICCs of this size for neuroscience data), total log-SD 0.5, the non-animal
variance split 1 : 2 between slice and cell where slices exist.
The benchmark ``benchmarks/bench_verdict_calibration.py`` runs it at full size; the test suite at a
reduced size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from ephystool.compare.decision import t_ci, t_p, welch

__all__ = ["DESIGNS", "CalibrationRow", "calibrate", "clopper_pearson_upper", "simulate_animal_means"]

#: (label, slices per animal, cells per slice)
DESIGNS: tuple[tuple[str, int, int], ...] = (("1 cell/animal", 1, 1), ("2 slices x 3 cells", 2, 3))


@dataclass(frozen=True)
class CalibrationRow:
    """Rates of one design and size (see the module docstring)."""

    design: str
    total_sd: float
    n_animals: int
    reps: int
    fpr_directional: float
    fpr_directional_upper: float
    fpr_tost: float
    fpr_tost_upper: float
    power_directional: float
    power_tost: float


def clopper_pearson_upper(k: int, n: int, level: float = 0.95) -> float:
    """Upper end of the two-sided Clopper-Pearson interval of a binomial proportion ``k / n``."""
    if k >= n:
        return 1.0
    return float(sps.beta.ppf(0.5 + level / 2, k + 1, n - k))


def simulate_animal_means(rng: np.random.Generator, reps: int, n_animals: int, slices: int, cells: int,
                          log_ratio: float = 0.0, icc: float = 0.29, total_sd: float = 0.5) -> np.ndarray:
    """Per-animal means of log values, shape ``(reps, 2, n_animals)`` (axis 1: reference, condition).

    Each value is ``a + s + c`` (+ ``log_ratio`` in the condition) with normal animal, slice and cell
    deviations; the animal mean is the mean over its ``slices x cells`` values.
    """
    var = total_sd ** 2
    va = icc * var
    rest = var - va
    vs, vc = (rest / 3, 2 * rest / 3) if slices > 1 else (0.0, rest)
    a = rng.normal(0, np.sqrt(va), (reps, 2, n_animals, 1, 1))
    s = rng.normal(0, np.sqrt(vs), (reps, 2, n_animals, slices, 1)) if vs else 0.0
    c = rng.normal(0, np.sqrt(vc), (reps, 2, n_animals, slices, cells))
    y = (a + s + c).reshape(reps, 2, n_animals, slices * cells).mean(axis=-1)
    y[:, 1] += log_ratio
    return y


def _rules(means: np.ndarray, bounds: tuple[float, float], alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(directional verdict, equivalence verdict) per replicate, by the engine's rule."""
    est, se, df = welch(means[:, 1], means[:, 0])
    directional = t_p(est, se, df) < alpha
    lo, hi = t_ci(est, se, df, 1 - 2 * alpha)
    return directional, (lo > bounds[0]) & (hi < bounds[1])


def calibrate(n_animals: tuple[int, ...] = (3, 4, 6, 10), reps: int = 20000, seed: int = 20260117,
              effect: float = 1.5, margin: float = 0.2, alpha: float = 0.05,
              total_sd: float = 0.5) -> list[CalibrationRow]:
    """Rates of the decision rule for each design of :data:`DESIGNS` and each size.

    Parameters
    ----------
    n_animals : tuple of int
        Animals per condition.
    reps : int
        Simulated experiments per design, size and scenario.
    seed : int
        Seed (each design and size gets its own stream derived from it).
    effect : float
        True ratio of geometric means for the directional power.
    margin : float
        Ratio equivalence margin (0.2 = ±20 %, SCIENCE.md 5 for NMDA ratio metrics).
    alpha : float
        Level.
    total_sd : float
        Total SD of the log values (animal + slice + cell); the TOST false-positive rate approaches
        alpha only where the SE of the animal means is small against the margin (low ``total_sd``).

    Returns
    -------
    list of CalibrationRow
    """
    bounds = (float(np.log1p(-margin)), float(np.log1p(margin)))
    rows = []
    for d_i, (label, slices, cells) in enumerate(DESIGNS):
        for n in n_animals:
            rng = np.random.default_rng([seed, d_i, n])
            sim = {name: simulate_animal_means(rng, reps, n, slices, cells, lr, total_sd=total_sd) for name, lr in
                   (("null", 0.0), ("margin", bounds[1]), ("effect", float(np.log(effect))))}
            null_dir, null_eq = _rules(sim["null"], bounds, alpha)
            k_dir, k_eq = int(null_dir.sum()), int(_rules(sim["margin"], bounds, alpha)[1].sum())
            rows.append(CalibrationRow(label, total_sd, n, reps, k_dir / reps, clopper_pearson_upper(k_dir, reps),
                                       k_eq / reps, clopper_pearson_upper(k_eq, reps),
                                       float(_rules(sim["effect"], bounds, alpha)[0].mean()), float(null_eq.mean())))
    return rows
