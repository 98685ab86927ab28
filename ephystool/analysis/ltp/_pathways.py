"""Two pathways of one slice: the control pathway's change reported beside the test pathway's.

A slice recorded with a test and a control input (two manifest rows, often one file whose alternate
sweeps stimulate each input; see :mod:`ephystool.io.selection`) gives two LTP/LTD sessions labelled by
the manifest's ``pathway`` column. The control (untetanised) input tests that a change is input
specific - homosynaptic - and not a change of the whole slice (Bliss & Lomo 1973; Andersen et al.,
Nature 266:736-737, 1977: heterosynaptic controls). The row whose ``pathway`` names it a control
(``control``, ``ctrl``, ``untetanised``, ``unpaired``, ``naive``, ``heterosynaptic``) is:

* reported beside each test pathway of the same slice as ``control_<metric>`` (e.g.
  ``control_ltp_magnitude``, % of the control pathway's own baseline; 100 = unchanged), labelled with
  ``control_pathway``;
* itself kept in the results, but with ``excluded_reason`` set, so that comparisons across conditions
  never pool a control input with test inputs (nor count the slice twice).

A slice is the rows sharing condition, animal, slice, cell and protocol; rows without any unit label
are grouped by file (the recording id without its bracketed part).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ephystool.errors import AnalysisError

__all__ = ["is_control_pathway", "pathway_rows", "check_alternation", "MAGNITUDES"]

_BLOCK = 15
MAGNITUDES = ("ltp_magnitude", "ltd_magnitude", "stp_magnitude")
_CONTROL = re.compile(r"(^|[^a-z])(control|ctrl|ctl|untetani[sz]ed|unpaired|naive|heterosynaptic)([^a-z]|$)",
                      re.IGNORECASE)
CONTROL_REASON = ("control pathway (heterosynaptic control): reported beside the slice's test pathway as "
                  "control_<metric>, not compared across conditions")


def is_control_pathway(label: str) -> bool:
    """Whether a ``pathway`` label names the control (untetanised) input."""
    return bool(_CONTROL.search(str(label or "")))


def _slice_key(r: dict[str, Any]) -> tuple[str, ...]:
    units = tuple(str(r.get(k) or "") for k in ("animal", "slice", "cell"))
    where = "" if any(units) else str(r.get("recording", "")).rsplit(" [", 1)[0]
    return (str(r.get("condition", "")), *units, str(r.get("protocol", "")), where)


def pathway_rows(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark the control pathways' rows excluded and return the ``control_<metric>`` rows of the test pathways.

    Parameters
    ----------
    results : sequence of dict
        Tidy result rows of a batch (modified in place: control rows get ``excluded_reason``).

    Returns
    -------
    list of dict
        One row per test pathway and magnitude metric whose slice has exactly one control pathway.
    """
    labelled = [r for r in results if str(r.get("pathway") or "").strip()]
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in labelled:
        groups.setdefault(_slice_key(r), []).append(r)
    extra = []
    for rows in groups.values():
        controls = {str(r["pathway"]).strip() for r in rows if is_control_pathway(r["pathway"])}
        for r in rows:
            if is_control_pathway(r["pathway"]) and not str(r.get("excluded_reason") or "").strip():
                r["excluded_reason"] = CONTROL_REASON
        if len(controls) != 1:
            continue
        (name,) = controls
        ctrl = {r["metric"]: r for r in rows if str(r["pathway"]).strip() == name and r.get("metric") in MAGNITUDES}
        for r in rows:
            if is_control_pathway(r["pathway"]) or r.get("metric") not in ctrl:
                continue
            c = ctrl[r["metric"]]
            extra.append({**r, "metric": f"control_{r['metric']}", "value": c["value"], "unit": c.get("unit", "%"),
                          "control_pathway": name, "n_sweeps": c.get("n_sweeps"), "flag": c.get("flag", "")
                          or r.get("flag", "")})
    return extra


def check_alternation(slope: np.ndarray, path: str = "") -> None:
    """Refuse a series whose sweeps alternate between two responses (two pathways read as one).

    Consecutive sweeps (2k, 2k+1) of one input differ by noise, in either direction; when, over the whole
    series or over any block of 15 pairs, 90 % of the pairs differ in the same direction by a median of more
    than 20 % of the typical response, the file holds two inputs stimulated on alternate sweeps (or a
    response and nothing) and any time course of the mix is meaningless. Unmeasurable sweeps count as 0.
    Needs 10 sweeps.

    Raises
    ------
    AnalysisError
        Naming both medians and the manifest fix (one row per pathway with ``sweeps: even`` / ``odd``).
    """
    s = np.nan_to_num(np.asarray(slope, dtype=float), nan=0.0)
    n = s.size // 2
    if n < 5:
        return
    d = s[0 : 2 * n : 2] - s[1 : 2 * n : 2]
    typical = max(float(np.median(np.abs(s))), 1e-12)
    blocks = [d] + [d[i : i + _BLOCK] for i in range(0, n - _BLOCK + 1, _BLOCK)]
    for b in blocks:
        same = max(np.mean(b > 0), np.mean(b < 0))
        if same >= 0.9 and abs(float(np.median(b))) > 0.2 * typical:
            raise AnalysisError(
                f"the sweeps alternate between two responses (even sweeps: median slope {np.median(s[0::2]):.3g}, "
                f"odd sweeps: {np.median(s[1::2]):.3g}): two pathways on alternate sweeps? give each its own "
                "manifest row with sweeps: even / odd and a pathway label", path)
