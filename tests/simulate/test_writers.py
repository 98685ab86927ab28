"""Round trips of the real-format writers through the peer readers (pyABF, neo, McsPy)."""

from __future__ import annotations

import struct
from pathlib import Path

import h5py
import numpy as np
import pytest

from ephystool.simulate.abf_writer import WriterError, write_abf1
from ephystool.simulate.mcs_writer import mcs60_layout, write_mcs_h5

pyabf = pytest.importorskip("pyabf")
neo_rawio = pytest.importorskip("neo.rawio")
neo_io = pytest.importorskip("neo.io")

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
RATE = 20000
INTERVAL = 10.0


def _sweeps(n_sweeps: int, n_channels: int, n_samples: int = 3000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.array([-150.0, -65.0, 800.0, 0.02])[:n_channels]
    scale = np.array([40.0, 30.0, 250.0, 0.005])[:n_channels]
    return base[None, :, None] + scale[None, :, None] * rng.standard_normal((n_sweeps, n_channels, n_samples))


def _neo_read(path: Path) -> tuple[neo_rawio.AxonRawIO, list[np.ndarray], list[float]]:
    """Samples (n_samples × channels, float32) and t_start of every segment, via neo's raw API."""
    reader = neo_rawio.AxonRawIO(filename=str(path))
    reader.parse_header()
    segments, starts = [], []
    for seg in range(reader.segment_count(0)):
        raw = reader.get_analogsignal_chunk(block_index=0, seg_index=seg, stream_index=0)
        segments.append(reader.rescale_signal_raw_to_float(raw, dtype="float32", stream_index=0))
        starts.append(reader.get_signal_t_start(block_index=0, seg_index=seg, stream_index=0))
    return reader, segments, starts


@pytest.fixture
def mcs_data():
    mcs = pytest.importorskip("McsPy.McsData", reason="McsPyDataTools (optional peer) is not installed")
    mcs.VERBOSE = False
    return mcs


# --------------------------------------------------------------------------------------------- ABF1


@pytest.mark.parametrize("n_channels", [1, 2, 4])
def test_abf1_round_trip_pyabf_and_neo(tmp_path: Path, n_channels: int) -> None:
    sweeps = _sweeps(6, n_channels)
    names = [f"IN {i}" for i in range(n_channels)]
    units = ["pA", "mV", "pA", "nA"][:n_channels]
    path = write_abf1(tmp_path / "ep.abf", sweeps, RATE, names, units, sweep_interval_s=INTERVAL)

    abf = pyabf.ABF(str(path))
    assert abf.sweepCount == 6 and abf.dataRate == RATE and abf.channelCount == n_channels
    assert abf.adcNames == names and abf.adcUnits == units
    assert all(np.isfinite(abf._dataGain)) and abf._headerV1.nTelegraphEnable == [0] * 16
    reader, segments, starts = _neo_read(path)
    channels = reader.header["signal_channels"]
    assert list(channels["name"]) == names and list(channels["units"]) == units
    assert reader.get_signal_sampling_rate(0) == RATE
    assert starts == pytest.approx([k * INTERVAL for k in range(6)], abs=1e-9)
    assert len(neo_io.AxonIO(str(path)).read_block().segments) == 6
    for k in range(6):
        for ch in range(n_channels):
            abf.setSweep(k, channel=ch)
            step = abf._dataGain[ch]
            assert np.max(np.abs(abf.sweepY - sweeps[k, ch])) <= 0.5 * step * (1 + 1e-6)
            np.testing.assert_array_equal(abf.sweepY, segments[k][:, ch])


def test_abf1_header_is_full_6144_bytes(tmp_path: Path) -> None:
    path = write_abf1(tmp_path / "h.abf", 1e4 * _sweeps(2, 2), RATE, ["a", "b"], ["pA", "mV"])
    blob = path.read_bytes()
    assert struct.unpack_from("<i", blob, 40)[0] == 12  # lDataSectionPtr
    assert struct.unpack_from("<16h", blob, 4512) == (0,) * 16  # nTelegraphEnable
    assert struct.unpack_from("<16f", blob, 4576) == (1.0,) * 16  # fTelegraphAdditGain
    assert len(blob) >= 6144 + 2 * 2 * 3000 * 2


def test_abf1_tags_comments_protocol_and_holding(tmp_path: Path) -> None:
    tags = [(180.4, "+drug at 3min"), (600.0, "wash")]
    for n_channels in (1, 2, 4):
        path = write_abf1(
            tmp_path / f"t{n_channels}.abf", _sweeps(80, n_channels, 1000), RATE, [f"c{i}" for i in range(n_channels)],
            ["pA"] * n_channels, sweep_interval_s=10.0, comments=tags, protocol_name="LTP 0.05Hz",
            holding=-70.0, file_comment="simulated slice 3", creator="ephystool test",
        )
        abf = pyabf.ABF(str(path))
        assert abf.tagComments == [text for _, text in tags]
        assert abf.tagTimesSec == pytest.approx([t for t, _ in tags], rel=1e-12)
        assert abf.protocol == "LTP 0.05Hz" and abf.abfFileComment == "simulated slice 3"
        assert abf.dacUnits == ["mV"] * 4 and abf.creator.startswith("ephystool test")
        assert struct.unpack_from("<f", path.read_bytes(), 1394)[0] == -70.0  # fDACHoldingLevel
        assert len(neo_io.AxonIO(str(path)).read_block().segments) == 80  # neo reads it (tags: see TRAPS)


def test_abf1_gap_free(tmp_path: Path) -> None:
    data = _sweeps(1, 2, 40000)
    path = write_abf1(tmp_path / "gf.abf", data, RATE, ["Vm", "Im"], ["mV", "pA"], comments=[(1.0, "mark")])
    abf = pyabf.ABF(str(path))
    assert abf._headerV1.nOperationMode == 3 and abf.sweepCount == 1 and abf.sweepLengthSec == 2.0
    assert abf.tagTimesSec == pytest.approx([1.0])
    _, segments, starts = _neo_read(path)
    assert len(segments) == 1 and starts == [0.0] and segments[0].shape == (40000, 2)
    for ch in range(2):
        abf.setSweep(0, channel=ch)
        np.testing.assert_array_equal(abf.sweepY, segments[0][:, ch])
        assert np.max(np.abs(abf.sweepY - data[0, ch])) <= 0.5 * abf._dataGain[ch] * (1 + 1e-6)


def test_abf1_episodic_single_sweep(tmp_path: Path) -> None:
    path = write_abf1(tmp_path / "one.abf", _sweeps(1, 1), RATE, ["I"], ["pA"], gap_free=False)
    assert pyabf.ABF(str(path))._headerV1.nOperationMode == 5
    assert len(_neo_read(path)[1]) == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sweeps": np.zeros((2, 3))}, "n_sweeps"),
        ({"channel_names": ["a name too long"]}, "at most 10"),
        ({"channel_units": ["µV"]}, "ASCII"),
        ({"sampling_rate_hz": 20000.5}, "whole number"),
        ({"sweep_interval_s": 0.01}, "shorter than the sweep"),
        ({"sweeps": np.full((2, 1, 100), np.nan)}, "finite"),
        ({"comments": [(1e9, "late")]}, "int32"),
    ],
)
def test_abf1_rejects_what_the_format_cannot_hold(tmp_path: Path, kwargs: dict, match: str) -> None:
    args = {"sweeps": np.zeros((2, 1, 3000)), "sampling_rate_hz": RATE, "channel_names": ["I"],
            "channel_units": ["pA"]} | kwargs
    with pytest.raises(WriterError, match=match):
        write_abf1(tmp_path / "bad.abf", **args)


@pytest.mark.realdata
def test_abf1_time_unit_convention_matches_clampex() -> None:
    """Clampex stores tag times in fSynchTimeUnit = fADCSampleInterval / nADCNumChannels."""
    path = REALDATA / "patchclamp" / "multichannelAbf1WithTags.abf"
    if not path.exists():
        pytest.skip(f"real data not available at {path}")
    abf = pyabf.ABF(str(path))
    header = abf._headerV1
    assert header.lDataSectionPtr == 12
    assert header.fSynchTimeUnit == header.fADCSampleInterval / header.nADCNumChannels
    assert abf.tagTimesSec == pytest.approx([t * header.fSynchTimeUnit * 1e-6 for t in header.lTagTime])


# ---------------------------------------------------------------------------------------------- MCS


def _mea(n_samples: int = 30000, seed: int = 1) -> tuple[np.ndarray, list[str]]:
    labels = [label for label, _, _ in mcs60_layout()]
    rng = np.random.default_rng(seed)
    return 15e-6 * rng.standard_normal((len(labels), n_samples)), labels


def test_mcs60_layout() -> None:
    layout = mcs60_layout()
    labels = [label for label, _, _ in layout]
    assert len(layout) == 60 and len(set(labels)) == 60
    assert {"11", "18", "81", "88"}.isdisjoint(labels) and "15" in labels
    assert labels[:6] == ["12", "13", "14", "15", "16", "17"] and labels[-6:] == ["82", "83", "84", "85", "86", "87"]
    assert dict((lab, (x, y)) for lab, x, y in layout)["47"] == (600.0, 1200.0)


def test_mcs_round_trip_mcspy(tmp_path: Path, mcs_data) -> None:
    data, labels = _mea()
    spikes = {"12": [0.1, 0.500025], "87": [1.0]}
    path = write_mcs_h5(tmp_path / "mea.h5", data, 25000, labels, spike_timestamps=spikes)
    raw_data = mcs_data.RawData(str(path))  # keep a reference: McsPy closes the file in __del__
    recording = raw_data.recordings[0]
    stream = recording.analog_streams[0]
    assert len(stream.channel_infos) == 60
    info = stream.channel_infos[7]
    assert info.sampling_frequency.magnitude == pytest.approx(25000)
    assert info.label == labels[7]
    step = info.adc_step.to("V").magnitude
    for ch in (0, 7, 59):
        signal, unit = stream.get_channel_in_range(ch, 0, data.shape[1] - 1)
        assert str(unit) == "volt"
        assert np.max(np.abs(signal - data[ch])) <= 0.5 * step * (1 + 1e-9)
    entities = recording.timestamp_streams[0].timestamp_entity
    assert sorted(entities) == [0, 59]
    stamps, unit = entities[0].get_timestamps()
    np.testing.assert_array_equal(stamps[0], [100000, 500040])  # µs, rounded to the 40 µs tick
    assert entities[59].info.source_channel_labels == {59: "87"}
    assert recording.duration_time.magnitude == data.shape[1] * 40


def test_mcs_nondefault_scaling(tmp_path: Path, mcs_data) -> None:
    data, labels = _mea(5000)
    path = write_mcs_h5(tmp_path / "s.h5", data[:8], 10000, labels[:8], exponent=-12, adzero=1000,
                        conversion_factor=59605)
    raw_data = mcs_data.RawData(str(path))
    stream = raw_data.recordings[0].analog_streams[0]
    signal, _ = stream.get_channel_in_range(3, 0, 4999)
    assert np.max(np.abs(signal - data[3])) <= 0.5 * 59605e-12 * (1 + 1e-9)
    with h5py.File(path, "r") as fh:
        raw = fh["Data/Recording_0/AnalogStream/Stream_0/ChannelData"]
        assert raw.dtype == np.int32 and raw.shape == (8, 5000)
        assert np.rint(data[3, 0] / 59605e-12) + 1000 == raw[3, 0]


def test_mcs_chunked_write_equals_array_write(tmp_path: Path) -> None:
    data, labels = _mea(20000)
    whole = write_mcs_h5(tmp_path / "a.h5", data, 25000, labels, conversion_factor=3)
    pieces = [data[:, i:i + 3333] for i in range(0, data.shape[1], 3333)]
    chunked = write_mcs_h5(tmp_path / "b.h5", iter(pieces), 25000, labels, conversion_factor=3)
    called = write_mcs_h5(tmp_path / "c.h5", lambda: iter(pieces), 25000, labels, conversion_factor=3)
    key = "Data/Recording_0/AnalogStream/Stream_0/"
    with h5py.File(whole, "r") as a, h5py.File(chunked, "r") as b, h5py.File(called, "r") as c:
        assert a[key + "ChannelData"].dtype == np.int32 and a[key + "ChannelData"].chunks[1] > 1
        np.testing.assert_array_equal(a[key + "ChannelData"][...], b[key + "ChannelData"][...])
        np.testing.assert_array_equal(a[key + "ChannelData"][...], c[key + "ChannelData"][...])
        np.testing.assert_array_equal(b[key + "ChannelDataTimeStamps"][...], [[0, 0, 19999]])
        assert a[key + "InfoChannel"]["ConversionFactor"][0] == 3
        assert list(a[key + "InfoChannel"]["Label"]) == [lab.encode() for lab in labels]
        np.testing.assert_array_equal(a.attrs["ephystool_positions_um"][:2], [[0.0, 200.0], [0.0, 400.0]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sampling_rate_hz": 30000}, "whole number of µs"),
        ({"data": iter([np.zeros((2, 10))])}, "conversion_factor is required"),
        ({"electrode_labels": ["12", "12"]}, "unique"),
        ({"conversion_factor": 1, "data": np.full((2, 10), 3.0)}, "int32"),
        ({"spike_timestamps": {"99": [1.0]}}, "not in electrode_labels"),
    ],
)
def test_mcs_rejects_what_the_format_cannot_hold(tmp_path: Path, kwargs: dict, match: str) -> None:
    args = {"data": np.zeros((2, 10)), "sampling_rate_hz": 25000, "electrode_labels": ["12", "13"]} | kwargs
    with pytest.raises(WriterError, match=match):
        write_mcs_h5(tmp_path / "bad.h5", **args)


@pytest.mark.realdata
def test_mcs_structure_matches_real_file(tmp_path: Path) -> None:
    real = REALDATA / "mea" / "mcs_h5" / "mcs_2014-07-09T10-17-35W8_Standard_all_500Hz.h5"
    if not real.exists():
        pytest.skip(f"real data not available at {real}")
    data, labels = _mea(1000)
    ours = write_mcs_h5(tmp_path / "m.h5", data, 25000, labels, spike_timestamps=[[0.01]] * 60)
    with h5py.File(real, "r") as r, h5py.File(ours, "r") as o:
        for group in ("/", "Data", "Data/Recording_0", "Data/Recording_0/AnalogStream/Stream_0",
                      "Data/Recording_0/TimeStampStream/Stream_0"):
            assert set(r[group].attrs) <= set(o[group].attrs), group
        stream = "Data/Recording_0/AnalogStream/Stream_0/"
        assert set(r[stream]) == set(o[stream])
        assert set(r[stream + "InfoChannel"].dtype.names) <= set(o[stream + "InfoChannel"].dtype.names)
        assert o[stream + "ChannelData"].dtype == r[stream + "ChannelData"].dtype
        ts = "Data/Recording_0/TimeStampStream/Stream_0/InfoTimeStamp"
        assert r[ts].dtype.names == o[ts].dtype.names
