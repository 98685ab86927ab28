"""A claim between its statistics and its verdict: the Holm correction needs every claim's p first.

:func:`ephystool.compare.engine.compare` tests every claim into a :class:`Pending` (a :class:`Final` verdict
for a claim that is not testable or has no data, a :class:`PendingClaim` for a two-group claim, a
:class:`~ephystool.compare.trend.PendingTrend` for a dose-response claim), collects the independent
:class:`Question` s into one Holm family and then asks each for its verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from ephystool.compare.claims import Claim
from ephystool.compare.predictions import Prediction
from ephystool.compare.record import Verdict
from ephystool.compare.verdicts import ClaimTest, decide

__all__ = ["Final", "Pending", "PendingClaim", "Question"]


@dataclass(frozen=True)
class Question:
    """One independent question of the Holm family: claims on the same data share its key and its p."""

    key: str
    p_decision: float
    p_mixed: float


class Pending(Protocol):
    """A claim tested, awaiting the Holm-adjusted p of its question (``decision``, ``mixed``)."""

    def question(self) -> Question | None:
        """The question it asks of the Holm family; None when it is not in the family."""
        ...

    def finish(self, holm: dict[str, float], design: str, alpha: float) -> Verdict:
        """Its verdict, given the Holm-adjusted p-values of its question (empty when not in the family)."""
        ...


@dataclass(frozen=True)
class Final:
    """A verdict that needs no p (not testable, no data)."""

    verdict: Verdict

    def question(self) -> Question | None:
        return None

    def finish(self, holm: dict[str, float], design: str, alpha: float) -> Verdict:
        return self.verdict


@dataclass(frozen=True)
class PendingClaim:
    """A two-group claim tested (:func:`ephystool.compare.verdicts.run_claim_test`)."""

    claim: Claim
    test: ClaimTest
    reference: str
    prediction: Prediction | None
    excluded: str

    def question(self) -> Question | None:
        """Claims that test the same data (same analysis, metric, selectors, protocol, condition, reference,
        unit and scale, e.g. CIT-MECH-1 'increase' and CIT-NMDA-3 'decrease') are one question: one p."""
        claim, t = self.claim, self.test
        if t.expected not in ("increase", "decrease", "differs") or t.error or t.summary is None \
                or not (t.decision is not None and t.decision.calibrated):
            return None
        key = json.dumps([claim.analysis, claim.metric, dict(claim.selectors), sorted(claim.protocol), claim.condition,
                          self.reference, claim.unit_of_inference, t.log], sort_keys=True, default=str)
        return Question(key, t.p_decision, t.p_raw)

    def finish(self, holm: dict[str, float], design: str, alpha: float) -> Verdict:
        return decide(self.claim, self.test, design, self.reference, holm, self.prediction, self.excluded, alpha)
