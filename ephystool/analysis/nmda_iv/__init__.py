"""NMDA I-V curve and Mg2+-block (Woodhull) fit.

The analysis ``nmda_iv``: its settings (:mod:`.params` or the analyzer module), the analyzer
(:mod:`._analyzer`) and its private helpers; :data:`SPEC` is what :mod:`ephystool.analysis.registry` lists.
"""

from ephystool.analysis import nmda as nmda  # the EPSC analyzer the I-V builds on
from ephystool.analysis.nmda.figures import plot_nmda_iv  # the NMDA family's figures
from ephystool.analysis.nmda_iv._analyzer import (
    NAME,
    NmdaIvParams,
    NmdaIvResult,
    WoodhullFit,
    analyze,
    fit_woodhull,
    iv_from_rows,
)
from ephystool.analysis.nmda_iv.metrics import METRICS
from ephystool.analysis.spec import AnalysisSpec

__all__ = ["SPEC", 'NAME', 'NmdaIvParams', 'NmdaIvResult', 'WoodhullFit', 'analyze', 'fit_woodhull', 'iv_from_rows']

#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, NmdaIvParams, analyze, plot_nmda_iv, METRICS, output_name='nmda')
