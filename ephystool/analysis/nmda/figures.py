"""Figures of the NMDA analyzers: averaged EPSCs with windows and decay fits, the I-V with its Woodhull
fit, and the tonic-current time course. PNGs are written atomically (temporary name, then ``os.replace``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ephystool.plotting import axis_label, legend, save_figure

__all__ = ["plot_nmda", "plot_nmda_iv", "plot_nmda_tonic"]




def _stem(recording: Any, result: Any) -> str:
    return Path(str(getattr(recording, "path", None) or result.path)).stem or "recording"


def plot_nmda(result: Any, recording: Any, out_dir: Path) -> list[Path]:
    """Averaged EPSC per holding potential with the measurement windows shaded and the decay fits overlaid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = result.params
    fig, ax = plt.subplots(figsize=(8, 4.5))
    shade = {"baseline": (p.baseline_window, "0.85"), "AMPA": (p.ampa_window, "tab:blue"),
             "NMDA late": (p.nmda_late_window, "tab:red")}
    for label, (w, color) in shade.items():
        a, b = w.rescale("ms").magnitude
        ax.axvspan(a, b, color=color, alpha=0.15, label=label)
    for g in result.groups:
        line, = ax.plot(g.t_ms, g.trace_pA, lw=0.8, label=f"{g.holding_mV:g} mV (n={g.n_sweeps})")
        fit = g.fit_double if g.fit_double is not None and g.fit_double.ok else g.fit_single
        if fit is not None and fit.ok and g.fit_start_ms is not None:
            t = g.t_ms[g.t_ms >= g.fit_start_ms]
            sign = -1.0 if g.direction == "inward" else 1.0
            ax.plot(t, sign * fit.evaluate(t - g.fit_start_ms), "k--", lw=0.8)
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_xlabel("time from stimulus (ms)")
    ax.set_ylabel("current (pA)")
    title = _stem(recording, result)
    if result.nmda_ampa_ratio is not None:
        title += f"  NMDA/AMPA {float(result.nmda_ampa_ratio):.2f}"
    if result.rectification_index is not None:
        title += f"  RI {float(result.rectification_index):.3f}"
    ax.set_title(title, fontsize=9)
    legend(ax, fontsize=7, loc="best")
    fig.tight_layout()
    return [save_figure(fig, Path(out_dir) / f"{_stem(recording, result)}_nmda.png")]


def plot_nmda_iv(result: Any, recording: Any, out_dir: Path) -> list[Path]:
    """I-V points with the fitted Woodhull curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = result.fit
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    v = np.linspace(min(result.v_mV.min(), -100), max(result.v_mV.max(), 60), 300)
    ax.plot(result.v_mV, result.i_pA, "o", label="measured")
    ax.plot(v, f.current(v), "-", label=f"Woodhull: Kd(0) {f.kd0_mM:.2f} mM, delta {f.delta:.2f}")
    ax.plot(v, f.g_nS * (v - f.e_rev_mV), ":", color="0.5", label="unblocked")
    ax.axhline(0, color="0.5", lw=0.5)
    ax.axvline(0, color="0.5", lw=0.5)
    ax.set_xlabel("holding potential (mV)")
    ax.set_ylabel("NMDA current (pA)")
    ax.set_title(f"{_stem(recording, result)}  [Mg²⁺] {f.mg_mM:.3g} mM, E_rev {f.e_rev_mV:.1f} mV", fontsize=9)
    legend(ax, fontsize=7)
    fig.tight_layout()
    return [save_figure(fig, Path(out_dir) / f"{_stem(recording, result)}_nmda_iv.png")]


def plot_nmda_tonic(result: Any, recording: Any, out_dir: Path) -> list[Path]:
    """Holding current against time with the wash-in marked (washin) or per-sweep peaks (application)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = "holding_current" if result.mode == "washin" else "agonist_peak"
    rows = [r for r in result.sweep_rows() if r["metric"] == key]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([r["sweep_time_s"] for r in rows], [r["value"] for r in rows], "o-", ms=3)
    if result.washin_time_s is not None:
        ax.axvline(result.washin_time_s, color="tab:red", lw=1, label=f"wash-in ({result.washin_source})")
        legend(ax, fontsize=7)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(axis_label(key, "pA"))
    shift = result.values.get("holding_current_shift")
    ax.set_title(_stem(recording, result) + (f"  shift {shift:.1f} pA" if shift is not None else ""), fontsize=9)
    fig.tight_layout()
    return [save_figure(fig, Path(out_dir) / f"{_stem(recording, result)}_{result.mode}.png")]
