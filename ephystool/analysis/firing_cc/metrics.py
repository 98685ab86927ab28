"""Metric catalogue of the current-clamp firing analysis ``firing_cc``."""

from ephystool.analysis.spec import Metric

__all__ = ["METRICS"]

_S = ("sweeps",)

METRICS: tuple[Metric, ...] = (
    Metric("firing_rate_max", "Hz", "largest firing rate over the current steps", log_scale=True),
    Metric("rheobase", "pA", "smallest step current (relative to holding) that evokes an action potential"),
    Metric("rheobase_absolute", "pA", "rheobase including the holding current"),
    Metric("fi_slope", "Hz/pA", "least-squares slope of the f-I curve from rheobase"),
    Metric("ap_threshold", "mV", "membrane potential at the AP onset (dV/dt threshold fraction)"),
    Metric("ap_amplitude", "mV", "threshold-to-peak AP amplitude"),
    Metric("ap_half_width", "ms", "AP full width at half amplitude", log_scale=True),
    Metric("ahp_depth", "mV", "after-hyperpolarisation depth below threshold"),
    Metric("ap_count", "1", "action potentials in the step window", tables=_S),
    Metric("firing_rate", "Hz", "action potentials per second of step", tables=_S),
    Metric("command_pA", "pA", "step current of the sweep", tables=_S),
    Metric("holding_pA", "pA", "holding current of the sweep", tables=_S),
    Metric("step_start", "s", "start of the current step from the sweep start", tables=_S),
    Metric("step_end", "s", "end of the current step from the sweep start", tables=_S),
    Metric("first_spike_latency", "ms", "first AP onset from the step onset", tables=_S),
    Metric("isi_mean", "ms", "mean inter-spike interval", tables=_S),
    Metric("adaptation_index", "1", "spike-frequency adaptation index", tables=_S),
    Metric("first_ap_threshold", "mV", "threshold of the sweep's first AP", tables=_S),
    Metric("first_ap_amplitude", "mV", "amplitude of the sweep's first AP", tables=_S),
    Metric("first_ap_half_width", "ms", "half width of the sweep's first AP", tables=_S),
    Metric("first_ap_ahp_depth", "mV", "AHP depth after the sweep's first AP", tables=_S),
)
