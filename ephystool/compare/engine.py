"""The comparison engine: results table + claims + declared design -> verdicts, summary and files.

For each claim (never dropped):

1. not testable (``testable: false``, or a design the claim does not apply to) -> ``not testable``;
2. rows of the results table with the claim's ``analysis``, ``metric``, ``protocol`` and ``selectors``;
   rows with a non-empty ``excluded_reason`` are left out and counted; none left, or the condition or
   the reference missing -> ``no data`` (the protocol was not recorded);
3. recordings of the same unit (cell / well) are averaged within the unit; cells nest in slices in
   animals (``unit_of_inference: animal``), wells in plates in culture batches (``batch``); a unit
   present under both conditions makes a paired (wash-in) comparison;
4. hierarchical bootstrap, mixed model, TOST and power (:func:`ephystool.compare.verdicts.run_test`);
5. Holm across the directional and ``differs`` claims tested, then the decision
   (:func:`ephystool.compare.verdicts.decide`) with the prediction of :mod:`.predictions`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ephystool.atomic import write_text
from ephystool.compare import stats
from ephystool.compare.claims import DESIGN_NAMES, Claim, ClaimsFile, load_claims
from ephystool.compare.predictions import free_ions_frame, predict
from ephystool.compare.verdicts import (
    LOG_METRICS,
    Verdict,
    _clean,
    decide,
    present_levels,
    run_test,
    simple_verdict,
)
from ephystool.errors import AnalysisError, EphysError, ProtocolError

__all__ = ["LEVELS", "CompareResult", "Selection", "compare", "select_claim_data"]

LEVELS: dict[str, tuple[str, ...]] = {"animal": ("animal", "slice", "cell"), "batch": ("batch", "plate", "well")}
_REQUIRED = ("condition", "analysis", "metric", "value")
_AMBIGUOUS = ("holding_mV", "window")
PAIR = "pair_id"


@dataclass
class Selection:
    """Unit-level data of one claim: ``data`` (condition and reference), ``all_conditions`` (for the summary)."""

    data: pd.DataFrame | None = None
    all_conditions: pd.DataFrame | None = None
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


def _blank(col: pd.Series) -> pd.Series:
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


def _filter_rows(results: pd.DataFrame, claim: Claim, sel: Selection) -> pd.DataFrame | None:
    """Rows of the claim's analysis/metric/protocol/selectors, inclusion criteria applied."""
    rows = results[(results["analysis"] == claim.analysis) & (results["metric"] == claim.metric)]
    where = f"analysis '{claim.analysis}', metric '{claim.metric}'"
    if rows.empty:
        others = sorted(set(results.loc[results["metric"] == claim.metric, "analysis"]))
        proto = f"protocol {' or '.join(claim.protocol)} " if claim.protocol else "the protocol "
        sel.missing = (f"no data: {proto}was not recorded (no rows with {where})"
                       + (f"; the metric appears under analysis {others}" if others else ""))
        return None
    if claim.protocol and "protocol" in rows.columns and not _blank(rows["protocol"]).all():
        found = sorted(set(rows["protocol"].dropna().astype(str)))
        rows = rows[rows["protocol"].map(lambda x: _protocol_matches(x, claim.protocol))]
        if rows.empty:
            sel.missing = (f"no data: protocol {' or '.join(claim.protocol)} was not recorded ({where} comes "
                           f"only from protocol(s) {found})")
            return None
    for key, want in claim.selectors.items():
        if key not in rows.columns:
            sel.missing = f"no data: the results have no '{key}' column (selector {key}={want!r} of {where})"
            return None
        rows = rows[_match(rows[key], want)]
        if rows.empty:
            sel.missing = f"no data: no rows with {key}={want!r} for {where}"
            return None
    if "excluded_reason" in rows.columns:
        bad = ~_blank(rows["excluded_reason"])
        sel.n_excluded = int(bad.sum())
        sel.excluded_reasons = [str(r) for r in rows.loc[bad, "excluded_reason"]]
        rows = rows[~bad]
        if rows.empty:
            sel.missing = f"no data: all {sel.n_excluded} row(s) of {where} were excluded ({sel.excluded_text})"
            return None
    for key in _AMBIGUOUS:
        if key not in claim.selectors and key in rows.columns:
            vals = sorted(set(rows.loc[~_blank(rows[key]), key].astype(str)))
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
        no_leaf = _blank(rows[leaf])
        if no_leaf.any():
            rows.loc[no_leaf, leaf] = "rec:" + rows.loc[no_leaf, "recording"].astype(str)
            sel.notes.append(f"{int(no_leaf.sum())} row(s) without a '{leaf}' label: each recording is one {leaf}")
    present = present_levels(rows, levels)
    if not present:
        sel.notes.append("no unit columns (" + ", ".join(levels) + "): observations treated as independent")
        return rows[["condition", "value"]].reset_index(drop=True)
    for lv in present:
        rows[lv] = rows[lv].where(~_blank(rows[lv]), "").astype(str)
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


def select_claim_data(results: pd.DataFrame, claim: Claim, condition: str, reference: str) -> Selection:
    """The unit-level data of one claim (see the module docstring); ``missing`` says why there is none."""
    sel = Selection()
    levels = LEVELS[claim.unit_of_inference]
    rows = _filter_rows(results, claim, sel)
    if rows is None:
        return sel
    sel.unit = str(rows["unit"].dropna().iloc[0]) if "unit" in rows.columns and rows["unit"].notna().any() else ""
    agg = _aggregate(rows, levels, sel)
    agg = agg[np.isfinite(agg["value"].to_numpy(dtype=float))]
    sel.all_conditions = agg
    found = sorted(set(agg["condition"]))
    for name, role in ((condition, "condition"), (reference, "reference")):
        if name not in found:
            sel.missing = (f"no data: {role} '{name}' was not recorded for analysis '{claim.analysis}', metric "
                           f"'{claim.metric}' (found {found})")
            if name == "mg_matched_control":
                sel.missing += "; the acute_added design needs a Mg-matched control"
            return sel
    data = agg[agg["condition"].isin([condition, reference])].reset_index(drop=True)
    sel.data = _pair(data, condition, reference, levels, sel)
    return sel


# ----------------------------------------------------------------------------------------- result
@dataclass
class CompareResult:
    """Verdicts (one per claim, in the claims file's order), summary table and the data used."""

    verdicts: list[Verdict]
    summary: pd.DataFrame
    design: str
    ions: pd.DataFrame
    data: dict[str, pd.DataFrame] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """The verdicts as a flat table (``verdicts.csv``)."""
        return pd.DataFrame([v.csv_row() for v in self.verdicts])

    def counts(self) -> dict[str, int]:
        """Number of claims per verdict."""
        out: dict[str, int] = {}
        for v in self.verdicts:
            out[v.verdict] = out.get(v.verdict, 0) + 1
        return out

    def write(self, out_dir: str | Path, figures: bool = False) -> list[Path]:
        """Write ``verdicts.json``, ``verdicts.csv``, ``summary.csv`` and ``design.json`` atomically.

        Parameters
        ----------
        out_dir : str or Path
            Created if needed.
        figures : bool
            Also draw one figure per tested claim into ``out_dir/claims``.

        Returns
        -------
        list of Path
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [
            write_text(out / "verdicts.json", json.dumps([v.as_dict() for v in self.verdicts], indent=2,
                                                           allow_nan=False)),
            write_text(out / "verdicts.csv", self.table().to_csv(index=False)),
            write_text(out / "summary.csv", self.summary.to_csv(index=False)),
            write_text(out / "design.json", json.dumps(_clean({
                "design": self.design, **self.settings, "free_ions": self.ions.to_dict(orient="records"),
                "verdict_counts": self.counts()}), indent=2, allow_nan=False)),
        ]
        if figures:
            from ephystool.report.fig_claims import plot_claims

            paths += plot_claims(self, out / "claims")
        return paths


# ----------------------------------------------------------------------------------------- engine
def _prepare_results(results: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(results, pd.DataFrame):
        raise AnalysisError(f"compare: results must be a pandas DataFrame; got {type(results).__name__}")
    missing = [c for c in _REQUIRED if c not in results.columns]
    if missing:
        raise AnalysisError(f"compare: the results table lacks column(s) {missing}; expected the tidy results.csv "
                            f"columns (recording, condition, animal, ..., analysis, metric, value, unit)")
    out = results.copy()
    for c in ("condition", "analysis", "metric"):
        out[c] = out[c].astype(str).str.strip()
    return out


def _resolve_claims(claims: ClaimsFile | str | Path | list[Claim] | None) -> ClaimsFile:
    if claims is None or isinstance(claims, str | Path):
        return load_claims(claims)
    if isinstance(claims, ClaimsFile):
        return claims
    return ClaimsFile(claims=tuple(claims))


def _summary_block(sel: Selection, claim: Claim, log: bool, ions: pd.DataFrame) -> pd.DataFrame:
    data = sel.all_conditions
    levels = LEVELS[claim.unit_of_inference]
    use_log = log and bool((data["value"] > 0).all())
    d = stats.describe(data, levels, log=use_log)
    d.insert(0, "analysis", claim.analysis)
    d.insert(1, "metric", claim.metric)
    d.insert(2, "selectors", json.dumps(dict(claim.selectors), sort_keys=True))
    d.insert(3, "protocol", ";".join(claim.protocol))
    d.insert(4, "unit", sel.unit)
    d["log_scale"] = use_log
    if not ions.empty:
        d = d.merge(ions[["condition", "free_mg_mM", "free_ca_mM", "free_zn_percent"]], on="condition", how="left")
    return d


def compare(results: pd.DataFrame, claims: ClaimsFile | str | Path | list[Claim] | None = None,
            design: str = "acute_equal_total", out_dir: str | Path | None = None, seed: int = 0, *,
            mg_mM: float = 1.3, acsf: Any = None, salt_forms: dict[str, str] | None = None, n_boot: int = 2000,
            alpha: float = 0.05, figures: bool = False) -> CompareResult:
    """Compare conditions and give a verdict for every claim.

    Parameters
    ----------
    results : DataFrame
        Tidy results (``results.csv``): ``recording, condition, animal, slice, cell, well, batch, plate,
        protocol, analysis, metric, value, unit`` + selector columns and optional ``excluded_reason``.
    claims : ClaimsFile, path, list of Claim or None
        The packaged claims file when None.
    design : {'acute_equal_total', 'acute_added', 'chronic_oral'}
        Declared design; decides the reference (Mg-matched control for acute_added) and the predictions.
    out_dir : str or Path, optional
        Write the output files there (see :meth:`CompareResult.write`).
    seed : int
        Seed of the bootstraps (same seed, same numbers).
    mg_mM, acsf, salt_forms
        Bath of the design (see :func:`ephystool.chemistry.condition_bath`).
    n_boot : int
        Bootstrap replicates per claim.
    alpha : float
        Significance level (Holm family-wise) and TOST level.
    figures : bool
        With ``out_dir``: also draw one figure per tested claim.

    Returns
    -------
    CompareResult

    Raises
    ------
    ProtocolError
        Unknown design or invalid claims file.
    AnalysisError
        The results table lacks required columns.
    """
    if design not in DESIGN_NAMES:
        raise ProtocolError(f"unknown design '{design}'; expected one of {', '.join(DESIGN_NAMES)}", field="design")
    cf = _resolve_claims(claims)
    res = _prepare_results(results)
    ions = free_ions_frame(design, mg_mM=mg_mM, acsf=acsf, salt_forms=salt_forms)
    pending: list[Any] = []
    data: dict[str, pd.DataFrame] = {}
    blocks: dict[str, pd.DataFrame] = {}
    for claim in cf.claims:
        pending.append(_one_claim(claim, res, design, mg_mM, acsf, salt_forms, n_boot, seed, alpha, data, blocks, ions))
    family = [i for i, p in enumerate(pending) if isinstance(p, tuple) and p[1].expected in ("increase", "decrease",
              "differs") and not p[1].error and p[1].summary is not None]
    holm: dict[int, dict[str, float]] = {i: {} for i in family}
    for key, attr in (("boot", "p_boot"), ("mixed", "p_raw")):
        raw = [getattr(pending[i][1], attr) for i in family]
        for i, a in zip(family, stats.holm(raw) if family else [], strict=True):
            holm[i][key] = float(a)
    verdicts = []
    for i, p in enumerate(pending):
        if isinstance(p, Verdict):
            verdicts.append(p)
            continue
        claim, t, ref, pred, excluded = p
        verdicts.append(decide(claim, t, design, ref, holm.get(i, {}), pred, excluded, alpha))
    summary = pd.concat(list(blocks.values()), ignore_index=True) if blocks else pd.DataFrame()
    settings = {"mg_mM": mg_mM, "acsf": acsf.as_dict() if acsf is not None else "standard_acsf",
                "salt_forms": salt_forms or {}, "seed": seed, "n_boot": n_boot, "alpha": alpha,
                "holm_family": len(family), "claims_title": cf.title}
    result = CompareResult(verdicts, summary, design, ions, data, settings)
    if out_dir is not None:
        result.write(out_dir, figures=figures)
    return result


def _one_claim(claim: Claim, res: pd.DataFrame, design: str, mg_mM: float, acsf: Any,
               salt_forms: dict[str, str] | None, n_boot: int, seed: int, alpha: float,
               data: dict[str, pd.DataFrame], blocks: dict[str, pd.DataFrame], ions: pd.DataFrame) -> Any:
    """A final Verdict, or (claim, ClaimTest, reference, prediction, excluded text) awaiting Holm."""
    ref = claim.reference_for(design)
    expected = claim.expected_for(design)
    try:
        pred = predict(claim.prediction, claim.condition, ref, design, mg_mM, acsf, salt_forms)
    except EphysError as exc:
        pred = None
        note = f"; prediction not computed ({exc})"
    else:
        note = ""
    if not claim.testable:
        return simple_verdict(claim, design, ref, expected, "not testable", f"not testable: {claim.reason}{note}", pred)
    if design not in claim.designs:
        return simple_verdict(claim, design, ref, expected, "not testable",
                              f"not testable under this design: the claim applies to {list(claim.designs)}, the "
                              f"experiment declared '{design}'{note}", pred)
    sel = select_claim_data(res, claim, claim.condition, ref)
    log = claim.log if claim.log is not None else claim.metric in LOG_METRICS
    if sel.all_conditions is not None and len(sel.all_conditions):
        key = json.dumps([claim.analysis, claim.metric, dict(claim.selectors), list(claim.protocol),
                          claim.unit_of_inference, log], sort_keys=True, default=str)
        if key not in blocks:
            blocks[key] = _summary_block(sel, claim, bool(log), ions)
    if sel.missing or sel.data is None:
        extra = f". {sel.excluded_text}" if sel.excluded_text else ""
        return simple_verdict(claim, design, ref, expected, "no data", sel.missing + extra + note, pred)
    data[claim.id] = sel.data
    t = run_test(sel.data, claim, expected, claim.condition, ref, LEVELS[claim.unit_of_inference], sel.unit, pred,
                 n_boot, seed, alpha)
    t.notes = sel.notes + t.notes + ([note.lstrip("; ")] if note else [])
    return claim, t, ref, pred, sel.excluded_text
