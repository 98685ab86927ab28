"""Metric catalogue of the synaptic-events analysis ``events``."""

from ephystool.analysis.spec import Metric

__all__ = ["METRICS"]

METRICS: tuple[Metric, ...] = (
    Metric("event_frequency", "Hz", "events per second of analysed time", log_scale=True),
    Metric("event_count", "1", "events counted"),
    Metric("event_amplitude_median", "pA", "median event amplitude (magnitude; mV in current clamp)",
           log_scale=True),
    Metric("event_amplitude_mean", "pA", "mean event amplitude (magnitude; mV in current clamp)", log_scale=True),
    Metric("event_rise_10_90", "ms", "10-90 % rise time (average event, or median of events)", log_scale=True),
    Metric("event_decay_tau", "ms", "decay time constant (average event, or median of per-event fits)",
           log_scale=True),
    Metric("event_iei_cv", "1", "coefficient of variation of the inter-event intervals"),
    Metric("event_charge_median", "fC", "median event charge", log_scale=True),
    Metric("event_noise_sd", "pA", "noise SD of the trace on event-free stretches"),
    Metric("analysed_time", "s", "time analysed after masking"),
)
