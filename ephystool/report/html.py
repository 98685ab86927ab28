"""The self-contained HTML report a reviewer reads top to bottom.

Summary (design, n per condition at each level, what was excluded and why), the claims table in words
and numbers with a verdict legend and each claim's figure, then one section per analysis with every
figure kind organised by condition, the metrics by condition, and the provenance collapsed at the end.

One file, figures embedded as base64 PNG, no scripts and no external resources, so it opens in any
browser offline and fits a 1400 px window. Every string from a file, a manifest or a table is escaped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ephystool.atomic import safe_filename, write_text
from ephystool.report._claims_html import claims_section, e, img
from ephystool.report.labels import metric_label, sig, unit_text

__all__ = ["FIGURE_KINDS", "render_report", "write_report"]

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em auto;max-width:1320px;
padding:0 1em;color:#222;line-height:1.4;overflow-wrap:anywhere}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em;max-width:100%}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
table.claims{width:100%;table-layout:fixed}
table.claims th:nth-child(1){width:9%}table.claims th:nth-child(2){width:21%}table.claims th:nth-child(3){width:8%}
table.claims th:nth-child(4){width:8%}table.claims th:nth-child(5){width:14%}table.claims th:nth-child(6){width:6%}
table.claims th:nth-child(7){width:14%}table.claims th:nth-child(8){width:12%}table.claims th:nth-child(9){width:8%}
table.claims td:nth-child(1){overflow-wrap:normal}
.v{padding:0 .3em;border-radius:3px;white-space:nowrap}
.supported{background:#d9f2d9}.contradicted{background:#f7d4d4}.inconclusive{background:#fff3cd}
.not-testable,.no-data{background:#e6e6e6}
ul.legend{font-size:.88em;padding-left:1.2em}ul.legend li{margin:.15em 0}
.card{display:flex;gap:1em;align-items:flex-start;border-top:1px solid #eee;padding:.6em 0}
.card .text{flex:1 1 0;min-width:0}.card figure{flex:0 0 520px;max-width:45%;margin:0}
figure{display:inline-block;vertical-align:top;margin:.4em 0;max-width:100%}
.conds{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:1em}h5{margin:.3em 0}
figure img{max-width:100%;height:auto}figcaption{font-size:.8em;color:#555;margin-top:.2em}
.small{font-size:.85em;color:#555}blockquote{font-size:.88em;color:#444;margin:.3em 0 .3em 1em}
details{margin-top:1em}summary{cursor:pointer;font-weight:bold}pre{white-space:pre-wrap;font-size:.8em}
"""

#: Figure kinds per analysis: (file-name suffix, words).
FIGURE_KINDS: dict[str, list[tuple[str, str]]] = {
    "NMDA and AMPA currents": [("_nmda.png", "averaged EPSCs per holding potential with decay fits")],
    "NMDA I–V and Mg block": [("_nmda_iv.png", "I–V with the Woodhull fit")],
    "Tonic NMDA current": [("_washin.png", "holding current over time (wash-in)"),
                           ("_application.png", "agonist response per sweep")],
    "Current-clamp firing": [("firing_cc_fi.png", "f–I curve"),
                             ("firing_cc_traces.png", "example sweeps with detected APs")],
    "LTP": [("_ltp_timecourse.png", "fEPSP slope time course"),
            ("_ltp_traces.png", "averaged baseline and post responses")],
    "MEA firing": [("_firing_mea_raster.png", "spike raster and population rate"),
                   ("_firing_mea_heatmap.png", "firing-rate heat map on the electrode grid")],
}
#: Example figures shown per condition and figure kind (the rest are listed by folder).
PER_CONDITION = 1


def _read_table(out: Path, name: str) -> Any:
    """A CSV of the output folder as strings ("" for empty cells), or None where it is absent."""
    import pandas as pd

    f = out / name
    return pd.read_csv(f, dtype=str, keep_default_na=False) if f.is_file() else None


def _table(rows: list[dict[str, Any]], cols: list[tuple[str, str]]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for _, h in cols)
    body = "".join("<tr>" + "".join(f"<td>{e(r.get(c, ''))}</td>" for c, _ in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _measured(df: Any, inputs: dict[str, Any] | None = None) -> Any:
    """Rows measured on one recording or session: rows combined from several recordings (a post/baseline
    ratio, recording ``a;b``) are not recordings and would inflate the counts."""
    if "recording" not in df.columns:
        return df
    if inputs:
        return df[df["recording"].isin(set(inputs))]
    return df[~df["recording"].str.contains(";", regex=False)]


def _n(g: Any, cols: list[str]) -> int:
    present = [c for c in cols if c in g.columns]
    if not present or (g[present[-1]] == "").all():
        return 0
    sub = g.loc[g[present[-1]] != "", present].drop_duplicates()
    return int(sub.shape[0])


def _summary(results: Any, failures: Any, prov: dict[str, Any], design: str) -> str:
    if results is None:
        return "<p>No results table (run <code>ephystool analyze</code>).</p>"
    parts = [f"<p>Design assumed for the predictions: <b>{e(design or 'not stated')}</b>. "
             f"Manifest: {e(prov.get('manifest', '—'))}.</p>"]
    if results.empty:
        return parts[0] + "<p>The results table is empty.</p>"
    meas = _measured(results, prov.get("inputs"))
    rows = []
    for cond, g in meas.groupby("condition", sort=True):
        rows.append({"condition": cond, "recordings": g["recording"].nunique(), "animals": _n(g, ["animal"]),
                     "slices": _n(g, ["animal", "slice"]), "cells": _n(g, ["animal", "slice", "cell"]),
                     "cultures": _n(g, ["batch"]), "wells": _n(g, ["plate", "well"]),
                     "analyses": ", ".join(sorted(g["analysis"].unique()))})
    cols = [("condition", "condition"), ("recordings", "recordings analysed")]
    cols += [(c, c) for c in ("animals", "slices", "cells", "cultures", "wells") if any(r[c] for r in rows)]
    parts.append(_table(rows, cols + [("analyses", "analyses")]))
    parts.append(_exclusions(results, failures))
    return "".join(parts)


def _exclusions(results: Any, failures: Any) -> str:
    rows = [] if failures is None else [{"recording": r["recording"], "why": f"{r['stage']}: {r['error']}"}
                                        for r in failures.to_dict("records")]
    cols = [c for c in ("flag", "excluded_reason") if c in results.columns]
    if cols:
        hit = results[(results[cols] != "").any(axis=1)][["recording", *cols]].drop_duplicates()
        rows += [{"recording": r["recording"], "why": "flagged: " + "; ".join(r[c] for c in cols if r[c])}
                 for r in hit.to_dict("records")]
    if not rows:
        return "<p>Excluded: nothing; every recording was analysed.</p>"
    return (f"<p>Excluded or flagged: {len(rows)} recording(s).</p>"
            + _table(rows, [("recording", "recording"), ("why", "why")]))


def _figure_index(out: Path, results: Any) -> dict[str, str]:
    """Figure folder name -> condition, from the results table (one folder per recording or session)."""
    if results is None or results.empty:
        return {}
    pairs = results[["recording", "condition"]].drop_duplicates()
    return {safe_filename(r): c for r, c in zip(pairs["recording"], pairs["condition"], strict=True)}


def _analyses(out: Path, results: Any, conditions: list[str]) -> str:
    figs = sorted((out / "figures").rglob("*.png")) if (out / "figures").is_dir() else []
    if not figs:
        return "<p class='small'>No figures (the analysis ran with <code>--no-figures</code>).</p>"
    cond_of = _figure_index(out, results)
    rank = {c: i for i, c in enumerate(conditions)}
    html_parts = []
    for section, kinds in FIGURE_KINDS.items():
        body = []
        for suffix, words in kinds:
            by_cond: dict[str, list[Path]] = {}
            for p in (p for p in figs if p.name.endswith(suffix)):
                by_cond.setdefault(cond_of.get(p.parent.name, "condition unknown"), []).append(p)
            cols = [_condition_column(cond, by_cond[cond], words)
                    for cond in sorted(by_cond, key=lambda c: (rank.get(c, len(rank)), c))]
            if cols:
                body.append(f"<h4>{e(words)}</h4><div class='conds'>{''.join(cols)}</div>")
        if body:
            html_parts.append(f"<h3>{e(section)}</h3>" + "".join(body))
    return ("<p class='small'>One example per condition and figure kind; every recording's figures are in "
            "the <code>figures/</code> folder.</p>" + "".join(html_parts))


def _condition_column(cond: str, ps: list[Path], words: str) -> str:
    shown = "".join(img(p, p.parent.name, alt=f"{words}: {cond}, {p.parent.name}") for p in ps[:PER_CONDITION])
    rest = ps[PER_CONDITION:]
    more = (f"<p class='small'>{len(rest)} more: {e(', '.join(p.parent.name for p in rest[:4]))}"
            f"{', …' if len(rest) > 4 else ''}</p>") if rest else ""
    return f"<div><h5>{e(cond)} (n = {len(ps)} recording{'' if len(ps) == 1 else 's'})</h5>{shown}{more}</div>"


def _metrics(results: Any) -> str:
    import pandas as pd

    if results is None or results.empty:
        return ""
    df = _measured(results).copy()
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    agg = (df.groupby(["analysis", "metric", "unit", "condition"])["value"]
           .agg(["count", "mean", "std", "median"]).reset_index())
    rows = [{"analysis": r["analysis"], "metric": metric_label(r["metric"]), "unit": unit_text(r["unit"]) or "—",
             "condition": r["condition"], "count": int(r["count"]), "mean": sig(r["mean"]), "sd": sig(r["std"]),
             "median": sig(r["median"])} for r in agg.to_dict("records")]
    cols = [(c, c) for c in ("analysis", "metric", "unit", "condition", "count", "mean", "sd", "median")]
    return ("<details><summary>Every metric by condition (recording-level values; "
            f"{len(rows)} rows)</summary>{_table(rows, cols)}</details>")


def _provenance(prov: dict[str, Any]) -> str:
    if not prov:
        return ""
    vers = _table([{"package": k, "version": v} for k, v in prov.get("versions", {}).items()],
                  [("package", "package"), ("version", "version")])
    inputs = _table([{"recording": k, "sha256": v} for k, v in sorted(prov.get("inputs", {}).items())],
                    [("recording", "recording"), ("sha256", "SHA-256")])
    params = e(json.dumps(prov.get("parameters", {}), indent=1, sort_keys=True, default=str)[:20000])
    return (f"<details><summary>Provenance: versions, input files, parameters</summary>"
            f"<p>Manifest {e(prov.get('manifest'))}; started {e(prov.get('started'))}, finished "
            f"{e(prov.get('finished'))}; {e(prov.get('reused_from_cache', 0))} result(s) reused from the cache.</p>"
            f"{vers}<h4>Input files</h4>{inputs}<h4>Parameters</h4><pre>{params}</pre></details>")


def _design(out: Path, prov: dict[str, Any]) -> str:
    f = out / "verdicts.json"
    if f.is_file():
        designs = sorted({str(v.get("design")) for v in json.loads(f.read_text(encoding="utf-8")) if v.get("design")})
        if designs:
            return ", ".join(designs)
    return str(prov.get("design") or "")


def render_report(out_dir: str | Path, title: str = "ephystool report", results_dir: str | Path | None = None) -> str:
    """The report for an output folder as one HTML string.

    Parameters
    ----------
    out_dir : str or Path
        Folder of the comparison (``verdicts.json``, ``claims/``).
    title : str
    results_dir : str or Path, optional
        Folder of the analysis (``results.csv``, ``failures.csv``, ``provenance.json``, ``figures/``) when it
        is not ``out_dir`` (``ephystool compare RESULTS_DIR --out DIR``).
    """
    out = Path(out_dir)
    res_dir = Path(results_dir) if results_dir is not None else out
    results = _read_table(res_dir, "results.csv")
    pf = res_dir / "provenance.json"
    prov = json.loads(pf.read_text(encoding="utf-8")) if pf.is_file() else {}
    parts = [
        ("summary", "Summary", _summary(results, _read_table(res_dir, "failures.csv"), prov, _design(out, prov))),
        ("claims", "Claims", claims_section(out)),
        ("analyses", "Analyses by condition", _analyses(res_dir, results, list(prov.get("conditions") or []))),
        ("metrics", "Metrics by condition", _metrics(results)),
        ("provenance", "Provenance", _provenance(prov)),
    ]
    body = "".join(f'<h2 id="{i}">{e(h)}</h2>{c}' for i, h, c in parts if c)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{e(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{e(title)}</h1>{body}</body></html>\n")


def write_report(out_dir: str | Path, title: str = "ephystool report", results_dir: str | Path | None = None) -> Path:
    """Write ``out_dir/report.html`` atomically and return its path (see :func:`render_report`)."""
    out = Path(out_dir)
    return write_text(out / "report.html", render_report(out, title, results_dir))
