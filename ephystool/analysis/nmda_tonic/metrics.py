"""Metric catalogue of the tonic NMDA-current analysis ``nmda_tonic`` (results.csv: analysis ``nmda``)."""

from ephystool.analysis.spec import Metric

__all__ = ["METRICS"]

METRICS: tuple[Metric, ...] = (
    Metric("holding_current_shift", "pA", "treatment - baseline holding current (washin mode)"),
    Metric("holding_current_baseline", "pA", "mean holding current in baseline_window"),
    Metric("holding_current_treatment", "pA", "mean holding current in treatment_window"),
    Metric("noise_rms_baseline", "pA", "current-noise RMS in noise_band, baseline"),
    Metric("noise_rms_treatment", "pA", "current-noise RMS in noise_band, treatment"),
    Metric("noise_rms_change", "pA", "treatment - baseline current-noise RMS"),
    Metric("holding_current", "pA", "holding current (per time bin; application mode: baseline per sweep)",
           tables=("results", "sweeps")),
    Metric("agonist_peak", "pA", "peak agonist-evoked current (application mode)"),
    Metric("agonist_time_of_peak", "s", "time of the agonist peak from the application start"),
    Metric("agonist_steady_state", "pA", "steady-state agonist current (steady_state_window)"),
    Metric("agonist_charge", "pC", "agonist-evoked charge (application_charge_window)"),
    Metric("agonist_rise_10_90", "ms", "10-90 % rise time of the agonist current", log_scale=True),
    Metric("agonist_desensitization", "1", "1 - steady state / peak of the agonist current"),
    Metric("n_responding", "1", "sweeps with an agonist response above min_response and response_snr"),
)
