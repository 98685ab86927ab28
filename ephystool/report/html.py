"""The self-contained HTML report: experiment, analyses with figures, verdicts, provenance.

One file, figures embedded as base64 PNG, no scripts and no external resources, so it opens in
any browser offline. Every string that comes from a file, a manifest or a table is escaped with
:func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ephystool.atomic import write_text

__all__ = ["render_report", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:.25em .5em;
text-align:left;vertical-align:top}th{background:#f3f3f3}
.supported{background:#d9f2d9}.contradicted{background:#f7d4d4}.inconclusive{background:#fff3cd}
.not-testable,.no-data{background:#eee}figure{display:inline-block;margin:.4em;max-width:48%}
figure img{max-width:100%}figcaption{font-size:.8em;color:#555}code{font-size:.9em}.small{font-size:.85em;color:#555}
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _table(rows: list[dict[str, Any]], cols: Iterable[str], cls_col: str | None = None) -> str:
    cols = list(cols)
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = []
    for r in rows:
        cls = f' class="{_e(str(r.get(cls_col, "")).replace(" ", "-"))}"' if cls_col else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{_e(_fmt(r.get(c)))}</td>" for c in cols) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list | tuple) and v and all(isinstance(x, int | float) for x in v):
        return "[" + ", ".join(f"{x:.3g}" for x in v) + "]"
    return "" if v is None else str(v)


def _img(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _read_table(out: Path, name: str) -> Any:
    """A CSV of the output folder as strings ("" for empty cells), or None where it is absent."""
    import pandas as pd

    f = out / name
    return pd.read_csv(f, dtype=str, keep_default_na=False) if f.is_file() else None


def _section_experiment(df: Any) -> str:
    if df is None:
        return "<p>No results table.</p>"
    if df.empty:
        return "<p>The results table is empty.</p>"
    rows = []
    for cond, g in df.groupby("condition", sort=True):
        rows.append({"condition": cond, "recordings": g["recording"].nunique(),
                     "animals": g.loc[g["animal"] != "", "animal"].nunique(),
                     "slices": g.loc[g["slice"] != "", ["animal", "slice"]].drop_duplicates().shape[0],
                     "cells": g.loc[g["cell"] != "", ["animal", "slice", "cell"]].drop_duplicates().shape[0],
                     "wells": g.loc[g["well"] != "", "well"].nunique(),
                     "analyses": ", ".join(sorted(g["analysis"].unique()))})
    return _table(rows, ["condition", "recordings", "animals", "slices", "cells", "wells", "analyses"])


def _section_metrics(df: Any) -> str:
    import pandas as pd

    if df is None or df.empty:
        return ""
    df = df.copy()
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    agg = (df.groupby(["analysis", "metric", "unit", "condition"])["value"]
           .agg(["count", "mean", "std", "median"]).reset_index())
    return _table(agg.to_dict("records"), ["analysis", "metric", "unit", "condition", "count", "mean", "std", "median"])


def _section_figures(out: Path, sub: str, limit: int = 24) -> str:
    figs = sorted((out / sub).rglob("*.png")) if (out / sub).is_dir() else []
    if not figs:
        return "<p class='small'>No figures.</p>"
    more = f"<p class='small'>{len(figs) - limit} more figure(s) in {_e(sub)}/.</p>" if len(figs) > limit else ""
    return "".join(_img(p, str(p.relative_to(out))) for p in figs[:limit]) + more


def _section_verdicts(out: Path) -> str:
    f = out / "verdicts.json"
    if not f.is_file():
        return "<p>No verdicts (run <code>ephystool compare</code>).</p>"
    vs = json.loads(f.read_text(encoding="utf-8"))
    cols = ["id", "parameter", "condition", "reference", "metric", "expected", "verdict", "effect", "ci", "p", "n",
            "prediction", "prediction_holds", "reason"]
    rows = [{**v, "prediction": json.dumps(v.get("prediction"), default=str) if isinstance(v.get("prediction"), dict)
             else v.get("prediction"), "n": json.dumps(v.get("n")) if isinstance(v.get("n"), dict) else v.get("n")}
            for v in vs]
    design = {v.get("design") for v in vs}
    return (f"<p>Design assumed: <b>{_e(', '.join(sorted(map(str, design))))}</b></p>"
            + _table(rows, cols, cls_col="verdict") + _section_figures(out, "claims", limit=40))


def _section_failures(df: Any) -> str:
    if df is None:
        return ""
    if df.empty:
        return "<p>Every recording was analysed.</p>"
    return _table(df.to_dict("records"), ["recording", "stage", "error"])


def _section_provenance(out: Path) -> str:
    f = out / "provenance.json"
    if not f.is_file():
        return ""
    prov = json.loads(f.read_text(encoding="utf-8"))
    vers = _table([{"package": k, "version": v} for k, v in prov.get("versions", {}).items()], ["package", "version"])
    inputs = _table([{"recording": k, "sha256": v} for k, v in sorted(prov.get("inputs", {}).items())],
                    ["recording", "sha256"])
    params = f"<pre>{_e(json.dumps(prov.get('parameters', {}), indent=1, sort_keys=True, default=str)[:20000])}</pre>"
    return (f"<p>Manifest {_e(prov.get('manifest'))}; started {_e(prov.get('started'))}, finished "
            f"{_e(prov.get('finished'))}.</p>{vers}<h3>Input files</h3>{inputs}<h3>Parameters</h3>{params}")


def render_report(out_dir: str | Path, title: str = "ephystool report") -> str:
    """The report for an output folder (after ``analyze`` and ``compare``) as one HTML string."""
    out = Path(out_dir)
    results = _read_table(out, "results.csv")  # read once: the experiment and metrics sections share it
    parts = [
        ("Experiment", _section_experiment(results)),
        ("Claims: verdicts", _section_verdicts(out)),
        ("Metrics by condition", _section_metrics(results)),
        ("Analyses: figures", _section_figures(out, "figures")),
        ("Failures", _section_failures(_read_table(out, "failures.csv"))),
        ("Provenance", _section_provenance(out)),
    ]
    body = "".join(f"<h2 id=\"{_e(h.lower().replace(' ', '-').replace(':', ''))}\">{_e(h)}</h2>{c}" for h, c in parts)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>{body}</body></html>\n")


def write_report(out_dir: str | Path, title: str = "ephystool report") -> Path:
    """Write ``out_dir/report.html`` atomically and return its path."""
    out = Path(out_dir)
    return write_text(out / "report.html", render_report(out, title))
