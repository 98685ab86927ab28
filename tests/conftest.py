"""Shared fixtures: the real-data folder (skips with a reason where absent) and temporary copies."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    """``../shared/realdata``; tests using it skip cleanly in a user's clone."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is absent (a user's clone): real-file tests skipped")
    return REALDATA


@pytest.fixture(scope="session")
def patchclamp_dir(realdata_dir: Path) -> Path:
    return realdata_dir / "patchclamp"


@pytest.fixture(scope="session")
def mea_dir(realdata_dir: Path) -> Path:
    return realdata_dir / "mea"


@pytest.fixture
def mea_nwb_writer():
    """A function writing a simulated MEA recording as a plain NWB ElectricalSeries; returns (path, truth)."""
    def write(path: Path, seconds: float, n_channels: int, seed: int, snr: float, rate_hz: float,
              fs: float = 20000.0):
        import datetime as dt

        import numpy as np
        from pynwb import NWBHDF5IO, NWBFile
        from pynwb.ecephys import ElectricalSeries

        from ephystool.simulate.mea import simulate_mea

        data, truth = simulate_mea(seconds, n_channels, fs, seed=seed, snr=snr, rate_hz=rate_hz)
        nwb = NWBFile("t", "t", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        grp = nwb.create_electrode_group("g", "array", "ctx", nwb.create_device("mea"))
        for _ in range(data.shape[1]):
            nwb.add_electrode(x=0.0, y=0.0, z=0.0, imp=np.nan, location="ctx", filtering="none", group=grp)
        region = nwb.create_electrode_table_region(list(range(data.shape[1])), "all")
        nwb.add_acquisition(ElectricalSeries(name="raw", data=data, rate=fs, conversion=truth.gain_uv * 1e-6,
                                             electrodes=region))
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)
        return path, truth

    return write
