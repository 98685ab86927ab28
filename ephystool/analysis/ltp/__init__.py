"""LTP analyzer: fEPSP slope time course of a slice session, baseline normalisation and LTP magnitude.

The analysis ``ltp``: its settings (:mod:`.params` or the analyzer module), the analyzer
(:mod:`._analyzer`) and its private helpers; :data:`SPEC` is what :mod:`ephystool.analysis.registry` lists.
"""

from ephystool.analysis.ltp._analyzer import (
    NAME,
    FepspRunResult,
    FepspTrainResult,
    Induction,
    LtpParams,
    LtpResult,
    SweepSeries,
    analyze,
    analyze_session,
    evoked_peaks,
    find_induction,
    session_clock,
    session_time_course,
)
from ephystool.analysis.ltp.figures import plot_ltp
from ephystool.analysis.ltp.metrics import METRICS
from ephystool.analysis.spec import AnalysisSpec

__all__ = ["SPEC", 'NAME', 'LtpParams', 'LtpResult', 'FepspRunResult', 'FepspTrainResult', 'SweepSeries', 'Induction', 'analyze', 'analyze_session', 'find_induction', 'session_time_course', 'session_clock', 'evoked_peaks']

#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, LtpParams, analyze, plot_ltp, METRICS, analyze_session=analyze_session)
