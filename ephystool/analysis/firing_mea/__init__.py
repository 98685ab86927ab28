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

__all__ = ['NAME', 'FiringMEAParams', 'FiringMEAResult', 'analyze', 'WELL_METRICS', 'WELL_UNITS', 'ELECTRODE_UNITS']
