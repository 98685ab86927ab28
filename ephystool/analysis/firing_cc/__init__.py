"""Current-clamp firing: action potentials per sweep, f-I curve, rheobase, spontaneous rate (analysis ``firing_cc``; its registry entry: ``SPEC``)."""

from ephystool.analysis.firing_cc import _analyzer
from ephystool.analysis.firing_cc._analyzer import *  # noqa: F403  (what the module exports, SPEC included)
from ephystool.analysis.firing_cc._analyzer import _membrane_potential as _membrane_potential  # tests call it

__all__ = list(_analyzer.__all__)
