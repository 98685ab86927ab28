"""Shared figure plumbing (one atomic PNG writer, legends) and the words of metrics and units on axes.

Used by the analyses' figure modules (``ephystool.analysis.<name>.figures``) and by :mod:`ephystool.report`;
it imports neither, so neither layer imports the other for drawing. matplotlib is imported inside functions.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

from ephystool.atomic import atomic_write

__all__ = ["FIGURE_DPI", "METRIC_LABELS", "axis_label", "legend", "metric_label", "save_figure", "unit_text"]


#: Resolution of the saved PNG files (dots per inch); figures that draw at the pixel grid read it.
FIGURE_DPI = 110


def save_figure(fig: Any, path: str | Path, dpi: int = FIGURE_DPI) -> Path:
    """Save ``fig`` as PNG at ``path`` atomically (:func:`ephystool.atomic.atomic_write`) and close it (a figure
    made without pyplot is not pyplot's to close: pyplot is not imported for it)."""
    try:
        return atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"), suffix=".png")
    finally:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close(fig)


def legend(ax: Any, **kwargs: Any) -> None:
    """``ax.legend(**kwargs)`` where the axes have labelled artists (matplotlib warns on an empty legend)."""
    if ax.get_legend_handles_labels()[1]:
        ax.legend(**kwargs)


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
