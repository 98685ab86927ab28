"""Figures of the LTP analyzer: the normalised fEPSP slope time course (baseline, STP and post windows
shaded, induction marked, outliers hollow) and the averaged baseline and post responses overlaid with
their slope fits. PNGs are written atomically (temporary name, then ``os.replace``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ephystool.plotting import legend, save_figure

__all__ = ["plot_ltp"]




def _time_course(ax: Any, result: Any) -> None:
    colors = {"baseline": "0.6", "stp": "tab:orange", "post": "tab:green"}
    for name, (a, b) in result.windows_min.items():
        ax.axvspan(a, b, color=colors[name], alpha=0.15, label=f"{name} {a:g} to {b:g} min")
    good = ~result.outlier & (result.phase != "induction")
    ax.plot(result.time_min[good], result.slope_norm[good], "o", ms=3, color="k", label="sweeps")
    if result.outlier.any():
        ax.plot(result.time_min[result.outlier], result.slope_norm[result.outlier], "o", ms=4, mfc="none",
                color="tab:red", label=f"excluded ({result.n_outliers})")
    ax.axvline(0.0, color="tab:purple", lw=1.2, label=f"induction ({result.induction.source})")
    ax.axhline(100.0, color="0.4", lw=0.6, ls="--")
    title = f"{getattr(result, 'experiment', 'ltp').upper()} {float(result.ltp_magnitude.magnitude):.0f} %, STP {float(result.stp_magnitude.magnitude):.0f} %"
    if result.flag:
        title += f"  [flagged: {result.excluded_reason}]"
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("time from induction (min)")
    ax.set_ylabel("fEPSP slope (% of baseline)")
    legend(ax, fontsize=7, loc="best")


def _traces(ax: Any, traces: Any) -> None:
    for label, y, fit, color in (("baseline", traces.baseline, traces.baseline_fit, "0.3"),
                                 ("post", traces.post, traces.post_fit, "tab:green")):
        ax.plot(traces.t_ms, y, color=color, lw=1.0, label=f"{label} average")
        if np.isfinite(fit.slope) and np.all(np.isfinite(fit.fit_ms)):
            t = np.linspace(fit.fit_ms[0], fit.fit_ms[1], 20)
            ax.plot(t, fit.intercept + fit.slope * (t - fit.fit_ms[0]), color="tab:red", lw=2.0)
            ax.annotate(f"{fit.slope:.3g} mV/ms", (t[-1], fit.intercept + fit.slope * (t[-1] - t[0])),
                        fontsize=7, color=color, xytext=(4, 0), textcoords="offset points")
    after = traces.t_ms > 1.0  # the stimulus artifact does not set the scale
    both = np.concatenate([traces.baseline[after], traces.post[after]])
    finite = both[np.isfinite(both)]
    if finite.size:
        lo = float(np.min(finite))
        ax.set_ylim(lo * 1.3 if lo < 0 else -1.0, max(0.3 * abs(lo), 0.1))
    ax.axvline(0.0, color="0.5", lw=0.5)
    ax.set_xlabel("time from stimulus (ms)")
    ax.set_ylabel("field potential (mV, baseline-subtracted)")
    legend(ax, fontsize=7)


def plot_ltp(result: Any, recording: Any, out_dir: Path) -> list[Path]:
    """Write the time-course and averaged-trace figures of an LTP session.

    Parameters
    ----------
    result : LtpResult
        From :func:`ephystool.analysis.ltp.analyze` or ``analyze_session``.
    recording : Recording
        The (first) recording of the session, used for the file name.
    out_dir : Path
        Folder for the PNGs (created if missing).

    Returns
    -------
    list of Path
        ``<stem>_ltp_timecourse.png`` and, when averaged traces exist, ``<stem>_ltp_traces.png``.
    """
    if getattr(result, "induction", None) is None:  # a baseline / input-output run: its rows and sweeps.csv only
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stem = Path(str(getattr(recording, "path", "") or "session")).stem or "session"
    out_dir = Path(out_dir)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    _time_course(ax, result)
    fig.tight_layout()
    paths = [save_figure(fig, out_dir / f"{stem}_ltp_timecourse.png")]
    if result.traces is not None:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        _traces(ax, result.traces)
        fig.tight_layout()
        paths.append(save_figure(fig, out_dir / f"{stem}_ltp_traces.png"))
    return paths
