"""The comparison engine: results table + claims + declared design -> verdicts, summary and files.

For each claim (never dropped):

1. not testable (``testable: false``, or a design the claim does not apply to) -> ``not testable``;
2. rows of the results table with the claim's ``analysis``, ``metric``, ``protocol`` and ``selectors``;
   rows with a non-empty ``excluded_reason`` are left out and counted; none left, or the condition or
   the reference missing -> ``no data`` (the protocol was not recorded);
3. recordings of the same unit (cell / well) are averaged within the unit; cells nest in slices in
   animals (``unit_of_inference: animal``), wells in plates in culture batches (``batch``); a unit
   present under both conditions makes a paired (wash-in) comparison;
4. hierarchical bootstrap, mixed model, TOST and power (:func:`ephystool.compare.verdicts.run_claim_test`);
5. Holm across the independent directional and ``differs`` questions tested (claims on the same data
   count once), then the decision (:func:`ephystool.compare.verdicts.decide`: the calibrated t test of
   :mod:`.decision`) with the prediction of :mod:`.predictions`.

A claim with ``trend`` is a dose-response claim within its condition: the slope against the dose column
(:mod:`ephystool.compare.trend`), in the same Holm family.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ephystool.compare import stats
from ephystool.compare._pending import Final, Pending, PendingClaim
from ephystool.compare._select import LEVELS, Selection, select_claim_data
from ephystool.compare.claim_data import claim_data
from ephystool.compare.claims import DESIGN_NAMES, Claim, ClaimsFile, load_claims
from ephystool.compare.predictions import free_ions_frame, predict
from ephystool.compare.record import Verdict, json_ready, simple_verdict
from ephystool.compare.trend import trend_claim
from ephystool.compare.verdicts import claim_log, run_claim_test
from ephystool.core import vocabulary as voc
from ephystool.errors import AnalysisError, EphysError, ProtocolError

__all__ = ["LEVELS", "CompareResult", "Selection", "compare", "resolve_claims", "select_claim_data"]

_REQUIRED = ("condition", "analysis", "metric", "value")


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

    def design_record(self) -> dict[str, Any]:
        """The JSON-ready content of ``design.json``: design, settings, free ions and verdict counts."""
        return json_ready({"design": self.design, **self.settings, "free_ions": self.ions.to_dict(orient="records"),
                       "verdict_counts": self.counts()})


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


def resolve_claims(claims: ClaimsFile | str | Path | list[Claim] | None) -> ClaimsFile:
    """The claims file of ``claims``: the packaged one when None, read when a path, wrapped when a list."""
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
            design: str = voc.DEFAULT_DESIGN, *, seed: int = 0, mg_mM: float = 1.3, acsf: Any = None,
            salt_forms: dict[str, str] | None = None, n_boot: int = 2000, alpha: float = 0.05) -> CompareResult:
    """Compare conditions and give a verdict for every claim (data only: nothing is written).

    The public entry point (``from ephystool.compare import compare``). Its files are written by
    :func:`~ephystool.report.verdict_files.write_compare` (``ephystool compare``: both, in the pipeline).

    Parameters
    ----------
    results : DataFrame
        Tidy results (``results.csv``), one row per value: ``recording, condition, animal, slice, cell, well,
        batch, plate, protocol, analysis, metric, value, unit`` + selector columns (``holding_mV`` in mV,
        ``window`` ...) and optional ``excluded_reason``. ``value`` is in the row's ``unit`` (pA, Hz, ms,
        % of baseline ...: the metric's canonical unit); a claim's effect is reported in that unit.
    claims : ClaimsFile, path, list of Claim or None
        The packaged claims file (``compare/claims/mg_salts.yaml``) when None.
    design : {'acute_equal_total', 'acute_added', 'chronic_oral'}
        Declared design; decides the reference (Mg-matched control for acute_added) and the predictions.
    seed, mg_mM : int, float
        Seed of the bootstraps (same seed, same numbers); total Mg (acute_equal_total) or Mg added (acute_added), mM.
    acsf, salt_forms
        Background bath (:class:`~ephystool.chemistry.ACSF`; the standard aCSF when None) and the salt
        form per condition (see :func:`ephystool.chemistry.condition_bath`).
    n_boot : int
        Hierarchical-bootstrap replicates per claim (>= 10; 2000 for reporting).
    alpha : float
        Significance level (Holm family-wise), and the level of each one-sided test of TOST.

    Returns
    -------
    CompareResult
        One :class:`~ephystool.compare.record.Verdict` per claim in the claims file's order (effects as
        ratios, or differences in the metric's unit; CIs at 95 %), the per-condition summary table, the
        free-ion table of the design (mM) and each tested claim's unit-level data.

    Raises
    ------
    ProtocolError
        Unknown design or invalid claims file.
    AnalysisError
        ``results`` is not a DataFrame or lacks required columns (condition, analysis, metric, value).

    Examples
    --------
    Five animals per condition, NMDA peaks 40 % smaller under magnesium citrate:

    >>> import pandas as pd
    >>> from ephystool.compare import compare
    >>> from ephystool.compare.claims import parse_claims
    >>> rows = [{"condition": c, "animal": f"{c}-{a}", "cell": "c1", "protocol": "nmda_epsc", "analysis": "nmda",
    ...          "metric": "nmda_peak", "value": pa * (0.6 if c == "mg_citrate" else 1.0), "unit": "pA"}
    ...         for c in ("control", "mg_citrate") for a, pa in enumerate([95.0, 104.0, 99.0, 110.0, 90.0])]
    >>> claim = {"id": "EX-1", "parameter": "nmda_activity", "source": "vendor", "expected": "decrease",
    ...          "statement": "citrate lowers NMDA currents", "condition": "mg_citrate", "analysis": "nmda",
    ...          "metric": "nmda_peak"}
    >>> v = compare(pd.DataFrame(rows), parse_claims([claim]), n_boot=200).verdicts[0]
    >>> v.verdict, v.effect["statistic"], round(v.effect["estimate"], 2), [round(x, 1) for x in v.ci]
    ('supported', 'ratio', 0.6, [0.5, 0.7])
    >>> v.n["mg_citrate"]
    {'animal': 5, 'cell': 5, 'observations': 5}
    """
    if design not in DESIGN_NAMES:
        raise ProtocolError(f"unknown design '{design}'; expected one of {', '.join(DESIGN_NAMES)}", field="design")
    cf = resolve_claims(claims)
    res = _prepare_results(results)
    ions = free_ions_frame(design, mg_mM=mg_mM, acsf=acsf, salt_forms=salt_forms)
    data: dict[str, pd.DataFrame] = {}
    blocks: dict[str, pd.DataFrame] = {}
    pending = [_one_claim(claim, res, design, mg_mM, acsf, salt_forms, n_boot, seed, alpha, data, blocks, ions)
               for claim in cf.claims]
    holm, n_questions = _holm_family(pending)
    verdicts = [p.finish(holm.get(i, {}), design, alpha) for i, p in enumerate(pending)]
    summary = pd.concat(list(blocks.values()), ignore_index=True) if blocks else pd.DataFrame()
    settings = {"mg_mM": mg_mM, "acsf": acsf.as_dict() if acsf is not None else "standard_acsf",
                "salt_forms": salt_forms or {}, "seed": seed, "n_boot": n_boot, "alpha": alpha,
                "holm_family": n_questions, "claims_title": cf.title}
    return CompareResult(verdicts, summary, design, ions, data, settings)


def _holm_family(pending: list[Pending]) -> tuple[dict[int, dict[str, float]], int]:
    """Holm-adjusted p per pending index (``decision``, ``mixed``), each independent question counted once."""
    members: dict[str, list[int]] = {}
    ps: dict[str, tuple[float, float]] = {}
    for i, p in enumerate(pending):
        q = p.question()
        if q is None:
            continue
        members.setdefault(q.key, []).append(i)
        ps.setdefault(q.key, (q.p_decision, q.p_mixed))
    keys = list(members)
    out: dict[int, dict[str, float]] = {}
    if not keys:
        return out, 0
    adj = {name: stats.holm([ps[k][j] for k in keys]) for j, name in enumerate(("decision", "mixed"))}
    for n, k in enumerate(keys):
        for i in members[k]:
            out[i] = {name: float(adj[name][n]) for name in adj}
    return out, len(keys)


def _one_claim(claim: Claim, res: pd.DataFrame, design: str, mg_mM: float, acsf: Any,
               salt_forms: dict[str, str] | None, n_boot: int, seed: int, alpha: float,
               data: dict[str, pd.DataFrame], blocks: dict[str, pd.DataFrame], ions: pd.DataFrame) -> Pending:
    """The claim tested (or its final verdict when it is not testable or has no data), awaiting Holm."""
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
        return Final(simple_verdict(claim, design, ref, expected, "not testable", f"not testable: {claim.reason}{note}",
                                    pred))
    if design not in claim.designs:
        return Final(simple_verdict(claim, design, ref, expected, "not testable",
                                    f"not testable under this design: the claim applies to {list(claim.designs)}, "
                                    f"the experiment declared '{design}'{note}", pred))
    if claim.trend is not None:
        return trend_claim(claim, res, design, ref, expected, pred, note, n_boot, seed, data)
    sel = select_claim_data(res, claim, claim.condition, ref)
    log = claim_log(claim)
    if len(sel.all_conditions):
        key = json.dumps([claim.analysis, claim.metric, dict(claim.selectors), list(claim.protocol),
                          claim.unit_of_inference, log], sort_keys=True, default=str)
        if key not in blocks:
            blocks[key] = _summary_block(sel, claim, bool(log), ions)
    if sel.missing:
        extra = f". {sel.excluded_text}" if sel.excluded_text else ""
        return Final(simple_verdict(claim, design, ref, expected, "no data", sel.missing + extra + note, pred))
    data[claim.id] = sel.data
    cd = claim_data(sel.data, claim.condition, ref, LEVELS[claim.unit_of_inference], sel.unit, log)
    t = run_claim_test(cd, claim, expected, pred, n_boot, seed, alpha)
    t.notes = sel.notes + t.notes + ([note.lstrip("; ")] if note else [])
    return PendingClaim(claim, t, ref, pred, sel.excluded_text)
