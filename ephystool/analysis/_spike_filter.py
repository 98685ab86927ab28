"""The detector's band-pass: Butterworth design, zero-phase filtering block by block with overlapping margins.

Zero phase: the forward-backward (``sosfiltfilt``) cascade of second-order sections, run over blocks of
:data:`BLOCK` samples plus a margin on each side by :func:`._biquad.zero_phase_block` (compiled with numba
where it is installed, else SciPy's ``sosfilt``: bit-identical results). The margin is 24 time constants of
the filter's slowest pole, so a block's core does not depend on where the block starts or ends (the
truncated history's transient has died out to < 1e-9); at the real edges of the data the block is
extended by odd reflection over the same length, as ``sosfiltfilt(padtype='odd', padlen=margin)`` does.
The result equals ``scipy.signal.sosfiltfilt`` (float64) of the whole signal to ~1e-6 of its peak, edges
included (``tests/analysis/test_spike_filter.py``, ``tests/analysis/test_biquad.py``).

The filtered signal is handed out block by block (:func:`filtered_blocks`): the detector searches each
block while it is hot in cache instead of assembling the whole chunk. Integer counts (time-major NWB rows,
channel-major Multi Channel Systems arrays) are converted in the forward pass itself: minus the block's
first sample (a band-pass passes no constant, so the stored offset cancels), times the per-channel scale
(µV per count), in the forward pass's float64 -- no separate conversion pass and no transposed copy.

Causal: one forward ``sosfilt`` pass (steady-state initial conditions); the detector corrects its latency
with :func:`causal_latency_s`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np

from ephystool.analysis._biquad import work_buffers, zero_phase_block, zero_phase_crossings
from ephystool.analysis._butter import butter_bandpass_sos, sos_poles
from ephystool.core.scale import PIECE, InputScale
from ephystool.errors import AnalysisError

__all__ = ["BLOCK", "InputScale", "design_bandpass", "causal_latency_s", "filtered_blocks", "block_plan",
           "crossings_in_blocks", "filter_channels"]

#: Zero-phase filtering runs on blocks of this many samples plus a margin on each side: a block's filtered
#: samples (1.5 MB for 60 channels) are searched while they are in cache.
BLOCK = 24576


def design_bandpass(band_hz: tuple[float, float], order: int, fs: float) -> np.ndarray:
    """Butterworth band-pass as float32 second-order sections.

    Raises
    ------
    AnalysisError
        If the band is not ``0 < low < high < fs/2``.
    """
    lo, hi = float(band_hz[0]), float(band_hz[1])
    if not 0 < lo < hi < fs / 2:
        raise AnalysisError(
            f"band-pass {lo:g}-{hi:g} Hz does not fit the sampling rate {fs:g} Hz "
            f"(expected 0 < low < high < {fs / 2:g} Hz); lower 'band' in the protocol"
        )
    return butter_bandpass_sos(order, (lo, hi), fs).astype(np.float32)  # = scipy.signal.butter, without its import


def causal_latency_s(sos: np.ndarray, fs: float, width_s: float = 1.5e-4) -> float:
    """Latency (s) of a causal pass: how much it delays the extremum of a spike-like trough.

    The reference trough is a Gaussian of sd ``width_s`` (0.15 ms, a typical extracellular spike); the
    latency is the lag of the filtered trough's extremum. Causal detection subtracts it (rounded to a
    sample) from every spike time; the residual error depends on the real spike's shape (typically
    < 0.1 ms for troughs 0.1-0.3 ms wide).
    """
    half = int(round(10 * width_s * fs))
    t = (np.arange(-half, 20 * half) / fs).astype(np.float64)
    x = -np.exp(-0.5 * (t / width_s) ** 2)
    from scipy import signal  # the causal path only: scipy.signal costs ~0.6 s to import

    y = signal.sosfilt(sos.astype(np.float64), x)
    return float((np.argmin(y) - half) / fs)


@functools.lru_cache(maxsize=8)
def _block_margin_cached(sos_bytes: bytes, n_sections: int) -> int:
    sos = np.frombuffer(sos_bytes, dtype=np.float32).reshape(n_sections, 6).astype(np.float64)
    poles = sos_poles(sos)
    slowest = float(np.max(np.abs(poles))) if poles.size else 0.0
    tau = 1.0 / -np.log(slowest) if 0.0 < slowest < 1.0 else 1.0  # samples per e-fold of the slowest pole
    # forward then backward doubles the poles, so a start-up step decays like (k/tau) exp(-k/tau): 24 tau
    # leaves < 1e-9 of the step (a drifting chunk's jump between block edges can be ~100x the noise)
    return int(max(64, np.ceil(24.0 * tau)))


def block_margin(sos32: np.ndarray) -> int:
    """Samples of overlap (and of odd reflection at the data's edges) each block needs so that the transient
    of its truncated history has died out in the core."""
    return _block_margin_cached(sos32.tobytes(), sos32.shape[0])


def filtered_blocks(x: np.ndarray, sos: np.ndarray, phase: str,
                    scale: np.ndarray | InputScale | None = None) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """Filter channels-by-samples data block by block: yields ``(a, b, lo, y)``.

    ``y`` holds the filtered samples ``lo : lo + y.shape[1]`` of ``x`` (channel ``c`` multiplied by
    ``scale[c]``; zero phase: a view of one buffer, overwritten by the next block), of which ``a : b`` is the
    block's core; the cores tile ``0 : n`` in order, and the samples around a core (the block's margins,
    where there are any) are as accurate as the core's, so a search may look a little beyond the core.
    ``phase`` is ``'zero'`` or ``'causal'``. With an :class:`InputScale`, ``x`` holds integer counts (any
    layout) converted to µV by it.
    """
    n = x.shape[1]
    if isinstance(scale, InputScale) and phase == "causal":  # one pass over the whole array: convert it first
        uv = np.empty(x.shape, dtype=np.float32)
        scale.to_uv(x, uv, np.empty((PIECE, x.shape[0]), dtype=np.float32))
        x, scale = uv, None
    if phase == "causal":
        from scipy import signal

        x32 = np.asarray(x, dtype=np.float32)
        zi0 = signal.sosfilt_zi(sos).astype(np.float32)[:, None, :]
        y, _ = signal.sosfilt(sos, x32, axis=-1, zi=zi0 * x32[None, :, :1])
        yield 0, n, 0, (y if scale is None else np.multiply(y, np.asarray(scale, np.float32)[:, None], out=y))
        return
    if n == 0:
        return
    sos32 = np.ascontiguousarray(sos, dtype=np.float32)
    per_channel = scale.scale if isinstance(scale, InputScale) else scale  # an offset cancels in the band-pass
    rows = x.T  # time-major view: NWB rows as stored; channel-major arrays are read across their rows
    plan = block_plan(n, block_margin(sos32))
    buf, out = work_buffers(plan, x.shape[0])  # y is a view of out: valid until the next block
    for a, b, lo, hi, pad_lo, pad_hi in plan.tolist():
        yield a, b, lo, zero_phase_block(rows, lo, hi, pad_lo, pad_hi, per_channel, sos32, buf, out=out)


def block_plan(n: int, margin: int) -> np.ndarray:
    """The zero-phase blocks of ``n`` samples: int64 rows ``(a, b, lo, hi, pad_lo, pad_hi)``, core ``a:b``
    (the cores tile ``0:n``), filtered samples ``lo:hi`` (the core and up to ``margin`` on each side), and the
    odd reflection added at the real edges of the data (``sosfiltfilt``'s padding, at most ``hi - lo - 1``)."""
    step = n if n <= 2 * BLOCK else BLOCK
    plan = []
    for a in range(0, n, step):
        b = min(n, a + step)
        lo, hi = max(0, a - margin), min(n, b + margin)
        pad = min(margin, hi - lo - 1)
        plan.append((a, b, lo, hi, pad if lo == 0 else 0, pad if hi == n else 0))
    return np.array(plan, dtype=np.int64).reshape(-1, 6)


def crossings_in_blocks(x: np.ndarray, sos: np.ndarray, phase: str, scale: np.ndarray | InputScale | None,
                        thr: np.ndarray, polarity: str, window: int) -> tuple[np.ndarray, ...] | None:
    """:func:`filtered_blocks` (zero phase) searched by ``._spike_events.crossings`` block by block, in one
    compiled call per chunk: ``(channel, peak sample, signed peak)`` over ``x``'s samples, the arrays the loop
    gives. None where only the loop can do it (the SciPy engine, causal phase, a dtype the kernels do not read).

    One call per chunk matters where the detector shares the process with other Python threads: a thread
    coming back from compiled code waits for the GIL up to a switch interval (5 ms), and the loop comes back a
    dozen times per block (each NumPy call) -- beside a busy Python thread (imports, figures) that made
    detection up to 10x slower; here it comes back once per chunk.
    """
    if phase != "zero" or 0 in x.shape:
        return None
    sos32 = np.ascontiguousarray(sos, dtype=np.float32)
    per_channel = scale.scale if isinstance(scale, InputScale) else scale
    return zero_phase_crossings(x.T, block_plan(x.shape[1], block_margin(sos32)), per_channel, sos32, thr,
                                polarity, window)


def filter_channels(x: np.ndarray, sos: np.ndarray, phase: str, scale: np.ndarray | None = None) -> np.ndarray:
    """The whole filtered array (channels, n) as float32: :func:`filtered_blocks` assembled."""
    out = np.empty(x.shape, dtype=np.float32)
    for a, b, lo, y in filtered_blocks(x, sos, phase, scale):
        out[:, a:b] = y[:, a - lo : b - lo]
    return out
