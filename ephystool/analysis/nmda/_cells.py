"""Cell-level NMDA metrics from mixed-EPSC recordings saved as separate files (helper of
:mod:`ephystool.analysis.combine`).

Labs often save the -70 mV and +40 mV runs of one cell as two files. For every (condition, animal, slice,
cell) whose rows come from more than one recording and where no single recording holds both potentials,
this forms

* ``nmda_ampa_ratio``: ``nmda_late`` at +40 mV / ``ampa_peak`` at -70 mV (component ``mixed``);
* ``nmda_rectification_index``: ``nmda_late`` at -70 mV (residual AMPA subtracted, see
  :mod:`ephystool.analysis.nmda._measure`) / ``nmda_late`` at +40 mV (component ``late``; the isolated
  form is :func:`ephystool.analysis.nmda.rectification_from_rows`).

Values of several files at one potential are averaged weighted by their sweep counts. Rows with a
non-empty ``excluded_reason`` (inclusion criteria) are left out. A cell recorded in one file gets the same
metrics from the analyzer itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["cell_rows", "included"]

_V_NEG, _V_POS = -70.0, 40.0


def included(r: Mapping[str, Any]) -> bool:
    """False for a row an inclusion criterion excluded (non-empty ``excluded_reason``)."""
    v = r.get("excluded_reason")
    return v is None or (isinstance(v, float) and v != v) or str(v).strip() == ""


def _pick(rows: Sequence[Mapping[str, Any]], metric: str, v: float) -> list[Mapping[str, Any]]:
    return [r for r in rows if r.get("metric") == metric and r.get("component") == "mixed"
            and r.get("holding_mV") not in (None, "") and abs(float(r["holding_mV"]) - v) < 0.5]


def _mean(rows: Sequence[Mapping[str, Any]]) -> tuple[float, int]:
    w = [max(int(r.get("n_sweeps") or 1), 1) for r in rows]
    return float(np.average([float(r["value"]) for r in rows], weights=w)), sum(w)


def _pair(rows: Sequence[Mapping[str, Any]], num: tuple[str, float], den: tuple[str, float]
          ) -> tuple[float, int, set[str]] | None:
    top, bottom = _pick(rows, *num), _pick(rows, *den)
    if not top or not bottom:
        return None
    if {r["recording"] for r in top} & {r["recording"] for r in bottom}:
        return None  # one file holds both: the analyzer already reported it
    (a, na), (b, nb) = _mean(top), _mean(bottom)
    if b <= 0:
        return None
    return a / b, na + nb, {str(r["recording"]) for r in (*top, *bottom)}


def cell_rows(rows: Sequence[Mapping[str, Any]], keep: Sequence[str]) -> list[dict[str, Any]]:
    """Cell-level ``nmda_ampa_ratio`` and late ``nmda_rectification_index`` rows (see the module doc)."""
    cells: dict[tuple[str, ...], list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        if r.get("analysis") == "nmda" and r.get("cell") and r.get("component") == "mixed" and included(r):
            cells[(str(r.get("condition")), str(r.get("animal")), str(r.get("slice")), str(r["cell"]))].append(r)
    out: list[dict[str, Any]] = []
    specs = (("nmda_ampa_ratio", ("nmda_late", _V_POS), ("ampa_peak", _V_NEG), "mixed",
              "NMDA late (+40 mV) / AMPA peak (-70 mV) from separate recordings of the same cell"),
             ("nmda_rectification_index", ("nmda_late", _V_NEG), ("nmda_late", _V_POS), "late",
              "|late (-70 mV)| / late (+40 mV), residual AMPA subtracted, from separate recordings of the same cell"))
    for rs in cells.values():
        if len({r["recording"] for r in rs}) < 2:
            continue
        base = {k: rs[0].get(k, "") for k in keep}
        for metric, num, den, comp, note in specs:
            got = _pair(rs, num, den)
            if got is not None:
                value, n, recs = got
                out.append({**base, "recording": ";".join(sorted(recs)), "analysis": "nmda", "metric": metric,
                            "value": value, "unit": "1", "holding_mV": None, "holding_pair_mV": f"{_V_NEG:g}/{_V_POS:g}",
                            "component": comp, "n_sweeps": n, "level": "cell", "note": note})
    return out
