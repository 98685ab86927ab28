"""Which rows of the results table a claim is about, and its unit-level data (engine steps 2-3).

Rows of the claim's ``analysis``, ``metric``, ``protocol`` and ``selectors``; rows with a non-empty
``excluded_reason`` are left out and counted; recordings of the same unit (cell / well) are averaged;
a unit present under both conditions makes a paired (wash-in) comparison. An MEA claim on the within-well
post/pre ratio (``window: ratio``) reads the whole-recording values (``window: all``) when no recording was
dosed inside (one recording per well): conditions are then compared between wells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ephystool.compare._resample import present_levels
from ephystool.compare.claims import Claim
from ephystool.core import vocabulary as voc

__all__ = ["LEVELS", "PAIR", "Selection", "filter_rows", "first_unit", "is_blank", "select_claim_data"]

LEVELS: dict[str, tuple[str, ...]] = {"animal": ("animal", "slice", "cell"), "batch": ("batch", "plate", "well")}
_AMBIGUOUS = ("holding_mV", "window")
PAIR = "pair_id"


@dataclass
class Selection:
    """Unit-level data of one claim: ``data`` (condition and reference), ``all_conditions`` (for the summary)."""

    data: pd.DataFrame = field(default_factory=pd.DataFrame)  # empty when ``missing`` says why
    all_conditions: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing: str = ""
    n_excluded: int = 0
    excluded_reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unit: str = ""

    @property
    def excluded_text(self) -> str:
        if not self.n_excluded:
            return ""
        reasons = sorted(set(self.excluded_reasons))
        return (f"{self.n_excluded} row(s) excluded by the inclusion criteria ("
                + "; ".join(reasons[:4]) + (" ..." if len(reasons) > 4 else "") + ")")


def first_unit(rows: pd.DataFrame) -> str:
    """The unit written with a claim's rows (the first non-missing ``unit``), '' when there is none."""
    return str(rows["unit"].dropna().iloc[0]) if "unit" in rows.columns and rows["unit"].notna().any() else ""


def is_blank(col: pd.Series) -> pd.Series:
    return col.isna() | col.astype(str).str.strip().isin(["", "nan", "None", "NaN"])


def _match(col: pd.Series, want: Any) -> pd.Series:
    if isinstance(want, bool):
        return col.astype(str).str.strip().str.lower().isin(["true", "1", "yes"] if want else ["false", "0", "no"])
    if isinstance(want, int | float):
        num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        return pd.Series(np.isfinite(num) & np.isclose(num, float(want), rtol=0, atol=1e-6), index=col.index)
    return col.astype(str).str.strip() == str(want)


def _protocol_matches(value: Any, names: tuple[str, ...]) -> bool:
    """A protocol value matches a template name exactly, or as a file stem starting with it
    (``protocols/nmda_tonic_short.yaml`` matches ``nmda_tonic``)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return False
    text = str(value).strip()
    stem = Path(text).stem if text.endswith((".yaml", ".yml")) else text
    return text in names or any(stem == n or stem.startswith(n + "_") for n in names)


def filter_rows(results: pd.DataFrame, claim: Claim, sel: Selection) -> pd.DataFrame:
    """Rows of the claim's analysis/metric/protocol/selectors, inclusion criteria applied; none (an empty
    table) when ``sel.missing`` says why there is no data."""
    rows = results[(results["analysis"] == claim.analysis) & (results["metric"] == claim.metric)]
    where = f"analysis '{claim.analysis}', metric '{claim.metric}'"
    if rows.empty:
        others = sorted(set(results.loc[results["metric"] == claim.metric, "analysis"]))
        proto = f"protocol {' or '.join(claim.protocol)} " if claim.protocol else "the protocol "
        sel.missing = (f"no data: {proto}was not recorded (no rows with {where})"
                       + (f"; the metric appears under analysis {others}" if others else ""))
        return rows.iloc[0:0]
    if claim.protocol and "protocol" in rows.columns and not is_blank(rows["protocol"]).all():
        found = sorted(set(rows["protocol"].dropna().astype(str)))
        rows = rows[rows["protocol"].map(lambda x: _protocol_matches(x, claim.protocol))]
        if rows.empty:
            sel.missing = (f"no data: protocol {' or '.join(claim.protocol)} was not recorded ({where} comes "
                           f"only from protocol(s) {found})")
            return rows.iloc[0:0]
    for key, want in claim.selectors.items():
        if key not in rows.columns:
            sel.missing = f"no data: the results have no '{key}' column (selector {key}={want!r} of {where})"
            return rows.iloc[0:0]
        matched = rows[_match(rows[key], want)]
        if matched.empty and key == "window" and want == "ratio" and _match(rows[key], "all").any():
            matched = rows[_match(rows[key], "all")]
            sel.notes.append("between-well design: no recording was dosed inside (no post/pre ratio), so the "
                             "whole-recording values are compared between wells nested in plates and batches")
        rows = matched
        if rows.empty:
            sel.missing = f"no data: no rows with {key}={want!r} for {where}"
            return rows.iloc[0:0]
    if "excluded_reason" in rows.columns:
        bad = ~is_blank(rows["excluded_reason"])
        sel.n_excluded = int(bad.sum())
        sel.excluded_reasons = [str(r) for r in rows.loc[bad, "excluded_reason"]]
        rows = rows[~bad]
        if rows.empty:
            sel.missing = f"no data: all {sel.n_excluded} row(s) of {where} were excluded ({sel.excluded_text})"
            return rows.iloc[0:0]
    for key in _AMBIGUOUS:
        if key == "holding_mV" and claim.driving_force is not None:
            continue  # one holding potential is chosen (and the others named) by _one_holding
        if key not in claim.selectors and key in rows.columns:
            vals = sorted(set(rows.loc[~is_blank(rows[key]), key].astype(str)))
            if len(vals) > 1:
                sel.notes.append(f"rows span several {key} values {vals[:5]}: averaged within units; "
                                 f"add a '{key}' selector to the claim")
    return rows


def _aggregate(rows: pd.DataFrame, levels: tuple[str, ...], sel: Selection) -> pd.DataFrame:
    """One row per unit: recordings of the same cell/well (and selector) averaged."""
    rows = rows.copy()
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce")
    leaf = levels[-1]
    if "recording" in rows.columns:
        rows[leaf] = rows[leaf].astype(object) if leaf in rows.columns else pd.Series(None, index=rows.index,
                                                                                       dtype=object)
        no_leaf = is_blank(rows[leaf])
        if no_leaf.any():
            rows.loc[no_leaf, leaf] = "rec:" + rows.loc[no_leaf, "recording"].astype(str)
            sel.notes.append(f"{int(no_leaf.sum())} row(s) without a '{leaf}' label: each recording is one {leaf}")
    present = present_levels(rows, levels)
    if not present:
        sel.notes.append("no unit columns (" + ", ".join(levels) + "): observations treated as independent")
        return rows[["condition", "value"]].reset_index(drop=True)
    for lv in present:
        rows[lv] = rows[lv].where(~is_blank(rows[lv]), "").astype(str)
    n_before = len(rows)
    agg = rows.groupby(["condition", *present], sort=False, dropna=False)["value"].mean().reset_index()
    if len(agg) < n_before:
        sel.notes.append(f"{n_before} rows averaged into {len(agg)} units ({present[-1]} level)")
    return agg


def _pair(data: pd.DataFrame, condition: str, reference: str, levels: tuple[str, ...], sel: Selection) -> pd.DataFrame:
    """Mark units measured under both conditions (wash-in) with ``pair_id`` when at least 2 exist."""
    present = present_levels(data, levels)
    if not present:
        return data
    key = data[list(present)].astype(str).agg("/".join, axis=1)
    both = set(key[data["condition"] == condition]) & set(key[data["condition"] == reference])
    if len(both) < 2:
        return data
    data = data.assign(**{PAIR: key.where(key.isin(both))})
    sel.notes.append(f"paired (wash-in) design: {len(both)} {present[-1]}s measured under both conditions")
    return data


def _one_holding(rows: pd.DataFrame, v: pd.Series, test_at: float | None,
                 sel: Selection) -> tuple[pd.DataFrame, pd.Series]:
    """The rows of one holding potential (see :class:`~ephystool.compare.claims.DrivingForce`): magnitudes at
    different potentials are not pooled; the others are named in ``sel.notes``."""
    counts = v.value_counts()
    if len(counts) < 2:
        return rows, v
    if test_at is not None and float(test_at) in set(counts.index.astype(float)):
        chosen = float(test_at)
    else:  # the most rows; ties: the lowest potential
        chosen = float(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0])
    other = ", ".join(f"{x:g} mV: {n}" for x, n in counts.sort_index().items() if float(x) != chosen)
    sel.notes.append(f"tested at {chosen:g} mV only: current magnitudes at different holding potentials are not "
                     f"pooled (driving force, Mg block); rows also at {other} (not in this estimate)")
    keep = v == chosen
    return rows[keep], v[keep]


def _signed_by_driving_force(rows: pd.DataFrame, e_rev: float, sel: Selection,
                             test_at: float | None = None) -> pd.DataFrame:
    """Values above the reversal potential multiplied by -1 (see :class:`~ephystool.compare.claims.DrivingForce`);
    none when ``sel.missing`` says why."""
    v = pd.to_numeric(rows["holding_mV"], errors="coerce") if "holding_mV" in rows.columns else \
        pd.Series(np.nan, index=rows.index)
    ok = np.isfinite(v) & (v != e_rev)
    if not ok.any():
        sel.missing = "no data: no row has a holding potential (holding_mV) away from the reversal potential"
        return rows.iloc[0:0]
    rows, v = _one_holding(rows[ok], v[ok], test_at, sel)
    rows = rows.copy()
    above = v > e_rev
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce") * np.where(above, -1.0, 1.0)
    held = ", ".join(f"{x:g} mV: {n}" for x, n in v.value_counts().sort_index().items())
    sel.notes.append(f"the expected sign follows the driving force (E_rev {e_rev:g} mV; rows per holding potential "
                     f"{held})" + (f"; {int(above.sum())} row(s) above E_rev (outward) sign-reversed to compare "
                                   f"with the rows below" if above.any() else ""))
    if int((~ok).sum()):
        sel.notes.append(f"{int((~ok).sum())} row(s) without a holding potential away from E_rev left out")
    return rows


def select_claim_data(results: pd.DataFrame, claim: Claim, condition: str, reference: str) -> Selection:
    """The unit-level data of one claim (see the module docstring); ``missing`` says why there is none."""
    sel = Selection()
    levels = LEVELS[claim.unit_of_inference]
    rows = filter_rows(results, claim, sel)
    if sel.missing:
        return sel
    sel.unit = first_unit(rows)
    if claim.driving_force is not None:
        rows = _signed_by_driving_force(rows, claim.driving_force.reversal_mV, sel, claim.driving_force.test_at_mV)
        if sel.missing:
            return sel
    agg = _aggregate(rows, levels, sel)
    agg = agg[np.isfinite(agg["value"].to_numpy(dtype=float))]
    sel.all_conditions = agg
    found = sorted(set(agg["condition"]))
    for name, role in ((condition, "condition"), (reference, "reference")):
        if name not in found:
            sel.missing = (f"no data: {role} '{name}' was not recorded for analysis '{claim.analysis}', metric "
                           f"'{claim.metric}' (found {found})")
            if name == voc.MG_MATCHED_CONTROL:
                sel.missing += "; the acute_added design needs a Mg-matched control"
            return sel
    data = agg[agg["condition"].isin([condition, reference])].reset_index(drop=True)
    sel.data = _pair(data, condition, reference, levels, sel)
    return sel


# ----------------------------------------------------------------------------------------- result
