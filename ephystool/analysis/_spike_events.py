"""Spike events from a filtered block: threshold crossings with their peaks, and the masks that remove
events (dead time per channel, coincident artefacts, stimulus blanking). Pure numpy, in samples."""

from __future__ import annotations

import numpy as np

__all__ = ["crossings", "dead_time_mask", "artifact_mask", "blank_mask"]


def crossings(y: np.ndarray, thr: np.ndarray, polarity: str, window: int, core: tuple[int, int],
               ) -> tuple[np.ndarray, ...]:
    """Threshold crossings with onset in ``y[:, core[0]:core[1]]`` -> (channel, peak index, signed peak).

    One comparison pass, vectorised over channels; onsets are found among the (few) supra-threshold
    samples. An onset needs the sample before it below threshold, so a run already above threshold at
    ``y``'s first sample has no onset here; the peak is searched in the ``window`` samples from the onset
    (up to ``y``'s end, which may lie beyond the core).
    """
    t32 = thr[:, None].astype(np.float32)
    if polarity == "negative":
        above = y < -t32
    elif polarity == "positive":
        above = y > t32
    else:
        above = (y > t32) | (y < -t32)
    flat = np.flatnonzero(above)
    n = y.shape[1]
    start = np.ones(flat.size, dtype=bool)
    start[1:] = np.diff(flat) != 1
    ch, idx = np.divmod(flat[start], n)
    keep = (idx > 0) & (idx >= core[0]) & (idx < core[1])
    ch, idx = ch[keep], idx[keep]
    if ch.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    cols = np.minimum(idx[:, None] + np.arange(window, dtype=np.int64)[None, :], n - 1)
    seg = y[ch[:, None], cols]
    if polarity == "negative":
        k = np.argmin(seg, axis=1)
    elif polarity == "positive":
        k = np.argmax(seg, axis=1)
    else:
        k = np.argmax(np.abs(seg), axis=1)
    peak = cols[np.arange(cols.shape[0]), k]
    return ch.astype(np.int64), peak.astype(np.int64), y[ch, peak]


def dead_time_mask(ch: np.ndarray, t: np.ndarray, dead: int, last: np.ndarray) -> np.ndarray:
    """Keep mask enforcing the dead time per channel (greedy, in time order); updates ``last`` in place."""
    keep = np.ones(t.size, dtype=bool)
    if t.size == 0:
        return keep
    order = np.lexsort((t, ch))
    cs, ts = ch[order], t[order]
    ok = np.ones(ts.size, dtype=bool)
    for seg in np.split(np.arange(ts.size), np.flatnonzero(np.diff(cs)) + 1):
        c, tt = cs[seg[0]], ts[seg]
        if (np.diff(tt, prepend=last[c]) >= dead).all():
            last[c] = tt[-1]
            continue
        prev = last[c]
        for j, v in zip(seg, tt):
            if v - prev >= dead:
                prev = v
            else:
                ok[j] = False
        last[c] = prev
    keep[order] = ok
    return keep


def artifact_mask(t: np.ndarray, window: int, need: float) -> np.ndarray:
    """Mask of events lying in a ``window``-sample interval holding more than ``need`` events."""
    bad = np.zeros(t.size, dtype=bool)
    if t.size == 0:
        return bad
    order = np.argsort(t, kind="stable")
    ts = t[order]
    lo = np.arange(ts.size)
    hi = np.searchsorted(ts, ts + window, side="right")
    start = (hi - lo) > need
    if start.any():
        mark = np.zeros(ts.size + 1, dtype=np.int64)
        np.add.at(mark, lo[start], 1)
        np.add.at(mark, hi[start], -1)
        bad[order] = np.cumsum(mark[:-1]) > 0
    return bad


def blank_mask(t: np.ndarray, stim: np.ndarray, width: int) -> np.ndarray:
    """Mask of events within ``width`` samples after a stimulus sample."""
    if stim.size == 0 or t.size == 0:
        return np.zeros(t.size, dtype=bool)
    k = np.searchsorted(stim, t, side="right") - 1
    return (k >= 0) & (t - stim[np.maximum(k, 0)] <= width)
