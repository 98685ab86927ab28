"""Metric catalogue of the fEPSP analysis ``ltp`` (LTP/LTD sessions, baseline and input-output runs, trains)."""

from ephystool.analysis.spec import Metric, catalogue

__all__ = ["METRICS"]

#: name | unit | tables | log scale | description  (amplitudes are magnitudes; "1": dimensionless)
METRICS: tuple[Metric, ...] = catalogue("""
ltp_magnitude          | %     | results        | log | mean normalised fEPSP slope in post_window, % of baseline
ltd_magnitude          | %     | results        | log | as ltp_magnitude for an LTD induction (70 = a 30 % depression)
stp_magnitude          | %     | results        | log | mean normalised fEPSP slope in stp_window, % of baseline
baseline_slope         | mV/ms | results        | -   | mean fEPSP slope in the baseline window
baseline_drift         | %     | results        | -   | drift of the baseline slope (regression over the baseline, % of its mean)
fibre_volley_change    | %     | results        | -   | post-window fibre volley, % of baseline
ppr                    | 1     | results,sweeps | log | paired-pulse ratio (slope 2 / slope 1)
fepsp_slope            | mV/ms | results,sweeps | -   | initial fEPSP slope (slope_fraction of the rising phase)
fepsp_slope_norm       | %     | sweeps         | -   | fEPSP slope, % of the baseline mean
fepsp_amplitude        | mV    | results,sweeps | -   | fEPSP amplitude
fepsp_amplitude_local  | mV    | results,sweeps | -   | fEPSP amplitude from the level just before its stimulus (trains)
fibre_volley           | mV    | sweeps         | -   | fibre-volley amplitude
io_fepsp_slope         | mV/ms | results        | -   | input-output: mean fEPSP slope at one stimulus intensity
io_fibre_volley        | mV    | results        | -   | input-output: mean fibre volley at one stimulus intensity
facilitation_slope     | 1     | results        | log | train: slope of pulse k / pulse 1
facilitation_amplitude | 1     | results        | log | train: local amplitude of pulse k / pulse 1
""")
