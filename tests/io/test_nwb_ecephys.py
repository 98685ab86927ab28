"""An NWB ecephys ElectricalSeries loads as an MEA recording read lazily from one open file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from ephystool.io import load


def _write(path: Path, data: np.ndarray, rate: float, conversion: float) -> None:
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.ecephys import ElectricalSeries

    nwb = NWBFile("test", "id", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    dev = nwb.create_device("mea")
    grp = nwb.create_electrode_group("g", "array", "ctx", dev)
    nwb.add_electrode_column("label", "electrode label")
    for i in range(data.shape[1]):
        nwb.add_electrode(x=float(i * 200), y=0.0, z=0.0, imp=np.nan, location="ctx", filtering="none",
                          group=grp, label=f"E{i}")
    region = nwb.create_electrode_table_region(list(range(data.shape[1])), "all")
    nwb.add_acquisition(ElectricalSeries(name="raw", data=data, electrodes=region, rate=rate, conversion=conversion))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)


def test_electrical_series_values_and_electrodes(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    counts = rng.integers(-500, 500, (3000, 4)).astype(np.int16)
    path = tmp_path / "mea.nwb"
    _write(path, counts, 10000.0, 1e-6)  # one count = 1 µV
    rec = load(path)
    assert rec.kind == "mea" and rec.mea.n_channels == 4 and rec.mea.n_samples == 3000
    assert [e.label for e in rec.electrodes] == ["E0", "E1", "E2", "E3"] and rec.electrodes[2].x_um == 400.0
    np.testing.assert_allclose(rec.mea.get_traces(100, 200), counts[100:200].astype(np.float32), rtol=1e-6)
