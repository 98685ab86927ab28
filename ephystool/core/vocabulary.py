"""The experiment's vocabulary, stated once: conditions (with aliases), experimental designs, canonical units.

Every other module takes these names from here (``tests/test_vocabulary.py`` fails on a condition or
design name written as a string literal elsewhere). Public contract: ARCHITECTURE.md section 3.

Conditions
    ``control`` (the standard aCSF, MgSO4), ``mg_aspartate`` and ``mg_citrate`` (the two test salts, named
    after their salt families in :mod:`ephystool.chemistry.salts`), and ``mg_matched_control`` (the
    control salt at the Mg the test salt adds: the reference of the ``acute_added`` design).
Designs (SCIENCE.md 0 and 1d; the chemistry in :mod:`ephystool.chemistry.designs`)
    ``acute_equal_total`` (the test salt replaces the control Mg salt at equal total Mg), ``acute_added``
    (added on top of the aCSF; reference: the Mg-matched control), ``chronic_oral`` (given to the
    animals; every slice recorded in the control bath).

Examples
--------
>>> normalise_condition("Mg-Asp"), normalise_condition("MgCit"), normalise_condition("vehicle")
('mg_aspartate', 'mg_citrate', 'control')
>>> normalise_condition("mg matched") is None  # not in the default vocabulary
True
>>> REFERENCE_CONDITION[ACUTE_ADDED], CANONICAL_UNITS["current"]
('mg_matched_control', 'pA')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import MappingProxyType

__all__ = [
    "CONTROL", "MG_ASPARTATE", "MG_CITRATE", "MG_MATCHED_CONTROL", "CONDITIONS", "ALL_CONDITIONS", "TEST_SALTS",
    "CONDITION_ALIASES", "normalise_condition",
    "ACUTE_EQUAL_TOTAL", "ACUTE_ADDED", "CHRONIC_ORAL", "DESIGNS", "DEFAULT_DESIGN", "REFERENCE_CONDITION",
    "CANONICAL_UNITS",
]

# ----- conditions ------------------------------------------------------------------------------------------
CONTROL = "control"
MG_ASPARTATE = "mg_aspartate"
MG_CITRATE = "mg_citrate"
MG_MATCHED_CONTROL = "mg_matched_control"
#: The test salts' conditions (each also the name of its salt family).
TEST_SALTS: tuple[str, ...] = (MG_ASPARTATE, MG_CITRATE)
#: A manifest's default vocabulary (a manifest may declare its own, e.g. with ``mg_matched_control``).
CONDITIONS: tuple[str, ...] = (CONTROL, *TEST_SALTS)
#: Every condition the chemistry knows a bath for.
ALL_CONDITIONS: tuple[str, ...] = (*CONDITIONS, MG_MATCHED_CONTROL)
#: Labels a lab writes for a condition, keyed without case, spaces or punctuation (see normalise_condition).
CONDITION_ALIASES: MappingProxyType[str, str] = MappingProxyType({
    "control": CONTROL, "ctrl": CONTROL, "ctl": CONTROL, "vehicle": CONTROL, "mgso4": CONTROL,
    "mgaspartate": MG_ASPARTATE, "mgasp": MG_ASPARTATE, "magnesiumaspartate": MG_ASPARTATE,
    "mgasp2": MG_ASPARTATE, "aspartate": MG_ASPARTATE,
    "mgcitrate": MG_CITRATE, "mgcit": MG_CITRATE, "magnesiumcitrate": MG_CITRATE, "mg3cit2": MG_CITRATE,
    "citrate": MG_CITRATE, "mgmatchedcontrol": MG_MATCHED_CONTROL, "mgmatched": MG_MATCHED_CONTROL,
})


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def normalise_condition(value: str, vocabulary: Sequence[str] = CONDITIONS) -> str | None:
    """Map a condition label (``'Mg-Asp'``, ``'MgCit'``, ``'Mg aspartate'``) to the vocabulary, or None.

    Parameters
    ----------
    value : str
        The label as written (case, spaces and punctuation are ignored).
    vocabulary : sequence of str
        The allowed conditions (default :data:`CONDITIONS`); an alias counts only if its condition is in it.

    Returns
    -------
    str or None
        The condition, or None when the label names none of the vocabulary.
    """
    k = _key(value)
    for v in vocabulary:
        if _key(v) == k:
            return v
    alias = CONDITION_ALIASES.get(k)
    return alias if alias in vocabulary else None


# ----- designs ---------------------------------------------------------------------------------------------
ACUTE_EQUAL_TOTAL = "acute_equal_total"
ACUTE_ADDED = "acute_added"
CHRONIC_ORAL = "chronic_oral"
DESIGNS: tuple[str, ...] = (ACUTE_EQUAL_TOTAL, ACUTE_ADDED, CHRONIC_ORAL)
DEFAULT_DESIGN = ACUTE_EQUAL_TOTAL
#: The condition a test bath is compared with under each design.
REFERENCE_CONDITION: MappingProxyType[str, str] = MappingProxyType({
    ACUTE_EQUAL_TOTAL: CONTROL, ACUTE_ADDED: MG_MATCHED_CONTROL, CHRONIC_ORAL: CONTROL,
})

# ----- units -----------------------------------------------------------------------------------------------
#: Canonical unit of each quantity kind in outputs (results tables, figures): ARCHITECTURE.md section 4.
CANONICAL_UNITS: MappingProxyType[str, str] = MappingProxyType({
    "time": "s",
    "current": "pA",
    "voltage": "mV",
    "conductance": "nS",
    "charge": "pC",
    "rate": "Hz",
    "concentration": "mM",
    "potentiation": "%",
})
