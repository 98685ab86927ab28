"""NMDA I-V curve and Mg2+-block (Woodhull) fit (analysis ``nmda_iv``; its registry entry: ``SPEC``)."""

from ephystool.analysis import nmda as nmda  # the EPSC analyzer the I-V builds on
from ephystool.analysis.nmda_iv import _analyzer
from ephystool.analysis.nmda_iv._analyzer import *  # noqa: F403  (what the module exports, SPEC included)

__all__ = list(_analyzer.__all__)
