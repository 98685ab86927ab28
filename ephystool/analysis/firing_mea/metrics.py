"""Metric catalogue of the MEA firing analysis ``firing_mea``: per well (results.csv) and per electrode
(electrodes.csv). A ``window: ratio`` row (treatment / baseline) is dimensionless."""

from ephystool.analysis.spec import Metric, catalogue

__all__ = ["METRICS"]

#: name | unit | tables | log scale | description  (amplitudes are magnitudes; "1": dimensionless)
METRICS: tuple[Metric, ...] = catalogue("""
mean_firing_rate          | Hz    | results            | log | mean spike rate over all electrodes of the well, silent electrodes counted as 0 Hz (Axion AxIS 'Mean Firing Rate'); electrodes a spike list omits count when electrodes_per_well gives the layout
weighted_mean_firing_rate | Hz    | results            | log | mean spike rate over the well's active electrodes (>= active_min_spikes_per_min, 5/min by default) (Axion AxIS 'Weighted Mean Firing Rate'; EPA meaRtools 'meanfiringrate'); use it for activity per active electrode
active_electrodes         | 1     | results            | -   | electrodes with at least active_min_spikes_per_min spikes per minute
burst_rate                | 1/min | results,electrodes | log | bursts per minute (max-interval method), mean over active electrodes (electrodes.csv: of the electrode)
network_burst_rate        | 1/min | results            | log | network bursts per minute (bursts on >= network_burst_fraction of active electrodes within network_burst_window)
sttc                      | 1     | results            | -   | mean spike-time tiling coefficient over pairs of active electrodes (Cutts & Eglen 2014)
spike_count               | 1     | electrodes         | -   | spikes detected on the electrode
firing_rate               | Hz    | electrodes         | -   | spike rate of the electrode
active                    | 1     | electrodes         | -   | 1 when the electrode is active (>= active_min_spikes_per_min)
isi_mean                  | s     | electrodes         | -   | mean inter-spike interval
isi_cv                    | 1     | electrodes         | -   | coefficient of variation of the inter-spike intervals (Elephant cv)
burst_duration            | s     | electrodes         | -   | mean burst duration
spikes_per_burst          | 1     | electrodes         | -   | mean spikes per burst
percent_spikes_in_bursts  | %     | electrodes         | -   | share of the electrode's spikes inside bursts
channel_ok                | 1     | electrodes         | -   | 0 for a dead or saturated channel (not searched for spikes)
""")
