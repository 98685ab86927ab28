"""The verdict record: one row of ``verdicts.json`` / ``verdicts.csv`` per claim, and its JSON form.

Shared by the two-group claims (:mod:`ephystool.compare.verdicts`) and the dose-response claims
(:mod:`ephystool.compare.trend`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ephystool.compare.claims import Claim
from ephystool.compare.predictions import Prediction

__all__ = ["VERDICTS", "Verdict", "json_ready", "n_text", "simple_verdict", "verdict_fields"]

VERDICTS = ("supported", "contradicted", "inconclusive", "not testable", "no data")


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
    #: Power of the calibrated test at the present n for the effect of interest (``power``, ``effect``,
    #: ``basis``, ``n_per_condition``, ``unit``, ``n_for_80``); empty when not computed.
    power: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        return json_ready(asdict(self))

    def csv_row(self) -> dict[str, Any]:
        """Flat row for ``verdicts.csv``."""
        e, p, pr = self.effect or {}, self.p or {}, self.prediction or {}
        return {"id": self.id, "parameter": self.parameter, "seed_column": self.seed_column, "source": self.source,
                "condition": self.condition, "reference": self.reference, "analysis": self.analysis,
                "metric": self.metric, "selectors": json.dumps(self.selectors, sort_keys=True),
                "expected": self.expected, "verdict": self.verdict, "statistic": e.get("statistic"),
                "estimate": e.get("estimate"), "ci_low": (self.ci or [None, None])[0],
                "ci_high": (self.ci or [None, None])[1], "p": p.get("raw"), "p_holm": p.get("holm"),
                "p_method": p.get("method"), "n": n_text(self.n), "prediction": pr.get("value"),
                "prediction_low": pr.get("low"), "prediction_high": pr.get("high"),
                "prediction_holds": self.prediction_holds, "design": self.design,
                "power": (self.power or {}).get("power"), "reason": self.reason}


def json_ready(x: Any) -> Any:
    """JSON-ready copy: string keys, lists, numpy scalars as Python, NaN/inf as None."""
    if isinstance(x, dict):
        return {str(k): json_ready(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_ready(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def n_text(n: dict[str, Any] | None) -> str:
    """``n`` of a verdict as text: ``condition: 6 animal, 12 cell, 12 observations; ...``."""
    if not n:
        return ""
    parts = []
    for cond, counts in n.items():
        if isinstance(counts, dict):
            parts.append(f"{cond}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return "; ".join(parts)


def verdict_fields(claim: Claim, design: str, reference: str, expected: str) -> dict[str, Any]:
    """The fields of a :class:`Verdict` that come from the claim and the design."""
    return {"id": claim.id, "parameter": claim.parameter, "source": claim.source, "condition": claim.condition,
            "reference": reference, "analysis": claim.analysis, "metric": claim.metric,
            "selectors": dict(claim.selectors), "expected": expected, "design": design,
            "seed_column": claim.seed_column, "statement": claim.statement, "quote": claim.quote}


def simple_verdict(claim: Claim, design: str, reference: str, expected: str, verdict: str, reason: str,
                   prediction: Prediction | None = None, n: dict[str, Any] | None = None) -> Verdict:
    """A verdict without statistics (``not testable``, ``no data``, or a failed test)."""
    text = reason + (f". Prediction ({design}): {prediction.text}" if prediction is not None else "")
    return Verdict(**verdict_fields(claim, design, reference, expected), verdict=verdict, reason=text, effect=None, ci=None,
                   p=None, n=n, prediction=prediction.as_dict() if prediction is not None else None,
                   prediction_holds=None)
