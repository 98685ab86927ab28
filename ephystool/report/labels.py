"""Words for the report: metric names and units as a reader writes them, numbers to 3 significant digits.

Axis labels and table cells use :func:`metric_label` / :func:`axis_label` (never the code name with a
unit of ``(1)``); numbers go through :func:`sig` so no page shows 16-digit floats.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["METRIC_LABELS", "axis_label", "metric_label", "plain_ticks", "sig", "unit_text"]

#: Metric code name -> words (the report's catalogue). Unknown metrics fall back to the name with spaces.
METRIC_LABELS: dict[str, str] = {
    "mean_firing_rate": "mean firing rate", "weighted_mean_firing_rate": "weighted mean firing rate",
    "firing_rate": "firing rate", "firing_rate_max": "maximum firing rate", "burst_rate": "burst rate",
    "network_burst_rate": "network burst rate", "active_electrodes": "active electrodes",
    "nmda_rectification_index": "NMDA rectification index", "nmda_ampa_ratio": "NMDA/AMPA ratio",
    "ampa_peak": "AMPA peak current", "nmda_peak": "NMDA peak current", "nmda_late": "NMDA late current",
    "epsc_peak": "EPSC peak", "ppr": "paired-pulse ratio", "holding_current": "holding current", "agonist_peak": "agonist-evoked peak current",
    "holding_current_shift": "holding-current shift", "baseline_current": "baseline current",
    "nmda_iv_current": "NMDA current", "nmda_conductance": "NMDA conductance",
    "reversal_potential": "reversal potential", "mg_block_kd0": "Mg block Kd(0 mV)",
    "mg_block_delta": "Mg block electrical distance (δ)", "mg_block_fit_r2": "Mg block fit R²",
    "fraction_unblocked_m70": "fraction unblocked at −70 mV", "rs_change": "series-resistance change",
    "ltp_magnitude": "LTP magnitude", "stp_magnitude": "STP magnitude", "baseline_drift": "baseline drift",
    "fibre_volley_change": "fibre-volley change", "rheobase": "rheobase", "fi_slope": "f–I slope",
    "ap_threshold": "AP threshold", "ap_amplitude": "AP amplitude", "ap_halfwidth": "AP half-width",
    "input_resistance": "input resistance", "resting_potential": "resting potential",
    "decay_tau": "decay time constant", "mg_mM": "bath Mg²⁺ (mM)", "salt_mM": "salt concentration (mM)", "decay_tau_weighted": "weighted decay time constant",
}

#: Metrics that are a ratio of two measurements of the same kind (post/pre, drug/baseline).
_RATIO_WORDS = {"ppr": "ratio (pulse 2/pulse 1)", "nmda_ampa_ratio": "ratio (NMDA/AMPA)",
                "nmda_rectification_index": "ratio (−70/+40 mV)"}

_UNIT_WORDS = {"1": "", "dimensionless": "", "": "", "percent": "%", "%": "%", "uS": "µS", "um": "µm",
               "ohm": "Ω", "MOhm": "MΩ", "Mohm": "MΩ", "GOhm": "GΩ", "degC": "°C"}


def metric_label(metric: Any) -> str:
    """The metric in words (``mean_firing_rate`` -> ``mean firing rate``)."""
    m = "" if metric is None else str(metric)
    return METRIC_LABELS.get(m, m.replace("_", " "))


def unit_text(unit: Any) -> str:
    """A unit as printed (dimensionless -> empty string, ``uS`` -> ``µS``)."""
    u = "" if unit is None or (isinstance(unit, float) and math.isnan(unit)) else str(unit).strip()
    return _UNIT_WORDS.get(u, u)


def axis_label(metric: Any, unit: Any, ratio: str | None = None) -> str:
    """``metric in words (unit)``; a dimensionless ratio says ``ratio (post/pre)`` instead of ``(1)``."""
    u = unit_text(unit)
    name = metric_label(metric)
    if u:
        return f"{name} ({u})"
    words = ratio or _RATIO_WORDS.get(str(metric))
    return f"{name}, {words}" if words else name


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
