"""Spontaneous and miniature synaptic events (sEPSC/mEPSC/sIPSC, PSPs): detection, kinetics, frequency.

The analysis ``events``: its settings (:mod:`.params` or the analyzer module), the analyzer
(:mod:`._analyzer`) and its private helpers; :data:`SPEC` is what :mod:`ephystool.analysis.registry` lists.
"""

from ephystool.analysis.events._analyzer import (
    NAME,
    EventsParams,
    EventsResult,
    analyze,
)

__all__ = ['NAME', 'EventsParams', 'EventsResult', 'analyze']
