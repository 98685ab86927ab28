"""Streaming extracellular spike detection for multi-electrode recordings.

The detector reads an :class:`~ephystool.io.recording.MEASource` chunk by chunk (memory is bounded by
one chunk whatever the recording length) and, per chunk:

1. band-passes every channel with a Butterworth band-pass in float32 (:mod:`._spike_filter`): zero-phase
   (forward-backward second-order sections, ``sosfiltfilt``, over blocks of the chunk *with their
   margins*, so the core samples have no edge artefact; compiled with numba where installed, else
   SciPy's ``sosfilt``, bit-identical) or, with ``phase="causal"``, a single forward
   ``sosfilt`` pass whose latency is corrected by the lag of a spike-like trough through the filter
   (documented in :func:`causal_latency_s`);
2. finds threshold crossings ``k * sigma`` (negative, positive or both) in each filtered block while it is
   in cache, and takes the extremum within the dead time after each crossing as the spike time and
   amplitude -- with numba, filter and search of a whole chunk are one compiled call
   (:func:`._spike_filter.crossings_in_blocks`), so a detecting thread takes the GIL back once per chunk and
   keeps its speed beside busy Python threads; else block by block with NumPy (the same spikes);
3. rejects artefacts: events on more than ``artifact_fraction`` of the good electrodes within
   ``artifact_window`` (only where at least :data:`MIN_CHANNELS_FOR_ARTIFACTS` electrodes are good: on a
   tetrode one spike is legitimately seen on every contact), and events within a blanking window after
   stimulus times;
4. then, over the candidates of all chunks, enforces the dead time per channel in one greedy pass in time
   order, so that the result depends neither on the chunking nor on how many threads searched the
   recording (``workers``).

Noise: ``sigma = median(|x|) / 0.6745`` of the *filtered* signal, per channel, estimated before detection
on a fixed, deterministic set of windows: ``noise_windows`` windows of ``noise_window`` seconds evenly
spaced over the recording (first at the start, last at the end; the whole recording where it is shorter).
The same windows give the channel checks: a channel is ``'dead'`` when its filtered noise is below
:data:`DEAD_NOISE_UV` and ``'saturated'`` when more than :data:`SATURATION_FRACTION` of its raw samples sit at
its extreme values (clipping). Problem channels are reported and not searched; the others are analysed.

A spike belongs to the chunk whose core contains its peak sample, so results do not depend on the
chunk length (as long as the margin is longer than the dead time and the filter's transient).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ephystool.analysis._spike_events import artifact_mask, blank_mask, crossings, dead_time_mask
from ephystool.analysis._spike_filter import (
    InputScale,
    causal_latency_s,
    crossings_in_blocks,
    design_bandpass,
    filter_channels,
    filtered_blocks,
)
from ephystool.analysis._spike_settings import (
    _MAD_TO_SD,
    DEAD_NOISE_UV,
    MIN_CHANNELS_FOR_ARTIFACTS,
    POLARITIES,
    SATURATION_FRACTION,
    Detection,
    DetectionSettings,
)
from ephystool.core.recording import Chunk, MEASource
from ephystool.errors import AnalysisError
from ephystool.parallel import threads

__all__ = [
    "DetectionSettings",
    "Detection",
    "design_bandpass",
    "causal_latency_s",
    "estimate_noise",
    "detect_spikes",
    "merge_detections",
    "POLARITIES",
    "DEAD_NOISE_UV",
    "SATURATION_FRACTION",
    "MIN_CHANNELS_FOR_ARTIFACTS",
]

def _windows(n_samples: int, fs: float, settings: DetectionSettings) -> list[tuple[int, int]]:
    win = max(1, int(round(settings.noise_window_s * fs)))
    k = max(1, int(settings.noise_windows))
    if n_samples <= win * k:
        return [(0, n_samples)]
    starts = np.linspace(0, n_samples - win, k).round().astype(np.int64)
    return [(int(s), int(s) + win) for s in starts]


def _read_channel_major(source: MEASource, lo: int, hi: int,
                        buffer: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Samples ``lo:hi`` as a C-contiguous (channels, samples) array, and a per-channel scale.

    Sources that store channels contiguously (Multi Channel Systems HDF5) provide
    ``get_counts_channel_major``: raw integer counts plus µV per count, so the two transposes and the
    offset/scale passes are skipped; the filter applies the scale in its forward pass (the band-pass
    removes the constant offset). Other sources give float32 µV and no scale. A flat ``buffer`` from an
    earlier read's dtype is reused for the counts (one chunk of memory for the whole stream).
    """
    read_counts = getattr(source, "get_counts_channel_major", None)
    if read_counts is not None:
        counts, scale = read_counts(lo, hi) if buffer is None else read_counts(lo, hi, buffer)  # integers: converted to float32 inside the filter's own copy
        return np.ascontiguousarray(counts), np.asarray(scale, dtype=np.float32)
    read_major = getattr(source, "get_traces_channel_major", None)  # µV, channel-major without a transpose copy
    if read_major is not None:
        return np.ascontiguousarray(read_major(lo, hi), dtype=np.float32), None
    return np.ascontiguousarray(np.asarray(source.get_traces(lo, hi), dtype=np.float32).T), None


def estimate_noise(source: MEASource, settings: DetectionSettings) -> tuple[np.ndarray, dict[int, str]]:
    """Per-channel noise sigma (µV) of the filtered signal and channel problems, deterministically.

    Returns
    -------
    sigma : numpy.ndarray
        MAD/0.6745 per channel (µV).
    problems : dict
        ``{channel: 'dead' | 'saturated'}``.
    """
    fs = float(source.sampling_rate_hz)
    sos = design_bandpass(settings.band_hz, settings.order, fs)
    margin = int(round(settings.margin_s * fs))
    n = int(source.n_samples)
    windows = _windows(n, fs, settings)
    filtered = np.empty((int(source.n_channels), sum(b - a for a, b in windows)), dtype=np.float32)
    raw_stats, col = [], 0  # per window: min, how many samples at it, max, how many at it (no window kept)
    for a, b in windows:
        lo, hi = max(0, a - margin), min(n, b + margin)
        raw, scale = _read_channel_major(source, lo, hi)
        y = filter_channels(raw, sos, settings.phase, scale)
        np.abs(y[:, a - lo : y.shape[1] - (hi - b)], out=filtered[:, col : col + b - a])
        col += b - a
        core = raw[:, a - lo : raw.shape[1] - (hi - b)]
        c_min, c_max = core.min(axis=1), core.max(axis=1)
        raw_stats.append((c_min, (core == c_min[:, None]).sum(axis=1), c_max, (core == c_max[:, None]).sum(axis=1)))
        del raw, y, core  # one window of samples in memory at a time
    sigma = np.median(filtered, axis=1, overwrite_input=True) / _MAD_TO_SD
    lo_all = np.min([s[0] for s in raw_stats], axis=0)
    hi_all = np.max([s[2] for s in raw_stats], axis=0)
    # samples at the channel's extremes over all windows (lo_all == hi_all is a dead channel: not counted)
    n_ext = sum(np.where(mn == lo_all, n_mn, 0) + np.where(mx == hi_all, n_mx, 0) for mn, n_mn, mx, n_mx in raw_stats)
    n_tot = filtered.shape[1]
    problems: dict[int, str] = {}
    for ch in range(sigma.size):
        if hi_all[ch] == lo_all[ch] or sigma[ch] < DEAD_NOISE_UV:
            problems[ch] = "dead"
        elif n_ext[ch] / n_tot > SATURATION_FRACTION:
            problems[ch] = "saturated"
    return sigma.astype(np.float64), problems


def _detect_chunk(chunk: Chunk, scale: np.ndarray | InputScale | None, sos: np.ndarray, thr: np.ndarray,
                  st: _State) -> None:
    """Detect in one chunk; append the spikes whose peak lies in the chunk's core to ``st``."""
    x = chunk.data.T  # a view: the filter reads time-major and channel-major samples alike
    fused = crossings_in_blocks(x, sos, st.settings.phase, scale, thr, st.settings.polarity, st.window)
    if fused is not None:  # filtered and searched in one compiled call
        ch, idx, amp = fused
    else:
        found = []
        for a, b, lo, y in filtered_blocks(x, sos, st.settings.phase, scale):
            c, i, v = crossings(y, thr, st.settings.polarity, st.window, (a - lo, b - lo))
            found.append((c, i + lo, v))  # searched while the block is hot in cache: no chunk-sized copy
        ch, idx, amp = (np.concatenate(f) for f in zip(*found))
    raw = idx + (chunk.start_sample - chunk.margin_before)  # peak sample in the recording
    t = raw - st.shift  # causal mode: latency-corrected
    bad = np.zeros(t.size, dtype=bool)
    if st.artifact_need is not None:
        bad = artifact_mask(t, st.artifact_window, st.artifact_need)
    bad |= blank_mask(t, st.stim, st.blank)
    core_end = chunk.start_sample + chunk.data.shape[0] - chunk.margin_before - chunk.margin_after
    # a chunk owns the spikes whose (uncorrected) peak lies in its core, so a causal shift never drops one
    core = (raw >= chunk.start_sample) & (raw < core_end)
    st.n_artifacts += int((bad & core).sum())
    sel = core & ~bad
    st.channels.append(ch[sel])  # the dead time is applied once over all chunks (_apply_dead_time)
    st.samples.append(t[sel])
    st.amps.append(amp[sel])


@dataclass
class _State:
    """One range's detection in progress: settings in samples and the candidates found so far."""

    settings: DetectionSettings
    window: int
    shift: int
    artifact_window: int
    artifact_need: float | None
    stim: np.ndarray
    blank: int
    channels: list[np.ndarray] = field(default_factory=list)
    samples: list[np.ndarray] = field(default_factory=list)
    amps: list[np.ndarray] = field(default_factory=list)
    n_artifacts: int = 0


def detect_spikes(source: MEASource, settings: DetectionSettings, *, start: int = 0, stop: int | None = None,
                  noise: tuple[np.ndarray, dict[int, str]] | None = None, workers: int | None = None) -> Detection:
    """Detect spikes on every channel of an MEA source, streaming chunk by chunk.

    Parameters
    ----------
    source : MEASource
        Chunked access to the samples in µV.
    settings : DetectionSettings
        Filter, threshold, dead time, chunking and artefact settings.
    start, stop : int, optional
        Sample range to search (default: all); spikes are owned by the range that holds their peak, so
        ranges split at chunk multiples can run in parallel processes and be joined with
        :func:`merge_detections`.
    noise : (sigma, problems), optional
        A precomputed :func:`estimate_noise` result (so that parallel parts share one threshold).
    workers : int, optional
        Threads to detect with: the range is cut into this many parts at chunk multiples, searched in
        parallel (one chunk of memory each) and joined before the dead time is applied, so the spikes
        are identical to one thread's. Default: :func:`ephystool.parallel.threads` (1 unless the batch
        runner has spare cores, e.g. ``--jobs 2`` on a single file).

    Returns
    -------
    Detection
        Spike samples and amplitudes per channel, noise and thresholds (µV), channel problems.

    Raises
    ------
    AnalysisError
        If the settings do not fit the recording (band above Nyquist, margin shorter than the dead time,
        unknown polarity or phase).
    """
    fs = float(source.sampling_rate_hz)
    _check(settings, fs)
    sos = design_bandpass(settings.band_hz, settings.order, fs)
    sigma, problems = noise if noise is not None else estimate_noise(source, settings)
    thr = (settings.threshold_sd * sigma).astype(np.float32)
    thr[list(problems)] = np.inf
    n_ch = int(source.n_channels)
    good = n_ch - len(problems)
    shift = int(round(causal_latency_s(sos, fs) * fs)) if settings.phase == "causal" else 0
    dead = max(1, int(round(settings.dead_time_s * fs)))

    def state() -> _State:
        return _State(
            settings=settings, window=dead, shift=shift,
            artifact_window=max(1, int(round(settings.artifact_window_s * fs))),
            artifact_need=(settings.artifact_fraction * good
                           if good >= MIN_CHANNELS_FOR_ARTIFACTS and settings.artifact_fraction < 1 else None),
            stim=np.sort(np.round(np.asarray(settings.stim_times_s, dtype=float) * fs).astype(np.int64)),
            blank=int(round(settings.stim_blanking_s * fs)),
        )

    def scan(st: _State, a: int, b: int) -> _State:
        for chunk, scale in _range_chunks(source, settings, a, b):
            _detect_chunk(chunk, scale, sos, thr, st)
            del chunk  # released before the next chunk is read: one chunk in memory per range
        return st

    ranges = _split(start, int(source.n_samples) if stop is None else stop,
                    max(1, int(round(settings.chunk_s * fs))), threads() if workers is None else workers)
    if len(ranges) == 1:
        states = [scan(state(), *ranges[0])]
    else:  # the compiled filter and array passes release the GIL: threads share the file handle and memory budget
        with ThreadPoolExecutor(len(ranges), thread_name_prefix="ephystool-detect") as pool:
            states = list(pool.map(lambda r: scan(state(), *r), ranges))
    samples, amps = _apply_dead_time(states, n_ch, dead)
    return Detection(samples, amps, sigma, thr.astype(np.float64), fs, int(source.n_samples), problems,
                     sum(st.n_artifacts for st in states))


def _split(start: int, stop: int, step: int, workers: int) -> list[tuple[int, int]]:
    """``workers`` consecutive sample ranges cut at chunk multiples (so chunking is the same as one pass)."""
    n_chunks = max(1, -(-(stop - start) // step))
    k = max(1, min(int(workers), n_chunks))
    cuts = [min(stop, start + round(n_chunks * i / k) * step) for i in range(k + 1)]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a] or [(start, stop)]


def _apply_dead_time(states: list[_State], n_ch: int, dead: int) -> tuple[tuple[np.ndarray, ...], ...]:
    """Candidates of consecutive ranges joined per channel, then the dead time applied in one greedy pass
    in time order: the same spikes whatever the number of ranges (threads) or chunks."""
    ch = np.concatenate([np.zeros(0, np.int64), *(c for st in states for c in st.channels)])
    t = np.concatenate([np.zeros(0, np.int64), *(t for st in states for t in st.samples)])
    amp = np.concatenate([np.zeros(0, np.float32), *(a for st in states for a in st.amps)])
    keep = dead_time_mask(ch, t, dead, np.full(n_ch, np.iinfo(np.int64).min // 2, dtype=np.int64))
    ch, t, amp = ch[keep], t[keep], amp[keep]
    order = np.lexsort((t, ch))
    ch, t, amp = ch[order], t[order], amp[order].astype(np.float64)
    bounds = np.searchsorted(ch, np.arange(n_ch + 1))
    return (tuple(t[bounds[c]:bounds[c + 1]] for c in range(n_ch)),
            tuple(amp[bounds[c]:bounds[c + 1]] for c in range(n_ch)))


def _check(settings: DetectionSettings, fs: float) -> None:
    if settings.polarity not in POLARITIES:
        raise AnalysisError(f"polarity '{settings.polarity}' is unknown (expected one of {', '.join(POLARITIES)})")
    if settings.phase not in ("zero", "causal"):
        raise AnalysisError(f"phase '{settings.phase}' is unknown (expected 'zero' or 'causal')")
    if settings.margin_s < 2 * settings.dead_time_s or settings.margin_s * settings.band_hz[0] < 3:
        raise AnalysisError(
            f"chunk margin {settings.margin_s * 1e3:g} ms is too short for dead time "
            f"{settings.dead_time_s * 1e3:g} ms and high-pass {settings.band_hz[0]:g} Hz "
            f"(expected >= 2 dead times and >= 3 high-pass periods); raise 'margin'"
        )
    if settings.chunk_s <= 0 or settings.threshold_sd <= 0:
        raise AnalysisError("chunk and threshold_sd must be positive")


def _range_chunks(source: MEASource, settings: DetectionSettings, start: int,
                  stop: int) -> Iterator[tuple[Chunk, np.ndarray | InputScale | None]]:
    """Chunks of ``chunk_s`` with margins covering samples [start, stop) (cf. ``recording.iter_chunks``),
    each with the per-channel scale its samples still need (None when they are in µV already; an
    :class:`InputScale` for stored time-major counts, converted by the filter block by block)."""
    fs, n = float(source.sampling_rate_hz), int(source.n_samples)
    step = max(1, int(round(settings.chunk_s * fs)))
    margin = int(round(settings.margin_s * fs))
    buffer = None
    read_stored = getattr(source, "get_counts_time_major", None)
    for a in range(start, stop, step):
        b = min(stop, a + step)
        lo, hi = max(0, a - margin), min(n, b + margin)
        if read_stored is not None:  # one buffer for the whole stream, as for counts below
            counts, pre = read_stored(lo, hi, buffer)
            buffer = np.empty((step + 2 * margin, counts.shape[1]), counts.dtype) if buffer is None else buffer
            yield Chunk(counts, a, a - lo, hi - b, fs), pre
            del counts
            continue
        data, scale = _read_channel_major(source, lo, hi, buffer)
        if buffer is None and scale is not None:  # integer counts: later chunks are read into one buffer
            buffer = np.empty(data.shape[0] * (step + 2 * margin), dtype=data.dtype)
        yield Chunk(data.T, a, a - lo, hi - b, fs), scale  # (n, ch) view, no copy
        del data
    end = getattr(source, "end_stream", None)
    if end is not None:  # a source holding the last range's pages (a mapped file) lets them go
        end()


def merge_detections(parts: list[Detection], dead_time_s: float) -> Detection:
    """Join detections of consecutive sample ranges (same noise) and re-apply the dead time at the joins."""
    first = parts[0]
    n_ch = len(first.samples)
    samples, amps = [], []
    dead = max(1, int(round(dead_time_s * first.sampling_rate_hz)))
    for c in range(n_ch):
        t = np.concatenate([p.samples[c] for p in parts])
        a = np.concatenate([p.amplitudes_uv[c] for p in parts])
        keep = dead_time_mask(np.zeros(t.size, dtype=np.int64), t, dead, np.array([np.iinfo(np.int64).min // 2]))
        samples.append(t[keep])
        amps.append(a[keep])
    return Detection(tuple(samples), tuple(amps), first.noise_uv, first.thresholds_uv, first.sampling_rate_hz,
                     first.n_samples, first.problems, sum(p.n_artifacts for p in parts))
