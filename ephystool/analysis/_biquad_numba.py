"""Compiled forward and backward passes of :mod:`._biquad` (numba; imported only when numba is installed).

Each pass runs the cascade of second-order sections in transposed direct form II over the rows of a
time-major buffer, all channels of a row at once: the channels are the vector lanes (no dependency
between them), the recursion runs along the rows. The forward pass computes in float64 (it sees the raw
signal with its drift and LFP) and stores float32; the backward pass, which sees only the band, computes
in float32. The operations are those of ``scipy.signal.sosfilt`` (``y = b0*x + z0``, ``z0 = b1*x - a1*y + z1``,
``z1 = b2*x - a2*y``) in the same order, and numba does not fuse multiply-adds without ``fastmath``, so
the results are bit-identical to :mod:`._biquad`'s SciPy fallback (``tests/analysis/test_biquad.py``).

Both passes share :func:`_sections`, a plain jitted call that LLVM inlines (as fast as the loop written out:
1.6-1.7 ms forward per 25 000-row block of 64 lanes; numba's own ``inline="always"`` made the forward pass
1.6x slower, measured with numba 0.68).

Compiled on first use and cached on disk (``cache=True``: the package's ``__pycache__`` or numba's user
cache); ``nogil`` lets the detector's threads filter in parallel.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_TILE = 64  # rows of the backward pass's output gathered before they are written channel by channel


@njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
def _sections(v, sos, z1, z2, width):  # noqa: ANN001, ANN202
    """One row through every section, in place (transposed direct form II, SciPy's operation order)."""
    for s in range(sos.shape[0]):
        b0 = sos[s, 0]
        b1 = sos[s, 1]
        b2 = sos[s, 2]
        a1 = sos[s, 4]
        a2 = sos[s, 5]
        za = z1[s]
        zb = z2[s]
        for j in range(width):
            u = v[j]
            y = b0 * u + za[j]
            za[j] = b1 * u - a1 * y + zb[j]
            zb[j] = b2 * u - a2 * y
            v[j] = y


@njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
def forward(x, lo, hi, pad_lo, pad_hi, first, scale, sos, zi, buf):  # noqa: ANN001, ANN201 - numba signatures
    """Convert rows ``lo:hi`` of ``x`` (time-major) to ``(x - first) * scale`` in float64, with ``pad_lo`` and
    ``pad_hi`` rows of odd reflection around them, filter them forward from the steady state ``zi`` (per
    section) times the first row, and store the result in float32 ``buf``."""
    c = x.shape[1]
    width = buf.shape[1]
    n_sec = sos.shape[0]
    m = hi - lo
    z1 = np.zeros((n_sec, width))
    z2 = np.zeros((n_sec, width))
    v = np.zeros(width)
    if pad_lo:  # the first row is the reflection's: -u[lo + pad_lo]
        row = x[lo + pad_lo]
        for j in range(c):
            v0 = -((np.float64(row[j]) - first[j]) * scale[j])
            for s in range(n_sec):
                z1[s, j] = zi[s, 0] * v0
                z2[s, j] = zi[s, 1] * v0
    last = np.zeros(c)
    for j in range(c):
        last[j] = (np.float64(x[hi - 1, j]) - first[j]) * scale[j]
    for r in range(pad_lo + m + pad_hi):
        if r < pad_lo:  # odd reflection about row lo, whose value is 0 (first = x[lo]): -u[lo + pad_lo - r]
            row = x[lo + pad_lo - r]
            for j in range(c):
                v[j] = -((np.float64(row[j]) - first[j]) * scale[j])
        elif r < pad_lo + m:
            row = x[lo + r - pad_lo]
            for j in range(c):
                v[j] = (np.float64(row[j]) - first[j]) * scale[j]
        else:  # odd reflection about row hi - 1: 2 u[hi - 1] - u[hi - 2 - k]
            row = x[hi - 2 - (r - pad_lo - m)]
            for j in range(c):
                v[j] = 2.0 * last[j] - (np.float64(row[j]) - first[j]) * scale[j]
        _sections(v, sos, z1, z2, width)
        dst = buf[r]
        for j in range(width):
            dst[j] = np.float32(v[j])


@njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
def backward(buf, row0, m, sos, zi, out):  # noqa: ANN001, ANN201
    """Filter float32 ``buf`` backward in place in float32 from its last row down to ``row0``, from the steady
    state ``zi`` times the last row; rows ``row0 : row0 + m`` go to the first ``m`` columns of ``out``
    (channels, samples; a whole C-contiguous buffer, so that one compiled version serves every block)."""
    rows, width = buf.shape
    c = out.shape[0]
    n_sec = sos.shape[0]
    z1 = np.zeros((n_sec, width), np.float32)
    z2 = np.zeros((n_sec, width), np.float32)
    tile = np.empty((_TILE, width), np.float32)
    v = buf[rows - 1]
    for j in range(width):
        for s in range(n_sec):
            z1[s, j] = zi[s, 0] * v[j]
            z2[s, j] = zi[s, 1] * v[j]
    for r in range(rows - 1, row0 - 1, -1):
        v = buf[r]
        _sections(v, sos, z1, z2, width)
        i = r - row0
        if i < m:  # through a small time-major tile: column stores a page apart cost a TLB miss each
            tile[i % _TILE] = v
            if i % _TILE == 0:
                for j in range(c):
                    dst = out[j]
                    for t in range(min(_TILE, m - i)):
                        dst[i + t] = tile[t, j]


_GROUP = 64  # samples tested at once for a threshold crossing before any is looked at one by one


@njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
def _above(v, t, nt, mode):  # noqa: ANN001, ANN202
    """Whether sample ``v`` is beyond the threshold: below ``nt = -t`` (mode 0), above ``t`` (1), either (2)."""
    if mode == 0:
        return v < nt
    if mode == 1:
        return v > t
    return v > t or v < nt


@njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
def _beyond_in_group(row, i, t, nt, mode):  # noqa: ANN001, ANN202
    """How many of the :data:`_GROUP` samples from ``row[i]`` are beyond the threshold: a loop of constant
    length per mode, an integer sum that LLVM unrolls and vectorises (a NaN sample is never beyond)."""
    n = 0
    if mode == 0:
        for j in range(_GROUP):
            n += row[i + j] < nt
    elif mode == 1:
        for j in range(_GROUP):
            n += row[i + j] > t
    else:
        for j in range(_GROUP):
            n += (row[i + j] > t) | (row[i + j] < nt)
    return n


@njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
def _peak(row, i, end, mode):  # noqa: ANN001, ANN202
    """Index of ``row[i:end]``'s extremum as NumPy's ``argmin`` (mode 0), ``argmax`` (1) or ``argmax`` of the
    absolute value (2) finds it: the first extreme sample, or the first NaN where there is one."""
    best = i
    bv = row[i] if mode != 2 else abs(row[i])
    if np.isnan(bv):
        return i
    for j in range(i + 1, end):
        v = row[j] if mode != 2 else abs(row[j])
        if np.isnan(v):
            return j
        if (mode == 0 and v < bv) or (mode != 0 and v > bv):
            bv = v
            best = j
    return best


@njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
def crossings_blocks(x, blocks, scale, sos, zi, sos32, zi32, buf, out, thr, mode, window, res_ch, res_idx,  # noqa: ANN001, ANN201, PLR0913
                     res_val):
    """Filter every block of ``blocks`` (rows ``a, b, lo, hi, pad_lo, pad_hi``) as :func:`forward` then
    :func:`backward` do, and search each block's output while it is in cache for threshold crossings with
    onset in its core ``a:b``, exactly as ``._spike_events.crossings`` does (mode 0 negative, 1 positive, 2
    both): channel, peak sample (in ``x``'s rows) and signed peak go to ``res_*`` in channel-then-time order
    per block. One call per chunk: the caller's thread takes the GIL back once, not a dozen times per block.

    Returns the number of crossings, or minus their number if they do not fit in ``res_*`` (the caller makes
    that much room and calls again)."""
    c = x.shape[1]
    first = np.empty(c)
    count = 0
    cap = res_ch.shape[0]
    for k in range(blocks.shape[0]):
        a, b, lo, hi, pad_lo, pad_hi = blocks[k]
        m = hi - lo
        for j in range(c):
            first[j] = np.float64(x[lo, j])
        part = buf[: pad_lo + m + pad_hi]
        forward(x, lo, hi, pad_lo, pad_hi, first, scale, sos, zi, part)
        backward(part, pad_lo, m, sos32, zi32, out)
        core_lo = a - lo
        core_hi = b - lo
        for ch in range(c):
            t = thr[ch]
            if not t < np.inf:  # a skipped channel (inf) or no threshold (NaN): nothing can cross
                continue
            row = out[ch]
            nt = -t
            prev = _above(row[0], t, nt, mode)
            i = 1
            while i < m:
                e = m
                if i + _GROUP <= m:
                    e = i + _GROUP
                    if _beyond_in_group(row, i, t, nt, mode) == 0:  # the usual group: nothing to look at
                        prev = False
                        i = e
                        continue
                for j in range(i, e):
                    cur = _above(row[j], t, nt, mode)
                    if cur and not prev and j >= core_lo and j < core_hi:
                        if count < cap:
                            p = _peak(row, j, min(j + window, m), mode)
                            res_ch[count] = ch
                            res_idx[count] = p + lo
                            res_val[count] = row[p]
                        count += 1  # counted on beyond the room, so that one more call is enough
                    prev = cur
                i = e
    return count if count <= cap else -count
