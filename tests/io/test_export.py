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
