"""Metric catalogue of the evoked-EPSC analysis ``nmda`` (amplitudes are magnitudes)."""

from ephystool.analysis.spec import Metric, catalogue

__all__ = ["METRICS"]

#: name | unit | tables | log scale | description  (amplitudes are magnitudes; "1": dimensionless)
METRICS: tuple[Metric, ...] = catalogue("""
epsc_peak                | pA   | results,sweeps | -   | EPSC peak (magnitude) at each holding level
ampa_peak                | pA   | results,sweeps | -   | AMPA EPSC peak at the AMPA holding (ampa_window)
nmda_late                | pA   | results,sweeps | -   | mean NMDA current in nmda_late_window at the NMDA holding
ampa_residual_fraction   | 1    | results        | -   | AMPA-window peak / NMDA peak of an isolated-NMDA recording
nmda_peak                | pA   | results,sweeps | -   | NMDA EPSC peak (nmda_peak_window)
nmda_charge              | pC   | results        | log | NMDA charge over charge_window
nmda_decay_tau_w         | ms   | results        | log | weighted decay time constant of a bi-exponential fit
nmda_decay_tau_single    | ms   | results        | log | decay time constant of a single-exponential fit
nmda_decay_r2_single     | 1    | results        | -   | R² of the single-exponential decay fit
nmda_decay_tau_fast      | ms   | results        | log | fast time constant of the bi-exponential decay
nmda_decay_tau_slow      | ms   | results        | log | slow time constant of the bi-exponential decay
nmda_decay_r2            | 1    | results        | -   | R² of the bi-exponential decay fit
nmda_ampa_ratio          | 1    | results        | log | NMDA late current / AMPA peak
nmda_rectification_index | 1    | results        | log | |I(-70 mV)| / I(+40 mV) of the NMDA EPSC
access_resistance        | MOhm | results,sweeps | -   | access (series) resistance from the seal test pulse
access_resistance_change | 1    | results        | -   | relative change of the access resistance over the recording
holding_current          | pA   | results,sweeps | -   | holding current before the stimulus
baseline_current         | pA   | sweeps         | -   | baseline current before each stimulus
""")
