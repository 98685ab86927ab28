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
from ephystool.analysis.events.figures import plot_events
from ephystool.analysis.events.metrics import METRICS
from ephystool.analysis.spec import AnalysisSpec

__all__ = ["SPEC", 'NAME', 'EventsParams', 'EventsResult', 'analyze']

#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, EventsParams, analyze, plot_events, METRICS)
