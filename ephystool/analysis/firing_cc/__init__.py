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

__all__ = ['NAME', 'FiringCCParams', 'SweepFiring', 'FiringCCResult', 'analyze']
