"""The detector's band-pass: Butterworth design, zero-phase filtering by FFT in overlap-save blocks.

Zero phase: the forward-backward (``sosfiltfilt``) response ``|H|^2`` is applied in the frequency domain,
block by block with overlapping margins. That is several times faster than two ``sosfilt`` passes and equal
to ``sosfiltfilt`` to ~1e-5 of the signal away from the edges (``tests/analysis/test_spike_filter.py``).
Blocks of :data:`BLOCK` samples keep each FFT in cache; the margin is 24 time constants of the filter's
slowest pole, so the circular convolution's wrap-around transient has died out in the block's core.

The filtered signal is handed out block by block (:func:`filtered_blocks`): the detector searches each
block while it is hot in cache instead of assembling the whole chunk, which saves a pass over memory and a
chunk-sized array. A per-channel scale (µV per ADC count) is folded into the frequency response, so integer
counts are converted to float32 in the copy the FFT needs anyway and never scaled in a separate pass.

Integer samples stored time-major (NWB ``ElectricalSeries``) can come with an :class:`InputScale` instead:
each block's counts are cast to float32 in the filter's own copy straight from a transposed view (no
chunk-sized transposed copy), the per-channel scale is folded into the frequency response as above and the
offset cancels with the block's first sample. The result equals filtering the µV of ``get_traces`` to
float32 rounding (~1e-7 of the signal; ``tests/analysis/test_spikes_nwb_counts.py``).

Causal: one forward ``sosfilt`` pass (steady-state initial conditions); the detector corrects its latency
with :func:`causal_latency_s`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
from scipy import fft as sp_fft

from ephystool.analysis._butter import butter_bandpass_sos, sos_poles, sos_response
from ephystool.core.scale import PIECE, InputScale
from ephystool.errors import AnalysisError

__all__ = ["BLOCK", "InputScale", "design_bandpass", "causal_latency_s", "filtered_blocks", "filter_channels"]

#: Zero-phase filtering runs on blocks of this many samples plus a margin on each side (overlap-save):
#: FFTs of ~25 000 points stay in cache and are ~30 % faster per sample than one FFT of a whole 10 s chunk.
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
def _power_response(sos_bytes: bytes, n_sections: int, nf: int) -> np.ndarray:
    """|H(f)|^2 of the cascade on the rfft grid of length ``nf`` (normalised frequency): filtfilt's gain."""
    sos = np.frombuffer(sos_bytes, dtype=np.float32).reshape(n_sections, 6).astype(np.float64)
    h = sos_response(sos, np.linspace(0.0, np.pi, nf // 2 + 1))  # = scipy.signal.sosfreqz
    out = (np.abs(h) ** 2).astype(np.float32)
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=8)
def _block_margin_cached(sos_bytes: bytes, n_sections: int) -> int:
    sos = np.frombuffer(sos_bytes, dtype=np.float32).reshape(n_sections, 6).astype(np.float64)
    poles = sos_poles(sos)
    slowest = float(np.max(np.abs(poles))) if poles.size else 0.0
    tau = 1.0 / -np.log(slowest) if 0.0 < slowest < 1.0 else 1.0  # samples per e-fold of the slowest pole
    # |H|^2 has double poles, so a wrap-around step decays like (k/tau) exp(-k/tau): 24 tau leaves < 1e-9
    # of the step (a drifting chunk's end-to-end jump can be ~100x the noise)
    return int(max(64, np.ceil(24.0 * tau)))


def block_margin(sos32: np.ndarray) -> int:
    """Samples of overlap each block needs so that its wrap-around transient has died out in the core."""
    return _block_margin_cached(sos32.tobytes(), sos32.shape[0])


class _ZeroPhase:
    """|H|^2 (times a per-channel scale) applied by FFT to blocks of one channels-by-samples array.

    Holds one padded float32 work buffer and the scaled responses per FFT length, reused for every block.
    """

    def __init__(self, n_channels: int, sos32: np.ndarray, scale: np.ndarray | InputScale | None) -> None:
        self.sos32 = sos32
        self.pre = scale if isinstance(scale, InputScale) else None
        per_channel = scale.scale if isinstance(scale, InputScale) else scale
        self.scale = None if per_channel is None else np.asarray(per_channel, dtype=np.float32)[:, None]
        self.buf = np.empty((n_channels, 0), dtype=np.float32)
        self.responses: dict[int, np.ndarray] = {}

    def response(self, nf: int) -> np.ndarray:
        """Gain per channel and rfft bin, each repeated for the bin's real and imaginary parts.

        Multiplying the spectrum viewed as float32 pairs by it is twice as fast as a complex-by-real
        multiply (which numpy does in complex arithmetic).
        """
        if nf not in self.responses:
            h2 = _power_response(self.sos32.tobytes(), self.sos32.shape[0], nf)
            gain = h2[None, :] if self.scale is None else h2[None, :] * self.scale
            self.responses[nf] = np.repeat(gain, 2, axis=-1)
        return self.responses[nf]

    def __call__(self, x: np.ndarray, detrend: bool) -> np.ndarray:
        """Filtered ``x`` (channels, n) as float32, converting integer counts in the FFT's own copy.

        With ``detrend`` the block's end-to-end line is removed first, so that the circular convolution
        sees no jump at the wrap (needed where the block edge is a real edge of the data). Inside a chunk
        the wrap transient stays within the block margins and is discarded, so only the offset is removed.
        """
        c, n = x.shape
        nf = sp_fft.next_fast_len(n, real=True)
        if self.buf.shape[1] < nf:
            self.buf = np.empty((c, nf), dtype=np.float32)
        buf = self.buf[:, :nf]
        buf[:, n:] = 0.0
        y = buf[:, :n]
        if self.pre is not None:  # time-major counts -> float32 in this copy; scale in the response, offset cancels
            self.pre.to_float(x, y)
            first = y[:, :1].copy()
            if detrend:
                trend = np.multiply(np.linspace(0.0, 1.0, n, dtype=np.float32), y[:, -1:] - first)
                trend += first
                y -= trend
            else:
                y -= first
            return self._filter(buf, n, nf)
        first = x[:, :1].astype(np.float32)
        if detrend:
            np.multiply(np.linspace(0.0, 1.0, n, dtype=np.float32), x[:, -1:].astype(np.float32) - first, out=y)
            y += first
            np.subtract(x, y, out=y, casting="unsafe")
        else:
            np.subtract(x, first, out=y, casting="unsafe")  # offset removed (float32 precision) in the needed copy
        return self._filter(buf, n, nf)

    def _filter(self, buf: np.ndarray, n: int, nf: int) -> np.ndarray:
        spec = sp_fft.rfft(buf, axis=-1)
        pairs = spec.view(np.float32)
        np.multiply(pairs, self.response(nf), out=pairs)
        return sp_fft.irfft(spec, n=nf, axis=-1, overwrite_x=True)[:, :n]


def filtered_blocks(x: np.ndarray, sos: np.ndarray, phase: str,
                    scale: np.ndarray | InputScale | None = None) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """Filter channels-by-samples data block by block: yields ``(a, b, lo, y)``.

    ``y`` holds the filtered samples ``lo : lo + y.shape[1]`` of ``x`` (channel ``c`` multiplied by
    ``scale[c]``), of which ``a : b`` is the block's core; the cores tile ``0 : n`` in order, and the
    samples around a core (the block's margins, where there are any) are as accurate as the core's,
    so a search may look a little beyond the core. ``phase`` is ``'zero'`` or ``'causal'``. With an
    :class:`InputScale`, ``x`` holds integer counts (any layout) converted to µV by it.
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
    sos32 = np.ascontiguousarray(sos, dtype=np.float32)
    fft = _ZeroPhase(x.shape[0], sos32, scale)
    if n <= 2 * BLOCK:
        yield 0, n, 0, fft(x, detrend=True)
        return
    margin = block_margin(sos32)
    for a in range(0, n, BLOCK):
        b = min(n, a + BLOCK)
        lo, hi = max(0, a - margin), min(n, b + margin)
        yield a, b, lo, fft(x[:, lo:hi], detrend=lo == 0 or hi == n)


def filter_channels(x: np.ndarray, sos: np.ndarray, phase: str, scale: np.ndarray | None = None) -> np.ndarray:
    """The whole filtered array (channels, n) as float32: :func:`filtered_blocks` assembled."""
    out = np.empty(x.shape, dtype=np.float32)
    for a, b, lo, y in filtered_blocks(x, sos, phase, scale):
        out[:, a:b] = y[:, a - lo : b - lo]
    return out
