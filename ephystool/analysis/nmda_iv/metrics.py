"""Metric catalogue of the NMDA I-V analysis ``nmda_iv`` (results.csv writes them as analysis ``nmda``)."""

from ephystool.analysis.nmda.metrics import METRICS as _EPSC
from ephystool.analysis.spec import Metric

__all__ = ["METRICS"]

_SWEEP = tuple(m for m in _EPSC if m.name in ("baseline_current", "epsc_peak", "nmda_peak", "access_resistance",
                                             "holding_current"))

METRICS: tuple[Metric, ...] = (
    Metric("mg_block_kd0", "mM", "Woodhull Kd of the Mg block at 0 mV", log_scale=True),
    Metric("mg_block_delta", "1", "Woodhull electrical distance of the Mg site"),
    Metric("reversal_potential", "mV", "reversal potential of the NMDA current"),
    Metric("nmda_conductance", "nS", "unblocked NMDA conductance of the Woodhull fit", log_scale=True),
    Metric("fraction_unblocked_m70", "1", "fraction of NMDA conductance unblocked at -70 mV (Woodhull B(-70 mV))"),
    Metric("mg_block_fit_r2", "1", "R² of the Woodhull fit"),
    Metric("nmda_iv_current", "pA", "isolated NMDA current at each holding level (the I-V points)"),
    *_SWEEP,
)
