"""Metric catalogue of the fEPSP analysis ``ltp`` (LTP/LTD sessions, baseline and input-output runs, trains)."""

from ephystool.analysis.spec import Metric

__all__ = ["METRICS"]

_RS = ("results", "sweeps")
_S = ("sweeps",)

METRICS: tuple[Metric, ...] = (
    Metric("ltp_magnitude", "%", "mean normalised fEPSP slope in post_window, % of baseline", log_scale=True),
    Metric("ltd_magnitude", "%", "as ltp_magnitude for an LTD induction (70 = a 30 % depression)", log_scale=True),
    Metric("stp_magnitude", "%", "mean normalised fEPSP slope in stp_window, % of baseline", log_scale=True),
    Metric("baseline_slope", "mV/ms", "mean fEPSP slope in the baseline window"),
    Metric("baseline_drift", "%", "drift of the baseline slope (regression over the baseline, % of its mean)"),
    Metric("fibre_volley_change", "%", "post-window fibre volley, % of baseline"),
    Metric("ppr", "1", "paired-pulse ratio (slope 2 / slope 1)", log_scale=True, tables=_RS),
    Metric("fepsp_slope", "mV/ms", "initial fEPSP slope (slope_fraction of the rising phase)", tables=_RS),
    Metric("fepsp_slope_norm", "%", "fEPSP slope, % of the baseline mean", tables=_S),
    Metric("fepsp_amplitude", "mV", "fEPSP amplitude", tables=_RS),
    Metric("fepsp_amplitude_local", "mV", "fEPSP amplitude from the level just before its stimulus (trains)",
           tables=_RS),
    Metric("fibre_volley", "mV", "fibre-volley amplitude", tables=_S),
    Metric("io_fepsp_slope", "mV/ms", "input-output: mean fEPSP slope at one stimulus intensity"),
    Metric("io_fibre_volley", "mV", "input-output: mean fibre volley at one stimulus intensity"),
    Metric("facilitation_slope", "1", "train: slope of pulse k / pulse 1", log_scale=True),
    Metric("facilitation_amplitude", "1", "train: local amplitude of pulse k / pulse 1", log_scale=True),
)
