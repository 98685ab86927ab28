"""Metric catalogue of the tonic NMDA-current analysis ``nmda_tonic`` (results.csv: analysis ``nmda``)."""

from ephystool.analysis.spec import Metric, catalogue

__all__ = ["METRICS"]

#: name | unit | tables | log scale | description  (amplitudes are magnitudes; "1": dimensionless)
METRICS: tuple[Metric, ...] = catalogue("""
holding_current_shift     | pA | results        | -   | treatment - baseline holding current (washin mode)
holding_current_baseline  | pA | results        | -   | mean holding current in baseline_window
holding_current_treatment | pA | results        | -   | mean holding current in treatment_window
noise_rms_baseline        | pA | results        | -   | current-noise RMS in noise_band, baseline
noise_rms_treatment       | pA | results        | -   | current-noise RMS in noise_band, treatment
noise_rms_change          | pA | results        | -   | treatment - baseline current-noise RMS
holding_current           | pA | results,sweeps | -   | holding current (per time bin; application mode: baseline per sweep)
agonist_peak              | pA | results        | -   | peak agonist-evoked current (application mode)
agonist_time_of_peak      | s  | results        | -   | time of the agonist peak from the application start
agonist_steady_state      | pA | results        | -   | steady-state agonist current (steady_state_window)
agonist_charge            | pC | results        | -   | agonist-evoked charge (application_charge_window)
agonist_rise_10_90        | ms | results        | log | 10-90 % rise time of the agonist current
agonist_desensitization   | 1  | results        | -   | 1 - steady state / peak of the agonist current
n_responding              | 1  | results        | -   | sweeps with an agonist response above min_response and response_snr
""")
