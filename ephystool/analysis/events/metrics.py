"""Metric catalogue of the synaptic-events analysis ``events`` (units of voltage clamp; in current clamp the
amplitudes are in mV and the charge in mV*ms)."""

from ephystool.analysis.spec import Metric, catalogue

__all__ = ["METRICS"]

#: name | unit | tables | log scale | description  (amplitudes are magnitudes; "1": dimensionless)
METRICS: tuple[Metric, ...] = catalogue("""
event_frequency        | Hz | results | log | events per second of analysed time
event_count            | 1  | results | -   | events counted
event_amplitude_median | pA | results | log | median event amplitude (magnitude; mV in current clamp)
event_amplitude_mean   | pA | results | log | mean event amplitude (magnitude; mV in current clamp)
event_rise_10_90       | ms | results | log | 10-90 % rise time (average event, or median of events)
event_decay_tau        | ms | results | log | decay time constant (average event, or median of per-event fits)
event_iei_cv           | 1  | results | -   | coefficient of variation of the inter-event intervals
event_charge_median    | fC | results | log | median event charge
event_noise_sd         | pA | results | -   | noise SD of the trace on event-free stretches
analysed_time          | s  | results | -   | time analysed after masking
""")
