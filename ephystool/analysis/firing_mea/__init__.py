"""Firing on multi-electrode arrays: per-electrode and per-well spiking, bursting and synchrony.

The analysis ``firing_mea``: its settings (:mod:`.params` or the analyzer module), the analyzer
(:mod:`._analyzer`) and its private helpers; :data:`SPEC` is what :mod:`ephystool.analysis.registry` lists.
"""

from ephystool.analysis.firing_mea._analyzer import (
    ELECTRODE_UNITS,
    NAME,
    WELL_METRICS,
    WELL_UNITS,
    FiringMEAParams,
    FiringMEAResult,
    analyze,
)
from ephystool.analysis.firing_mea.figures import plot_firing_mea
from ephystool.analysis.firing_mea.metrics import METRICS
from ephystool.analysis.spec import AnalysisSpec

__all__ = ["SPEC", 'NAME', 'FiringMEAParams', 'FiringMEAResult', 'analyze', 'WELL_METRICS', 'WELL_UNITS', 'ELECTRODE_UNITS']

#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, FiringMEAParams, analyze, plot_firing_mea, METRICS)
