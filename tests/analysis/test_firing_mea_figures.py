"""The MEA raster: eventplot for few spikes, one image at the output resolution for many (what it marks, where)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")

from ephystool.analysis.firing_mea import figures  # noqa: E402
from ephystool.plotting import FIGURE_DPI  # noqa: E402

T_STOP = 10.0
#: Isolated spikes of electrode 3 (s): each must show as its own mark.
KNOWN = np.array([1.0, 3.3, 5.55, 7.77, 9.9])


def _result(trains: list[np.ndarray]) -> SimpleNamespace:
    sts = [neo.SpikeTrain(np.sort(t) * pq.s, t_stop=T_STOP * pq.s) for t in trains]
    return SimpleNamespace(windows={"all": (0.0, T_STOP)}, spiketrains=sts)


@pytest.fixture(scope="module")
def dense() -> list[np.ndarray]:
    """Electrodes 0, 1 dense (2000 spikes each: above one spike per electrode × pixel column), 2 silent, 3 sparse."""
    rng = np.random.default_rng(5)
    return [rng.uniform(0, T_STOP, 2000), rng.uniform(0, T_STOP, 2000), np.zeros(0), KNOWN.copy()]


def test_dense_raster_is_an_image_marking_each_spike_in_its_row_and_column(dense: list[np.ndarray]) -> None:
    fig = figures._raster_figure(_result(dense), "dense")
    ax = fig.axes[0]
    assert len(ax.images) == 1 and not ax.collections  # no eventplot
    im = ax.images[0]
    rgba = np.asarray(im.get_array())
    assert rgba.ndim == 3 and rgba.dtype == np.uint8 and (rgba[..., 3] == 255).all()
    data = 255 - rgba[..., 0].astype(int)  # ink: 0 where no spike
    lo, hi, yb, yt = im.get_extent()
    assert im.origin == "lower" and (yb, yt) == (-0.5, len(dense) - 0.5)
    assert lo <= 0.0 and hi >= T_STOP
    n_rows, n_cols = data.shape
    per = n_rows // len(dense)
    assert per * len(dense) == n_rows
    # electrode i's rows are centred on y = i (electrode 0 at the bottom, as eventplot)
    for i in range(len(dense)):
        assert yb + (i * per + per / 2) * (yt - yb) / n_rows == pytest.approx(i)
    edges = np.linspace(lo, hi, n_cols + 1)
    for i, t in enumerate(dense):
        block = data[i * per:(i + 1) * per]
        expected = np.zeros(n_cols, bool)
        expected[np.clip(np.searchsorted(edges, t, side="right") - 1, 0, n_cols - 1)] = True
        np.testing.assert_array_equal(block[per // 2].astype(bool), expected, err_msg=f"electrode {i}")
        if per >= 3:  # a blank row at the top of each electrode (and bottom from 8 rows) keeps rows apart
            assert not block[-1].any() and block[-2].any() == block[per // 2].any()
            assert block[0].any() == (per < 8 and block[per // 2].any())
    assert not data[2 * per:3 * per].any()
    # never more columns/rows than the pixels they are drawn on: nearest drawing then drops no spike
    bbox = ax.get_window_extent()
    scale = FIGURE_DPI / fig.dpi
    x0, x1 = ax.get_xlim()
    assert n_cols <= bbox.width * scale * (hi - lo) / (x1 - x0)
    assert n_rows <= bbox.height * scale * len(dense) / abs(np.subtract(*ax.get_ylim()))


def test_dense_raster_drawn_shows_each_isolated_spike(dense: list[np.ndarray]) -> None:
    fig = figures._raster_figure(_result(dense), "dense")
    ax = fig.axes[0]
    fig.set_dpi(FIGURE_DPI)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    height = rgba.shape[0]
    xs = ax.transData.transform(np.c_[KNOWN, np.full(KNOWN.size, 3.0)])
    row = height - 1 - int(round(xs[0, 1]))
    left, right = (int(v) for v in ax.transData.transform([(0.0, 3.0), (T_STOP, 3.0)])[:, 0])
    dark = rgba[row, left - 2:right + 3, :3].max(axis=1) < 128
    runs = np.flatnonzero(np.diff(np.r_[0, dark.astype(int)]) == 1) + left - 2
    assert runs.size == KNOWN.size
    np.testing.assert_allclose(runs, xs[:, 0], atol=1.5)
    silent = height - 1 - int(round(ax.transData.transform((0.0, 2.0))[1]))
    assert not (rgba[silent, left:right, :3].max(axis=1) < 128).any()


def test_sparse_raster_keeps_eventplot() -> None:
    trains = [KNOWN.copy(), np.zeros(0), KNOWN + 0.1]
    fig = figures._raster_figure(_result(trains), "sparse")
    ax = fig.axes[0]
    assert not ax.images
    assert [len(c.get_positions()) for c in ax.collections] == [5, 0, 5]


def test_switch_at_one_spike_per_cell() -> None:
    fig = figures._figure(figsize=(10, 6))
    ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})[0]
    cols = figures._axes_pixels(fig, ax)[0] / (1.0 + 2.0 * ax.margins()[0])
    n = int(np.ceil(2 * cols))
    assert figures._draws_as_image(fig, ax, [np.zeros(n // 2), np.zeros(n - n // 2)])
    assert not figures._draws_as_image(fig, ax, [np.zeros(n // 2), np.zeros(n - n // 2 - 1)])
    assert not figures._draws_as_image(fig, ax, [])


def test_switch_at_ten_thousand_spikes_whatever_the_density() -> None:
    """A long, sparse raster (far below one spike per cell) is an image from IMAGE_FROM_SPIKES spikes on."""
    fig = figures._figure(figsize=(10, 6))
    ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})[0]
    n = figures.IMAGE_FROM_SPIKES
    many = [np.zeros(n // 100) for _ in range(100)]  # 100 electrodes: 0.13 spikes per cell
    assert figures._draws_as_image(fig, ax, many)
    assert not figures._draws_as_image(fig, ax, [*many[:-1], np.zeros(n // 100 - 1)])


def test_image_ink_piles_up_with_spikes_per_pixel(dense: list[np.ndarray]) -> None:
    """One spike in a pixel is grey, more are darker (as overlapping anti-aliased ticks), so bursts stand out."""
    fig = figures._raster_figure(_result(dense), "ink")
    im = fig.axes[0].images[0]
    rgba = np.asarray(im.get_array())
    lo, hi = im.get_extent()[:2]
    per = rgba.shape[0] // len(dense)
    counts = figures.raster_image(dense, lo, hi, rgba.shape[1])[0]  # electrode 0, one row per electrode
    grey = rgba[per // 2, :, 0]  # a middle row of electrode 0
    for k in (0, 1, 2):
        assert (counts == k).any()
        want = round(255 * (1 - figures.TICK_INK) ** k)
        assert (grey[counts == k] == want).all(), k
    assert grey[counts == 2].max() < grey[counts == 1].min() < 255
