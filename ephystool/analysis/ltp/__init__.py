"""LTP analyzer: fEPSP slope time course of a slice session, baseline normalisation and LTP magnitude (analysis ``ltp``; its registry entry: ``SPEC``)."""

from ephystool.analysis.ltp import _analyzer
from ephystool.analysis.ltp._analyzer import *  # noqa: F403  (what the module exports, SPEC included)

__all__ = list(_analyzer.__all__)
