"""Spike export to NWB round-trips through pynwb."""

from __future__ import annotations

from pathlib import Path

import neo
import numpy as np
import quantities as pq

from ephystool.io.export import read_spikes_nwb, write_spikes_nwb


def test_spikes_nwb_round_trip(tmp_path: Path) -> None:
    trains = [neo.SpikeTrain(np.array([0.1, 0.5, 2.25]) * pq.s, t_stop=3 * pq.s, electrode="12", well="A1"),
              neo.SpikeTrain(np.array([]) * pq.s, t_stop=3 * pq.s, electrode="13", well="A1"),
              neo.SpikeTrain(np.array([150.0, 900.0]) * pq.ms, t_stop=3000 * pq.ms, electrode="21", well="")]
    path = write_spikes_nwb(tmp_path / "spikes.nwb", trains)
    back = read_spikes_nwb(path)
    assert [b[0] for b in back] == ["12", "13", "21"]
    np.testing.assert_allclose(back[0][2], [0.1, 0.5, 2.25])
    assert back[1][2].size == 0
    np.testing.assert_allclose(back[2][2], [0.15, 0.9])  # ms rescaled to s
    assert not list(tmp_path.glob(".*.tmp*"))


def _pynwb_reference(path: Path, trains: list, source: str) -> None:
    """The file as pynwb itself writes it (what write_spikes_nwb did before it wrote through h5py)."""
    import datetime as dt

    from pynwb import NWBHDF5IO, NWBFile

    nwb = NWBFile(session_description="ephystool spikes", identifier="rec.nwb",
                  session_start_time=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), source_script=source,
                  source_script_file_name="ephystool")
    nwb.add_unit_column("electrode_label", "electrode label as the vendor names it")
    nwb.add_unit_column("well", "well (multi-well plates) or empty")
    for st in trains:
        nwb.add_unit(spike_times=st.times.rescale(pq.s).magnitude, electrode_label=st.annotations["electrode"],
                     well=st.annotations["well"])
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)


def test_h5py_units_file_reads_and_validates_as_pynwb_writes_it(tmp_path: Path) -> None:
    from pynwb import NWBHDF5IO, validate

    rng = np.random.default_rng(4)
    trains = [neo.SpikeTrain(np.sort(rng.uniform(0, 300, n)) * pq.s, t_stop=300 * pq.s, electrode=f"{i + 11}",
                             well="A1" if i % 2 else "") for i, n in enumerate([0, 5, 300, 0, 41])]
    ours = write_spikes_nwb(tmp_path / "ours.nwb", trains, source="rec.nwb", identifier="rec.nwb")
    _pynwb_reference(tmp_path / "ref.nwb", trains, "rec.nwb")
    with NWBHDF5IO(str(ours), "r") as io:
        assert list(validate(io=io)) == []  # the schema, not only pynwb's reader, accepts it
    with NWBHDF5IO(str(ours), "r") as a, NWBHDF5IO(str(tmp_path / "ref.nwb"), "r") as b:
        fa, fb = a.read(), b.read()
        for attr in ("session_description", "identifier", "session_start_time", "source_script",
                     "source_script_file_name", "timestamps_reference_time"):
            assert getattr(fa, attr) == getattr(fb, attr), attr
        ua, ub = fa.units.to_dataframe(), fb.units.to_dataframe()
        assert list(ua.columns) == list(ub.columns) and list(ua.index) == list(ub.index)
        for col in ("electrode_label", "well"):
            assert list(ua[col]) == list(ub[col])
        for x, y in zip(ua["spike_times"], ub["spike_times"], strict=True):
            np.testing.assert_array_equal(x, y)
        assert fa.units.description == fb.units.description
        assert [c.description for c in fa.units.columns] == [c.description for c in fb.units.columns]
