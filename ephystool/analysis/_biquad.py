"""Zero-phase filtering of one block by a cascade of second-order sections: forward, then backward.

:func:`zero_phase_block` is ``scipy.signal.sosfiltfilt`` for one block of a recording: rows ``lo:hi`` of a
time-major array become ``(x - x[lo]) * scale``, are extended at either end by odd reflection where asked
(``sosfiltfilt``'s ``padtype='odd'``; used at the real edges of the data) and are filtered forward then
backward, each pass starting from the steady state of its first row (``sosfilt_zi``, as ``sosfiltfilt``);
the block's own rows are returned channels-first, float32. Removing ``x[lo]`` first changes nothing a
band-pass passes (it has no gain at 0 Hz). Inside a recording the caller overlaps blocks by a margin longer
than the filter's transient, so the cores do not depend on the block boundaries.

Precision: the forward pass computes in float64, because it sees the raw signal, whose slow components
(offset drift, LFP) can be 100x the spike band: a float32 recursion carries their rounding into the output at
~1e-4 of the noise. Its output holds only the band, so it is stored in float32 and the backward pass computes
in float32 (half the memory traffic and twice the vector lanes). The result equals ``sosfiltfilt`` in
float64 to ~1e-6 of the signal's peak (~1e-5 with a 100 Hz corner; one ADC step is ~4e-3 of a 50 µV band).

Two engines compute exactly the same operations in the same order, so their outputs are bit-identical
(``tests/analysis/test_biquad.py``):

* ``numba`` (default where numba imports): :mod:`._biquad_numba`, channels as vector lanes, the int-to-float
  conversion fused into the forward pass;
* ``scipy``: NumPy conversion and ``scipy.signal.sosfilt`` along the rows (~10x slower), the fallback
  where numba is missing or unusable, or with ``EPHYSTOOL_FILTER_ENGINE=scipy``.

:func:`zero_phase_crossings` (numba only) filters every block of a chunk and searches each for threshold
crossings in one compiled call: the spike detector's thread leaves the GIL once per chunk instead of a dozen
times per block (a thread coming back from compiled code waits up to a 5 ms switch interval while another
thread runs Python: beside a busy Python thread the block loop ran ~10x slower, the one call ~2x).
"""

from __future__ import annotations

import functools
import os
from types import ModuleType

import numpy as np

from ephystool.errors import MissingDependencyError, SettingError

__all__ = ["ENGINES", "ENGINE_VARIABLE", "engine", "zero_phase_block", "zero_phase_crossings", "padded_width",
           "work_buffers"]

ENGINES = ("numba", "scipy")
#: The environment variable that chooses the engine (unset: numba where it imports).
ENGINE_VARIABLE = "EPHYSTOOL_FILTER_ENGINE"
#: Channels are padded to a multiple of this in the work buffer (whole vector lanes, no scalar remainder).
LANES = 8


@functools.lru_cache(maxsize=1)
def _numba_module() -> ModuleType | None:
    try:
        from ephystool.analysis import _biquad_numba
    except Exception:  # noqa: BLE001 - numba missing, or unusable here (e.g. no writable cache): same results by SciPy
        return None
    return _biquad_numba


def engine() -> str:
    """The engine in use: ``EPHYSTOOL_FILTER_ENGINE`` (``numba`` or ``scipy``) where set, else numba if it
    imports, else SciPy.

    Raises
    ------
    SettingError
        If the variable holds another value.
    MissingDependencyError
        If it asks for numba and numba does not import.
    """
    asked = os.environ.get(ENGINE_VARIABLE, "").strip().lower()
    if asked == "scipy":
        return "scipy"
    if asked not in ("", "numba"):
        raise SettingError(f"{ENGINE_VARIABLE}={asked!r} is not a filter engine: use one of {', '.join(ENGINES)} "
                           "(or unset it)")
    if _numba_module() is not None:
        return "numba"
    if asked == "numba":
        raise MissingDependencyError(f"{ENGINE_VARIABLE}=numba, but numba does not import here: pip install numba, "
                                     "or unset the variable to use the SciPy engine (same results, slower)")
    return "scipy"


@functools.lru_cache(maxsize=8)
def _steady_state(sos_bytes: bytes, n_sections: int) -> np.ndarray:
    """``scipy.signal.sosfilt_zi`` (without importing scipy.signal): per section, the transposed
    direct form II state after a unit step has settled, times the DC gain of the sections before it."""
    sos = np.frombuffer(sos_bytes, dtype=np.float32).reshape(n_sections, 6).astype(np.float64)
    zi, gain = np.zeros((n_sections, 2)), 1.0
    for k, (b0, b1, b2, _a0, a1, a2) in enumerate(sos):  # a0 == 1
        # lfilter_zi: (I - A.T) z = B with A = [[-a1, 1], [-a2, 0]], B = [b1 - a1 b0, b2 - a2 b0]
        lhs = np.array([[1.0 + a1, -1.0], [a2, 1.0]])
        zi[k] = gain * np.linalg.solve(lhs, [b1 - a1 * b0, b2 - a2 * b0])
        gain *= (b0 + b1 + b2) / (1.0 + a1 + a2)
    zi.setflags(write=False)
    return zi


def _compiled_dtype(dtype: np.dtype) -> bool:
    """Whether the kernels read this dtype directly: native-order integers, float32 and float64."""
    return dtype.isnative and (dtype.kind in "iu" or (dtype.kind == "f" and dtype.itemsize in (4, 8)))


def padded_width(n_channels: int) -> int:
    """Columns of the work buffer for ``n_channels`` channels."""
    return -(-int(n_channels) // LANES) * LANES


def work_buffers(blocks: np.ndarray, n_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """The float32 work buffer (rows, :func:`padded_width` columns) and output buffer (channels, samples) that
    every block of ``blocks`` (int64 rows ``a, b, lo, hi, pad_lo, pad_hi``) fits in, reused block by block."""
    rows = int((blocks[:, 3] - blocks[:, 2] + blocks[:, 4] + blocks[:, 5]).max())
    widest = int((blocks[:, 3] - blocks[:, 2]).max())
    return (np.zeros((rows, padded_width(n_channels)), dtype=np.float32),
            np.empty((n_channels, widest), dtype=np.float32))


def _coefficients(sos32: np.ndarray, scale: np.ndarray | None,
                  n_channels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the two passes take: the per-channel scale (float64, from float32), the float32 design in float64 (the
    forward pass) and as given (the backward pass), and its steady state in each precision."""
    sos32 = np.ascontiguousarray(sos32, dtype=np.float32)
    zi = _steady_state(sos32.tobytes(), sos32.shape[0])
    sc = np.ones(n_channels) if scale is None else np.asarray(scale, dtype=np.float32).astype(np.float64)
    return sc, sos32.astype(np.float64), sos32, zi, zi.astype(np.float32)


def zero_phase_block(x: np.ndarray, lo: int, hi: int, pad_lo: int, pad_hi: int, scale: np.ndarray | None,
                     sos32: np.ndarray, buf: np.ndarray | None = None, which: str | None = None,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Zero-phase filter rows ``lo:hi`` of time-major ``x``: float32 array (channels, ``hi - lo``).

    Parameters
    ----------
    x : numpy.ndarray
        (samples, channels), any real dtype and layout (stored counts or µV).
    lo, hi : int
        Rows to filter and return.
    pad_lo, pad_hi : int
        Rows of odd reflection added before / after (at most ``hi - lo - 1``; 0 inside a recording).
    scale : numpy.ndarray or None
        float32 factor per channel (µV per count), applied after removing ``x[lo]``.
    sos32 : numpy.ndarray
        float32 second-order sections, shape (n_sections, 6), ``a0 == 1``.
    buf : numpy.ndarray, optional
        float32 work buffer of at least ``(pad_lo + hi - lo + pad_hi, padded_width(channels))``, reused
        between blocks.
    which : str, optional
        Engine (default :func:`engine`).
    out : numpy.ndarray, optional
        float32 (channels, at least ``hi - lo``) to write into (its first ``hi - lo`` columns are returned):
        a buffer reused between blocks saves the page faults of a fresh array (~2 ms per block of 60 x 25 000).
    """
    m, c = hi - lo, x.shape[1]
    if m < 1 or not 0 <= pad_lo < max(m, 1) or not 0 <= pad_hi < max(m, 1):
        raise ValueError(f"block of {m} rows cannot take {pad_lo} + {pad_hi} rows of reflection")
    if not _compiled_dtype(x.dtype):  # float16, bool, non-native byte order: a float64 copy of the block (exact)
        x, lo, hi = np.asarray(x[lo:hi], dtype=np.float64), 0, m
    rows, width = pad_lo + m + pad_hi, padded_width(c)
    if buf is None or buf.shape[0] < rows or buf.shape[1] != width or buf.dtype != np.float32:
        buf = np.zeros((rows, width), dtype=np.float32)
    buf = buf[:rows]
    first = np.asarray(x[lo], dtype=np.float64)
    sc, sos, sos32, zi, zi32 = _coefficients(sos32, scale, c)
    if out is None or out.shape[0] != c or out.shape[1] < m or out.dtype != np.float32 or not out.flags.c_contiguous:
        out = np.empty((c, m), dtype=np.float32)
    if (which or engine()) == "numba":
        kernels = _numba_module()
        if kernels is None:
            raise MissingDependencyError("the numba filter engine needs numba: pip install numba")
        kernels.forward(x, lo, hi, pad_lo, pad_hi, first, sc, sos, zi, buf)
        kernels.backward(buf, pad_lo, m, sos32, zi32, out)
        return out[:, :m]
    from scipy import signal  # the fallback only: scipy.signal costs ~0.6 s to import

    u = np.zeros((rows, width))
    core = u[pad_lo : pad_lo + m, :c]
    np.subtract(x[lo:hi], first, out=core, dtype=np.float64)
    core *= sc
    if pad_lo:
        u[:pad_lo, :c] = -u[2 * pad_lo - np.arange(pad_lo), :c]
    if pad_hi:
        end = pad_lo + m
        u[end:, :c] = 2.0 * u[end - 1, :c] - u[end - 2 - np.arange(pad_hi), :c]
    fwd, _ = signal.sosfilt(sos, u, axis=0, zi=zi[:, :, None] * u[0])
    fwd = fwd.astype(np.float32)
    back, _ = signal.sosfilt(sos32, fwd[pad_lo:][::-1], axis=0, zi=zi32[:, :, None] * fwd[-1])
    back = back[::-1]
    out[:, :m] = back[:m, :c].T
    return out[:, :m]


_MODES = {"negative": 0, "positive": 1, "both": 2}


def zero_phase_crossings(x: np.ndarray, blocks: np.ndarray, scale: np.ndarray | None, sos32: np.ndarray,
                         thr: np.ndarray, polarity: str, window: int,
                         capacity: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Filter the ``blocks`` of time-major ``x`` as :func:`zero_phase_block` does and search each for threshold
    crossings as ``._spike_events.crossings`` does, in one compiled call (numba engine only).

    Parameters
    ----------
    x : numpy.ndarray
        (samples, channels), native-order integers, float32 or float64, any layout.
    blocks : numpy.ndarray
        int64 rows ``(a, b, lo, hi, pad_lo, pad_hi)``: core ``a:b``, filtered rows ``lo:hi``, reflection.
    scale : numpy.ndarray or None
        float32 µV per count per channel.
    sos32 : numpy.ndarray
        float32 second-order sections.
    thr : numpy.ndarray
        float32 threshold per channel (µV, positive; ``inf`` skips a channel).
    polarity : str
        ``'negative'``, ``'positive'`` or ``'both'``.
    window : int
        Samples searched for the peak from each onset.
    capacity : int, optional
        Crossings to make room for (default: one per 256 samples per channel, ~100/s at 25 kHz; where there
        are more, the kernel counts them and a second call has room for all).

    Returns
    -------
    (channel, peak sample, signed peak) or None
        int64, int64 (rows of ``x``), float32, block by block in channel-then-time order: the arrays the
        block loop over :func:`zero_phase_block` and ``crossings`` gives, bit for bit
        (``tests/analysis/test_fused_crossings.py``). None where the numba engine is not in use or ``x``'s dtype is
        not one the kernels read: the caller runs that loop.
    """
    if engine() != "numba" or not _compiled_dtype(x.dtype) or polarity not in _MODES or blocks.shape[0] == 0:
        return None
    kernels = _numba_module()
    c = x.shape[1]
    blocks = np.ascontiguousarray(blocks, dtype=np.int64)
    buf, out = work_buffers(blocks, c)
    sc, sos, sos32, zi, zi32 = _coefficients(sos32, scale, c)
    thr32 = np.ascontiguousarray(thr, dtype=np.float32)
    if capacity is None:
        capacity = max(1024, c * int(blocks[-1, 1] - blocks[0, 0]) // 256)
    while True:
        res = (np.empty(capacity, np.int64), np.empty(capacity, np.int64), np.empty(capacity, np.float32))
        n = kernels.crossings_blocks(x, blocks, sc, sos, zi, sos32, zi32, buf, out, thr32, _MODES[polarity],
                                     int(window), *res)
        if n >= 0:
            return res[0][:n], res[1][:n], res[2][:n]
        capacity = -n  # more crossings than room (rare: a noisy chunk): the chunk again, with room for all
