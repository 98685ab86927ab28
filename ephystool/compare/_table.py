"""Validation and two-condition preparation of tidy tables for :mod:`ephystool.compare.stats`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ephystool.compare._resample import present_levels, unit_codes
from ephystool.errors import AnalysisError

__all__ = ["PAIR", "Prepared", "prepare"]

PAIR = "pair_id"


@dataclass(frozen=True)
class Prepared:
    """Two-condition data ready for resampling and modelling."""

    data: pd.DataFrame  # rows of both conditions; column "y" (log if requested), "treat" 0/1
    levels: tuple[str, ...]  # levels present, outermost first
    codes: np.ndarray  # nested unit codes of data rows
    paired: bool
    pairs: pd.DataFrame | None  # paired: one row per complete pair, columns y_ref, y_cond, levels
    note: str
    condition: str = ""  # the treated condition's label (treat == 1)
    reference: str = ""  # the reference's label (treat == 0)
    log: bool = False  # ``y`` is the natural log of the value


def prepare(df: pd.DataFrame, condition: str, reference: str, levels: Any, log: bool) -> Prepared:
    """Validate and subset ``df`` to the two conditions; detect levels and pairing."""
    for col in ("value", "condition"):
        if col not in df.columns:
            raise AnalysisError(f"table has no '{col}' column; expected a tidy table with 'value' and 'condition'")
    found = set(df["condition"].astype(str))
    for name in (condition, reference):
        if str(name) not in found:
            raise AnalysisError(f"condition '{name}' not in table; found {sorted(found)}")
    data = df[df["condition"].astype(str).isin([str(condition), str(reference)])].copy()
    data["y"] = pd.to_numeric(data["value"], errors="coerce").astype(float)
    notes = []
    n_bad = int((~np.isfinite(data["y"])).sum())
    if n_bad:
        notes.append(f"{n_bad} non-finite value(s) dropped")
        data = data[np.isfinite(data["y"])]
    if log:
        if (data["y"] <= 0).any():
            raise AnalysisError("log=True needs positive values; found values <= 0 (use log=False or a ratio metric)")
        data["y"] = np.log(data["y"])
    data["treat"] = (data["condition"].astype(str) == str(condition)).astype(float)
    for t, name in ((1.0, condition), (0.0, reference)):
        if (data["treat"] == t).sum() < 2:
            raise AnalysisError(f"condition '{name}' has fewer than 2 finite values; need at least 2 per condition")
    lv = present_levels(data, tuple(levels))
    codes = unit_codes(data, lv)
    pairs = None
    paired = PAIR in data.columns and bool(present_levels(data, (PAIR,)))
    if paired:
        pairs, note = _make_pairs(data, lv)
        notes.append(note)
    return Prepared(data, lv, codes, paired, pairs, "; ".join(n for n in notes if n), str(condition), str(reference),
                    bool(log))


def _make_pairs(data: pd.DataFrame, levels: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    """One row per complete pair: mean ``y`` under each condition plus the unit labels."""
    d = data[~data[PAIR].isna()].copy()
    d[PAIR] = d[PAIR].astype(str)
    wide = d.pivot_table(index=PAIR, columns="treat", values="y", aggfunc="mean")
    wide = wide.reindex(columns=[0.0, 1.0]).dropna()
    n_drop = d[PAIR].nunique() - len(wide) + int(data[PAIR].isna().sum())
    if len(wide) < 2:
        raise AnalysisError(f"paired design ('{PAIR}' column) has {len(wide)} complete pair(s); need at least 2")
    units = d[d["treat"] == 0.0].drop_duplicates(PAIR).set_index(PAIR).reindex(wide.index)
    pairs = pd.DataFrame({"y_ref": wide[0.0], "y_cond": wide[1.0]})
    for lv in levels:
        pairs[lv] = units[lv].to_numpy()
    note = f"paired design: {len(wide)} pairs" + (f", {n_drop} unpaired row(s)/pair(s) dropped" if n_drop else "")
    return pairs.reset_index(), note
