"""The report's claims section: a table in words and numbers, a verdict legend, then each claim's figure
beside its reason. Numbers are printed to 3 significant digits (:func:`ephystool.report.labels.sig`);
every string is escaped.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from ephystool.atomic import safe_filename
from ephystool.report.labels import metric_label, sig, unit_text

__all__ = ["LEGEND", "claims_section", "img", "e"]

#: What each verdict means (SCIENCE.md 3 and 5): shown above the table.
LEGEND = {
    "supported": "the 95 % CI of the effect excludes no effect in the expected direction and the Holm-adjusted "
                 "p is below 0.05 (no change: equivalence shown within the margin)",
    "contradicted": "the data show the opposite of the claim (effect in the other direction, or equivalence "
                    "where an effect was claimed)",
    "inconclusive": "neither: too few animals or cells, or an effect too small to decide; see the power column",
    "not testable": "the claim cannot be tested with this design or these data (reason given)",
    "no data": "the protocol the claim needs was not recorded",
}


def e(x: Any) -> str:
    """Escape for HTML text and attributes."""
    return html.escape("" if x is None else str(x), quote=True)


def img(path: Path, caption: str, alt: str | None = None) -> str:
    """A figure embedded as base64 PNG with its caption (``alt``: the image's description, else the caption)."""
    import base64

    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{e(alt or caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{e(caption)}</figcaption></figure>")


def _estimate(v: dict[str, Any]) -> str:
    eff = v.get("effect") or {}
    est = eff.get("estimate")
    if est is None:
        return "—"
    ci = v.get("ci") or [None, None]
    stat = eff.get("statistic") or ""
    unit = "" if stat in ("ratio", "slope") and not eff.get("unit") else unit_text(eff.get("unit"))
    unit = "" if stat == "ratio" else unit
    word = {"ratio": "ratio", "difference": "difference", "slope": "slope"}.get(stat, stat)
    ci_txt = f" [{sig(ci[0])}, {sig(ci[1])}]" if ci and ci[0] is not None and ci[1] is not None else ""
    return f"{word} {sig(est)}{ci_txt}{' ' + unit if unit else ''}"


def _p(v: dict[str, Any]) -> str:
    """The p that decides (bootstrap, Holm-adjusted across the claims; else the mixed model's), or TOST's."""
    p = v.get("p") or {}
    holm = p.get("bootstrap_holm") if p.get("bootstrap_holm") is not None else p.get("holm")
    if holm is None:
        return "—" if p.get("tost") is None else f"TOST {_pval(p['tost'])}"
    return _pval(holm)


def _pval(x: Any) -> str:
    return "< 0.001" if float(x) < 0.001 else sig(x, 2)


_PLURAL = {"batch": "batches", "observations": "observations"}


def _n(v: dict[str, Any]) -> str:
    """Per condition: the top-level units and the finest units (``4 animals, 4 cells``)."""
    n = v.get("n") or {}
    parts = []
    for cond, counts in n.items():
        if not isinstance(counts, dict):
            parts.append(f"{cond}: {counts}")
            continue
        levels = [k for k in counts if k not in ("observations", "doses")]
        keep = levels[:1] + levels[-1:] if len(levels) > 1 else levels
        words = [f"{counts[k]} {_PLURAL.get(k, k + 's') if counts[k] != 1 else k}" for k in keep]
        parts.append(f"{cond}: {', '.join(words)}")
    return "; ".join(parts) or "—"


def _prediction(v: dict[str, Any]) -> str:
    pr = v.get("prediction")
    if not isinstance(pr, dict) or pr.get("value") is None:
        return "—"
    stat = pr.get("statistic") or ""
    rng = f"{sig(pr.get('value'))} ({sig(pr.get('low'))} to {sig(pr.get('high'))})"
    holds = v.get("prediction_holds")
    verdict = "" if holds is None else ("; holds" if holds else "; does not hold")
    return f"{stat} {rng}{verdict}".strip()


def _power(v: dict[str, Any]) -> str:
    """Per-claim power where the verdict carries it (a fraction, a percentage or a dict), else '—'."""
    pw = v.get("power")
    if isinstance(pw, dict):
        val = next((pw[k] for k in ("achieved", "power", "value") if pw.get(k) is not None), None)
        need = pw.get("n_needed") or pw.get("n_for_80")
        txt = "—" if val is None else _pct(val)
        return e(txt + (f"; n for 80 %: {need}" if need is not None else ""))
    if isinstance(pw, int | float) and not isinstance(pw, bool):
        return e(_pct(pw))
    return e(pw) if isinstance(pw, str) and pw else "—"


def _pct(x: Any) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    return f"{sig(f * 100 if f <= 1 else f, 2)} %"


def _claim_text(v: dict[str, Any]) -> str:
    what = str(v.get("statement") or "").rstrip(". ") or (f"{metric_label(v.get('metric'))} in {v.get('condition')} vs {v.get('reference')}")
    sel = v.get("selectors") or {}
    extra = ", ".join(f"{k} = {val}" for k, val in sel.items())
    return what + (f" ({extra})" if extra else "")


def _row(v: dict[str, Any]) -> str:
    cls = str(v.get("verdict", "")).replace(" ", "-")
    cells = [f'<a href="#claim-{e(safe_filename(str(v.get("id"))))}">{e(v.get("id"))}</a>',
             e(_claim_text(v)), e(str(v.get("expected", "")).replace("_", " ")), f'<span class="v {e(cls)}">{e(v.get("verdict"))}</span>',
             e(_estimate(v)), e(_p(v)), e(_n(v)), e(_prediction(v)), _power(v)]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _legend() -> str:
    items = "".join(f'<li><span class="v {e(k.replace(" ", "-"))}">{e(k)}</span> {e(t)}</li>' for k, t in LEGEND.items())
    return f'<ul class="legend">{items}</ul>'


def _card(v: dict[str, Any], out: Path) -> str:
    fid = safe_filename(str(v.get("id")))
    fig = out / "claims" / f"claim_{fid}.png"
    figure = img(fig, f"{v.get('id')}: {metric_label(v.get('metric'))} by condition") if fig.is_file() else (
        "<p class='small'>No figure (no data to draw).</p>")
    cls = str(v.get("verdict", "")).replace(" ", "-")
    quote = f"<blockquote>{e(v.get('quote'))}</blockquote>" if v.get("quote") else ""
    return (f'<div class="card" id="claim-{e(fid)}"><div class="text"><h3>{e(v.get("id"))}: '
            f'<span class="v {e(cls)}">{e(v.get("verdict"))}</span></h3><p>{e(_claim_text(v))}; expected '
            f'<b>{e(str(v.get("expected", "")).replace("_", " "))}</b>. Source: {e(v.get("source"))}.</p>{quote}'
            f"<p>Estimate {e(_estimate(v))}, p (Holm) {e(_p(v))}; n {e(_n(v))}.</p>"
            f"<p class='small'>{e(v.get('reason'))}</p></div>{figure}</div>")


def claims_section(out: Path) -> str:
    """The verdict legend, the claims table and one card (reason + figure) per claim."""
    f = out / "verdicts.json"
    if not f.is_file():
        return "<p>No verdicts (run <code>ephystool compare</code>).</p>"
    vs = json.loads(f.read_text(encoding="utf-8"))
    if not vs:
        return "<p>No claims were tested.</p>"
    head = "".join(f"<th>{e(h)}</th>" for h in ("id", "claim", "expected", "verdict", "estimate [95 % CI]",
                                                 "p (Holm)", "n", "prediction", "power"))
    table = (f'<table class="claims"><thead><tr>{head}</tr></thead><tbody>'
             + "".join(_row(v) for v in vs) + "</tbody></table>")
    return _legend() + table + "<h3>Each claim with its figure</h3>" + "".join(_card(v, out) for v in vs)
