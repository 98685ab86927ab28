"""Evoked NMDA/AMPA EPSCs in voltage clamp: peaks, NMDA/AMPA ratio, kinetics, rectification index (analysis ``nmda``; its registry entry: ``SPEC``)."""

from ephystool.analysis.nmda import _analyzer
from ephystool.analysis.nmda._analyzer import *  # noqa: F403  (what the module exports, SPEC included)

__all__ = list(_analyzer.__all__)
