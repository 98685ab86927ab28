"""Spike-list readers: synthetic round trips, sniffing by content, and the real files' PROVENANCE counts."""

from __future__ import annotations

import gzip
from pathlib import Path

import h5py
import numpy as np
import pytest

from ephystool.errors import CorruptFileError
from ephystool.io import spikelists as sl

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is absent (a user's clone)")
MEA = REALDATA / "mea"
FORMATS = ("axion_csv", "mcd_text", "nex", "eglen_h5", "meanap_mat", "nex_timestamps")


def _sniffed(path: Path) -> list[str]:
    return [f for f in FORMATS if getattr(sl, f"sniff_{f}")(path)]


def _check_contract(rec, n_trains: int, n_spikes: int) -> None:
    assert rec.kind == "mea" and rec.mea is None
    trains = rec.block.segments[0].spiketrains
    assert len(trains) == n_trains == len(rec.electrodes)
    assert sum(len(st) for st in trains) == n_spikes
    for st in trains:
        assert {"electrode", "well"} <= set(st.annotations)
        assert str(st.times.units.dimensionality) == "s"


def test_axion_csv_round_trip_with_explog(tmp_path: Path) -> None:
    lines = ["Investigator,,Time (s),Electrode,Amplitude(mV)", "Experiment ID,,0.5,A1_11,0.05",
             "   Sampling Frequency,12500 Hz,0.7,B2_34,0.02", ",,1.25,A1_11,0.04", ",,2.0,A1_12,0.03",
             "Well Averages,,,,"]
    p = tmp_path / "run1_DIV3_spike_list.csv.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    (tmp_path / "run1_expLog.csv").write_bytes(b"Project,Well,Treatment\rrun1,A1,mg_citrate\rrun1,B2,control\r")
    assert _sniffed(p) == ["axion_csv"]
    rec = sl.read_axion_csv(p)
    _check_contract(rec, 3, 4)
    assert rec.metadata["well_treatment"] == {"A1": "mg_citrate", "B2": "control"}
    st = {s.name: s for s in rec.spiketrains}
    np.testing.assert_allclose(st["A1_11"].times.magnitude, [0.5, 1.25])
    np.testing.assert_allclose(st["A1_11"].array_annotations["amplitude_uV"], [50.0, 40.0])
    assert st["B2_34"].annotations["well"] == "B2"


def test_mcd_text_trigger_and_cutout(tmp_path: Path) -> None:
    head = "MC_DataTool ASCII conversion\r\n\r\n"
    block = "t           \tSpikes 2 {} \tUnit\r\n[ms]        \t[\xb5V]\r\n"
    trig = head + block.format("21") + "\r\n" + block.format("31") + "1000.000\t-9.4\t0\r\n\r\n2500.040\t-8.0\t0\r\n"
    cut = head + block.format("31") + "".join(f"{999.0 + 0.04 * i:.3f}\t{v}\t0\r\n" for i, v in
                                               enumerate([-1.0, -2.0, -3.0, -2.0] + [-1.0] * 21 + [-9.4] + [0.5] * 3))
    for name, text, n in (("trig.txt", trig, 2), ("cut.txt", cut, 1)):
        p = tmp_path / name
        p.write_bytes(text.encode("latin-1"))
        assert _sniffed(p) == ["mcd_text"]
        rec = sl.read_mcd_text(p)
        assert sum(len(s) for s in rec.spiketrains) == n
    np.testing.assert_allclose(rec.spiketrains[0].times.magnitude, [1.0], atol=1e-9)


def test_eglen_h5_round_trip_multiwell(tmp_path: Path) -> None:
    p = tmp_path / "plate.h5"
    with h5py.File(p, "w") as f:
        f["spikes"] = np.array([1.0, 2.0, 3.0, 0.5, 4.0])
        f["sCount"] = np.array([3, 2], dtype=np.int32)
        f["names"] = np.array([b"A1_11", b"B2_12"])
        f["epos"] = np.array([[0.0, 200.0], [0.0, 0.0]])
        f["array"] = np.array([b"Axion 48 well"])
        f["well"] = np.array([b"A1", b"B2"])
        f["treatment"] = np.array([b"control", b"mg_aspartate"])
    assert _sniffed(p) == ["eglen_h5"]
    rec = sl.read_eglen_h5(p)
    _check_contract(rec, 2, 5)
    assert [s.annotations["well"] for s in rec.spiketrains] == ["A1", "B2"]
    assert rec.electrodes[1].x_um == 200.0
    assert rec.metadata["well_treatment"] == {"A1": "control", "B2": "mg_aspartate"}
    with h5py.File(p, "a") as f:
        f["sCount"][...] = np.array([3, 3], dtype=np.int32)
    with pytest.raises(CorruptFileError, match="sCount"):
        sl.read_eglen_h5(p)


def test_nex_timestamps_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "x.nexTimestamps"
    p.write_text("ch_12A\tch_13A\tch_14A\n0.5\t1.0\t2.0\n0.9\t\t2.5\n\t\t3.0\n")
    assert _sniffed(p) == ["nex_timestamps"]
    rec = sl.read_nex_timestamps(p)
    _check_contract(rec, 3, 6)
    assert rec.metadata["duration_s"] == pytest.approx(3.0)


def test_meanap_mat_round_trip(tmp_path: Path) -> None:
    import scipy.io

    st = np.empty(2, dtype=[("bior1p5", object), ("thr4", object)])
    st[0] = (np.array([1.0, 2.0, 3.0]), np.array([1.0]))
    st[1] = (np.array([5.0]), np.array([]))
    info = {"FN": "rec", "DIV": 14, "duration_s": 10.0}
    p = tmp_path / "rec_OutputData.mat"
    scipy.io.savemat(p, {"spikeTimes": st, "Info": info, "channels": np.array([12, 13])})
    assert _sniffed(p) == ["meanap_mat"]
    rec = sl.read_meanap_mat(p)
    _check_contract(rec, 2, 4)
    assert [s.name for s in rec.spiketrains] == ["12", "13"] and rec.metadata["duration_s"] == 10.0
    with pytest.raises(CorruptFileError, match="no method"):
        sl.read_meanap_mat(p, method="swtteo")


def test_sniffers_reject_other_content(tmp_path: Path) -> None:
    p = tmp_path / "other.csv"
    p.write_text("a,b,c\n1,2,3\n")
    q = tmp_path / "binary.dat"
    q.write_bytes(b"\x00\x01\x02" * 100)
    assert _sniffed(p) == [] and _sniffed(q) == []


# ----- real files: counts from ../shared/realdata/mea/PROVENANCE.md -------------------------------------------
REAL = [
    ("axion_csv", "axion_spikelist_csv/exampleRecording_1012016_plate1_DIV3_spike_list.csv.gz", 269, 100957),
    ("mcd_text", "mcs_datatool_txt/mcd_exported_spike.txt", 4, 6),
    ("mcd_text", "mcs_datatool_txt/mcd_exported_pre_post_spike.txt", 4, 6),
    ("nex", "nex/CS056P07R-MEME1.nex", 71, 63393),
    ("meanap_mat", "meanap_output/NGN2_20230208_P1_DIV14_A2_OutputData.mat", 64, 7753),
    ("nex_timestamps", "text_spiketimes/TC89_DIV15_A.nexTimestamps", 61, 208279),
    ("eglen_h5", "axion48_spikes_h5/CO_20140212_MW1007-51_DIV05_00_001.h5", 256, 53081),
    ("eglen_h5", "axion48_spikes_h5/CO_20140212_MW1007-51_DIV07_00_001.h5", 544, 333404),
    ("eglen_h5", "retina_spikes_h5/Wong1993_P1.h5", 44, 9818),
    ("eglen_h5", "retina_spikes_h5/Xu2011_20MAY2009R2-RINGER.h5", 40, 5499),
    ("eglen_h5", "retina_spikes_h5/Demas2003_P11_CTRL_HY1_1A.h5", 6, 2171),
    ("eglen_h5", "retina_spikes_h5/Maccione2014_P03_retina2_All_phases_bursts_filtered.h5", 224, 29800),
    ("eglen_h5", "retina_spikes_h5/Stafford2009_WT_37C_Dorsal_2008-02-08-0.h5", 110, 176940),
]


@pytest.mark.realdata
@needs_realdata
@pytest.mark.parametrize(("fmt", "rel", "n_trains", "n_spikes"), REAL, ids=[r[1].split("/")[-1][:30] for r in REAL])
def test_real_files_load_with_provenance_counts(fmt: str, rel: str, n_trains: int, n_spikes: int) -> None:
    path = MEA / rel
    assert _sniffed(path) == [fmt]
    rec = getattr(sl, f"read_{fmt}")(path)
    _check_contract(rec, n_trains, n_spikes)


@pytest.mark.realdata
@needs_realdata
def test_real_axion_wells_and_treatments() -> None:
    rec = sl.read_axion_csv(MEA / "axion_spikelist_csv" / "exampleRecording_1012016_plate1_DIV3_spike_list.csv.gz")
    wells = {st.annotations["well"] for st in rec.spiketrains}
    assert len(wells) == 20
    treat = rec.metadata["well_treatment"]
    assert len(treat) == 48 and {v for v in treat.values() if v} == {"treatX", "treatY", "untreated"}
    assert rec.metadata["duration_s"] == pytest.approx(57.67824, abs=1e-4)


@pytest.mark.realdata
@needs_realdata
def test_real_mcd_exports_agree_and_meanap_duration() -> None:
    a = sl.read_mcd_text(MEA / "mcs_datatool_txt" / "mcd_exported_spike.txt")
    b = sl.read_mcd_text(MEA / "mcs_datatool_txt" / "mcd_exported_pre_post_spike.txt")
    for x, y in zip(a.spiketrains, b.spiketrains):
        np.testing.assert_allclose(x.times.magnitude, y.times.magnitude, atol=1e-9)
    m = sl.read_meanap_mat(MEA / "meanap_output" / "NGN2_20230208_P1_DIV14_A2_OutputData.mat")
    assert m.metadata["duration_s"] == 600.0
    assert all(float(st.t_stop) == 600.0 for st in m.spiketrains)


@pytest.mark.realdata
@needs_realdata
def test_real_non_spikelists_are_not_sniffed() -> None:
    for rel in ("mcs_h5/mcs_2014-07-09T10-17-35W8_Standard_all_500Hz.h5", "tetrode_raw/locust_trial_01.raw",
                "axion_raw_mat/axion_well_A1_reference.mat"):
        assert _sniffed(MEA / rel) == []
