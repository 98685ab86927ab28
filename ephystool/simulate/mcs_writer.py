"""Write simulated MEA data as Multi Channel Systems HDF5 (the "McsPy" raw-data format).

The structure follows files written by Multi Channel Experimenter (MEA2100)::

    /                                   McsHdf5ProtocolType "RawData", McsHdf5ProtocolVersion 1
    /Data                               session attributes (Date, DateInTicks, FileGUID, MeaName, ...)
    /Data/Recording_0                   Duration and TimeStamp (µs), Label, RecordingID, ...
    .../AnalogStream/Stream_0           ChannelData (int32, channels × samples, chunked along time),
                                        ChannelDataTimeStamps [[0, 0, n-1]], InfoChannel (compound)
    .../TimeStampStream/Stream_0        TimeStampEntity_<id> (int64 µs, 1 × n), InfoTimeStamp

Physical value = (raw - ADZero) * ConversionFactor * 10**Exponent, in Unit. Every analog stream
group holds exactly the three datasets (McsPy asserts this); electrode positions, which MCS files do
not store, go to the root attribute ``ephystool_positions_um``.
"""

from __future__ import annotations

import datetime as _dt
import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np

from ephystool._version import __version__
from ephystool.simulate.abf_writer import WriterError

__all__ = ["mcs60_layout", "write_mcs_h5"]

PITCH_UM = 200.0
ADC_BITS = 24
CHUNK_SAMPLES = 2048
_STRING = h5py.string_dtype("ascii")
_CLR_EPOCH = _dt.datetime(1, 1, 1)
_INFO_CHANNEL = np.dtype([
    ("ChannelID", "<i4"), ("RowIndex", "<i4"), ("GroupID", "<i4"), ("ElectrodeGroup", "<i4"),
    ("Label", _STRING), ("RawDataType", _STRING), ("Unit", _STRING), ("Exponent", "<i4"),
    ("ADZero", "<i4"), ("Tick", "<i8"), ("ConversionFactor", "<i8"), ("ADCBits", "<i4"),
    ("HighPassFilterType", _STRING), ("HighPassFilterCutOffFrequency", _STRING), ("HighPassFilterOrder", "<i4"),
    ("LowPassFilterType", _STRING), ("LowPassFilterCutOffFrequency", _STRING), ("LowPassFilterOrder", "<i4"),
])
_INFO_TIMESTAMP = np.dtype([
    ("TimeStampEntityID", "<i4"), ("GroupID", "<i4"), ("Label", _STRING), ("Unit", _STRING),
    ("Exponent", "<i4"), ("SourceChannelIDs", _STRING), ("SourceChannelLabels", _STRING),
])

DataSource = np.ndarray | Iterable[np.ndarray] | Callable[[], Iterable[np.ndarray]]


def mcs60_layout() -> list[tuple[str, float, float]]:
    """Electrodes of the MCS standard 60-electrode MEA (8 × 8 grid, corners missing).

    Labels are MCS's column-row names (``"12"`` = column 1, row 2): 12-17, 21-28, 31-38, 41-48,
    51-58, 61-68, 71-78, 82-87. Electrode 15 is the internal reference of the standard 60MEA; it
    keeps its label here, as in MCS files.

    Returns
    -------
    list of (label, x_um, y_um)
        Sorted by label; x = (column - 1) * 200 µm, y = (row - 1) * 200 µm (row 1 at the top).
    """
    corners = {(1, 1), (1, 8), (8, 1), (8, 8)}
    return [
        (f"{col}{row}", (col - 1) * PITCH_UM, (row - 1) * PITCH_UM)
        for col in range(1, 9)
        for row in range(1, 9)
        if (col, row) not in corners
    ]


def _fixed(text: str) -> np.bytes_:
    """A fixed-length ASCII attribute value, as MCS writes them."""
    return np.bytes_(text.encode("ascii", errors="replace"))


def _tick_us(sampling_rate_hz: float) -> int:
    """Sample interval in whole microseconds (MCS time stamps are µs ticks)."""
    tick = 1e6 / sampling_rate_hz if sampling_rate_hz > 0 else math.nan
    if not math.isfinite(tick) or round(tick) < 1 or abs(tick - round(tick)) > 1e-6 * tick:
        raise WriterError(f"sampling rate {sampling_rate_hz} Hz: MCS HDF5 needs a whole number of µs per "
                          "sample (e.g. 10, 20, 25, 40, 50 kHz)")
    return round(tick)


def _auto_conversion_factor(data: np.ndarray, exponent: int) -> int:
    """Smallest integer factor that keeps the data within a signed 24-bit ADC range."""
    peak = max((float(np.max(np.abs(block), initial=0.0)) for block in _chunks(data, data.shape[0])), default=0.0)
    if not math.isfinite(peak):
        raise WriterError("data has non-finite values")
    return max(1, math.ceil(peak / ((2 ** (ADC_BITS - 1) - 1) * 10.0**exponent)))


def _chunks(data: DataSource, n_channels: int) -> Iterable[np.ndarray]:
    """Yield (channels × k) float blocks from an array, an iterable or a callable returning one."""
    if isinstance(data, np.ndarray):
        for start in range(0, data.shape[1], 16 * CHUNK_SAMPLES):
            yield np.asarray(data[:, start:start + 16 * CHUNK_SAMPLES], dtype=np.float64)
        return
    source = data() if callable(data) else data
    for block in source:
        block = np.asarray(block, dtype=np.float64)
        if block.ndim != 2 or block.shape[0] != n_channels:
            raise WriterError(f"data chunk has shape {block.shape}; expected ({n_channels}, k)")
        yield block


def _write_channel_data(stream: h5py.Group, chunks: Iterable[np.ndarray], n_channels: int,
                        step: float, adzero: int) -> int:
    """Quantise and append the chunks to ChannelData; return the sample count."""
    dset = stream.create_dataset("ChannelData", shape=(n_channels, 0), maxshape=(n_channels, None),
                                 dtype="<i4", chunks=(n_channels, CHUNK_SAMPLES))
    n = 0
    for block in chunks:
        if not np.all(np.isfinite(block)):
            raise WriterError(f"data has non-finite values in samples {n} to {n + block.shape[1]}")
        raw = np.rint(block / step) + adzero
        if raw.size and (raw.min() < -(2**31) or raw.max() > 2**31 - 1):
            raise WriterError(f"data exceed int32 at ConversionFactor*10**Exponent = {step:g}; "
                              "pass a larger conversion_factor")
        dset.resize(n + block.shape[1], axis=1)
        dset[:, n:n + block.shape[1]] = raw.astype("<i4")
        n += block.shape[1]
    if n == 0:
        raise WriterError("data has no samples")
    stamps = stream.create_dataset("ChannelDataTimeStamps", data=np.array([[0, 0, n - 1]], dtype="<i8"))
    for i, name in enumerate(("FirstTimeStamp", "FirstIndex", "LastIndex")):
        stamps.attrs[f"Column-{i}"] = _fixed(name)
    return n


def _info_channel(labels: Sequence[str], units: str, exponent: int, adzero: int, tick: int,
                  factor: int) -> np.ndarray:
    """InfoChannel rows: one per electrode, ChannelID = RowIndex = position in ``labels``."""
    info = np.zeros(len(labels), dtype=_INFO_CHANNEL)
    for i, label in enumerate(labels):
        info[i] = (i, i, 0, 0, label, "Int", units, exponent, adzero, tick, factor, ADC_BITS,
                   "", "-1", -1, "", "-1", -1)
    return info


def _stream_attrs(group: h5py.Group, sub_type: str, label: str, stream_type: str, guid: uuid.UUID,
                  source: uuid.UUID | None = None) -> None:
    """Attributes common to every MCS stream group."""
    group.attrs["DataSubType"] = _fixed(sub_type)
    group.attrs["Label"] = _fixed(label)
    group.attrs["SourceStreamGUID"] = _fixed(str(source or uuid.UUID(int=0)))
    group.attrs["StreamGUID"] = _fixed(str(guid))
    group.attrs["StreamInfoVersion"] = np.int32(1)
    group.attrs["StreamType"] = _fixed(stream_type)


def _spike_trains(spikes: Mapping[str, Sequence[float]] | Sequence[Sequence[float]],
                  labels: Sequence[str]) -> dict[int, np.ndarray]:
    """Spike times (s) per channel index, from a label mapping or a sequence aligned with labels."""
    if isinstance(spikes, Mapping):
        unknown = set(spikes) - set(labels)
        if unknown:
            raise WriterError(f"spike_timestamps names electrodes {sorted(unknown)} that are not in electrode_labels")
        return {labels.index(k): np.asarray(v, dtype=np.float64) for k, v in spikes.items()}
    if len(spikes) != len(labels):
        raise WriterError(f"spike_timestamps has {len(spikes)} trains for {len(labels)} electrodes")
    return {i: np.asarray(v, dtype=np.float64) for i, v in enumerate(spikes)}


def _write_timestamps(recording: h5py.Group, trains: dict[int, np.ndarray], labels: Sequence[str],
                      tick: int, guid: uuid.UUID, source: uuid.UUID) -> None:
    """TimeStampStream/Stream_0 with one entity per channel (µs, rounded to the sample tick)."""
    stream = recording.create_group("TimeStampStream").create_group("Stream_0")
    _stream_attrs(stream, "NeuralSpike", "Spike Detector (1) Spike Timestamps", "TimeStamp", guid, source)
    info = np.zeros(len(trains), dtype=_INFO_TIMESTAMP)
    for row, (ch, times) in enumerate(sorted(trains.items())):
        if times.ndim != 1 or not np.all(np.isfinite(times)):
            raise WriterError(f"spike times of electrode {labels[ch]} must be a finite 1-D sequence (s)")
        stamps = (np.rint(np.sort(times) * 1e6 / tick) * tick).astype("<i8")
        stream.create_dataset(f"TimeStampEntity_{ch}", data=stamps[None, :])
        info[row] = (ch, 0, "", "s", -6, str(ch), labels[ch])
    stream.create_dataset("InfoTimeStamp", data=info).attrs["InfoVersion"] = np.int32(1)


def _session_attrs(fh: h5py.File, start: _dt.datetime, file_guid: uuid.UUID, mea_name: str,
                   mea_layout: str) -> None:
    """Root and /Data attributes read by McsPy."""
    fh.attrs["McsHdf5ProtocolType"] = _fixed("RawData")
    fh.attrs["McsHdf5ProtocolVersion"] = np.int32(1)
    data = fh.require_group("Data")
    data.attrs["Comment"] = _fixed("")
    data.attrs["Date"] = _fixed(start.strftime("%A, %d %B %Y"))
    data.attrs["DateInTicks"] = np.int64((start - _CLR_EPOCH) // _dt.timedelta(microseconds=1) * 10)
    data.attrs["FileGUID"] = _fixed(str(file_guid))
    data.attrs["MeaLayout"] = _fixed(mea_layout)
    data.attrs["MeaName"] = _fixed(mea_name)
    data.attrs["MeaSN"] = _fixed("")
    data.attrs["ProgramName"] = _fixed("ephystool")
    data.attrs["ProgramVersion"] = _fixed(__version__)


def _layout_positions(labels: Sequence[str]) -> list[tuple[float, float]] | None:
    """Electrode positions (µm) from :func:`mcs60_layout` when every label is in it, else None."""
    known = {lab: (x, y) for lab, x, y in mcs60_layout()}
    return [known[lab] for lab in labels] if set(labels) <= set(known) else None


def _analog_stream(recording: h5py.Group, data: DataSource, n_channels: int, info: np.ndarray, scale: float,
                   adzero: int, guid: uuid.UUID) -> int:
    """AnalogStream/Stream_0: attributes, ChannelData (counts) and InfoChannel; returns the sample count."""
    stream = recording.create_group("AnalogStream").create_group("Stream_0")
    _stream_attrs(stream, "Electrode", "Electrode Raw Data", "Analog", guid)
    n = _write_channel_data(stream, _chunks(data, n_channels), n_channels, scale, adzero)
    stream.create_dataset("InfoChannel", data=info).attrs["InfoVersion"] = np.int32(1)
    return n


def _recording_attrs(recording: h5py.Group, duration_us: int, label: str) -> None:
    """Data/Recording_0 attributes: duration (µs), label; no comment, ID 0, time stamp 0."""
    for key, value in (("Comment", _fixed("")), ("Duration", np.int64(duration_us)), ("Label", _fixed(label)),
                       ("RecordingID", np.int32(0)), ("RecordingType", _fixed("")), ("TimeStamp", np.int64(0))):
        recording.attrs[key] = value


def _check_arguments(data: DataSource, labels: Sequence[str], positions: Sequence | None,
                     conversion_factor: int | None, adzero: int) -> int:
    """Validate shapes and factors; return the channel count."""
    n_channels = len(labels)
    if n_channels == 0 or len(set(labels)) != n_channels:
        raise WriterError(f"electrode_labels must be non-empty and unique; got {list(labels)}")
    if isinstance(data, np.ndarray) and (data.ndim != 2 or data.shape[0] != n_channels):
        raise WriterError(f"data has shape {data.shape}; expected ({n_channels} electrodes, n_samples)")
    if not isinstance(data, np.ndarray) and conversion_factor is None:
        raise WriterError("conversion_factor is required when data is an iterator of chunks")
    if conversion_factor is not None and (int(conversion_factor) != conversion_factor or conversion_factor < 1):
        raise WriterError(f"conversion_factor {conversion_factor}: MCS stores a positive integer")
    if positions is not None and np.shape(positions) != (n_channels, 2):
        raise WriterError(f"positions_um has shape {np.shape(positions)}; expected ({n_channels}, 2)")
    if not -(2**31) <= adzero < 2**31:
        raise WriterError(f"adzero {adzero} does not fit int32")
    return n_channels


def write_mcs_h5(
    path: str | Path,
    data: DataSource,
    sampling_rate_hz: float,
    electrode_labels: Sequence[str],
    *,
    units: str = "V",
    exponent: int = -9,
    adzero: int = 0,
    conversion_factor: int | None = None,
    positions_um: Sequence[tuple[float, float]] | None = None,
    spike_timestamps: Mapping[str, Sequence[float]] | Sequence[Sequence[float]] | None = None,
    label: str = "ephystool simulated MEA",
    mea_name: str = "60MEA200/30iR-Ti",
    mea_layout: str = "8x8",
    start_datetime: _dt.datetime | None = None,
) -> Path:
    """Write an MEA recording as an MCS HDF5 raw-data file readable by ``McsPy.McsData.RawData``.

    Parameters
    ----------
    path : str or Path
        Output file (``.h5``).
    data : ndarray, iterable of ndarray, or callable returning such an iterable
        Samples in ``units``: an array (electrodes × samples), or (electrodes × k) chunks written
        one at a time, so a long recording never has to fit in memory.
    sampling_rate_hz : float
        Sampling rate; 1e6 / rate must be a whole number of µs (the MCS Tick).
    electrode_labels : sequence of str
        One unique label per row, e.g. the labels of :func:`mcs60_layout`.
    units : str
        InfoChannel Unit (a pint unit name; "V" as in MCS files).
    exponent : int
        InfoChannel Exponent: one count is ConversionFactor * 10**exponent ``units``.
    adzero : int
        InfoChannel ADZero (raw value of 0 ``units``).
    conversion_factor : int, optional
        InfoChannel ConversionFactor. Chosen from the data range (signed 24-bit ADC) when ``data``
        is an array; required for chunked data.
    positions_um : sequence of (x, y), optional
        Electrode positions; default from :func:`mcs60_layout` where every label is in it.
        Stored as the root attribute ``ephystool_positions_um`` (MCS files have no positions).
    spike_timestamps : mapping label -> times (s), or sequence aligned with the labels, optional
        Written as TimeStampStream/Stream_0/TimeStampEntity_<channel id>, in µs rounded to a tick.
    label : str
        Recording label (Data/Recording_0 ``Label``).
    mea_name, mea_layout : str
        Session attributes MeaName and MeaLayout.
    start_datetime : datetime, optional
        Session date (``Date``, ``DateInTicks``); default 2000-01-01 so that files are reproducible.

    Returns
    -------
    Path
        ``path``, now an HDF5 file in the MCS raw-data layout (Data/Recording_0).

    Raises
    ------
    WriterError
        Shapes, rates or factors that the format cannot hold, or non-finite samples.
    """
    labels = [str(x) for x in electrode_labels]
    n_channels = _check_arguments(data, labels, positions_um, conversion_factor, adzero)
    tick = _tick_us(sampling_rate_hz)
    factor = int(_auto_conversion_factor(data, exponent) if conversion_factor is None else conversion_factor)
    if positions_um is None:
        positions_um = _layout_positions(labels)
    guids = [uuid.uuid5(uuid.NAMESPACE_URL, f"ephystool:{label}:{Path(path).name}:{i}") for i in range(3)]
    path = Path(path)
    with h5py.File(path, "w") as fh:
        _session_attrs(fh, start_datetime or _dt.datetime(2000, 1, 1), guids[0], mea_name, mea_layout)
        recording = fh["Data"].create_group("Recording_0")
        n = _analog_stream(recording, data, n_channels, _info_channel(labels, units, exponent, adzero, tick, factor),
                           factor * 10.0**exponent, adzero, guids[1])
        if spike_timestamps is not None:
            _write_timestamps(recording, _spike_trains(spike_timestamps, labels), labels, tick, guids[2], guids[1])
        _recording_attrs(recording, n * tick, label)
        if positions_um is not None:
            fh.attrs["ephystool_positions_um"] = np.asarray(positions_um, dtype=np.float64)
    return path
