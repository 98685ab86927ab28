"""Metric catalogue of the evoked-EPSC analysis ``nmda`` (amplitudes are magnitudes)."""

from ephystool.analysis.spec import Metric

__all__ = ["METRICS"]

_RS = ("results", "sweeps")

METRICS: tuple[Metric, ...] = (
    Metric("epsc_peak", "pA", "EPSC peak (magnitude) at each holding level", tables=_RS),
    Metric("ampa_peak", "pA", "AMPA EPSC peak at the AMPA holding (ampa_window)", tables=_RS),
    Metric("nmda_late", "pA", "mean NMDA current in nmda_late_window at the NMDA holding", tables=_RS),
    Metric("ampa_residual_fraction", "1", "AMPA-window peak / NMDA peak of an isolated-NMDA recording"),
    Metric("nmda_peak", "pA", "NMDA EPSC peak (nmda_peak_window)", tables=_RS),
    Metric("nmda_charge", "pC", "NMDA charge over charge_window", log_scale=True),
    Metric("nmda_decay_tau_w", "ms", "weighted decay time constant of a bi-exponential fit", log_scale=True),
    Metric("nmda_decay_tau_single", "ms", "decay time constant of a single-exponential fit", log_scale=True),
    Metric("nmda_decay_r2_single", "1", "R² of the single-exponential decay fit"),
    Metric("nmda_decay_tau_fast", "ms", "fast time constant of the bi-exponential decay", log_scale=True),
    Metric("nmda_decay_tau_slow", "ms", "slow time constant of the bi-exponential decay", log_scale=True),
    Metric("nmda_decay_r2", "1", "R² of the bi-exponential decay fit"),
    Metric("nmda_ampa_ratio", "1", "NMDA late current / AMPA peak", log_scale=True),
    Metric("nmda_rectification_index", "1", "|I(-70 mV)| / I(+40 mV) of the NMDA EPSC", log_scale=True),
    Metric("access_resistance", "MOhm", "access (series) resistance from the seal test pulse", tables=_RS),
    Metric("access_resistance_change", "1", "relative change of the access resistance over the recording"),
    Metric("holding_current", "pA", "holding current before the stimulus", tables=_RS),
    Metric("baseline_current", "pA", "baseline current before each stimulus", tables=("sweeps",)),
)
