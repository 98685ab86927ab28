"""Figures of the MEA firing analysis: raster with population rate, electrode-grid heat map of firing rate.

Grid positions come from the electrodes' ``x_um``/``y_um`` (file layout); where those are missing, from
labels of the ``<col><row>`` form (MCS ``"12"``, Axion ``"A1_34"``), else electrodes are placed in a
square grid in file order. One heat map panel per well.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ephystool.plotting import save_figure

__all__ = ["plot_firing_mea", "grid_positions"]


def grid_positions(electrodes: list[Any], labels: list[str]) -> np.ndarray:
    """(x, y) per label: layout µm where known, else column/row digits of the label, else a square grid."""
    known = {e.label: (e.x_um, e.y_um) for e in electrodes}
    xy = np.array([known.get(lab, (np.nan, np.nan)) for lab in labels], dtype=float).reshape(-1, 2)
    if np.isfinite(xy).all() and len(labels):
        return xy
    out = []
    for lab in labels:
        m = re.search(r"(\d)(\d)[a-zA-Z]?$", lab.split("_")[-1])
        out.append((int(m.group(1)), int(m.group(2))) if m else (np.nan, np.nan))
    xy = np.asarray(out, dtype=float).reshape(-1, 2)
    if np.isfinite(xy).all() and len({tuple(p) for p in xy}) == len(labels):
        return xy
    side = int(np.ceil(np.sqrt(max(len(labels), 1))))
    return np.array([(i % side, i // side) for i in range(len(labels))], dtype=float)




def _figure(**kwargs: Any) -> Any:
    """A matplotlib ``Figure`` on an Agg canvas, without pyplot (whose import costs ~0.3 s of a command)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _raster(result: Any, stem: str, out_dir: Path) -> Path:
    t0, t1 = result.windows["all"]
    trains = [np.asarray(st.times.rescale("s").magnitude) for st in result.spiketrains]
    fig = _figure(figsize=(10, 6))
    ax, axr = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.eventplot(trains, linelengths=0.8, linewidths=0.5, colors="k")
    ax.set_ylabel("electrode")
    ax.set_title(f"{stem}: spikes per electrode")
    bins = np.arange(t0, t1 + 0.1, 0.1)
    allt = np.concatenate(trains) if trains else np.zeros(0)
    counts, _ = np.histogram(allt, bins)
    axr.plot(bins[:-1], counts / 0.1 / max(len(trains), 1), lw=0.7, label="per electrode, 100 ms bins")
    for name in ("baseline", "treatment"):
        if name in result.windows:
            axr.axvspan(*result.windows[name], alpha=0.1, color="C1" if name == "treatment" else "C2", label=name)
    axr.set_xlabel("time (s)")
    axr.set_ylabel("rate (Hz)")  # short: a long label is clipped on the low panel
    axr.legend(fontsize=7, loc="upper right", frameon=False)
    fig.tight_layout()
    return save_figure(fig, out_dir / f"{stem}_firing_mea_raster.png")  # save_figure closes it


def _heatmap(result: Any, recording: Any, stem: str, out_dir: Path) -> Path:
    wells = result.wells
    ncol = min(len(wells), 8)
    nrow = -(-len(wells) // ncol)
    # constrained layout: titles and colour-bar label never overlap
    fig = _figure(figsize=(2.6 * ncol + 1.6, 2.8 * nrow + 0.4), layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False)
    rates = {e.label: e.rate_hz for e in result.electrodes}
    vmax = max(rates.values(), default=1.0) or 1.0
    sc = None
    for ax, well in zip(axes.flat, wells):
        labels = [e.label for e in result.electrodes if e.well == well]
        xy = grid_positions(list(recording.electrodes), labels)
        sc = ax.scatter(xy[:, 0], xy[:, 1], c=[rates[lab] for lab in labels], cmap="viridis", vmin=0, vmax=vmax,
                        s=120, marker="s")
        bad = [i for i, lab in enumerate(labels) if lab in result.channel_problems]
        if bad:
            ax.scatter(xy[bad, 0], xy[bad, 1], marker="x", c="r", s=60)
        ax.invert_yaxis()
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(well or stem, fontsize=8)
    for ax in list(axes.flat)[len(wells):]:
        ax.axis("off")
    if sc is not None:
        fig.colorbar(sc, ax=axes, shrink=0.8, label="firing rate (Hz)")
        if any(e.label in result.channel_problems for e in result.electrodes):
            fig.supxlabel("× = dead or saturated electrode", fontsize=8)
    return save_figure(fig, out_dir / f"{stem}_firing_mea_heatmap.png")


def plot_firing_mea(result: Any, recording: Any, out_dir: Path) -> list[Path]:
    """Raster with population rate and a firing-rate heat map on the electrode grid (PNG, written atomically).

    Parameters
    ----------
    result : FiringMEAResult
    recording : Recording
        For the electrode layout.
    out_dir : Path
        Folder for the PNG files.

    Returns
    -------
    list of Path
    """
    import matplotlib

    matplotlib.use("Agg")
    stem = Path(str(recording.path)).name.split(".")[0].strip("<>") or "recording"
    out_dir = Path(out_dir)
    return [_raster(result, stem, out_dir), _heatmap(result, recording, stem, out_dir)]
