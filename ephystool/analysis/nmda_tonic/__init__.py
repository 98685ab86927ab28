"""Tonic NMDA-receptor current: holding-current shift on agonist wash-in, and agonist-application currents.

The analysis ``nmda_tonic``: its settings (:mod:`.params` or the analyzer module), the analyzer
(:mod:`._analyzer`) and its private helpers; :data:`SPEC` is what :mod:`ephystool.analysis.registry` lists.
"""

from ephystool.analysis.nmda_tonic._analyzer import (
    NAME,
    NmdaTonicParams,
    NmdaTonicResult,
    analyze,
    washin_time,
)

__all__ = ['NAME', 'NmdaTonicParams', 'NmdaTonicResult', 'analyze', 'washin_time']
