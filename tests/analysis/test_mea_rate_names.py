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


def test_packaged_template_analyses_a_20_s_recording_without_dosing() -> None:
    from ephystool.protocols import load_protocol
    from ephystool.simulate.mea import mea_recording, simulate_mea

    proto = load_protocol("mea_spontaneous")
    params = FiringMEAParams.from_protocol(proto.params_mapping(), {})
    data, truth = simulate_mea(20.0, n_channels=12, seed=3, snr=6.0, rate_hz=3.0)
    res = analyze(mea_recording(data, truth), params)
    rows = res.rows()
    assert {r["window"] for r in rows} == {"all"} and "whole recording analysed" in rows[0]["note"]
    assert res.metric("weighted_mean_firing_rate").magnitude > 0
    from ephystool.errors import AnalysisError

    with pytest.raises(AnalysisError, match="outside the recording"):  # a manifest dosing time is never ignored
        analyze(mea_recording(data, truth), FiringMEAParams.from_protocol(proto.params_mapping(),
                                                                          {"dosing_time_s": 900}))


def test_between_well_claims_compare_whole_recordings() -> None:
    from ephystool.compare.engine import compare

    rng = __import__("numpy").random.default_rng(4)
    rows = []
    for b in range(4):  # 4 culture batches x 2 wells per condition, one recording per well, no dosing
        for cond, eff in (("control", 1.0), ("mg_citrate", 1.6)):
            for w in range(2):
                rows.append({"recording": f"b{b}{cond}{w}.h5", "condition": cond, "batch": f"b{b}", "plate": f"p{b}",
                             "well": f"{cond}{w}", "analysis": "firing_mea", "metric": "weighted_mean_firing_rate",
                             "protocol": "mea_spontaneous", "window": "all", "unit": "Hz",
                             "value": 2.0 * eff * float(rng.lognormal(0, 0.1))})
    v = {x.id: x for x in compare(pd.DataFrame(rows), n_boot=200).verdicts}["CIT-NMDA-5"]
    assert v.verdict == "supported" and "between-well design" in v.reason
    assert v.effect["decision"]["method"] == "paired_t(batch condition means)"  # batches hold both conditions
