"""Metric catalogue of the NMDA I-V analysis ``nmda_iv`` (results.csv writes them as analysis ``nmda``)."""

from ephystool.analysis.nmda.metrics import METRICS as _EPSC
from ephystool.analysis.spec import Metric, catalogue

__all__ = ["METRICS"]

#: name | unit | tables | log scale | description  (amplitudes are magnitudes; "1": dimensionless)
METRICS: tuple[Metric, ...] = catalogue("""
mg_block_kd0           | mM   | results        | log | Woodhull Kd of the Mg block at 0 mV
mg_block_delta         | 1    | results        | -   | Woodhull electrical distance of the Mg site
reversal_potential     | mV   | results        | -   | reversal potential of the NMDA current
nmda_conductance       | nS   | results        | log | unblocked NMDA conductance of the Woodhull fit
fraction_unblocked_m70 | 1    | results        | -   | fraction of NMDA conductance unblocked at -70 mV (Woodhull B(-70 mV))
mg_block_fit_r2        | 1    | results        | -   | R² of the Woodhull fit
nmda_iv_current        | pA   | results        | -   | isolated NMDA current at each holding level (the I-V points)
""") + tuple(m for m in _EPSC if m.name in ("baseline_current", "epsc_peak", "nmda_peak", "access_resistance",
                                            "holding_current"))  # its per-sweep EPSC rows
