"""Figures of the ``events`` analysis.

* :func:`plot_events` (one recording): a stretch of trace with the detected events marked (onset,
  peak, baseline), the average of isolated events with its single-exponential decay fit, and the
  cell's cumulative amplitude and inter-event-interval distributions.
* :func:`plot_event_conditions` (a batch): cumulative amplitude and IEI distributions per condition
  (every cell's events pooled **for display only**) beside the per-cell frequency and median amplitude
  (one point per cell: the values statistics are computed on).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ephystool.plotting import legend, save_figure

__all__ = ["batch_figures", "plot_event_conditions", "plot_events"]

def _stem(recording: Any, result: Any) -> str:
    return Path(str(getattr(recording, "path", None) or result.path)).stem or "recording"


def _trace(ax: Any, d: dict[str, Any], unit: str) -> None:
    t, x = d["t"], d["x"]  # masked time (test pulses, excluded windows) is NaN: not drawn
    ax.plot(t, x, color="0.3", lw=0.5)
    pk = d["peaks"]
    ax.plot(pk, d["baseline"] + d["amps"], "v" if np.mean(d["amps"]) < 0 else "^", color="tab:red", ms=4,
            label=f"measured peaks ({pk.size} shown)")
    ax.plot(pk, d["baseline"], "_", color="tab:blue", ms=8, label="local baseline")
    ax.set_xlabel(f"time in sweep {d['sweep']} (s)")
    ax.set_ylabel(unit)
    legend(ax, fontsize=7, loc="best")


def _average(ax: Any, avg: Any, sign: float, unit: str) -> None:
    ax.plot(avg.t_ms, sign * avg.y, color="k", lw=1.0, label=f"average of {avg.n} isolated events")
    if np.isfinite(avg.decay_ms):
        t = avg.t_ms[avg.t_ms >= avg.peak_ms]
        ax.plot(t, sign * avg.amplitude * np.exp(-(t - avg.peak_ms) / avg.decay_ms), "r--", lw=1.0,
                label=f"decay tau {avg.decay_ms:.2f} ms")
    ax.set_title(f"10-90 % rise {avg.rise_ms:.2f} ms", fontsize=8)
    ax.set_xlabel("time from onset (ms)")
    ax.set_ylabel(unit)
    legend(ax, fontsize=7, loc="best")


def _cdf(ax: Any, v: np.ndarray, label: str, **kw: Any) -> None:
    v = np.sort(v[np.isfinite(v)])
    if v.size:
        ax.step(v, np.arange(1, v.size + 1) / v.size, where="post", label=f"{label} (n={v.size})", **kw)
    ax.set_ylabel("cumulative fraction")


def plot_events(result: Any, recording: Any, out_dir: Path) -> list[Path]:
    """Trace with events, average event with its fit, cumulative amplitude and IEI distributions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    unit = result.units.get("event_amplitude_median", "pA")
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5))
    if result.display:
        _trace(axes[0, 0], result.display, unit)
    if result.average is not None:
        _average(axes[0, 1], result.average, -1.0 if result.selectors.get("direction") == "inward" else 1.0, unit)
    amps = np.array([e["amplitude"] for e in result.events])
    _cdf(axes[1, 0], amps, "amplitude")
    axes[1, 0].set_xlabel(f"amplitude ({unit}, magnitude)")
    ieis = np.concatenate([np.diff([e["time_s"] for e in result.events if e["sweep"] == k]) * 1e3
                           for k in sorted({e["sweep"] for e in result.events})] or [np.zeros(0)])
    _cdf(axes[1, 1], ieis, "inter-event interval")
    axes[1, 1].set_xlabel("inter-event interval (ms)")
    v = result.values
    fig.suptitle(f"{_stem(recording, result)}: {v['event_count']:.0f} events, {v['event_frequency']:.2f} Hz, "
                 f"median {v['event_amplitude_median']:.1f} {unit}, noise SD {v['event_noise_sd']:.2f} {unit}",
                 fontsize=9)
    fig.tight_layout()
    return [save_figure(fig, Path(out_dir) / f"{_stem(recording, result)}_events.png")]


def plot_event_conditions(events_csv: str | Path, results_csv: str | Path, out_dir: str | Path) -> list[Path]:
    """Per-condition cumulative amplitude and IEI distributions (display) and per-cell summaries.

    Parameters
    ----------
    events_csv, results_csv : path
        The batch's ``events.csv`` and ``results.csv``.
    out_dir : path
        Folder for ``events_by_condition.png``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    ev, res = pd.read_csv(events_csv), pd.read_csv(results_csv)
    res = res[res["analysis"] == "events"]
    cond = res.drop_duplicates("recording").set_index("recording")["condition"]
    ev = ev[ev["recording"].isin(cond.index)].assign(condition=lambda d: d["recording"].map(cond))
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6))
    for c, g in ev.groupby("condition", sort=True):
        _cdf(axes[0], g["amplitude"].to_numpy(float), str(c))
        iei = g.sort_values("time_s").groupby(["recording", "sweep"])["time_s"].diff().to_numpy(float) * 1e3
        _cdf(axes[1], iei, str(c))
    axes[0].set_xlabel("amplitude (magnitude)")
    axes[1].set_xlabel("inter-event interval (ms)")
    axes[1].set_xscale("log")
    for ax, metric, label in ((axes[2], "event_frequency", "frequency (Hz), per cell"),
                              (axes[3], "event_amplitude_median", "median amplitude, per cell")):
        m = res[res["metric"] == metric]
        names = sorted(m["condition"].unique())
        for i, c in enumerate(names):
            y = m.loc[m["condition"] == c, "value"].to_numpy(float)
            ax.plot(np.full(y.size, i) + np.linspace(-0.1, 0.1, y.size), y, "o", alpha=0.7)
            ax.plot([i - 0.25, i + 0.25], [np.median(y)] * 2, "k-", lw=1.5)
        ax.set_xticks(range(len(names)), names, rotation=20, fontsize=7)
        ax.set_ylabel(label)
    for ax in axes[:2]:
        legend(ax, fontsize=7, loc="lower right")
    fig.suptitle("sEPSC distributions: events pooled per condition for display only; compare conditions on the "
                 "per-cell values (right)", fontsize=9)
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [save_figure(fig, out / "events_by_condition.png")]


def batch_figures(outputs: Mapping[str, Any], out_dir: str | Path) -> list[Path]:
    """The batch's per-condition event figures (:func:`plot_event_conditions`), where it wrote ``events.csv``."""
    if "events" not in outputs:
        return []
    return plot_event_conditions(outputs["events"], outputs["results_csv"], out_dir)
