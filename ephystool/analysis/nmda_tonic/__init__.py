"""Tonic NMDA-receptor current: holding-current shift on agonist wash-in, and agonist-application currents (analysis ``nmda_tonic``; its registry entry: ``SPEC``)."""

from ephystool.analysis.nmda_tonic import _analyzer
from ephystool.analysis.nmda_tonic._analyzer import *  # noqa: F403  (what the module exports, SPEC included)

__all__ = list(_analyzer.__all__)
