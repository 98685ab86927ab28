"""Metrics that need several rows of one recording or one cell (run by the pipeline after all tasks).

* ``nmda_rectification_index`` |I(-70)|/I(+40) of the isolated NMDA current: from the I-V points of
  one ``nmda_iv`` recording, or from isolated ``nmda_peak`` rows of one cell recorded in separate
  files (:func:`ephystool.analysis.nmda.rectification_from_rows`);
* cell-level metrics of mixed EPSCs recorded in separate files of one (condition, animal, slice, cell)
  (:func:`ephystool.analysis.nmda._cells.cell_rows`): ``nmda_ampa_ratio`` (NMDA late at +40 / AMPA peak
  at -70) and ``nmda_rectification_index`` from the late components (``component`` ``late``);
* ``nmda_peak`` at each holding potential of an I-V recording (magnitude of the isolated NMDA
  current), so that claims about the NMDA current at -70 or -40 mV can use I-V data;
* MEA recovery after an injury: for the recordings of one well marked ``timepoint`` ``baseline`` and
  ``post`` in the manifest, the post/baseline ratio of each per-well rate metric (``window='ratio'``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["combine_units"]

_KEEP = ("recording", "condition", "protocol", "animal", "slice", "cell", "well", "batch", "plate")


def _from_iv(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    by_rec: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        if r.get("metric") == "nmda_iv_current" and r.get("holding_mV") is not None:
            by_rec[str(r["recording"])].append(r)
    for rec_rows in by_rec.values():
        base = {k: rec_rows[0].get(k, "") for k in (*_KEEP, "excluded_reason")}
        pts = {round(float(r["holding_mV"])): float(r["value"]) for r in rec_rows}
        for v, i in sorted(pts.items()):
            out.append({**base, "analysis": "nmda", "metric": "nmda_peak", "value": abs(i), "unit": "pA",
                        "holding_mV": float(v), "component": "isolated", "direction": "inward" if i < 0 else "outward",
                        "note": "from the I-V recording"})
        if -70 in pts and 40 in pts and pts[40] > 0:
            out.append({**base, "analysis": "nmda", "metric": "nmda_rectification_index",
                        "value": abs(pts[-70]) / pts[40], "unit": "1", "holding_pair_mV": "-70/40",
                        "note": "|I(-70)|/I(+40) from the I-V recording"})
    return out


def _across_files(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    from ephystool.analysis.nmda import rectification_from_rows
    from ephystool.analysis.nmda._cells import included

    cells: dict[tuple[str, ...], list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        if (r.get("metric") == "nmda_peak" and r.get("component") == "isolated" and r.get("cell")
                and included(r)):
            cells[(r["condition"], r["animal"], r["slice"], r["cell"])].append(r)
    out = []
    for rs in cells.values():
        recs = {r["recording"] for r in rs}
        if len(recs) < 2:
            continue  # within one file the analyzer already reports the index
        row = rectification_from_rows(rs)
        if row is not None:
            base = {k: rs[0].get(k, "") for k in _KEEP}
            out.append({**base, **row, "recording": ";".join(sorted(recs)), "analysis": "nmda"})
    return out


_RATIO_METRICS = ("mean_firing_rate", "weighted_mean_firing_rate", "burst_rate", "network_burst_rate")


def _recovery(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    wells: dict[tuple[str, ...], dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for r in rows:
        tp = str(r.get("timepoint") or "")
        if (r.get("analysis") == "firing_mea" and tp in ("baseline", "post") and r.get("metric") in _RATIO_METRICS
                and str(r.get("window") or "all") == "all"):
            key = (r["condition"], r.get("batch", ""), r.get("plate", ""), r.get("well", ""), r["protocol"],
                   r["metric"])
            wells[key][tp] = r
    out = []
    for (_, _, _, _, _, metric), pair in wells.items():
        if "baseline" in pair and "post" in pair and float(pair["baseline"]["value"]) > 0:
            base = {k: pair["post"].get(k, "") for k in _KEEP}
            base.update({k: pair["post"][k] for k in ("mg_mM", "salt_mM") if k in pair["post"]})  # the post bath
            out.append({**base, "recording": f"{pair['baseline']['recording']};{pair['post']['recording']}",
                        "analysis": "firing_mea", "metric": metric, "window": "ratio", "timepoint": "post/baseline",
                        "value": float(pair["post"]["value"]) / float(pair["baseline"]["value"]), "unit": "1",
                        "note": "post-injury / baseline recording of the same well"})
    return out


def combine_units(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Extra result rows computed from several rows (see the module docstring)."""
    from ephystool.analysis.nmda._cells import cell_rows

    return _from_iv(rows) + _across_files(rows) + cell_rows(rows, _KEEP) + _recovery(rows)
