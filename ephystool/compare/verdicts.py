"""Claim x data -> verdict: the statistics run for one claim and the decision rules.

Verdicts: ``supported``, ``contradicted``, ``inconclusive`` (with why, the minimal detectable effect
and the n needed at 80 % power), ``not testable`` (with the reason) and ``no data`` (the protocol was
not recorded). Decision rules (SCIENCE.md sections 3 and 5):

* ``increase`` / ``decrease``: the 95 % hierarchical-bootstrap CI of the effect (ratio of means, of
  geometric means for rates and ratios; a difference for signed metrics and LTP) excludes the null in
  the expected direction **and** the bootstrap p, Holm-adjusted across the claims tested, is below
  alpha -> supported; the same in the opposite direction -> contradicted; otherwise inconclusive
  (SCIENCE.md 3: the CI decides). The mixed-model p (also Holm-adjusted) is reported beside it; where
  the two disagree at alpha (few top-level units) the reason says the verdict is tentative.
* ``differs``: the CI excludes the null (either side) with Holm-adjusted bootstrap p < alpha ->
  supported; equivalence (TOST within the margin) -> contradicted.
* ``no_change``: TOST (90 % CI inside the margin) -> supported; the 90 % CI entirely outside the margin
  -> contradicted; otherwise inconclusive.
* ``exploratory``: the effect is reported; the verdict is inconclusive by construction.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ephystool.compare import stats
from ephystool.compare._power_text import DEFAULT_RATIO_MARGIN, power_text
from ephystool.compare._resample import present_levels, unit_counts
from ephystool.compare.bootstrap import bootstrap_p
from ephystool.compare.claims import Claim, Margin
from ephystool.compare.predictions import CONTEXT_ONLY, Prediction
from ephystool.errors import EphysError

__all__ = ["DEFAULT_MARGINS", "DIFFERENCE_METRICS", "LOG_METRICS", "VERDICTS", "ClaimTest", "Verdict", "decide",
           "present_levels", "run_test", "simple_verdict"]

VERDICTS = ("supported", "contradicted", "inconclusive", "not testable", "no data")
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


@dataclass(frozen=True)
class Verdict:
    """One row of ``verdicts.json``; see :data:`VERDICTS`."""

    id: str
    parameter: str
    source: str
    condition: str
    reference: str
    analysis: str | None
    metric: str | None
    selectors: dict[str, Any]
    expected: str
    verdict: str
    reason: str
    effect: dict[str, Any] | None
    ci: list[float] | None
    p: dict[str, Any] | None
    n: dict[str, Any] | None
    prediction: dict[str, Any] | None
    prediction_holds: bool | None
    design: str
    seed_column: str | None = None
    statement: str = ""
    quote: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        return _clean(asdict(self))

    def csv_row(self) -> dict[str, Any]:
        """Flat row for ``verdicts.csv``."""
        e, p, pr = self.effect or {}, self.p or {}, self.prediction or {}
        return {"id": self.id, "parameter": self.parameter, "seed_column": self.seed_column, "source": self.source,
                "condition": self.condition, "reference": self.reference, "analysis": self.analysis,
                "metric": self.metric, "selectors": json.dumps(self.selectors, sort_keys=True),
                "expected": self.expected, "verdict": self.verdict, "statistic": e.get("statistic"),
                "estimate": e.get("estimate"), "ci_low": (self.ci or [None, None])[0],
                "ci_high": (self.ci or [None, None])[1], "p": p.get("raw"), "p_holm": p.get("holm"),
                "p_method": p.get("method"), "n": _n_text(self.n), "prediction": pr.get("value"),
                "prediction_low": pr.get("low"), "prediction_high": pr.get("high"),
                "prediction_holds": self.prediction_holds, "design": self.design, "reason": self.reason}


def _clean(x: Any) -> Any:
    """JSON-ready copy: string keys, lists, numpy scalars as Python, NaN/inf as None."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _n_text(n: dict[str, Any] | None) -> str:
    if not n:
        return ""
    parts = []
    for cond, counts in n.items():
        if isinstance(counts, dict):
            parts.append(f"{cond}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return "; ".join(parts)


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


def _counts(data: pd.DataFrame, levels: tuple[str, ...], conds: tuple[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    present = present_levels(data, levels)
    for c in conds:
        out[c] = unit_counts(data[data["condition"] == c], present)
    return out


def run_test(data: pd.DataFrame, claim: Claim, expected: str, condition: str, reference: str,
             levels: tuple[str, ...], unit: str = "", prediction: Prediction | None = None,
             n_boot: int = 2000, seed: int = 0, alpha: float = 0.05) -> ClaimTest:
    """Hierarchical bootstrap, mixed model, TOST (no_change / differs) and power for one claim.

    ``data`` holds the unit-level values of the two conditions (one row per cell or well; ``pair_id``
    for wash-in designs). Errors of the statistics (too few values) are recorded in ``error``.
    """
    metric = claim.metric or ""
    statistic = "difference" if metric in DIFFERENCE_METRICS else "ratio"
    log = claim_log(claim)
    t = ClaimTest(expected, statistic, bool(log), unit)
    vals = pd.to_numeric(data["value"], errors="coerce")
    if t.log and (vals <= 0).any():
        t.log = False
        t.notes.append("values <= 0 present: analysed on the linear scale instead of the log scale")
    t.margin = _margin_for(claim)
    t.n = _counts(data, levels, (condition, reference))
    try:
        t.summary = stats.effect_summary(data, condition, reference, levels, log=t.log, n_boot=n_boot, seed=seed)
        if expected in ("no_change", "differs"):
            m = t.margin
            m_log = t.log if m.log is None else m.log
            t.tost = stats.tost(data, condition, reference, levels, margin=m.value, scale=m.scale, alpha=alpha,
                                seed=seed, log=m_log, n_boot=n_boot)
    except EphysError as exc:
        t.error = str(exc)
    t.power = power_text(data, levels, t, reference, prediction, alpha)
    return t


# ----------------------------------------------------------------------------------------- decisions
def _base(claim: Claim, design: str, reference: str, expected: str) -> dict[str, Any]:
    return {"id": claim.id, "parameter": claim.parameter, "source": claim.source, "condition": claim.condition,
            "reference": reference, "analysis": claim.analysis, "metric": claim.metric,
            "selectors": dict(claim.selectors), "expected": expected, "design": design,
            "seed_column": claim.seed_column, "statement": claim.statement, "quote": claim.quote}


def simple_verdict(claim: Claim, design: str, reference: str, expected: str, verdict: str, reason: str,
                   prediction: Prediction | None = None, n: dict[str, Any] | None = None) -> Verdict:
    """A verdict without statistics (``not testable``, ``no data``, or a failed test)."""
    text = reason + (f". Prediction ({design}): {prediction.text}" if prediction is not None else "")
    return Verdict(**_base(claim, design, reference, expected), verdict=verdict, reason=text, effect=None, ci=None,
                   p=None, n=n, prediction=prediction.as_dict() if prediction is not None else None,
                   prediction_holds=None)


def _effect_dict(t: ClaimTest) -> dict[str, Any]:
    s, b = t.summary, t.primary
    d = {"statistic": t.statistic, "estimate": b.estimate, "log_scale": t.log, "unit": t.unit,
         "difference": s.difference.estimate, "difference_ci": [s.difference.ci_low, s.difference.ci_high],
         "ratio": s.ratio.estimate, "ratio_ci": [s.ratio.ci_low, s.ratio.ci_high],
         "percent_change": s.percent_change[0], "hedges_g": s.hedges_g.estimate,
         "hedges_g_ci": [s.hedges_g.ci_low, s.hedges_g.ci_high], "bootstrap_levels": list(b.levels),
         "paired": b.paired, "note": b.note}
    if t.tost is not None:
        d["tost"] = {"equivalent": t.tost.equivalent, "ci90": [t.tost.ci_low, t.tost.ci_high],
                     "bounds": [t.tost.lower_bound, t.tost.upper_bound], "scale": t.tost.scale, "p": t.tost.p}
    return d


def _direction(lo: float, hi: float, null: float) -> str:
    if lo > null:
        return "increase"
    if hi < null:
        return "decrease"
    return "none"


def _stat_text(t: ClaimTest, holm: dict[str, float], alpha: float) -> str:
    b = t.primary
    name = ("ratio of geometric means" if t.log else "ratio of means") if t.statistic == "ratio" else (
        f"difference{' (' + t.unit + ')' if t.unit else ''}")
    text = f"{name} {b.estimate:.3g} (95 % CI {b.ci_low:.3g} to {b.ci_high:.3g})"
    pb = holm.get("boot", float("nan"))
    if math.isfinite(pb):
        text += f"; bootstrap p = {t.p_boot:.3g}, Holm-adjusted {pb:.3g}"
    m = t.summary.mixed
    pm = holm.get("mixed", float("nan"))
    if math.isfinite(m.p):
        text += f"; mixed-model p = {m.p:.3g}" + (f", Holm-adjusted {pm:.3g}" if math.isfinite(pm) else "") \
            + f" [{m.method}]"
        if t.expected in ("increase", "decrease", "differs") and math.isfinite(pm) and math.isfinite(pb) \
                and (pb < alpha) != (pm < alpha):
            text += (" (the bootstrap and the mixed model disagree at this alpha: few top-level units; "
                     "treat the verdict as tentative)")
    else:
        text += f"; no mixed-model p ({m.method}: {m.note or 'too few units'})"
    return text


def _decide_core(t: ClaimTest, p_holm: float, alpha: float) -> tuple[str, str]:
    """(verdict, why) from the statistics; ``p_holm`` is the Holm-adjusted bootstrap p."""
    b = t.primary
    null = 1.0 if t.statistic == "ratio" else 0.0
    sig = (p_holm < alpha) if math.isfinite(p_holm) else True
    seen = _direction(b.ci_low, b.ci_high, null)
    e = t.expected
    if e == "exploratory":
        return "inconclusive", "exploratory claim: no direction asserted, the effect is reported only"
    if e in ("increase", "decrease"):
        if seen == e and sig:
            return "supported", f"the CI excludes {null:g} in the expected direction ({e})"
        if seen not in ("none", e) and sig:
            return "contradicted", f"the CI excludes {null:g} in the opposite direction ({seen}; expected {e})"
        if seen != "none":
            return "inconclusive", (f"the CI excludes {null:g} ({seen}) but not after the Holm correction across the "
                                    f"claims tested (adjusted bootstrap p >= {alpha:g})")
        return "inconclusive", f"the 95 % CI includes {null:g} (no effect)"
    tost = t.tost
    if e == "differs":
        if seen != "none" and sig:
            return "supported", f"the CI excludes {null:g} ({seen})"
        if tost is not None and tost.equivalent:
            return "contradicted", (f"equivalent within [{tost.lower_bound:.3g}, {tost.upper_bound:.3g}] "
                                    f"(TOST 90 % CI {tost.ci_low:.3g} to {tost.ci_high:.3g})")
        return "inconclusive", "neither a difference nor equivalence is shown"
    # no_change
    bounds = f"[{tost.lower_bound:.3g}, {tost.upper_bound:.3g}] ({tost.scale}{', log' if t.log else ''})"
    ci90 = f"TOST 90 % CI {tost.ci_low:.3g} to {tost.ci_high:.3g}"
    if tost.equivalent:
        return "supported", f"equivalent: {ci90} lies inside the margin {bounds}, p = {tost.p:.3g}"
    if tost.ci_low > tost.upper_bound or tost.ci_high < tost.lower_bound:
        return "contradicted", f"not equivalent: {ci90} lies entirely outside the margin {bounds}"
    return "inconclusive", f"equivalence not shown: {ci90} is not inside the margin {bounds}"


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
        Holm-adjusted p-values across the claims tested: ``boot`` (hierarchical bootstrap, decides) and
        ``mixed`` (mixed model, reported); empty when the claim is not in the Holm family.
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
    verdict, why = _decide_core(t, holm.get("boot", float("nan")), alpha)
    b = t.primary
    parts = [f"{verdict}: {why}", _stat_text(t, holm, alpha), f"n = {_n_text(t.n)}"]
    holds = None
    if prediction is not None:
        holds = prediction.holds(b.ci_low, b.ci_high, t.statistic)
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
    p = {"raw": t.p_raw, "holm": holm.get("mixed", float("nan")), "method": t.summary.mixed.method,
         "note": t.summary.mixed.note, "bootstrap": t.p_boot, "bootstrap_holm": holm.get("boot", float("nan")),
         "tost": t.tost.p if t.tost is not None else None}
    return Verdict(**_base(claim, design, reference, t.expected), verdict=verdict, reason=". ".join(parts),
                   effect=_effect_dict(t), ci=[b.ci_low, b.ci_high], p=p, n=t.n,
                   prediction=prediction.as_dict() if prediction is not None else None, prediction_holds=holds)
