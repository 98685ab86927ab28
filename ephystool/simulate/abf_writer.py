"""Write simulated sweeps as Axon Binary Format 1.83 (ABF1) files.

The file has the full 6144-byte ABF1 header (12 blocks of 512 bytes, extended header zeroed apart
from the fields set here), so that pyABF and neo never read header fields from sample bytes (the
trap of ``pyabf.abfWriter.writeABF1``, whose data start at byte 2048). Layout::

    block 0-11   header (6144 bytes)
    block 12-    int16 samples, channels interleaved, episodes concatenated
    then         synch array (episodic only): (start in fSynchTimeUnit, length in samples) per episode
    then         tags: 64-byte ABFTag entries (lTagTime, sComment[56], nTagType, nVoiceTagNumber)

Byte offsets follow the ABF 1.8 ``ABFFileHeader`` as read by ``pyabf.abf1.headerV1`` and
``neo.rawio.axonrawio.headerDescriptionV1``.

Time units follow Clampex: fSynchTimeUnit (µs) is fADCSampleInterval / nADCNumChannels, which is
the unit in which pyABF reads tag times, and neo and pyABF read the episode starts in it as well.
"""

from __future__ import annotations

import datetime as _dt
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ephystool.errors import EphysError

__all__ = ["WriterError", "write_abf1"]

BLOCK = 512
HEADER_BLOCKS = 12
ADC_RANGE_V = 10.0
ADC_RESOLUTION = 32768
FILE_VERSION = 1.83
OPERATION_MODE_GAP_FREE = 3
OPERATION_MODE_EPISODIC = 5
TAG_TYPE_COMMENT = 1
_CURRENT_UNITS = {"fA", "pA", "nA", "uA", "µA", "mA", "A"}
_VOLTAGE_UNITS = {"uV", "µV", "mV", "V"}


class WriterError(EphysError, ValueError):
    """Data or metadata cannot be written in the requested vendor format."""


@dataclass(frozen=True)
class _Layout:
    """Sizes, rates and block pointers of one ABF1 file."""

    n_sweeps: int
    n_channels: int
    n_samples: int
    rate_hz: float
    interval_s: float
    gap_free: bool
    adc_interval_us: float  # fADCSampleInterval (float32 value)
    synch_unit_us: float  # fSynchTimeUnit (float32 value)
    synch_ptr: int
    tag_ptr: int

    @property
    def total_samples(self) -> int:
        return self.n_sweeps * self.n_samples * self.n_channels


def _f32(value: float) -> float:
    """Round a value to float32, as the header stores it."""
    return float(np.float32(value))


def _ascii(text: str, width: int, what: str) -> bytes:
    """Encode ``text`` as space-padded ASCII of ``width`` bytes, or raise."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise WriterError(f"{what} {text!r} is not ASCII; ABF1 stores {width}-byte ASCII fields") from None
    if len(raw) > width:
        raise WriterError(f"{what} {text!r} has {len(raw)} characters; ABF1 allows at most {width}")
    return raw.ljust(width, b" ")


def _layout(sweeps: np.ndarray, rate_hz: float, interval_s: float | None, gap_free: bool | None) -> _Layout:
    """Check the sweep array and rates and place the file sections."""
    n_sweeps, n_channels, n_samples = sweeps.shape
    if not 1 <= n_channels <= 16 or n_sweeps < 1 or n_samples < 1:
        raise WriterError(f"sweeps has shape {sweeps.shape}; expected (n_sweeps>=1, 1-16 channels, n_samples>=1)")
    if not (np.isfinite(rate_hz) and rate_hz > 0 and float(rate_hz).is_integer()):
        raise WriterError(f"sampling rate {rate_hz} Hz: ABF1 readers (pyABF) need a positive whole number of Hz")
    adc_us = _f32(1e6 / (rate_hz * n_channels))
    if int(1e6 / adc_us / n_channels) != int(rate_hz):
        raise WriterError(f"{rate_hz} Hz with {n_channels} channels is not representable in fADCSampleInterval")
    if gap_free is None:
        gap_free = n_sweeps == 1 and interval_s is None
    if gap_free and n_sweeps != 1:
        raise WriterError(f"gap-free ABF1 holds one sweep; got {n_sweeps}")
    sweep_s = n_samples / rate_hz
    if interval_s is None:
        interval_s = sweep_s
    if interval_s < sweep_s * (1 - 1e-9):
        raise WriterError(f"sweep_interval_s {interval_s} s is shorter than the sweep ({sweep_s} s)")
    synch_us = _f32(adc_us / n_channels)
    data_blocks = math.ceil(n_sweeps * n_channels * n_samples * 2 / BLOCK)
    synch_ptr = 0 if gap_free else HEADER_BLOCKS + data_blocks
    synch_blocks = 0 if gap_free else math.ceil(n_sweeps * 8 / BLOCK)
    tag_ptr = HEADER_BLOCKS + data_blocks + synch_blocks
    return _Layout(n_sweeps, n_channels, n_samples, float(rate_hz), float(interval_s), gap_free,
                   adc_us, synch_us, synch_ptr, tag_ptr)


def _quantisation_steps(sweeps: np.ndarray) -> np.ndarray:
    """Per-channel step (a power of two in channel units) that fits the data in int16.

    A power-of-two step is exact in float32 and float64, so pyABF (float32 gain) and neo
    (float64 gain) return identical samples.
    """
    peak = np.max(np.abs(sweeps), axis=(0, 2)).astype(np.float64)
    peak[peak == 0] = 1.0
    exponents = np.ceil(np.log2(peak / 32767.0))
    steps = np.exp2(exponents)
    # guard against log2 rounding just below the needed exponent
    steps[peak / steps > 32767.0] *= 2.0
    return steps


def _in_synch_units(time_s: float, layout: _Layout, what: str) -> int:
    """Convert seconds to an int32 count of fSynchTimeUnit."""
    ticks = round(time_s * 1e6 / layout.synch_unit_us)
    if not 0 <= ticks < 2**31:
        raise WriterError(f"{what} at {time_s} s does not fit ABF1's int32 count of "
                          f"{layout.synch_unit_us} µs units (0 to {(2**31 - 1) * layout.synch_unit_us * 1e-6:.0f} s)")
    return ticks


def _header_file(h: bytearray, layout: _Layout, n_tags: int, start: _dt.datetime | None) -> None:
    """Groups 1-3 and 5: identity, file structure, timing and hardware fields."""
    mode = OPERATION_MODE_GAP_FREE if layout.gap_free else OPERATION_MODE_EPISODIC
    struct.pack_into("<4sfhihi", h, 0, b"ABF ", FILE_VERSION, mode, layout.total_samples, 0, layout.n_sweeps)
    if start is not None:
        date = start.year * 10000 + start.month * 100 + start.day
        secs = start.hour * 3600 + start.minute * 60 + start.second
        struct.pack_into("<ii", h, 20, date, secs)
        struct.pack_into("<h", h, 366, start.microsecond // 1000)
    struct.pack_into("<fhh", h, 32, FILE_VERSION, 1, 0)  # fHeaderVersionNumber, nFileType=ABF, IEEE
    struct.pack_into("<iii", h, 40, HEADER_BLOCKS, layout.tag_ptr if n_tags else 0, n_tags)
    synch_size = 0 if layout.gap_free else layout.n_sweeps
    struct.pack_into("<iihh", h, 92, layout.synch_ptr, synch_size, 0, 0)  # + nDataFormat int16
    episode = layout.n_samples * layout.n_channels
    run_s = layout.interval_s * (layout.n_sweeps - 1) + layout.n_samples / layout.rate_hz
    struct.pack_into("<hfffflliii", h, 120, layout.n_channels, layout.adc_interval_us, 0.0,
                     layout.synch_unit_us, run_s, episode, 0, layout.n_sweeps, 1, 1)
    interval = 0.0 if layout.gap_free else layout.interval_s
    struct.pack_into("<f", h, 178, interval)  # fEpisodeStartToStart
    struct.pack_into("<i", h, 190, 1)  # lAverageCount
    struct.pack_into("<ffii", h, 244, ADC_RANGE_V, ADC_RANGE_V, ADC_RESOLUTION, ADC_RESOLUTION)


def _header_channels(h: bytearray, names: Sequence[str], units: Sequence[str], steps: np.ndarray) -> None:
    """Group 7: ADC channel map, names, units and scaling (gain = 10 V / (scale * 32768))."""
    n = len(names)
    struct.pack_into("<16h", h, 378, *range(16))  # nADCPtoLChannelMap
    struct.pack_into("<16h", h, 410, *range(n), *([-1] * (16 - n)))  # nADCSamplingSeq
    for i in range(16):
        name = names[i] if i < n else ""
        unit = units[i] if i < n else ""
        h[442 + 10 * i: 452 + 10 * i] = _ascii(name, 10, "channel name")
        h[602 + 8 * i: 610 + 8 * i] = _ascii(unit, 8, "channel unit")
    scale = [1.0] * 16
    for i, step in enumerate(steps):
        scale[i] = ADC_RANGE_V / (float(step) * ADC_RESOLUTION)  # 5 * 2**k: exact in float32
    struct.pack_into("<16f", h, 730, *([1.0] * 16))  # fADCProgrammableGain
    struct.pack_into("<16f", h, 794, *([1.0] * 16))  # fADCDisplayAmplification
    struct.pack_into("<16f", h, 922, *scale)  # fInstrumentScaleFactor
    struct.pack_into("<16f", h, 1050, *([1.0] * 16))  # fSignalGain (fInstrumentOffset, fSignalOffset = 0)
    struct.pack_into("<16f", h, 1178, *([100000.0] * 16))  # fSignalLowpassFilter
    struct.pack_into("<16f", h, 4576, *([1.0] * 16))  # fTelegraphAdditGain (nTelegraphEnable = 0)
    struct.pack_into("<16f", h, 4640, *([100000.0] * 16))  # fTelegraphFilter


def _command_units(channel_units: Sequence[str]) -> str:
    """Command unit implied by the first input: mV for a current input, pA for a voltage input."""
    first = channel_units[0]
    if first in _CURRENT_UNITS:
        return "mV"
    if first in _VOLTAGE_UNITS:
        return "pA"
    return ""


def _header_dac(h: bytearray, holding: float | Sequence[float] | None,
                command_units: str | Sequence[str] | None, channel_units: Sequence[str]) -> None:
    """DAC names, units, scale and holding levels (4 DACs)."""
    levels = [] if holding is None else ([float(holding)] if np.isscalar(holding) else [float(v) for v in holding])
    if len(levels) > 4 or not all(np.isfinite(levels)):
        raise WriterError(f"holding {holding!r}: expected one finite level per DAC (at most 4)")
    if command_units is None:
        dac_units = [_command_units(channel_units)] * 4
    elif isinstance(command_units, str):
        dac_units = [command_units] * 4
    else:
        dac_units = [*command_units, *([""] * (4 - len(command_units)))]
    if len(dac_units) > 4:
        raise WriterError(f"command_units {command_units!r}: ABF1 has 4 DACs")
    for i in range(4):
        h[1306 + 10 * i: 1316 + 10 * i] = _ascii(f"Cmd {i}", 10, "DAC name")
        h[1346 + 8 * i: 1354 + 8 * i] = _ascii(dac_units[i], 8, "command unit")
    padded = [*levels, *([0.0] * (4 - len(levels)))]
    struct.pack_into("<4f", h, 1378, *([1.0] * 4))  # fDACScaleFactor
    struct.pack_into("<4f", h, 1394, *padded)  # fDACHoldingLevel
    struct.pack_into("<4f", h, 2074, *([1.0] * 4))  # fDACCalibrationFactor
    struct.pack_into("<4f", h, 5298, *padded)  # fInstrumentHoldingLevel


def _header_text(h: bytearray, creator: str, file_comment: str, protocol_name: str) -> None:
    """Creator, file comment (old 56-byte and new 128-byte fields) and protocol path."""
    h[294:310] = _ascii(creator, 16, "creator")
    h[310:366] = _ascii(file_comment[:56], 56, "file comment")
    h[5154:5282] = _ascii(file_comment, 128, "file comment")
    path = protocol_name if not protocol_name or protocol_name.lower().endswith(".pro") else protocol_name + ".pro"
    h[4898:5154] = _ascii(path, 256, "protocol name")


def _sweep_bytes(sweep: np.ndarray, steps: np.ndarray) -> bytes:
    """Quantise one sweep (channels × samples) to interleaved little-endian int16."""
    raw = np.rint(sweep / steps[:, None])
    return np.clip(raw, -32768, 32767).astype("<i2").T.tobytes()


def _tag_bytes(comments: Sequence[tuple[float, str]], layout: _Layout) -> bytes:
    """Pack comment tags as ABFTag entries (time in fSynchTimeUnit units)."""
    out = bytearray()
    for number, (time_s, text) in enumerate(comments):
        ticks = _in_synch_units(float(time_s), layout, f"tag {text!r}")
        out += struct.pack("<i56shh", ticks, _ascii(text, 56, "tag comment"), TAG_TYPE_COMMENT, number)
    return bytes(out)


def write_abf1(
    path: str | Path,
    sweeps: np.ndarray,
    sampling_rate_hz: float,
    channel_names: Sequence[str],
    channel_units: Sequence[str],
    *,
    sweep_interval_s: float | None = None,
    command_units: str | Sequence[str] | None = None,
    comments: Sequence[tuple[float, str]] = (),
    protocol_name: str = "",
    holding: float | Sequence[float] | None = None,
    creator: str = "ephystool",
    file_comment: str = "",
    start_datetime: _dt.datetime | None = None,
    gap_free: bool | None = None,
) -> Path:
    """Write sweeps as an ABF 1.83 file that pyABF and neo both read back.

    Parameters
    ----------
    path : str or Path
        Output file (``.abf``).
    sweeps : ndarray, shape (n_sweeps, n_channels, n_samples)
        Samples in the channel units (e.g. pA, mV); 1-16 channels, all finite.
    sampling_rate_hz : float
        Per-channel sampling rate; a whole number of Hz.
    channel_names, channel_units : sequence of str
        One per channel; ASCII, at most 10 and 8 characters.
    sweep_interval_s : float, optional
        Episode start-to-start interval (fEpisodeStartToStart, synch array); default back to back.
    command_units : str or sequence of str, optional
        DAC units; default mV for a current input on channel 0, pA for a voltage input.
    comments : sequence of (time_s, text)
        Comment tags, time from the file start; text at most 56 characters.
    protocol_name : str
        Stored as sProtocolPath ``<name>.pro`` (pyABF's ``protocol`` returns ``name``).
    holding : float or sequence of float, optional
        DAC holding level(s) in command units (fDACHoldingLevel, fInstrumentHoldingLevel).
    creator : str
        sCreatorInfo, at most 16 characters.
    file_comment : str
        File comment (128 characters; the first 56 also in the old field).
    start_datetime : datetime, optional
        Recording start (lFileStartDate/Time); unset when None.
    gap_free : bool, optional
        Operation mode 3 (one sweep, no synch array) instead of 5 (episodic). Default: gap-free
        when there is one sweep and no ``sweep_interval_s``.

    Returns
    -------
    Path
        ``path``, now an ABF 1.83 file (header, int16 samples, synch array and tags where episodic).

    Raises
    ------
    WriterError
        Shape, rate, names or times that ABF1 cannot hold, or non-finite samples.
    """
    sweeps = np.asarray(sweeps, dtype=np.float64)
    if sweeps.ndim != 3 or not np.all(np.isfinite(sweeps)):
        raise WriterError(f"sweeps must be a finite (n_sweeps, n_channels, n_samples) array; got shape {sweeps.shape}")
    layout = _layout(sweeps, sampling_rate_hz, sweep_interval_s, gap_free)
    if not len(channel_names) == len(channel_units) == layout.n_channels:
        raise WriterError(f"{layout.n_channels} channels but {len(channel_names)} names and {len(channel_units)} units")
    steps = _quantisation_steps(sweeps)
    tags = _tag_bytes(comments, layout)
    header = bytearray(HEADER_BLOCKS * BLOCK)
    _header_file(header, layout, len(comments), start_datetime)
    _header_channels(header, channel_names, channel_units, steps)
    _header_dac(header, holding, command_units, channel_units)
    _header_text(header, creator, file_comment, protocol_name)
    return _write_file(Path(path), header, sweeps, steps, layout, tags)


def _write_file(path: Path, header: bytearray, sweeps: np.ndarray, steps: np.ndarray, layout: _Layout,
                tags: bytes) -> Path:
    """Header, the sweeps' samples, then (episodic) the synch array and the tag section at their blocks."""
    with open(path, "wb") as fh:
        fh.write(header)
        for sweep in sweeps:
            fh.write(_sweep_bytes(sweep, steps))
        if not layout.gap_free:
            fh.write(b"\0" * (layout.synch_ptr * BLOCK - fh.tell()))
            for k in range(layout.n_sweeps):
                start = _in_synch_units(k * layout.interval_s, layout, f"sweep {k}")
                fh.write(struct.pack("<ii", start, layout.n_samples * layout.n_channels))
        if tags:
            fh.write(b"\0" * (layout.tag_ptr * BLOCK - fh.tell()))
            fh.write(tags)
    return path
