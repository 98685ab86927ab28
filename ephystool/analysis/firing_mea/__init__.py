"""Firing on multi-electrode arrays: per-electrode and per-well spiking, bursting and synchrony (analysis ``firing_mea``; its registry entry: ``SPEC``)."""

from ephystool.analysis.firing_mea import _analyzer
from ephystool.analysis.firing_mea._analyzer import *  # noqa: F403  (what the module exports, SPEC included)

__all__ = list(_analyzer.__all__)
