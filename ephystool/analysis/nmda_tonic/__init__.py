"""Tonic NMDA-receptor current: holding-current shift on agonist wash-in, and agonist-application currents.

The analysis ``nmda_tonic``: its settings (:mod:`.params` or the analyzer module), the analyzer
(:mod:`._analyzer`) and its private helpers; :data:`SPEC` is what :mod:`ephystool.analysis.registry` lists.
"""

from ephystool.analysis.nmda.figures import plot_nmda_tonic  # the NMDA family's figures
from ephystool.analysis.nmda_tonic._analyzer import (
    NAME,
    NmdaTonicParams,
    NmdaTonicResult,
    analyze,
    washin_time,
)
from ephystool.analysis.nmda_tonic.metrics import METRICS
from ephystool.analysis.spec import AnalysisSpec

__all__ = ["SPEC", 'NAME', 'NmdaTonicParams', 'NmdaTonicResult', 'analyze', 'washin_time']

#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, NmdaTonicParams, analyze, plot_nmda_tonic, METRICS, output_name='nmda')
