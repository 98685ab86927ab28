"""One claim's data, selected and prepared once: what the decision rule, the bootstrap, the mixed model,
TOST and the power calculation of :mod:`ephystool.compare.verdicts` all read.

:func:`~ephystool.compare._select.select_claim_data` picks the claim's rows and averages them into
independent-unit rows; :func:`claim_data` fixes the scale (the claim's log scale unless a value is <= 0),
counts the units per condition and prepares the two conditions (``y`` on the analysis scale, unit codes,
pairs) once per scale, instead of once per statistic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ephystool.compare._resample import present_levels, unit_counts
from ephystool.compare._table import Prepared, prepare

__all__ = ["ClaimData", "claim_data"]


@dataclass(frozen=True)
class ClaimData:
    """The unit-level data of one two-group claim.

    Attributes
    ----------
    frame : DataFrame
        One row per independent unit (cell or well) of the condition and the reference: ``condition``,
        ``value`` (in :attr:`unit`), the level columns and ``pair_id`` for units measured under both.
    condition, reference : str
        The treated condition and the reference it is compared with.
    unit : str
        Unit of ``value`` (results.csv's ``unit``: pA, Hz, % ...); '' when the table gives none.
    levels : tuple of str
        Levels of replication of the unit of inference, outermost first (animal/slice/cell, batch/plate/well).
    present : tuple of str
        The levels present in the data (non-blank), outermost first.
    log : bool
        Analysed on the natural-log scale (the claim's scale; False when a value is <= 0, see :attr:`notes`).
    n : dict
        Per condition: the number of units at each present level and of observations.
    notes : tuple of str
        What changed the claim's requested scale.
    """

    frame: pd.DataFrame = field(repr=False)
    condition: str
    reference: str
    unit: str
    levels: tuple[str, ...]
    present: tuple[str, ...]
    log: bool
    n: dict[str, dict[str, int]]
    notes: tuple[str, ...] = ()
    _cache: dict[Any, Prepared] = field(default_factory=dict, repr=False, compare=False)

    def prepared(self, log: bool | None = None) -> Prepared:
        """The two conditions prepared on the log (``log``) or linear scale (default: :attr:`log`), once.

        Raises
        ------
        AnalysisError
            Fewer than 2 finite values per condition, or values <= 0 on the log scale.
        """
        return self._prepare(("value", self.log if log is None else bool(log)))

    @property
    def paired(self) -> bool:
        """Units measured under both conditions (wash-in): ``pair_id`` in :attr:`frame`."""
        return "pair_id" in self.frame.columns and bool(present_levels(self.frame, ("pair_id",)))

    def magnitude(self) -> Prepared:
        """``log |value|`` prepared: the scale of a ratio margin on values of one sign (see verdicts)."""
        return self._prepare(("abs", True))

    def _prepare(self, key: tuple[str, bool]) -> Prepared:
        if key not in self._cache:
            frame = self.frame
            if key[0] == "abs":
                frame = frame.assign(value=pd.to_numeric(frame["value"], errors="coerce").abs())
            self._cache[key] = prepare(frame, self.condition, self.reference, self.levels, key[1])
        return self._cache[key]


def claim_data(frame: pd.DataFrame, condition: str, reference: str, levels: tuple[str, ...], unit: str,
               log: bool) -> ClaimData:
    """The :class:`ClaimData` of a claim's unit-level rows.

    Parameters
    ----------
    frame : DataFrame
        Unit-level rows of the two conditions (:attr:`Selection.data
        <ephystool.compare._select.Selection.data>`).
    condition, reference : str
        The treated condition and the reference.
    levels : tuple of str
        Levels of replication, outermost first.
    unit : str
        Unit of the values.
    log : bool
        The claim's scale (:func:`~ephystool.compare.verdicts.claim_log`); linear when a value is <= 0.

    Returns
    -------
    ClaimData
    """
    notes: tuple[str, ...] = ()
    if log and (pd.to_numeric(frame["value"], errors="coerce") <= 0).any():
        log, notes = False, ("values <= 0 present: analysed on the linear scale instead of the log scale",)
    present = present_levels(frame, levels)
    n = {c: unit_counts(frame[frame["condition"] == c], present) for c in (condition, reference)}
    return ClaimData(frame, condition, reference, unit, tuple(levels), present, bool(log), n, notes)
