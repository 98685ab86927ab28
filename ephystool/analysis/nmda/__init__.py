"""Evoked NMDA/AMPA EPSCs in voltage clamp: peaks, NMDA/AMPA ratio, kinetics, rectification index.

The analysis ``nmda``: its settings (:mod:`.params` or the analyzer module), the analyzer
(:mod:`._analyzer`) and its private helpers; :data:`SPEC` is what :mod:`ephystool.analysis.registry` lists.
"""

from ephystool.analysis.nmda._analyzer import (
    NAME,
    NmdaParams,
    NmdaResult,
    analyze,
    rectification_from_rows,
    stimulus_times,
)
from ephystool.analysis.nmda.figures import plot_nmda
from ephystool.analysis.nmda.metrics import METRICS
from ephystool.analysis.spec import AnalysisSpec

__all__ = ["SPEC", 'NAME', 'NmdaParams', 'NmdaResult', 'analyze', 'rectification_from_rows', 'stimulus_times']

#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, NmdaParams, analyze, plot_nmda, METRICS)
