"""The report's words and numbers: metric labels with units, 3 significant digits, plain tick labels."""

from __future__ import annotations

import pytest

from ephystool.report.labels import _tick, axis_label, metric_label, plain_ticks, sig


@pytest.mark.parametrize(("x", "want"), [(0.9795661496302508, "0.980"), (0.99996, "1.00"), (-130.6444, "-131"),
                                         (0.0004997, "0.000500"), (1234.5, "1\u2009230"), (None, "—"),
                                         (float("nan"), "—"), (0.0, "0"), (3.7e-7, "3.70e-07")])
def test_sig_three_digits(x: object, want: str) -> None:
    assert sig(x) == want


def test_axis_labels_in_words_with_units() -> None:
    assert axis_label("mean_firing_rate", "Hz") == "mean firing rate (Hz)"
    assert axis_label("holding_current_shift", "pA") == "holding-current shift (pA)"
    # a dimensionless value never shows "(1)": a ratio says what it divides
    assert axis_label("mean_firing_rate", "1", "ratio (post/pre)") == "mean firing rate, ratio (post/pre)"
    assert "(1)" not in axis_label("nmda_rectification_index", "1")
    assert axis_label("ltp_magnitude", "percent") == "LTP magnitude (%)"
    assert metric_label("some_new_metric") == "some new metric"


def test_tick_labels_plain() -> None:
    assert [_tick(v) for v in (0.074, 0.5, 2.0, 150.0, 0.0)] == ["0.074", "0.5", "2", "150", "0"]


@pytest.mark.parametrize(("lo", "hi"), [(0.062, 0.091), (0.03, 0.2), (0.5, 400.0)])
def test_log_axis_always_has_labelled_ticks(lo: float, hi: float) -> None:
    """A log axis within one decade that holds no power of ten (rectification indices 0.06-0.09) still reads."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([0, 1], [lo, hi], "o")
    ax.set_yscale("log")
    plain_ticks(ax)
    fig.canvas.draw()
    shown = [t.get_text() for t in ax.get_yticklabels() if t.get_text()
             and lo <= t.get_position()[1] * 1.0001 and t.get_position()[1] <= hi * 1.3]
    assert len(shown) >= 2 and not any("10" in x and "^" in x or "e" in x for x in shown)
