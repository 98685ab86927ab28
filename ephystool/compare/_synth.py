"""Synthetic nested data sets with known effects, for testing the statistics.

Values are log-normal: ``value = baseline * effect * exp(a + s + c)`` with independent
normal animal (``a``), slice (``s``) and cell (``c``) deviations in natural-log units, so
the ratio of arithmetic means and the ratio of geometric means both equal the effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["nested_dataset"]


def nested_dataset(
    n_animals: int,
    slices_per_animal: int,
    cells_per_slice: int,
    effect_ratio: float = 1.0,
    animal_sd: float = 0.2,
    slice_sd: float = 0.1,
    cell_sd: float = 0.3,
    seed: int | np.random.Generator | None = 0,
    conditions: tuple[str, str] = ("control", "treated"),
    baseline: float = 100.0,
    paired: bool = False,
) -> pd.DataFrame:
    """Tidy nested data set of two conditions with a known multiplicative effect.

    Parameters
    ----------
    n_animals, slices_per_animal, cells_per_slice : int
        Design per condition (unpaired: different animals per condition).
    effect_ratio : float
        True ratio (treated / control) of both the arithmetic and the geometric means.
    animal_sd, slice_sd, cell_sd : float
        SDs of the normal log-scale deviations at each level.
    seed : int or numpy.random.Generator or None
        Seed or generator.
    conditions : (str, str)
        Reference and treated labels.
    baseline : float
        Median of the reference condition.
    paired : bool
        Wash-in design: every cell is measured under both conditions (``pair_id``), the
        second measurement with its own cell-level noise of SD ``cell_sd / 2`` (the effect is
        then exact for the geometric means).

    Returns
    -------
    DataFrame
        Columns ``value, condition, animal, slice, cell`` (and ``pair_id`` when paired).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for ci, cond in enumerate(conditions):
        if paired and ci == 1:
            break
        for a in range(n_animals):
            ea = rng.normal(0, animal_sd)
            for s in range(slices_per_animal):
                es = rng.normal(0, slice_sd)
                for c in range(cells_per_slice):
                    animal, sl, cell = f"{cond}-a{a}", f"s{s}", f"c{c}"
                    log_v = np.log(baseline) + ea + es + rng.normal(0, cell_sd)
                    if paired:
                        animal = f"a{a}"
                        pid = f"{animal}/{sl}/{cell}"
                        rows.append((np.exp(log_v), conditions[0], animal, sl, cell, pid))
                        log_t = log_v + np.log(effect_ratio) + rng.normal(0, cell_sd / 2)
                        rows.append((np.exp(log_t), conditions[1], animal, sl, cell, pid))
                    else:
                        eff = np.log(effect_ratio) if ci == 1 else 0.0
                        rows.append((np.exp(log_v + eff), cond, animal, sl, cell, None))
    df = pd.DataFrame(rows, columns=["value", "condition", "animal", "slice", "cell", "pair_id"])
    return df if paired else df.drop(columns="pair_id")
