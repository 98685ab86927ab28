"""Metric catalogue of the current-clamp firing analysis ``firing_cc``."""

from ephystool.analysis.spec import Metric, catalogue

__all__ = ["METRICS"]

#: name | unit | tables | log scale | description  (amplitudes are magnitudes; "1": dimensionless)
METRICS: tuple[Metric, ...] = catalogue("""
firing_rate_max     | Hz    | results | log | largest firing rate over the current steps
rheobase            | pA    | results | -   | smallest step current (relative to holding) that evokes an action potential
rheobase_absolute   | pA    | results | -   | rheobase including the holding current
fi_slope            | Hz/pA | results | -   | least-squares slope of the f-I curve from rheobase
ap_threshold        | mV    | results | -   | membrane potential at the AP onset (dV/dt threshold fraction)
ap_amplitude        | mV    | results | -   | threshold-to-peak AP amplitude
ap_half_width       | ms    | results | log | AP full width at half amplitude
ahp_depth           | mV    | results | -   | after-hyperpolarisation depth below threshold
ap_count            | 1     | sweeps  | -   | action potentials in the step window
firing_rate         | Hz    | sweeps  | -   | action potentials per second of step
command_pA          | pA    | sweeps  | -   | step current of the sweep
holding_pA          | pA    | sweeps  | -   | holding current of the sweep
step_start          | s     | sweeps  | -   | start of the current step from the sweep start
step_end            | s     | sweeps  | -   | end of the current step from the sweep start
first_spike_latency | ms    | sweeps  | -   | first AP onset from the step onset
isi_mean            | ms    | sweeps  | -   | mean inter-spike interval
adaptation_index    | 1     | sweeps  | -   | spike-frequency adaptation index
first_ap_threshold  | mV    | sweeps  | -   | threshold of the sweep's first AP
first_ap_amplitude  | mV    | sweeps  | -   | amplitude of the sweep's first AP
first_ap_half_width | ms    | sweeps  | -   | half width of the sweep's first AP
first_ap_ahp_depth  | mV    | sweeps  | -   | AHP depth after the sweep's first AP
""")
