"""Shared figure plumbing: one atomic PNG writer for every figure module."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ephystool.atomic import atomic_write

__all__ = ["FIGURE_SET", "legend", "save_figure"]

#: Version of the set of figures a task draws, part of the result cache's key: raise it when a task draws
#: new figures (2: the I-V and tonic figures of nmda_iv / nmda_tonic), so cached results are redrawn.
FIGURE_SET = 2


def save_figure(fig: Any, path: str | Path, dpi: int = 110) -> Path:
    """Save ``fig`` as PNG at ``path`` atomically (:func:`ephystool.atomic.atomic_write`) and close it (a figure
    made without pyplot is not pyplot's to close: pyplot is not imported for it)."""
    try:
        return atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"), suffix=".png")
    finally:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close(fig)


def legend(ax: Any, **kwargs: Any) -> None:
    """``ax.legend(**kwargs)`` where the axes have labelled artists (matplotlib warns on an empty legend)."""
    if ax.get_legend_handles_labels()[1]:
        ax.legend(**kwargs)
