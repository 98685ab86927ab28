"""Claim x data -> verdict: the statistics run for one claim and the decision rules.

Verdicts: ``supported``, ``contradicted``, ``inconclusive`` (with why, the power at the present n
and the n needed at 80 % power), ``not testable`` (with the reason) and ``no data`` (the protocol was
not recorded). The **decision** is the calibrated t test on the independent units' means of
:mod:`ephystool.compare.decision` (Welch-Satterthwaite; paired or blocked where the design is); the
hierarchical bootstrap (Saravanan 2020) and the mixed model are reported as a description. The rules
(SCIENCE.md sections 3 and 5):

* fewer than :data:`~ephystool.compare.decision.MIN_UNITS` independent units per condition ->
  ``inconclusive`` (the rule is not calibrated there);
* ``increase`` / ``decrease``: the Holm-adjusted t p < alpha (Holm across the independent questions
  tested: claims on the same data count once) and the estimate in the expected direction ->
  supported; in the opposite direction -> contradicted; otherwise inconclusive;
* ``differs``: the same, either side -> supported; TOST equivalence -> contradicted;
* ``no_change``: TOST (the ``1 - 2 alpha`` t CI of the same estimate inside the margin; ratio margins
  on the log scale) -> supported; the CI entirely outside the margin -> contradicted; otherwise
  inconclusive;
* ``exploratory``: the effect is reported; the verdict is inconclusive by construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ephystool.compare import stats
from ephystool.compare._power_text import DEFAULT_RATIO_MARGIN, power_text
from ephystool.compare._resample import present_levels
from ephystool.compare.bootstrap import bootstrap_p
from ephystool.compare.claim_data import ClaimData, claim_data
from ephystool.compare.claims import Claim, Margin
from ephystool.compare.decision import MIN_UNITS, DecisionTest, decision_test_on
from ephystool.compare.predictions import CONTEXT_ONLY, Prediction
from ephystool.compare.record import VERDICTS, Verdict, n_text, simple_verdict, verdict_fields
from ephystool.errors import EphysError

__all__ = ["DEFAULT_MARGINS", "DIFFERENCE_METRICS", "LOG_METRICS", "VERDICTS", "ClaimTest", "Verdict", "decide",
           "present_levels", "run_claim_test", "run_test", "simple_verdict"]

#: Rates and ratios: analysed on the log scale (ratio of geometric means).
LOG_METRICS = frozenset({"mean_firing_rate", "weighted_mean_firing_rate", "burst_rate", "network_burst_rate",
                         "firing_rate", "firing_rate_max", "nmda_rectification_index", "nmda_ampa_ratio", "ppr"})
#: Signed metrics or metrics already in % of baseline: effects are differences in their unit.
DIFFERENCE_METRICS = frozenset({"holding_current_shift", "ltp_magnitude", "stp_magnitude", "baseline_drift",
                                "fibre_volley_change", "reversal_potential", "mg_block_delta"})
#: Default equivalence margins (SCIENCE.md 5): LTP ±15 pp, NMDA ratio metrics ±20 %, MEA log ratio ±0.2.
DEFAULT_MARGINS: dict[str, Margin] = {
    "ltp_magnitude": Margin(value=15, scale="difference"), "stp_magnitude": Margin(value=15, scale="difference"),
    "holding_current_shift": Margin(value=25, scale="difference"),
    **{m: Margin(value=0.2, scale="difference", log=True) for m in
       ("mean_firing_rate", "weighted_mean_firing_rate", "burst_rate", "network_burst_rate")},
}


@dataclass
class ClaimTest:
    """Statistics of one testable claim (before Holm and the decision)."""

    expected: str
    statistic: str
    log: bool
    unit: str
    summary: stats.EffectSummary | None = None
    tost: stats.TostResult | None = None
    margin: Margin | None = None
    n: dict[str, Any] = field(default_factory=dict)
    power: str = ""
    notes: list[str] = field(default_factory=list)
    error: str = ""
    decision: DecisionTest | None = None
    equivalence: DecisionTest | None = None
    bounds: tuple[float, float] | None = None
    power_info: dict[str, Any] = field(default_factory=dict)

    @property
    def p_decision(self) -> float:
        """Two-sided p of the calibrated test (NaN when it did not run or is not calibrated at this n)."""
        d = self.decision
        return float(d.p) if d is not None and d.calibrated else float("nan")

    def to_statistic(self, y: float) -> float:
        """A value of the decision's analysis scale on the claim statistic's scale (ratio or difference)."""
        d = self.decision
        if self.statistic == "difference" or d is None:
            return y
        if self.log:
            return math.exp(y)
        return 1.0 + y / d.reference_mean if d.reference_mean else float("nan")

    def seen(self, p_holm: float, alpha: float) -> str:
        """'increase', 'decrease' (of the claim's statistic) when the decision is significant, else 'none'."""
        d = self.decision
        if d is None or not d.calibrated or not (math.isfinite(p_holm) and p_holm < alpha) or d.estimate == 0:
            return "none"
        sign = np.sign(d.estimate) * (np.sign(d.reference_mean) if self.statistic == "ratio" and not self.log else 1)
        return "increase" if sign > 0 else "decrease"

    @property
    def primary(self) -> stats.BootstrapResult | None:
        """The bootstrap result of the claim's statistic."""
        if self.summary is None:
            return None
        return self.summary.difference if self.statistic == "difference" else self.summary.ratio

    @property
    def p_raw(self) -> float:
        """Mixed-model p (two-sided)."""
        return float(self.summary.mixed.p) if self.summary is not None else float("nan")

    @property
    def p_boot(self) -> float:
        """Two-sided hierarchical-bootstrap p of the claim's statistic against its null (1 or 0)."""
        b = self.primary
        if b is None or len(b.samples) == 0:
            return float("nan")
        return min(1.0, 2 * min(bootstrap_p(b.samples, 1.0 if self.statistic == "ratio" else 0.0)))


def claim_log(claim: Claim) -> bool:
    """Whether a claim is analysed on the log scale: its ``log``, else its margin's, else the metric's default."""
    if claim.log is not None:
        return claim.log
    if claim.margin is not None and claim.margin.log is not None:
        return claim.margin.log
    return (claim.metric or "") in LOG_METRICS


def _margin_for(claim: Claim) -> Margin:
    return claim.margin or DEFAULT_MARGINS.get(claim.metric or "") or DEFAULT_RATIO_MARGIN


def run_test(data: pd.DataFrame, claim: Claim, expected: str, condition: str, reference: str,
             levels: tuple[str, ...], unit: str = "", prediction: Prediction | None = None,
             n_boot: int = 2000, seed: int = 0, alpha: float = 0.05) -> ClaimTest:
    """:func:`run_claim_test` of a table: ``data`` holds the unit-level values of the two conditions (one row
    per cell or well, ``value`` in ``unit``; ``pair_id`` for wash-in designs), ``levels`` outermost first."""
    return run_claim_test(claim_data(data, condition, reference, levels, unit, claim_log(claim)), claim, expected,
                          prediction, n_boot, seed, alpha)


def run_claim_test(cd: ClaimData, claim: Claim, expected: str, prediction: Prediction | None = None,
                   n_boot: int = 2000, seed: int = 0, alpha: float = 0.05) -> ClaimTest:
    """Calibrated decision test, hierarchical bootstrap, mixed model, TOST (no_change / differs) and power.

    Parameters
    ----------
    cd : ClaimData
        The claim's unit-level data, prepared once (:func:`~ephystool.compare.claim_data.claim_data`).
    claim : Claim
    expected : str
        The claim's expectation under the declared design.
    prediction : Prediction or None
        The mechanism's prediction (the effect the power is computed for).
    n_boot : int
        Bootstrap replicates.
    seed : int
        Seed of the bootstraps.
    alpha : float
        Significance level and TOST level.

    Returns
    -------
    ClaimTest
        Errors of the statistics (too few values) are recorded in ``error``.
    """
    statistic = "difference" if (claim.metric or "") in DIFFERENCE_METRICS else "ratio"
    t = ClaimTest(expected, statistic, cd.log, cd.unit, margin=_margin_for(claim), n=cd.n, notes=list(cd.notes))
    try:
        t.decision = decision_test_on(cd.prepared())
        t.summary = stats.effect_summary_on(cd.prepared(), cd.levels, n_boot=n_boot, seed=seed)
        if expected in ("no_change", "differs"):
            _equivalence(t, cd)
            m = t.margin
            stats.check_tost_args(m.value, m.scale, alpha, n_boot)
            t.tost = stats.tost_on(cd.prepared(t.log if m.log is None else m.log), cd.levels, margin=m.value,
                                   scale=m.scale, alpha=alpha, seed=seed, n_boot=n_boot)
    except EphysError as exc:
        t.error = str(exc)
    t.power, t.power_info = power_text(cd, t, prediction, alpha)
    return t


def _equivalence(t: ClaimTest, cd: ClaimData) -> None:
    """The TOST test and its bounds on the analysis scale.

    A ratio margin is tested on the log scale (bounds ``log(1 - m), log(1 + m)``), on ``log |value|``
    when the claim's scale is linear and every value has one sign; a difference margin on the claim's scale.
    """
    m = t.margin
    if m.scale == "difference":
        t.equivalence, t.bounds = t.decision, (-m.value, m.value)
        return
    t.bounds = (math.log1p(-m.value), math.log1p(m.value))
    if t.log:
        t.equivalence = t.decision
        return
    y = pd.to_numeric(cd.frame["value"], errors="coerce")
    if (y > 0).all() or (y < 0).all():
        t.equivalence = decision_test_on(cd.magnitude())
        t.notes.append("the ratio margin is tested on the log scale (ratio of geometric means of |value|)")
    else:
        t.bounds = None
        t.notes.append("values of both signs: a ratio margin cannot be tested (give a difference margin)")


# ----------------------------------------------------------------------------------------- decisions
def _decision_ci(t: ClaimTest, confidence: float = 0.95) -> list[float]:
    """The decision's t interval on the statistic's scale (sorted)."""
    lo, hi = t.decision.ci(confidence)
    return sorted([t.to_statistic(lo), t.to_statistic(hi)])


def _effect_dict(t: ClaimTest) -> dict[str, Any]:
    s, b, d = t.summary, t.primary, t.decision
    out = {"statistic": t.statistic, "estimate": t.to_statistic(d.estimate), "log_scale": t.log, "unit": t.unit,
           "decision": {"method": d.method, "unit": d.unit, "n_units": list(d.n_units), "df": d.df,
                        "estimate": d.estimate, "se": d.se, "ci95": list(d.ci(0.95)), "calibrated": d.calibrated,
                        "min_units": MIN_UNITS, "scale": "log" if t.log else "linear", "note": d.note},
           "bootstrap": {"estimate": b.estimate, "ci": [b.ci_low, b.ci_high], "levels": list(b.levels)},
           "difference": s.difference.estimate, "difference_ci": [s.difference.ci_low, s.difference.ci_high],
           "hedges_g": s.hedges_g.estimate, "hedges_g_ci": [s.hedges_g.ci_low, s.hedges_g.ci_high],
           "bootstrap_levels": list(b.levels), "paired": b.paired, "note": b.note}
    if t.statistic == "ratio":  # a difference metric (signed current shift, % of baseline) has no ratio
        out.update(ratio=s.ratio.estimate, ratio_ci=[s.ratio.ci_low, s.ratio.ci_high],
                   percent_change=s.percent_change[0])
    if t.equivalence is not None and t.bounds is not None:
        eq, p, ci = t.equivalence.tost(*t.bounds)
        out["tost"] = {"equivalent": eq, "ci90": list(ci), "bounds": list(t.bounds), "p": p,
                       "scale": "log" if t.equivalence.log else "linear", "method": t.equivalence.method}
    return out


def _stat_text(t: ClaimTest, holm: dict[str, float]) -> str:
    d, b = t.decision, t.primary
    name = ("ratio of geometric means" if t.log else "ratio of means") if t.statistic == "ratio" else (
        f"difference{' (' + t.unit + ')' if t.unit else ''}")
    lo, hi = _decision_ci(t)
    text = (f"{name} {t.to_statistic(d.estimate):.3g} (95 % CI {lo:.3g} to {hi:.3g}; {d.method}, "
            f"df = {d.df:.3g}, p = {d.p:.3g}")
    ph = holm.get("decision", float("nan"))
    text += (f", Holm-adjusted {ph:.3g})" if math.isfinite(ph) else ")")
    text += f"; hierarchical bootstrap (description): {b.estimate:.3g}, 95 % CI {b.ci_low:.3g} to {b.ci_high:.3g}"
    m = t.summary.mixed
    if math.isfinite(m.p):
        text += f"; mixed model [{m.method}]: p = {m.p:.3g}"
    return text


def _tost_verdict(t: ClaimTest, alpha: float) -> tuple[str, str, bool]:
    """(verdict for no_change, why, equivalent) from the calibrated TOST."""
    if t.equivalence is None or t.bounds is None:
        return "inconclusive", "no equivalence test (see the notes)", False
    eq, p, (lo, hi) = t.equivalence.tost(*t.bounds, alpha=alpha)
    scale = "log" if t.equivalence.log else "linear"
    bounds = f"[{t.bounds[0]:.3g}, {t.bounds[1]:.3g}] ({scale} scale)"
    ci90 = f"TOST {100 * (1 - 2 * alpha):.0f} % t CI {lo:.3g} to {hi:.3g}"
    if eq:
        return "supported", f"equivalent: {ci90} lies inside the margin {bounds}, p = {p:.3g}", True
    if t.equivalence.calibrated and (lo > t.bounds[1] or hi < t.bounds[0]):
        return "contradicted", f"not equivalent: {ci90} lies entirely outside the margin {bounds}", False
    return "inconclusive", f"equivalence not shown: {ci90} is not inside the margin {bounds}", False


def _decide_core(t: ClaimTest, p_holm: float, alpha: float) -> tuple[str, str]:
    """(verdict, why) from the calibrated test; ``p_holm`` is its Holm-adjusted p."""
    e, d = t.expected, t.decision
    if e == "exploratory":
        return "inconclusive", "exploratory claim: no direction asserted, the effect is reported only"
    if not d.calibrated:
        return "inconclusive", (f"{min(d.n_units)} {d.unit}(s) in the smaller condition: the decision rule is "
                                f"calibrated from {MIN_UNITS} {d.unit}s per condition "
                                f"(benchmarks/bench_verdict_calibration.py); no verdict below that")
    null = "1" if t.statistic == "ratio" else "0"
    seen = t.seen(p_holm, alpha)
    if e in ("increase", "decrease"):
        if seen == e:
            return "supported", f"the effect differs from {null} in the expected direction ({e}; Holm p < {alpha:g})"
        if seen != "none":
            return "contradicted", f"the effect differs from {null} in the opposite direction ({seen}; expected {e})"
        if math.isfinite(d.p) and d.p < alpha:
            return "inconclusive", (f"p < {alpha:g} before, not after the Holm correction across the independent "
                                    f"questions tested")
        return "inconclusive", f"no effect shown (Holm-adjusted p >= {alpha:g})"
    if e == "differs":
        if seen != "none":
            return "supported", f"the effect differs from {null} ({seen}; Holm p < {alpha:g})"
        v, why, eq = _tost_verdict(t, alpha)
        if eq:
            return "contradicted", why
        return "inconclusive", "neither a difference nor equivalence is shown"
    v, why, _ = _tost_verdict(t, alpha)
    return v, why


def decide(claim: Claim, t: ClaimTest, design: str, reference: str, holm: dict[str, float],
           prediction: Prediction | None, excluded: str = "", alpha: float = 0.05) -> Verdict:
    """The verdict of one tested claim.

    Parameters
    ----------
    claim : Claim
    t : ClaimTest
        Output of :func:`run_test`.
    design, reference : str
        Declared design and the resolved reference condition.
    holm : dict
        Holm-adjusted p-values across the independent questions tested: ``decision`` (the calibrated
        test, decides); empty when the claim is not in the Holm family.
    prediction : Prediction or None
    excluded : str
        Sentence about rows left out by the inclusion criteria.
    alpha : float
        Significance level.
    """
    if t.error or t.summary is None:
        reason = f"inconclusive: the statistics could not run ({t.error}); {t.power}"
        return simple_verdict(claim, design, reference, t.expected, "inconclusive",
                              reason + (f"; {excluded}" if excluded else ""), prediction, t.n)
    verdict, why = _decide_core(t, holm.get("decision", float("nan")), alpha)
    b = t.primary
    ci = _decision_ci(t)
    parts = [f"{verdict}: {why}", _stat_text(t, holm), f"n = {n_text(t.n)}"]
    holds = None
    if prediction is not None:
        holds = prediction.holds(ci[0], ci[1], t.statistic)
        if prediction.quantity in CONTEXT_ONLY:
            holds = None
        side = {True: "the measured CI overlaps the predicted range (prediction holds)",
                False: "the measured CI excludes the predicted range (prediction fails)",
                None: "context only, not compared"}[holds]
        parts.append(f"predicted ({design}): {prediction.text}; {side}")
        if claim.source == "vendor" and t.expected in ("increase", "decrease") and holds is not None:
            null = 1.0 if t.statistic == "ratio" else 0.0
            pdir = "increase" if prediction.low > null else "decrease" if prediction.high < null else "none"
            if pdir not in ("none", t.expected):
                parts.append(f"the mechanism predicts the opposite of the vendor's claim ({pdir}) under {design}")
    if verdict == "inconclusive":
        parts.append(t.power)
    parts += [n for n in t.notes if n]
    if b.note:
        parts.append(f"bootstrap: {b.note}")
    if excluded:
        parts.append(excluded)
    effect = _effect_dict(t)
    p = {"raw": t.decision.p, "holm": holm.get("decision", float("nan")), "method": t.decision.method,
         "df": t.decision.df, "mixed": t.p_raw, "mixed_method": t.summary.mixed.method, "note": t.summary.mixed.note,
         "bootstrap": t.p_boot, "tost": effect.get("tost", {}).get("p")}
    return Verdict(**verdict_fields(claim, design, reference, t.expected), verdict=verdict, reason=". ".join(parts),
                   effect=effect, ci=ci, p=p, n=t.n, power=t.power_info,
                   prediction=prediction.as_dict() if prediction is not None else None, prediction_holds=holds)
