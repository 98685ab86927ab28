"""One figure per tested claim: each unit's value (coloured by animal or culture batch), the condition
means with 95 % CIs over the top-level units, and the prediction drawn as a band on the condition's
column (reference mean x predicted ratio range, or + predicted difference range). PNGs are written
atomically (temporary name in the folder, then ``os.replace``) with the Agg backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ephystool.atomic import safe_filename
from ephystool.compare.predictions import CONTEXT_ONLY
from ephystool.report.figures import legend, save_figure
from ephystool.report.labels import axis_label, metric_label, plain_ticks

__all__ = ["plot_claim", "plot_claims", "plot_trend"]

_VERDICT_COLOURS = {"supported": "tab:green", "contradicted": "tab:red", "inconclusive": "tab:orange",
                    "not testable": "0.5", "no data": "0.5"}




def _ratio_words(verdict: Any) -> str | None:
    """A value divided by its own baseline (the ``window=ratio`` rows): 'ratio (post/pre)'."""
    return "ratio (post/pre)" if str(verdict.selectors.get("window", "")) == "ratio" else None


def _top_level(data: pd.DataFrame) -> str | None:
    for lv in ("animal", "batch", "slice", "plate"):
        if lv in data.columns and data[lv].astype(str).str.strip().ne("").any():
            return lv
    return None


def _unit_colours(data: pd.DataFrame, plt: Any) -> tuple[str | None, list[str], dict[str, Any]]:
    """The top-level unit column, its labels and one tab20 colour per label."""
    top = _top_level(data)
    units = sorted(data[top].astype(str).unique()) if top else []
    cmap = plt.get_cmap("tab20")
    return top, units, {u: cmap(i % 20) for i, u in enumerate(units)}


def _mean_ci(values: pd.Series, groups: pd.Series | None, log: bool = False) -> tuple[float, float, float]:
    """Mean of the top-level unit means with a t 95 % CI over those units (geometric, on the log scale,
    for claims analysed on the log scale: the CI then stays positive and matches the statistic)."""
    from scipy import stats as sps

    v = np.log(values) if log else values
    means = v.groupby(groups).mean().to_numpy() if groups is not None else v.to_numpy()
    m = float(np.mean(means))
    back = np.exp if log else (lambda x: x)
    if len(means) < 2:
        return float(back(m)), np.nan, np.nan
    half = float(sps.t.ppf(0.975, len(means) - 1) * np.std(means, ddof=1) / np.sqrt(len(means)))
    return float(back(m)), float(back(m - half)), float(back(m + half))


def _draw_prediction(ax: Any, verdict: Any, ref_mean: float, x: float) -> None:
    pred = verdict.prediction
    if not pred or pred.get("quantity") in CONTEXT_ONLY:
        return
    if pred["statistic"] == "ratio":
        lo, mid, hi = (ref_mean * pred[k] for k in ("low", "value", "high"))
    else:
        lo, mid, hi = (ref_mean + pred[k] for k in ("low", "value", "high"))
    holds = verdict.prediction_holds
    colour = "tab:purple" if holds is None else ("tab:green" if holds else "tab:red")
    ax.fill_between([x - 0.3, x + 0.3], [lo, lo], [hi, hi], color=colour, alpha=0.18, lw=0,
                    label=f"predicted ({verdict.design})")
    ax.hlines(mid, x - 0.3, x + 0.3, colors=colour, linestyles="--", lw=1.5)


def plot_claim(verdict: Any, data: pd.DataFrame, out_dir: str | Path, seed: int = 0) -> Path:
    """Draw one claim's figure.

    Parameters
    ----------
    verdict : ephystool.compare.verdicts.Verdict
    data : DataFrame
        Unit-level data of the claim (``condition``, ``value`` and unit columns).
    out_dir : str or Path
        Folder of the PNG (``<claim id>.png``).
    seed : int
        Seed of the horizontal jitter.

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    top, units, colour = _unit_colours(data, plt)
    order = [verdict.reference, verdict.condition]
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    ref_mean = np.nan
    xs: dict[tuple[int, str], tuple[float, float]] = {}
    for x, cond in enumerate(order):
        g = data[data["condition"] == cond]
        vals = pd.to_numeric(g["value"], errors="coerce")
        cols = [colour[str(u)] for u in g[top]] if top else ["0.3"] * len(g)
        jx = x + rng.uniform(-0.15, 0.15, len(g))
        ax.scatter(jx, vals, c=cols, s=22, alpha=0.85, edgecolors="none")
        if "pair_id" in g.columns:
            xs.update({(x, str(p)): (float(a), float(v)) for p, a, v in zip(g["pair_id"], jx, vals, strict=True)
                       if isinstance(p, str) and p})
        log = bool((verdict.effect or {}).get("log_scale")) and bool((vals > 0).all())
        m, lo, hi = _mean_ci(vals, g[top].astype(str) if top else None, log)
        ax.errorbar([x + 0.25], [m], yerr=[[m - lo], [hi - m]] if np.isfinite(lo) else None, fmt="s", color="k",
                    capsize=4, ms=6, label=("geometric mean" if log else "mean") + " ± 95 % CI" if x == 0 else None)
        if x == 0:
            ref_mean = m
    for (x, pair), (a, v) in xs.items():  # paired (wash-in) units: one line per unit, the within-unit change
        if x == 0 and (1, pair) in xs:
            b, w = xs[(1, pair)]
            ax.plot([a, b], [v, w], color="0.6", lw=0.8, zorder=0)
    if np.isfinite(ref_mean):
        _draw_prediction(ax, verdict, ref_mean, 1.0)
    ax.set_xticks([0, 1], order)
    ax.set_xlim(-0.6, 1.6)
    sel = ", ".join(f"{k}={v}" for k, v in verdict.selectors.items())
    ax.set_ylabel(axis_label(verdict.metric, (verdict.effect or {}).get("unit"), _ratio_words(verdict)))
    ax.set_title(f"{verdict.id}: {verdict.verdict} (expected {verdict.expected}); design {verdict.design}\n"
                 f"{verdict.analysis}{' ' + sel if sel else ''}", fontsize=8,
                 color=_VERDICT_COLOURS.get(verdict.verdict, "k"))
    if (verdict.effect or {}).get("log_scale") and (pd.to_numeric(data["value"], errors="coerce") > 0).all():
        ax.set_yscale("log")
        plain_ticks(ax)
    if top:
        ax.text(0.99, 0.01, f"colour: {top} ({len(units)})", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=7, color="0.4")
    legend(ax, fontsize=7, loc="best")
    fig.tight_layout()
    return save_figure(fig, Path(out_dir) / f"claim_{safe_filename(verdict.id)}.png")


def plot_trend(verdict: Any, data: pd.DataFrame, out_dir: str | Path) -> Path:
    """A dose-response claim: each unit's value against the dose (log axes where the test is log-log),
    coloured by top-level unit, with the fitted line of the test."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e = verdict.effect or {}
    top, units, colour = _unit_colours(data, plt)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    cols = [colour[str(u)] for u in data[top]] if top else ["0.3"] * len(data)
    ax.scatter(data["dose"], data["value"], c=cols, s=22, alpha=0.85, edgecolors="none")
    x, y = data["x"].to_numpy(float), data["y"].to_numpy(float)
    slope = float(e.get("estimate") or np.nan)
    if np.isfinite(slope) and x.size:
        xs = np.linspace(x.min(), x.max(), 50)
        ys = y.mean() + slope * (xs - x.mean())
        dose = np.exp(xs) if str(e.get("x", "")).startswith("log(") else xs
        ax.plot(dose, np.exp(ys) if e.get("log_scale") else ys, color="k", lw=1.5, label=f"slope {slope:.3g}")
    if str(e.get("x", "")).startswith("log("):
        ax.set_xscale("log")
    if e.get("log_scale"):
        ax.set_yscale("log")
    plain_ticks(ax, "both")
    ax.set_xlabel(metric_label(e.get("dose_column") or "dose"))
    ax.set_ylabel(axis_label(verdict.metric, e.get("unit"), _ratio_words(verdict)))
    ax.set_title(f"{verdict.id}: {verdict.verdict} (expected {verdict.expected} with dose)\n{verdict.analysis} "
                 f"in {verdict.condition}; design {verdict.design}", fontsize=9,
                 color=_VERDICT_COLOURS.get(verdict.verdict, "k"))
    legend(ax, fontsize=7, loc="best")
    fig.tight_layout()
    return save_figure(fig, Path(out_dir) / f"claim_{safe_filename(verdict.id)}.png")


def plot_claims(result: Any, out_dir: str | Path) -> list[Path]:
    """One figure per claim with data in ``result`` (a :class:`~ephystool.compare.engine.CompareResult`)."""
    paths = []
    for v in result.verdicts:
        data = result.data.get(v.id)
        if data is None or data.empty or v.effect is None:
            continue
        trend = v.effect.get("statistic") == "slope"
        paths.append(plot_trend(v, data, out_dir) if trend else plot_claim(v, data, out_dir))
    return paths
