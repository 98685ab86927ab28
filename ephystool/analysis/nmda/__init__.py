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

__all__ = ['NAME', 'NmdaParams', 'NmdaResult', 'analyze', 'rectification_from_rows', 'stimulus_times']
