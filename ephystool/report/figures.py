"""Figure plumbing of the report: :func:`save_figure` and :func:`legend` live in :mod:`ephystool.plotting`
(shared with the analyses' figure modules); this module keeps the cache version of the figure set."""

from __future__ import annotations

from ephystool.plotting import legend, save_figure

__all__ = ["FIGURE_SET", "legend", "save_figure"]

#: Version of the set of figures a task draws, part of the result cache's key: raise it when a task draws
#: new figures (2: the I-V and tonic figures of nmda_iv / nmda_tonic), so cached results are redrawn.
FIGURE_SET = 2
