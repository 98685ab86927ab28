"""The h5py ElectricalSeries reader gives the pynwb reader's samples, electrodes and spikes, and steps aside
for files it does not handle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from ephystool.analysis.spikes import DetectionSettings, detect_spikes
from ephystool.io import _nwb_h5, load
from ephystool.simulate.mea import simulate_mea


def _write(path: Path, data: np.ndarray, rate: float, conversion: float, *, offset: float = 0.0,
           channel_conversion: list[float] | None = None, second: bool = False) -> None:
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.ecephys import ElectricalSeries

    nwb = NWBFile("bench", "id", dt.datetime(2026, 1, 1, 12, 30, tzinfo=dt.UTC))
    dev = nwb.create_device("mea")
    grp = nwb.create_electrode_group("g", "array", "ctx", dev)
    nwb.add_electrode_column("label", "electrode label")
    for i in range(data.shape[1]):
        nwb.add_electrode(x=float(i * 200), y=float(i % 3), z=0.0, imp=np.nan, location="ctx", filtering="none",
                          group=grp, label=f"E{i}")
    region = nwb.create_electrode_table_region(list(range(data.shape[1])), "all")
    nwb.add_acquisition(ElectricalSeries(name="raw", data=data, electrodes=region, rate=rate, conversion=conversion,
                                         offset=offset, channel_conversion=channel_conversion))
    if second:
        nwb.add_acquisition(ElectricalSeries(name="other", data=data[:, :2], rate=rate, electrodes=
                                             nwb.create_electrode_table_region([0, 1], "two")))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)


def _pynwb(path: Path, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        m.setattr(_nwb_h5, "read_electrical_series", lambda p: None)
        return load(path)


def test_samples_electrodes_metadata_equal_pynwb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    counts = rng.integers(-3000, 3000, (5000, 5)).astype(np.int16)
    path = tmp_path / "mea.nwb"
    _write(path, counts, 20000.0, 0.195e-6, offset=1e-5, channel_conversion=[1.0, 0.5, 2.0, 1.5, 1.0])
    fast, ref = load(path), _pynwb(path, monkeypatch)
    assert type(fast.mea).__name__ == "NWBH5ElectricalSource" and type(ref.mea).__name__ == "NWBElectricalSource"
    assert fast.electrodes == ref.electrodes and fast.channels == ref.channels and fast.metadata == ref.metadata
    assert (fast.mea.n_samples, fast.mea.n_channels, fast.mea.sampling_rate_hz) == (5000, 5, 20000.0)
    for a, b in ((0, 5000), (17, 1234), (4990, 5000)):
        np.testing.assert_array_equal(fast.mea.get_traces(a, b), ref.mea.get_traces(a, b))
        np.testing.assert_array_equal(fast.mea.get_traces_channel_major(a, b), ref.mea.get_traces(a, b).T)


def test_spikes_equal_pynwb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data, truth = simulate_mea(3.0, 9, 20000.0, seed=11, snr=7.0)
    path = tmp_path / "sim.nwb"
    _write(path, data, 20000.0, truth.gain_uv * 1e-6)
    settings = DetectionSettings(chunk_s=1.0)
    fast, ref = detect_spikes(load(path).mea, settings), detect_spikes(_pynwb(path, monkeypatch).mea, settings)
    assert sum(s.size for s in fast.samples) > 20
    for a, b in zip(fast.samples, ref.samples, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fast.noise_uv, ref.noise_uv)


def test_two_series_go_through_pynwb(tmp_path: Path) -> None:
    path = tmp_path / "two.nwb"
    _write(path, np.zeros((100, 3), dtype=np.int16), 10000.0, 1e-6, second=True)
    assert _nwb_h5.read_electrical_series(path) is None  # pynwb picks among several: its choice is kept
    assert type(load(path).mea).__name__ == "NWBElectricalSource"
