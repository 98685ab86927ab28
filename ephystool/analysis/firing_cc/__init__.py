"""Current-clamp firing: action potentials per sweep, f-I curve, rheobase, spontaneous rate.

The analysis ``firing_cc``: its settings (:mod:`.params` or the analyzer module), the analyzer
(:mod:`._analyzer`) and its private helpers; :data:`SPEC` is what :mod:`ephystool.analysis.registry` lists.
"""

from ephystool.analysis.firing_cc._analyzer import (
    NAME,
    FiringCCParams,
    FiringCCResult,
    SweepFiring,
    analyze,
)
from ephystool.analysis.firing_cc._analyzer import (
    _membrane_potential as _membrane_potential,  # a private helper the tests call
)
from ephystool.analysis.firing_cc.figures import plot_firing_cc
from ephystool.analysis.firing_cc.metrics import METRICS
from ephystool.analysis.spec import AnalysisSpec

__all__ = ["SPEC", 'NAME', 'FiringCCParams', 'SweepFiring', 'FiringCCResult', 'analyze']

#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, FiringCCParams, analyze, plot_firing_cc, METRICS)
