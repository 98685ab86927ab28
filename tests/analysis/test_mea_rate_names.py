"""MEA rate names mean what Axion means (issue 17 item 6), checked on a real Axion AxIS spike list.

``mean_firing_rate``: mean over all electrodes of the well (silent ones 0 Hz: Axion's Mean Firing Rate);
``weighted_mean_firing_rate``: mean over the active electrodes (>= 5 spikes/min: Axion's Weighted Mean
Firing Rate, EPA meaRtools' ``meanfiringrate``). The expected values are computed here from the CSV with pandas.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ephystool.analysis.firing_mea import WELL_METRICS, FiringMEAParams, analyze
from ephystool.io.spikelists import read_axion_csv

CSV = "axion_spikelist_csv/exampleRecording_1012016_plate1_DIV3_spike_list.csv.gz"


@pytest.mark.realdata
def test_axion_mean_and_weighted_mean_firing_rate(mea_dir: Path) -> None:
    path = mea_dir / CSV
    rec = read_axion_csv(path)
    res = analyze(rec, FiringMEAParams(electrodes_per_well=16))  # 48-well Axion plate: 4 x 4 electrodes
    got = {(r["well"], r["metric"]): r["value"] for r in res.rows() if r.get("window", "all") == "all"}
    raw = pd.read_csv(path, usecols=["Time (s)", "Electrode"], dtype=str, keep_default_na=False)
    raw = raw.assign(t=pd.to_numeric(raw["Time (s)"], errors="coerce")).dropna(subset=["t"])
    raw = raw[raw["Electrode"].str.match(r"^[A-Z]+\d+_\d\d$")]
    duration = rec.metadata["duration_s"]  # the list's last spike: ephystool's analysis window too
    rate = raw.groupby("Electrode").size() / duration
    well = rate.index.str.split("_").str[0]
    checked = 0
    for w, r in rate.groupby(well):
        active = r[r * 60 >= 5]
        assert got[(w, "mean_firing_rate")] == pytest.approx(r.sum() / 16, rel=1e-9), w
        assert got[(w, "weighted_mean_firing_rate")] == pytest.approx(active.mean() if len(active) else 0.0,
                                                                      rel=1e-9), w
        assert got[(w, "active_electrodes")] == len(active)
        checked += 1
    assert checked == 20
    # on wells with silent or sub-threshold electrodes the two differ: the weighted one is the larger
    assert any(got[(w, "weighted_mean_firing_rate")] > 1.2 * got[(w, "mean_firing_rate")] for w in set(well))
    assert "active electrodes" in WELL_METRICS["weighted_mean_firing_rate"]
    assert "all electrodes" in WELL_METRICS["mean_firing_rate"]


def test_mean_over_listed_electrodes_without_a_layout() -> None:
    import neo
    import quantities as pq

    from ephystool.io.spikelists import spikelist_recording

    trains = [("A1_11", "A1", [0.5 * i for i in range(60)]), ("A1_12", "A1", [1.0, 2.0])]  # 2 Hz and 1/15 Hz
    rec = spikelist_recording(Path("x.csv"), "axion_csv", [(e, w, __import__("numpy").array(t)) for e, w, t in trains],
                              30.0)
    assert isinstance(rec.spiketrains[0], neo.SpikeTrain) and rec.spiketrains[0].t_stop == 30 * pq.s
    res = analyze(rec, FiringMEAParams())
    m = {r["metric"]: r["value"] for r in res.rows() if r.get("window", "all") == "all"}
    assert m["weighted_mean_firing_rate"] == pytest.approx(2.0)  # only A1_11 has >= 5 spikes/min
    assert m["mean_firing_rate"] == pytest.approx((2.0 + 2 / 30) / 2)
