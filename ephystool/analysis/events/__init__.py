"""Spontaneous and miniature synaptic events (sEPSC/mEPSC/sIPSC, PSPs): detection, kinetics, frequency (analysis ``events``; its registry entry: ``SPEC``)."""

from ephystool.analysis.events import _analyzer
from ephystool.analysis.events._analyzer import *  # noqa: F403  (what the module exports, SPEC included)

__all__ = list(_analyzer.__all__)
