"""Metric catalogue of the MEA firing analysis ``firing_mea``: per well (results.csv) and per electrode
(electrodes.csv). A ``window: ratio`` row (treatment / baseline) is dimensionless."""

from ephystool.analysis.spec import Metric

__all__ = ["METRICS"]

_E = ("electrodes",)

METRICS: tuple[Metric, ...] = (
    Metric("mean_firing_rate", "Hz", "mean spike rate over all electrodes of the well, silent electrodes counted as "
           "0 Hz (Axion AxIS 'Mean Firing Rate'); electrodes a spike list omits count when electrodes_per_well "
           "gives the layout", log_scale=True),
    Metric("weighted_mean_firing_rate", "Hz", "mean spike rate over the well's active electrodes "
           "(>= active_min_spikes_per_min, 5/min by default) (Axion AxIS 'Weighted Mean Firing Rate'; EPA meaRtools "
           "'meanfiringrate'); use it for activity per active electrode", log_scale=True),
    Metric("active_electrodes", "1", "electrodes with at least active_min_spikes_per_min spikes per minute"),
    Metric("burst_rate", "1/min", "bursts per minute (max-interval method), mean over active electrodes "
           "(electrodes.csv: of the electrode)", log_scale=True, tables=("results", "electrodes")),
    Metric("network_burst_rate", "1/min", "network bursts per minute (bursts on >= network_burst_fraction of "
           "active electrodes within network_burst_window)", log_scale=True),
    Metric("sttc", "1", "mean spike-time tiling coefficient over pairs of active electrodes (Cutts & Eglen 2014)"),
    Metric("spike_count", "1", "spikes detected on the electrode", tables=_E),
    Metric("firing_rate", "Hz", "spike rate of the electrode", tables=_E),
    Metric("active", "1", "1 when the electrode is active (>= active_min_spikes_per_min)", tables=_E),
    Metric("isi_mean", "s", "mean inter-spike interval", tables=_E),
    Metric("isi_cv", "1", "coefficient of variation of the inter-spike intervals (Elephant cv)", tables=_E),
    Metric("burst_duration", "s", "mean burst duration", tables=_E),
    Metric("spikes_per_burst", "1", "mean spikes per burst", tables=_E),
    Metric("percent_spikes_in_bursts", "%", "share of the electrode's spikes inside bursts", tables=_E),
    Metric("channel_ok", "1", "0 for a dead or saturated channel (not searched for spikes)", tables=_E),
)
