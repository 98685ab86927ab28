"""Dose-response claims: the slope of a metric against the (log) dose within one condition.

SCIENCE.md's testable form of the MgSO4 claim (C8, ``CIT-NP-2``) is a log-linear trend: NMDA-induced loss
of MEA activity falls monotonically with Mg. The data are the claim's rows in ``condition`` with a dose
column (the manifest's ``mg_mM``, carried into ``results.csv``); recordings of one unit at one dose are
averaged, as in the two-group claims.

* **Effect**: the least-squares slope of ``y`` on ``x`` over units, ``y = log(value)`` for rates and
  ratios (``log``), ``x = log(dose)`` with ``log_dose`` (then ``value ∝ dose^slope`` and a doubling of
  the dose multiplies the value by ``2^slope``).
* **Model (decides)**: ``y ~ x`` with a random intercept per top-level unit (culture batch or animal,
  the unit of inference; statsmodels MixedLM, REML), its Wald 95 % CI and p, Holm-adjusted with the other
  claims tested; an OLS slope with cluster-robust errors where the mixed model cannot be fitted.
* **Cluster bootstrap (must agree)**: top-level units resampled with replacement (units themselves where
  there is one batch), percentile 95 % CI and a two-sided p. With few clusters it is liberal: in 200 null
  data sets of 4 batches x 4 doses x 2 wells it excluded 0 in 19.5 % against the model's 5 % (both: 4 %),
  so it is a second condition, never the decider (``tests/compare/test_trend.py`` checks the rate).
* **Verdict**: ``increase``/``decrease`` supported when the model CI excludes 0 on the expected side with
  Holm-adjusted p < alpha and the bootstrap CI agrees; contradicted likewise on the other side; else
  inconclusive. Fewer than ``min_doses`` distinct doses is ``no data`` with the reason.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ephystool.compare._pending import Final, Pending, Question
from ephystool.compare._resample import present_levels, unit_counts
from ephystool.compare._select import LEVELS, Selection, filter_rows, first_unit, is_blank
from ephystool.compare.bootstrap import bootstrap_p
from ephystool.compare.claims import Claim
from ephystool.compare.predictions import Prediction
from ephystool.compare.record import Verdict, n_text, simple_verdict, verdict_fields
from ephystool.compare.verdicts import claim_log

__all__ = ["PendingTrend", "TrendTest", "prepare_trend", "run_trend", "trend_claim", "trend_claim_verdict",
           "trend_verdict"]


@dataclass
class TrendTest:
    """Statistics of one dose-response claim (before Holm and the decision)."""

    expected: str
    dose: str
    log_dose: bool
    log: bool
    unit: str
    slope: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_boot: float = math.nan
    p_raw: float = math.nan
    model_ci_low: float = math.nan
    model_ci_high: float = math.nan
    method: str = ""
    method_note: str = ""
    levels: tuple[str, ...] = ()
    doses: dict[float, int] = field(default_factory=dict)
    n: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def in_holm_family(self) -> bool:
        """Directional trend tests that ran join the Holm family of the claims tested."""
        return self.expected in ("increase", "decrease") and not self.error and math.isfinite(self.p_boot)

    @property
    def ci(self) -> tuple[float, float]:
        """The deciding 95 % CI: the model's, else the bootstrap's."""
        if math.isfinite(self.model_ci_low) and math.isfinite(self.model_ci_high):
            return self.model_ci_low, self.model_ci_high
        return self.ci_low, self.ci_high

    def effect(self) -> dict[str, Any]:
        """The ``effect`` entry of the verdict."""
        per_doubling = (2.0 ** self.slope - 1.0) * 100 if self.log and self.log_dose else None
        return {"statistic": "slope", "estimate": self.slope, "log_scale": self.log, "unit": self.unit,
                "x": f"log({self.dose})" if self.log_dose else self.dose, "dose_column": self.dose,
                "doses": {f"{d:g}": k for d, k in self.doses.items()},
                "percent_change_per_dose_doubling": per_doubling, "bootstrap_levels": list(self.levels[:1]),
                "bootstrap_ci": [self.ci_low, self.ci_high], "model_ci": [self.model_ci_low, self.model_ci_high],
                "model": self.method}


def prepare_trend(rows: pd.DataFrame, dose: str, levels: tuple[str, ...], log: bool,
                  log_dose: bool) -> tuple[pd.DataFrame, str, list[str]]:
    """Unit-level ``x``/``y`` of a trend claim's rows (already filtered to its metric and condition).

    Returns
    -------
    frame : DataFrame
        One row per unit and dose: the unit columns present, ``dose``, ``x``, ``y`` (empty when ``missing``).
    missing : str
        Why there is nothing to test (empty when ``frame`` is given).
    notes : list of str
        Rows dropped and why.
    """
    notes: list[str] = []
    if dose not in rows.columns:
        return (pd.DataFrame(), f"no data: the results have no '{dose}' column (give it per recording in the "
                "manifest)", notes)
    d = rows.assign(_dose=pd.to_numeric(rows[dose], errors="coerce"), _v=pd.to_numeric(rows["value"], errors="coerce"))
    has_dose = np.isfinite(d["_dose"]) & ((d["_dose"] > 0) if log_dose else True)
    ok = has_dose & np.isfinite(d["_v"]) & ((d["_v"] > 0) if log else True)
    if (~has_dose).any():
        notes.append(f"{int((~has_dose).sum())} row(s) without a{' positive' if log_dose else ''} {dose} "
                     "(recordings outside the dose series) left out")
    if (has_dose & ~ok).any():
        notes.append(f"{int((has_dose & ~ok).sum())} row(s) without a usable{' positive' if log else ''} value left out")
    d = d[ok]
    if d.empty:
        return pd.DataFrame(), f"no data: no rows with a {dose} value", notes
    present = present_levels(d, levels)
    keys = [*present, "_dose"]
    for lv in present:
        d[lv] = d[lv].where(~is_blank(d[lv]), "").astype(str)  # as the two-group claims label units
    unit = d.groupby(keys, sort=True, dropna=False)["_v"].mean().reset_index()
    unit = unit.rename(columns={"_dose": "dose", "_v": "value"})
    unit["x"] = np.log(unit["dose"]) if log_dose else unit["dose"]
    unit["y"] = np.log(unit["value"]) if log else unit["value"]
    return unit, "", notes


def _slopes(sx: np.ndarray, sy: np.ndarray, sxx: np.ndarray, sxy: np.ndarray, n: np.ndarray) -> np.ndarray:
    den = n * sxx - sx * sx
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 1e-12 * np.maximum(n * sxx, 1e-300), (n * sxy - sx * sy) / den, np.nan)


def _bootstrap(frame: pd.DataFrame, cluster: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Slopes of ``n_boot`` cluster-bootstrap replicates (clusters resampled with replacement)."""
    x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
    codes, _ = pd.factorize(cluster)
    k = int(codes.max()) + 1
    sums = np.zeros((5, k))
    for row, vals in enumerate((x, y, x * x, x * y, np.ones_like(x))):
        np.add.at(sums[row], codes, vals)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(k, np.full(k, 1.0 / k), size=n_boot).astype(float)  # (n_boot, k)
    tot = counts @ sums.T  # (n_boot, 5)
    return _slopes(tot[:, 0], tot[:, 1], tot[:, 2], tot[:, 3], tot[:, 4])


def _model_fit(frame: pd.DataFrame, cluster: np.ndarray) -> tuple[float, float, float, str, str]:
    """(p, CI low, CI high, method, note) of the slope: MixedLM with a random intercept per cluster, else OLS
    with cluster-robust errors (or plain OLS with one cluster)."""
    import statsmodels.formula.api as smf

    data = frame.assign(_g=pd.factorize(cluster)[0])
    n_groups = int(data["_g"].nunique())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if 3 <= n_groups < len(data):
            try:
                fit = smf.mixedlm("y ~ x", data, groups=data["_g"]).fit(reml=True)
                p, (lo, hi) = float(fit.pvalues["x"]), (float(v) for v in fit.conf_int().loc["x"])
                if math.isfinite(p) and math.isfinite(lo) and math.isfinite(hi):
                    return p, lo, hi, "mixed model (random intercept per cluster)", ""
                note = "mixed model gave no p"
            except (ValueError, np.linalg.LinAlgError) as exc:
                note = f"mixed model not fitted ({type(exc).__name__})"
        else:
            note = f"{n_groups} cluster(s): no random intercept"
        try:
            kw = {"cov_type": "cluster", "cov_kwds": {"groups": data["_g"]}} if 3 <= n_groups < len(data) else {}
            fit = smf.ols("y ~ x", data).fit(**kw)
            lo, hi = (float(v) for v in fit.conf_int().loc["x"])
            return float(fit.pvalues["x"]), lo, hi, "OLS" + (" with cluster-robust errors" if kw else ""), note
        except (ValueError, np.linalg.LinAlgError) as exc:
            return math.nan, math.nan, math.nan, "none", f"{note}; OLS failed ({type(exc).__name__})"


def run_trend(frame: pd.DataFrame, expected: str, dose: str, levels: tuple[str, ...], log: bool, log_dose: bool,
              unit: str, min_doses: int = 3, n_boot: int = 2000, seed: int = 0) -> TrendTest:
    """Slope, cluster-bootstrap CI and p, and the model p of a trend claim's unit-level data."""
    present = present_levels(frame, levels)
    t = TrendTest(expected=expected, dose=dose, log_dose=log_dose, log=log, unit=unit, levels=present)
    t.doses = {float(d): int(k) for d, k in frame.groupby("dose").size().items()}
    t.n = {"all doses": {**unit_counts(frame, present), "doses": len(t.doses)}}
    if len(t.doses) < min_doses:
        t.error = f"{len(t.doses)} distinct {dose} value(s) ({', '.join(f'{d:g}' for d in t.doses)}); a trend needs {min_doses}"
        return t
    if len(frame) < 3:
        t.error = f"{len(frame)} unit(s); a trend needs at least 3"
        return t
    x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
    t.slope = float(_slopes(x.sum(), y.sum(), (x * x).sum(), (x * y).sum(), np.float64(x.size)))
    top = present[0] if present else None
    cluster = frame[top].to_numpy() if top and frame[top].nunique() >= 2 else np.arange(len(frame))
    if top and frame[top].nunique() < 2:
        t.notes.append(f"one {top}: units resampled instead of {top}s (the CI ignores {top}-to-{top} variation)")
    boots = _bootstrap(frame, cluster, n_boot, seed)
    boots = boots[np.isfinite(boots)]
    if boots.size < 0.5 * n_boot:
        t.error = "too few bootstrap replicates span two doses (too few clusters)"
        return t
    t.ci_low, t.ci_high = (float(v) for v in np.percentile(boots, [2.5, 97.5]))
    t.p_boot = min(1.0, 2 * min(bootstrap_p(boots, 0.0)))
    t.p_raw, t.model_ci_low, t.model_ci_high, t.method, t.method_note = _model_fit(frame, cluster)
    return t


def _side(lo: float, hi: float) -> str:
    return "increase" if lo > 0 else "decrease" if hi < 0 else "none"


def trend_verdict(t: TrendTest, p_boot_holm: float, p_model_holm: float, alpha: float) -> tuple[str, str]:
    """(verdict, reason text) of a trend test, from the Holm-adjusted model p and both CIs."""
    x = f"log({t.dose})" if t.log_dose else t.dose
    y = "log(value)" if t.log else "value"
    if t.error:
        return "inconclusive", f"inconclusive: the trend could not be tested ({t.error})"
    stat = (f"slope of {y} on {x} {t.slope:.3g}; {t.method} 95 % CI {t.model_ci_low:.3g} to {t.model_ci_high:.3g}, "
            f"p = {t.p_raw:.3g}" + (f", Holm-adjusted {p_model_holm:.3g}" if math.isfinite(p_model_holm) else "")
            + f"; cluster bootstrap 95 % CI {t.ci_low:.3g} to {t.ci_high:.3g}, p = {t.p_boot:.3g}"
            + (f", Holm-adjusted {p_boot_holm:.3g}" if math.isfinite(p_boot_holm) else ""))
    if t.method_note:
        stat += f" ({t.method_note})"
    if t.log and t.log_dose:
        stat += f"; a doubling of {t.dose} changes the value by {100 * (2 ** t.slope - 1):+.0f} %"
    doses = ", ".join(f"{d:g} ({k} units)" for d, k in t.doses.items())
    model_p = p_model_holm if math.isfinite(p_model_holm) else t.p_raw
    side, boot_side = _side(*t.ci), _side(t.ci_low, t.ci_high)
    if not math.isfinite(model_p):  # no model: the bootstrap alone, known to be liberal with few clusters
        model_p, side = (p_boot_holm if math.isfinite(p_boot_holm) else t.p_boot), boot_side
        stat += "; no model p: decided on the bootstrap alone (liberal with few clusters: tentative)"
    if t.expected == "exploratory":
        verdict, why = "inconclusive", "exploratory: the dose trend is reported, no direction asserted"
    elif side == "none" or not model_p < alpha or boot_side != side:
        verdict, why = "inconclusive", (f"no trend shown: a CI includes 0 or p >= {alpha:g}; more batches per "
                                        "dose narrow the CI")
    elif side == t.expected:
        verdict, why = "supported", f"the value {'rises' if side == 'increase' else 'falls'} with {t.dose} as claimed"
    else:
        verdict, why = "contradicted", (f"the value {'rises' if side == 'increase' else 'falls'} with {t.dose}, "
                                        f"against the claimed {t.expected}")
    return verdict, f"{verdict}: {why}. {stat}. doses: {doses}"


def trend_claim_verdict(claim: Claim, t: TrendTest, design: str, reference: str, holm: dict[str, float],
                        prediction: Prediction | None, excluded: str, alpha: float) -> Verdict:
    """The :class:`~ephystool.compare.verdicts.Verdict` of a trend claim."""
    verdict, reason = trend_verdict(t, holm.get("boot", math.nan), holm.get("mixed", math.nan), alpha)
    parts = [reason, f"n = {n_text(t.n)}", *[n for n in t.notes if n]]
    if prediction is not None:
        parts.append(f"predicted ({design}): {prediction.text}; context only, not compared")
    if excluded:
        parts.append(excluded)
    p = {"raw": t.p_raw, "holm": holm.get("mixed", math.nan), "method": t.method, "note": t.method_note,
         "bootstrap": t.p_boot, "bootstrap_holm": holm.get("boot", math.nan), "tost": None}
    return Verdict(**verdict_fields(claim, design, reference, t.expected), verdict=verdict, reason=". ".join(parts),
                   effect=t.effect(), ci=list(t.ci), p=p, n=t.n,
                   prediction=prediction.as_dict() if prediction is not None else None, prediction_holds=None)


@dataclass
class PendingTrend:
    """A dose-response claim tested, awaiting Holm (a :class:`~ephystool.compare._pending.Pending`)."""

    claim: Claim
    test: TrendTest
    reference: str
    prediction: Prediction | None
    excluded: str

    def question(self) -> Question | None:
        """Directional trend tests that ran join the Holm family (bootstrap p decides the family, model p)."""
        if not self.test.in_holm_family:
            return None
        c = self.claim
        key = json.dumps(["trend", c.analysis, c.metric, dict(c.selectors), list(c.protocol), c.condition],
                         sort_keys=True, default=str)
        return Question(key, self.test.p_boot, self.test.p_raw)

    def finish(self, holm: dict[str, float], design: str, alpha: float) -> Verdict:
        adjusted = {"boot": holm.get("decision", float("nan")), "mixed": holm.get("mixed", float("nan"))}
        return trend_claim_verdict(self.claim, self.test, design, self.reference, adjusted, self.prediction,
                                   self.excluded, alpha)


def trend_claim(claim: Claim, res: pd.DataFrame, design: str, ref: str, expected: str, pred: Prediction | None,
                note: str, n_boot: int, seed: int, data: dict[str, pd.DataFrame]) -> Pending:
    """Rows of the claim's condition with a dose -> a trend test (or ``no data`` with the reason)."""
    assert claim.trend is not None
    spec, sel = claim.trend, Selection()
    rows = filter_rows(res, claim, sel)
    if not sel.missing:
        rows = rows[rows["condition"].astype(str) == claim.condition]
        if rows.empty:
            sel.missing = f"no data: no {claim.condition} rows for {claim.analysis} / {claim.metric}"
    if sel.missing:
        return Final(simple_verdict(claim, design, ref, expected, "no data", sel.missing + note, pred))
    log = claim_log(claim)
    frame, missing, notes = prepare_trend(rows, spec.dose, LEVELS[claim.unit_of_inference], bool(log), spec.log_dose)
    if missing:
        return Final(simple_verdict(claim, design, ref, expected, "no data", missing + note, pred))
    if frame["dose"].nunique() < spec.min_doses:
        found = ", ".join(f"{d:g}" for d in sorted(frame["dose"].unique()))
        return Final(simple_verdict(claim, design, ref, expected, "no data",
                                    f"no data: a dose series needs {spec.min_doses} {spec.dose} values in "
                                    f"{claim.condition}, the results have {found}{note}", pred))
    unit = first_unit(rows)
    t = run_trend(frame, expected, spec.dose, LEVELS[claim.unit_of_inference], bool(log), spec.log_dose, unit,
                  spec.min_doses, n_boot, seed)
    t.notes = sel.notes + notes + t.notes + ([note.lstrip("; ")] if note else [])
    data[claim.id] = frame.assign(condition=claim.condition)
    return PendingTrend(claim, t, ref, pred, sel.excluded_text)
