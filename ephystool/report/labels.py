"""Words for the report: metric names and units as a reader writes them, numbers to 3 significant digits.

Axis labels and table cells use :func:`metric_label` / :func:`axis_label` (never the code name with a
unit of ``(1)``); numbers go through :func:`sig` so no page shows 16-digit floats.
"""

from __future__ import annotations

import math
from typing import Any

from ephystool.plotting import METRIC_LABELS, axis_label, metric_label, unit_text

__all__ = ["METRIC_LABELS", "axis_label", "metric_label", "plain_ticks", "sig", "unit_text"]


def sig(x: Any, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits in plain notation (no ``7.4e-02``); '—' for missing values."""
    if x is None or isinstance(x, bool):
        return "—" if x is None else str(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "—"
    if v == 0:
        return "0"
    v = float(f"{v:.{digits}g}")  # round first: 0.99996 is 1.00, not 1.000
    mag = math.floor(math.log10(abs(v)))
    if mag >= 6 or mag <= -5:
        return f"{v:.{digits - 1}e}"  # far from 1: scientific is the readable form
    decimals = max(digits - 1 - mag, 0)
    return f"{round(v, decimals):,.{decimals}f}".replace(",", "\u2009")


def _tick(v: float) -> str:
    """A tick label: ``0.074``, ``0.5``, ``2``, ``150`` (never ``7.4×10⁻²`` or ``1.5e+02``)."""
    if v == 0:
        return "0"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.2g}"


def plain_ticks(ax: Any, axis: str = "y") -> None:
    """Plain tick labels on a (log) axis: ``0.074`` rather than ``7.4×10⁻²``; minor ticks unlabelled; an axis
    spanning less than a decade gets about five evenly spaced labelled ticks (it may hold no power of ten)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

    ax.autoscale_view()  # the limits the figure will be drawn with (set_yscale leaves them stale)
    for which in ("x", "y") if axis == "both" else (axis,):
        a = ax.yaxis if which == "y" else ax.xaxis
        lo, hi = ax.get_ylim() if which == "y" else ax.get_xlim()
        a.set_major_formatter(FuncFormatter(lambda v, _pos: _tick(v)))
        narrow = a.get_scale() == "log" and lo > 0 and hi / lo < 10
        if narrow:  # less than a decade may hold no power of ten nor 2/3/5 x one: evenly spaced labelled ticks
            a.set_major_locator(MaxNLocator(nbins=5))
        a.set_minor_formatter(NullFormatter())
