"""Contract suite over every real recording (neo's rawio-compliance pattern) and the reader traps.

Each real file is loaded with :func:`ephystool.io.load` and checked against the peer reader that
knows the format best: pyABF for ABF, pynwb for NWB, McsPy for Multi Channel Systems HDF5,
neo's AxographIO for AxoGraph. The traps are the reader disagreements documented in
``../shared/realdata/patchclamp/PROVENANCE.md`` and ``../shared/design/TRAPS.md``; each has
its own test so that a regression names the trap.
"""

from __future__ import annotations

import json
import struct
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import quantities as pq

from ephystool.cli import main
from ephystool.errors import UnsupportedFormatError
from ephystool.io import load
from ephystool.io.recording import Recording

pyabf = pytest.importorskip("pyabf")



ABF_FILES = (
    "15804044.abf", "17o05024_vc_steps.abf", "17o05026_vc_stim.abf", "17o05027_ic_ramp.abf",
    "180329_ts_0005-badUnits.abf", "180330_ts_0032-okUnits.abf", "18425108.abf", "18425108_abf1.abf",
    "18711001.abf", "19114001.abf", "2018_11_16_sh_0006.abf", "2019_07_24_0055_fsi.abf", "2020_06_16_0001.abf",
    "File_axon_5.abf", "File_axon_7.abf", "PYR2.abf", "model_vc_step.abf", "multichannelAbf1WithTags.abf",
    "pclamp11_4ch.abf", "pclamp11_4ch_abf1.abf",
)
NWB_FILES = ("FergusonEtAl2015_PYR2.nwb", "LantyerEtAl2018_170328_AL_238_VC.nwb")
AXOGRAPH = "Vers6_060523 004.axgd"
HEKA = "1.dat"
MCS_REL = "mea/mcs_h5/mcs_2014-07-09T10-17-35W8_Standard_all_500Hz.h5"
PATCH_FILES = ABF_FILES + NWB_FILES + (AXOGRAPH,)

#: pyABF unit -> (ephystool canonical unit, factor)
CANONICAL = {"pA": ("pA", 1.0), "nA": ("pA", 1e3), "mV": ("mV", 1.0), "V": ("mV", 1e3)}
SUMMARY_KEYS = {"format", "kind", "n_channels", "sampling_rate_hz", "duration_s", "n_sweeps", "channels"}

realdata = pytest.mark.realdata


@cache
def _load(path: Path) -> Recording:
    """One load per file for the whole module (loading is read-only and the Recording is frozen)."""
    return load(path)


@cache
def _abf(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyabf.ABF(str(path))


def _pyabf_sweep(abf, sweep: int, channel: int) -> np.ndarray:
    abf.setSweep(sweep, channel=channel)
    return np.asarray(abf.sweepY, dtype=np.float64) * CANONICAL[abf.adcUnits[channel].strip()][1]


def _info_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    capsys.readouterr()
    main(["info", "--json", *extra, str(path)])
    return json.loads(capsys.readouterr().out)


# ----------------------------------------------------------------------------------------- inventory
@realdata
def test_every_real_patchclamp_file_is_covered(patchclamp_dir: Path) -> None:
    """A file added to the real-data folder must be added to this contract suite."""
    on_disk = {p.name for p in patchclamp_dir.iterdir() if p.suffix.lower() not in (".md", ".csv")}
    assert on_disk == set(PATCH_FILES) | {HEKA}


# ----------------------------------------------------------------------------------------- ABF vs pyABF
@realdata
@pytest.mark.parametrize("name", ABF_FILES)
def test_abf_matches_pyabf(patchclamp_dir: Path, name: str) -> None:
    path = patchclamp_dir / name
    rec, abf = _load(path), _abf(path)
    assert rec.format == ("abf1" if abf.abfVersion["major"] == 1 else "abf2")
    assert rec.n_sweeps == abf.sweepCount
    # pyABF truncates the rate to whole Hz (File_axon_7: 1e6/2480 us = 403.23 Hz, pyABF 403)
    assert abs(rec.sampling_rate_hz - abf.sampleRate) < 1.0
    assert rec.sampling_rate_hz == pytest.approx(1.0 / (abf.sweepLengthSec / abf.sweepPointCount), rel=2e-3)
    assert len(rec.channels) == abf.channelCount
    assert [c.name for c in rec.channels] == [n.strip() for n in abf.adcNames]
    assert [c.units for c in rec.channels] == [CANONICAL[u.strip()][0] for u in abf.adcUnits]
    for sweep in sorted({0, rec.n_sweeps - 1}):
        ours = rec.signal(sweep).magnitude[:, 0]
        theirs = _pyabf_sweep(abf, sweep, rec.primary)
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours[[0, -1]], theirs[[0, -1]], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-4)
        assert str(rec.signal(sweep).units.dimensionality) == rec.channels[rec.primary].units


@realdata
@pytest.mark.parametrize("name", ABF_FILES)
def test_abf_every_channel_matches_pyabf(patchclamp_dir: Path, name: str) -> None:
    path = patchclamp_dir / name
    rec, abf = _load(path), _abf(path)
    for ch in range(abf.channelCount):
        ours = rec.signal(0, ch).magnitude[:, 0]
        np.testing.assert_allclose(ours, _pyabf_sweep(abf, 0, ch), rtol=1e-6, atol=1e-4)


@realdata
@pytest.mark.parametrize("name", PATCH_FILES)
def test_structure_is_consistent(patchclamp_dir: Path, name: str) -> None:
    """Per-sweep tuples have one entry per sweep; start times increase; holding is in canonical units."""
    rec = _load(patchclamp_dir / name)
    assert rec.kind in ("voltage_clamp", "current_clamp")
    n = rec.n_sweeps
    assert len(rec.sweep_start_times_s) == n
    assert np.all(np.diff(rec.sweep_start_times_s) >= 0)
    assert len(rec.holding) == len(rec.commands) == len(rec.epochs) == len(rec.stim_times_s) == n
    assert 0 <= rec.primary < len(rec.channels)
    if not rec.warnings:  # the bad-units file is current clamp in 'pA', flagged by a warning
        assert rec.channels[rec.primary].units == ("pA" if rec.kind == "voltage_clamp" else "mV")
    for seg in rec.block.segments:
        assert len(seg.analogsignals) == len(rec.channels)
    assert len(rec.sha256) == 64


@realdata
@pytest.mark.parametrize(
    "name", PATCH_FILES)
def test_holding_and_command_in_canonical_units(patchclamp_dir: Path, name: str) -> None:
    """Holding levels are in mV (voltage clamp) or pA (current clamp), as Recording documents; command
    waveforms are in a canonical unit (pA or mV) like every signal."""
    rec = _load(patchclamp_dir / name)
    want = "mV" if rec.kind == "voltage_clamp" else "pA"
    bad = [str(h.dimensionality) for h in rec.holding if h is not None and str(h.dimensionality) != want]
    assert not bad, f"holding in {bad}, expected {want}"
    units = {str(c.dimensionality) for c in rec.commands if c is not None}
    assert units <= {"mV", "pA"}


@realdata
@pytest.mark.parametrize(("abf2", "abf1"), [("18425108.abf", "18425108_abf1.abf"),
                                            ("pclamp11_4ch.abf", "pclamp11_4ch_abf1.abf")])
def test_abf1_abf2_twins_give_the_same_samples(patchclamp_dir: Path, abf2: str, abf1: str) -> None:
    """The ABF1 copies store the same recording; their int16 samples differ by at most one ADC step
    (Clampfit's ABF1 export rounds some negative counts toward zero: pyABF and neo see it too)."""
    a, b = _load(patchclamp_dir / abf2), _load(patchclamp_dir / abf1)
    assert (a.format, b.format) == ("abf2", "abf1")
    assert (a.n_sweeps, len(a.channels), a.kind, a.primary) == (b.n_sweeps, len(b.channels), b.kind, b.primary)
    assert [c.units for c in a.channels] == [c.units for c in b.channels]
    assert a.sampling_rate_hz == pytest.approx(b.sampling_rate_hz, rel=1e-12)
    np.testing.assert_allclose(a.sweep_start_times_s, b.sweep_start_times_s, atol=1e-9)
    import neo.rawio

    raw = neo.rawio.AxonRawIO(filename=str(patchclamp_dir / abf2))
    raw.parse_header()
    for ch, info in enumerate(raw.header["signal_channels"]):
        step = CANONICAL[str(info["units"]).strip()][1] * float(info["gain"])  # one ADC count
        for k in range(a.n_sweeps):
            x, y = a.signal(k, ch).magnitude, b.signal(k, ch).magnitude
            assert x.shape == y.shape
            assert np.max(np.abs(x - y)) <= step * 1.0001
    if abf2 == "18425108.abf":  # the command-current channel is bit-identical
        assert np.array_equal(a.signal(0, 0).magnitude, b.signal(0, 0).magnitude)


# ----------------------------------------------------------------------------------------- NWB vs pynwb
@realdata
@pytest.mark.parametrize("name", NWB_FILES)
def test_nwb_matches_pynwb(patchclamp_dir: Path, name: str) -> None:
    from pynwb import NWBHDF5IO
    from pynwb.icephys import PatchClampSeries

    rec = _load(patchclamp_dir / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(patchclamp_dir / name), "r") as io:
            nwb = io.read()
            series = {n: s for n, s in nwb.acquisition.items() if isinstance(s, PatchClampSeries)}
            assert rec.format == "nwb"
            assert rec.n_sweeps == len(series)
            units = {"volts": ("mV", 1e3), "amperes": ("pA", 1e12)}
            for k, seg in enumerate(rec.block.segments):
                sig = seg.analogsignals[0]
                s = series[sig.name]
                unit, factor = units[s.unit]
                assert str(sig.units.dimensionality) == unit
                assert float(sig.sampling_rate.rescale("Hz")) == pytest.approx(float(s.rate))
                expect = np.asarray(s.data[:10], dtype=float) * float(s.conversion) * factor
                np.testing.assert_allclose(sig.magnitude[:10, 0], expect, rtol=1e-9)
                assert sig.shape[0] == s.data.shape[0]
                if k > 0:
                    prev = rec.block.segments[k - 1].analogsignals[0].name
                    assert series[prev].sweep_number < s.sweep_number
    assert rec.kind == ("current_clamp" if "PYR2" in name else "voltage_clamp")
    assert rec.channels[0].units == ("mV" if "PYR2" in name else "pA")


# ----------------------------------------------------------------------------------------- MCS vs McsPy
@pytest.fixture(scope="module")
def mcspy_streams(realdata_dir: Path):
    mcs = pytest.importorskip("McsPy.McsData")
    mcs.VERBOSE = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = mcs.RawData(str(realdata_dir / MCS_REL))
    yield raw.recordings[0].analog_streams  # keep ``raw`` alive: it owns the open HDF5 file
    del raw


@realdata
@pytest.mark.parametrize("stream", [0, 1, 2])
def test_mcs_stream_matches_mcspy(realdata_dir: Path, mcspy_streams, stream: int) -> None:
    rec = load(realdata_dir / MCS_REL, stream=stream)
    ref = mcspy_streams[stream]
    assert rec.format == "mcs_h5" and rec.kind == "mea" and rec.mea is not None
    assert rec.mea.n_channels == len(ref.channel_infos) == len(rec.channels)
    n = rec.mea.n_samples
    assert n == ref.channel_data.shape[1]
    traces = rec.mea.get_traces(0, n)
    assert traces.shape == (n, rec.mea.n_channels) and traces.dtype == np.float32
    for cid, info in ref.channel_infos.items():
        assert rec.sampling_rate_hz == pytest.approx(float(info.sampling_frequency.magnitude))
        assert rec.channels[info.row_index].name == info.label
        values, unit = ref.get_channel_in_range(cid, 0, n - 1)
        expect = np.asarray(values, dtype=np.float64) * (1e6 if str(unit) == "volt" else 1.0)
        # 1e-3 uV, plus one float32 step: chunks are float32 by contract and this file's raw stream
        # reaches 1.3e6 uV, where one float32 step is 0.125 uV
        np.testing.assert_allclose(traces[:, info.row_index], expect, atol=1e-3, rtol=2.0**-23)
    part = rec.mea.get_traces(100, 200, channels=[0])
    np.testing.assert_array_equal(part[:, 0], traces[100:200, 0])


# ----------------------------------------------------------------------------------------- other vendors
@realdata
def test_axograph_unequal_episodes_in_mv_pa(patchclamp_dir: Path) -> None:
    import neo

    rec = _load(patchclamp_dir / AXOGRAPH)
    assert rec.format == "axograph" and rec.n_sweeps == 2
    lengths = [rec.signal(k).shape[0] for k in range(2)]
    assert lengths == [79840, 20479]
    assert [c.units for c in rec.channels] == ["mV", "pA", "mV"]
    assert rec.kind == "current_clamp" and rec.channels[rec.primary].name == "Membrane Voltage-1"
    assert rec.sampling_rate_hz == pytest.approx(19960.08, rel=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blk = neo.io.AxographIO(filename=str(patchclamp_dir / AXOGRAPH)).read_block(signal_group_mode="split-all")
    for k, seg in enumerate(blk.segments):
        for i, sig in enumerate(seg.analogsignals):
            want = sig.rescale(pq.mV if "V" in str(sig.units.dimensionality) else pq.pA).magnitude[:, 0]
            np.testing.assert_allclose(rec.signal(k, i).magnitude[:, 0], want, rtol=1e-6)  # neo.io returns float32; ephystool scales the raw ints in float64
    v = rec.signal(0).magnitude
    assert -40 < v.min() < -30 and 0 < v.max() < 10  # -35.7 .. +6.9 mV (PROVENANCE)


@realdata
def test_heka_dat_bundle_is_read_series_by_series(patchclamp_dir: Path, tmp_path: Path) -> None:
    """HEKA PatchMaster DAT2 bundles are read (issue 14: was refused as unsupported); older variants are refused."""
    rec = load(patchclamp_dir / HEKA)
    assert rec.format == "heka" and rec.n_sweeps == 11 and rec.sampling_rate_hz == 20_000.0
    assert [(c.name, c.units) for c in rec.channels] == [("I-mon", "pA"), ("V-mon", "mV")]
    assert rec.signal(0).shape[0] == 7900 and rec.metadata["series"] == "E-1/fast-app 11sweep"
    assert any("4 series" in w for w in rec.warnings)  # which series was read is said, not guessed silently
    assert load(patchclamp_dir / HEKA, stream=3).n_sweeps == 1
    old = tmp_path / "old.dat"
    old.write_bytes(b"DAT1" + bytes(300))
    with pytest.raises(UnsupportedFormatError, match="not a DAT2 bundle"):
        load(old)


# ----------------------------------------------------------------------------------------- info --json
@realdata
@pytest.mark.parametrize("name", PATCH_FILES)
def test_info_json_on_every_patchclamp_file(patchclamp_dir: Path, name: str, capsys) -> None:
    s = _info_json(patchclamp_dir / name, capsys)
    assert SUMMARY_KEYS <= set(s)
    rec = _load(patchclamp_dir / name)
    assert (s["format"], s["kind"], s["n_sweeps"], s["n_channels"]) == (rec.format, rec.kind, rec.n_sweeps,
                                                                          len(rec.channels))
    assert s["sampling_rate_hz"] == pytest.approx(rec.sampling_rate_hz)
    assert s["duration_s"] > 0
    assert all(c["name"] and c["units"] for c in s["channels"])


@realdata
@pytest.mark.parametrize("stream", [0, 1, 2])
def test_info_json_on_every_mcs_stream(realdata_dir: Path, stream: int, capsys) -> None:
    s = _info_json(realdata_dir / MCS_REL, capsys, "--stream", str(stream))
    assert SUMMARY_KEYS <= set(s)
    assert s["format"] == "mcs_h5" and s["kind"] == "mea" and s["n_sweeps"] == 1
    assert s["n_channels"] == (1 if stream == 2 else 8) == len(s["channels"])
    assert s["sampling_rate_hz"] == 500.0
    assert all(c["name"] and c["units"] for c in s["channels"])


# ----------------------------------------------------------------------------------------- traps
@realdata
def test_trap_sweep_times_and_drug_tag_2018_11_16(patchclamp_dir: Path) -> None:
    rec = _load(patchclamp_dir / "2018_11_16_sh_0006.abf")
    assert rec.n_sweeps == 60
    np.testing.assert_allclose(np.diff(rec.sweep_start_times_s), 5.0, atol=1e-6)
    tags = [t for t in rec.tags if t.text == "+drug at 3min"]
    assert len(tags) == 1 and len(rec.tags) == 1  # not repeated per segment, not labelled '1' (neo)
    assert tags[0].time_s == pytest.approx(180.4, abs=0.1)
    assert tags[0].sweep == 36
    assert rec.sweep_time(36) <= tags[0].time_s - rec.sweep_start_times_s[0] < rec.sweep_time(37)


@realdata
def test_trap_recorded_sweep_starts_15804044(patchclamp_dir: Path) -> None:
    """pyABF's sweep times (index x interval) are 0, 5000, 10000 s here; the file records 1.93, 12.35, 22.83 s."""
    rec = _load(patchclamp_dir / "15804044.abf")
    np.testing.assert_allclose(rec.sweep_start_times_s[:3], [1.928, 12.351, 22.831], atol=2e-3)
    assert np.all(np.diff(rec.sweep_start_times_s) < 20.0)


@realdata
def test_trap_pyr2_is_current_clamp_with_vm_primary(patchclamp_dir: Path) -> None:
    rec = _load(patchclamp_dir / "PYR2.abf")
    assert rec.format == "abf1"
    assert rec.channels[0].units == "pA"
    assert rec.kind == "current_clamp"
    assert rec.channels[rec.primary].name == "Vm" and rec.channels[rec.primary].units == "mV"
    assert rec.signal(0).dimensionality == pq.mV.dimensionality


@realdata
def test_trap_bad_units_file_loads_with_a_units_warning(patchclamp_dir: Path, capsys) -> None:
    bad = _load(patchclamp_dir / "180329_ts_0005-badUnits.abf")
    ok = _load(patchclamp_dir / "180330_ts_0032-okUnits.abf")
    assert bad.n_sweeps == 7 and bad.kind == "current_clamp"
    assert any("unit" in w.lower() for w in bad.warnings)
    assert not ok.warnings and ok.channels[ok.primary].units == "mV"
    s = _info_json(patchclamp_dir / "180329_ts_0005-badUnits.abf", capsys)
    assert any("unit" in w.lower() for w in s["warnings"])


@realdata
def test_trap_abf1_tags_mapped_with_real_sweep_spacing(patchclamp_dir: Path) -> None:
    rec = _load(patchclamp_dir / "multichannelAbf1WithTags.abf")
    assert rec.n_sweeps == 187
    np.testing.assert_allclose(np.diff(rec.sweep_start_times_s), 2.0, atol=1e-3)
    got = [(t.text, t.time_s, t.sweep) for t in rec.tags]
    assert [g[0] for g in got] == ["+TGOT", "-TGOT"]
    assert got[0][1] == pytest.approx(173.98, abs=0.01) and got[1][1] == pytest.approx(294.86, abs=0.01)
    assert [g[2] for g in got] == [86, 147]


@realdata
def test_trap_variable_length_sweeps_2020_06_16(patchclamp_dir: Path) -> None:
    rec = _load(patchclamp_dir / "2020_06_16_0001.abf")
    assert [rec.signal(k).shape[0] for k in range(rec.n_sweeps)] == [22040, 11040]
    assert rec.sweep_durations_s == pytest.approx([2.204, 1.104])
    np.testing.assert_allclose(rec.sweep_start_times_s, [2.698, 5.998], atol=1e-3)


@realdata
def test_trap_pclamp11_four_channels(patchclamp_dir: Path) -> None:
    for name in ("pclamp11_4ch.abf", "pclamp11_4ch_abf1.abf"):
        rec = _load(patchclamp_dir / name)
        assert len(rec.channels) == 4 and rec.n_sweeps == 10
        assert [c.name for c in rec.channels] == ["IN 0", "IN 1", "IN 2", "IN 3"]
        assert all(len(seg.analogsignals) == 4 for seg in rec.block.segments)
        assert [rec.signal(0, i).shape[0] for i in range(4)] == [4000] * 4


@realdata
def test_trap_file_axon_7_holding_minus_80_mv(patchclamp_dir: Path) -> None:
    rec = _load(patchclamp_dir / "File_axon_7.abf")
    assert rec.kind == "voltage_clamp"
    assert all(h is not None and float(h.rescale(pq.mV).magnitude) == pytest.approx(-80.0) for h in rec.holding)
    assert rec.sampling_rate_hz == pytest.approx(1e6 / 2480.0)
    assert rec.sweep_start_times_s[0] == pytest.approx(1050.3, abs=0.05)


@realdata
def test_trap_stimulus_time_from_digital_output(patchclamp_dir: Path) -> None:
    rec = _load(patchclamp_dir / "17o05026_vc_stim.abf")
    assert rec.n_sweeps == 8
    for k in range(rec.n_sweeps):
        assert len(rec.stim_times_s[k]) == 1
        assert rec.stim_times_s[k][0] == pytest.approx(1.156, abs=1e-3)
        assert any(e.digital and e.start_s == pytest.approx(1.156, abs=1e-3) for e in rec.epochs[k])
    assert float(rec.holding_at(0).rescale(pq.mV).magnitude) == pytest.approx(-50.0)


# ----------------------------------------------------------------------------------------- trap: no synch array
def _unsynched_abf1(tmp_path: Path, interval_s: float | None) -> tuple[Path, np.ndarray]:
    from ephystool.simulate.abf_writer import write_abf1

    rng = np.random.default_rng(7)
    sweeps = -100.0 + 20.0 * rng.standard_normal((5, 1, 1000))
    sweeps[:, 0, 0] = np.arange(5) * 100.0  # a marker per sweep
    written = write_abf1(tmp_path / "synched.abf", sweeps, 10000, ["IN 0"], ["pA"], sweep_interval_s=interval_s)
    data = bytearray(written.read_bytes())
    assert struct.unpack_from("<ii", data, 92) != (0, 0)
    struct.pack_into("<ii", data, 92, 0, 0)  # lSynchArrayPtr, lSynchArraySize
    out = tmp_path / "unsynched.abf"
    out.write_bytes(bytes(data))
    return out, sweeps


def test_trap_episodic_abf1_without_synch_array_is_split(tmp_path: Path) -> None:
    import neo

    path, sweeps = _unsynched_abf1(tmp_path, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(neo.io.AxonIO(str(path)).read_block().segments) == 1  # the trap
        abf = pyabf.ABF(str(path))
    rec = load(path)
    assert rec.n_sweeps == abf.sweepCount == 5
    for k in range(5):
        sig = rec.signal(k).magnitude[:, 0]
        assert sig.shape == (1000,)
        np.testing.assert_allclose(sig, sweeps[k, 0], atol=0.01)
        abf.setSweep(k)
        np.testing.assert_allclose(sig, abf.sweepY, rtol=1e-6)
    np.testing.assert_allclose(np.diff(rec.sweep_start_times_s), 0.1, atol=1e-9)


def test_trap_unsynched_abf1_sweep_spacing_from_header(tmp_path: Path) -> None:
    path, _ = _unsynched_abf1(tmp_path, 0.5)
    assert struct.unpack_from("<f", path.read_bytes(), 178)[0] == pytest.approx(0.5)
    rec = load(path)
    assert rec.n_sweeps == 5
    np.testing.assert_allclose(np.diff(rec.sweep_start_times_s), 0.5, atol=1e-6)
