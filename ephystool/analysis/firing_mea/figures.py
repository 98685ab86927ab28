"""Figures of the MEA firing analysis: raster with population rate, electrode-grid heat map of firing rate.

Grid positions come from the electrodes' ``x_um``/``y_um`` (file layout); where those are missing, from
labels of the ``<col><row>`` form (MCS ``"12"``, Axion ``"A1_34"``), else electrodes are placed in a
square grid in file order. One heat map panel per well. A raster with more spikes than its pixel grid has
cells is drawn as one image at the output resolution instead of one tick path per spike (:func:`raster_image`).
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


#: The raster is drawn as an image once its spikes are at least this many per cell of the raster's pixel grid
#: (electrodes × pixel columns): then the ticks outnumber the places the figure has to show them.
TICKS_PER_CELL = 1.0
#: ... or once it has this many spikes: eventplot builds and draws one path per spike (~5 µs each here, on top of
#: the ~0.2 s the figure costs either way; measured from 2 000 to 100 000 spikes), the image the same at any count; both
#: show a spike as a mark under a pixel wide at :data:`ephystool.plotting.FIGURE_DPI`; from 10 000 spikes
#: eventplot costs 0.05 s more for the same picture.
IMAGE_FROM_SPIKES = 10_000
#: Darkness one spike gives its pixel in the image (0-1): about what one 0.5 pt anti-aliased tick gives the pixels it
#: covers at :data:`ephystool.plotting.FIGURE_DPI`; ``k`` spikes in a pixel give ``1 - (1 - TICK_INK)**k``.
TICK_INK = 0.6


def raster_image(trains: list[np.ndarray], lo: float, hi: float, n_cols: int, rows_per_train: int = 1,
                 gap_rows: int = 0) -> np.ndarray:
    """Spike trains binned on a pixel grid: how many spikes each train has in each column.

    Parameters
    ----------
    trains : list of ndarray
        Spike times (s), one array per electrode.
    lo, hi : float
        Time (s) at the left edge of column 0 and the right edge of the last column; spikes outside are dropped
        (the caller spans every spike).
    n_cols : int
        Columns: equal time bins ``[lo + j·w, lo + (j+1)·w)``, ``w = (hi - lo) / n_cols``; a spike at ``hi`` is in
        the last column.
    rows_per_train, gap_rows : int
        Each electrode takes ``rows_per_train`` rows, of which ``gap_rows`` stay blank (half at the bottom, the
        other half and any odd one at the top), so neighbouring electrodes are told apart as the gaps between
        eventplot's ticks do.

    Returns
    -------
    ndarray of uint16, shape ``(len(trains) * rows_per_train, n_cols)``
        Spike counts; row 0 is the bottom of electrode 0 (draw with ``origin="lower"``).
    """
    img = np.zeros((len(trains), n_cols), np.uint16)
    width = (hi - lo) / n_cols
    for i, t in enumerate(trains):
        t = np.asarray(t, float)
        t = t[(t >= lo) & (t <= hi)]
        img[i] = np.bincount(np.minimum(((t - lo) / width).astype(np.intp), n_cols - 1),
                             minlength=n_cols).clip(max=np.iinfo(np.uint16).max)
    img = np.repeat(img, rows_per_train, axis=0).reshape(len(trains), rows_per_train, n_cols)
    if 0 < gap_rows < rows_per_train:
        img[:, :gap_rows // 2] = 0
        img[:, rows_per_train - (gap_rows - gap_rows // 2):] = 0
    return img.reshape(len(trains) * rows_per_train, n_cols)


def _axes_pixels(fig: Any, ax: Any) -> tuple[float, float]:
    """Width and height (pixels of the saved PNG) of ``ax`` at its present position."""
    from ephystool.plotting import FIGURE_DPI

    pos = ax.get_position()
    return pos.width * fig.get_figwidth() * FIGURE_DPI, pos.height * fig.get_figheight() * FIGURE_DPI


def _draws_as_image(fig: Any, ax: Any, trains: list[np.ndarray]) -> bool:
    """Whether there are at least :data:`IMAGE_FROM_SPIKES` spikes, or at least :data:`TICKS_PER_CELL` per cell
    of electrodes × pixel columns.

    Pixel columns: those of the time span inside the axes' autoscale margins, at the axes' position before
    the layout (the default subplot margins, a little narrower than after ``tight_layout``). Ticks are
    0.5 pt wide (< 1 pixel at :data:`ephystool.plotting.FIGURE_DPI`), so one column per pixel shows what
    the ticks show; above the threshold most cells hold a tick and eventplot's one path per spike (~5 µs
    each to build and draw) buys nothing.
    """
    n_spikes = sum(t.size for t in trains)
    cols = _axes_pixels(fig, ax)[0] / (1.0 + 2.0 * ax.margins()[0])
    return bool(trains) and n_spikes > 0 and (n_spikes >= IMAGE_FROM_SPIKES
                                              or n_spikes >= TICKS_PER_CELL * len(trains) * cols)


def _draw_raster_image(fig: Any, ax: Any, trains: list[np.ndarray]) -> None:
    """The raster as one image, one column per pixel of the final layout (call after ``tight_layout``).

    Nearest-neighbour drawing that never shrinks the image (columns and rows ≤ the pixels they span), so no
    spike's column is dropped; electrode ``i`` spans y ``i ± 0.5`` (electrode 0 at the bottom, as eventplot).
    """
    im = ax.images[0]
    lo, hi = im.get_extent()[:2]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    width, height = _axes_pixels(fig, ax)
    n_cols = max(int(width * (hi - lo) / (x1 - x0)), 1)
    per_row = min(max(int(height / abs(y1 - y0)), 1), 10)  # pixels per electrode, at most 10 sub-rows
    # eventplot's ticks are 0.8 of a row long: the other 0.2 blank
    counts = raster_image(trains, lo, hi, n_cols, per_row, int(round(0.2 * per_row)))
    # ink as eventplot's anti-aliased ticks lay it down: a lone spike grey, spikes piling up in a pixel (a burst)
    # darker, so synchronous bursts stand out as they do among the ticks
    grey = np.round(255.0 * (1.0 - TICK_INK) ** counts).astype(np.uint8)  # 255 white: no spike
    # as RGBA bytes: matplotlib resamples them as they are (~20 MB less peak memory than a scalar image, whose
    # normalisation and colour mapping run in float64 at the output size)
    im.set_data(np.dstack([grey, grey, grey, np.full_like(grey, 255)]))


def _blank_raster_image(ax: Any, trains: list[np.ndarray], t0: float, t1: float) -> None:
    """A blank image over every spike's time and every electrode, filled once the layout is known."""
    allt = np.concatenate(trains)
    lo, hi = min(t0, float(allt.min())), max(t1, float(allt.max()))
    im = ax.imshow(np.zeros((len(trains), 1), np.uint8), cmap="gray_r", vmin=0, vmax=1, origin="lower",
                   aspect="auto", interpolation="nearest", extent=(lo, hi, -0.5, len(trains) - 0.5))
    im.sticky_edges.x.clear()  # the axes keep their margins, as around eventplot's ticks
    im.sticky_edges.y.clear()
    ax.autoscale_view()


def _raster_figure(result: Any, stem: str) -> Any:
    """Raster (eventplot, or an image where :func:`_draws_as_image`) above the population rate."""
    t0, t1 = result.windows["all"]
    trains = [np.asarray(st.times.rescale("s").magnitude) for st in result.spiketrains]
    fig = _figure(figsize=(10, 6))
    ax, axr = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    as_image = _draws_as_image(fig, ax, trains)
    if as_image:
        _blank_raster_image(ax, trains, t0, t1)
    else:
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
    if as_image:
        _draw_raster_image(fig, ax, trains)
    return fig


def _raster(result: Any, stem: str, out_dir: Path) -> Path:
    fig = _raster_figure(result, stem)
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
