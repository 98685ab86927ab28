"""Figures of the current-clamp firing analysis: example sweeps with detected APs, and the f-I curve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ephystool.plotting import legend, save_figure

__all__ = ["plot_firing_cc"]




def _example_sweeps(result: Any) -> list[int]:
    """Up to three sweeps: rheobase, middle and strongest (or the first sweeps without steps)."""
    idx = list(range(len(result.sweeps)))
    firing = [k for k in idx if result.sweeps[k].ap_count > 0]
    if not firing:
        return idx[:1]
    picks = [firing[0], firing[len(firing) // 2], firing[-1]]
    return sorted(set(picks))


def plot_firing_cc(result: Any, recording: Any, out_dir: Path) -> list[Path]:
    """Write ``firing_cc_traces.png`` (and ``firing_cc_fi.png`` for step protocols) to ``out_dir``.

    Parameters
    ----------
    result : FiringCCResult
        From :func:`ephystool.analysis.firing_cc.analyze`.
    recording : Recording
        The analysed recording (traces are read from it).
    out_dir : Path
        Existing output folder.

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import quantities as pq

    out_dir = Path(out_dir)
    paths: list[Path] = []
    picks = _example_sweeps(result)
    fig, axes = plt.subplots(len(picks), 1, figsize=(8, 2.2 * len(picks) + 0.6), squeeze=False)
    for ax, k in zip(axes[:, 0], picks):
        s = result.sweeps[k]
        sig = recording.signal(s.sweep)
        v = sig.rescale(pq.mV).magnitude.ravel()
        fs = float(sig.sampling_rate.rescale(pq.Hz).magnitude)
        t = np.arange(v.size) / fs
        ax.plot(t, v, lw=0.6, color="0.2")
        ax.axvspan(*s.window_s, color="tab:blue", alpha=0.08)
        ax.plot(s.features.peak / fs, s.features.peak_mv, "v", color="tab:red", ms=4)
        ax.plot(s.features.onset / fs, v[s.features.onset], "o", color="tab:orange", ms=3)
        cur = float(s.command.rescale(pq.pA).magnitude)
        label = f"sweep {s.sweep}: {s.ap_count} APs" + (f", {cur:.0f} pA" if np.isfinite(cur) else "")
        ax.set_title(label, fontsize=9)
        ax.set_ylabel("Vm (mV)")
    axes[-1, 0].set_xlabel("time in sweep (s)")
    fig.tight_layout()
    paths.append(save_figure(fig, out_dir / "firing_cc_traces.png"))  # save_figure closes it
    if result.mode == "steps":
        cur, rate = result.fi_curve()
        if cur.size:
            fig, ax = plt.subplots(figsize=(4.5, 3.5))
            ax.plot(cur, rate, "o-", color="tab:blue")
            rheo, slope = float(result.rheobase.magnitude), float(result.fi_slope.magnitude)
            if np.isfinite(rheo):
                ax.axvline(rheo, ls=":", color="0.5", label=f"rheobase {rheo:.0f} pA")
            if np.isfinite(slope):
                ax.plot([], [], " ", label=f"slope {slope:.3f} Hz/pA")
            ax.set_xlabel("step current (pA)")
            ax.set_ylabel("firing rate (Hz)")
            legend(ax, fontsize=8, frameon=False)
            fig.tight_layout()
            paths.append(save_figure(fig, out_dir / "firing_cc_fi.png"))
    return paths
