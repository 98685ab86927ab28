"""Electrode layouts from the manifest: probeinterface JSON and CSV tables placed on an MEA recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ephystool.errors import LoadError, ManifestError
from ephystool.io.layout import apply_layout, read_layout
from ephystool.io.manifest import read_manifest
from ephystool.simulate.mea import mea_recording, simulate_mea


@pytest.fixture(scope="module")
def rec():
    data, truth = simulate_mea(1.0, n_channels=12, seed=3, snr=6.0)
    return mea_recording(data, truth)


def _probe_json(path: Path, ids: list[str] | None, pitch: float = 200.0, channels: bool = False) -> Path:
    import probeinterface as pi

    probe = pi.generate_multi_columns_probe(num_columns=4, num_contact_per_column=3, xpitch=pitch, ypitch=pitch)
    if ids is not None:
        probe.set_contact_ids(ids)
    if channels:
        probe.set_device_channel_indices(np.arange(12))
    pi.write_probeinterface(path, probe)
    return path


def test_probeinterface_by_contact_id(rec, tmp_path: Path) -> None:
    labels = [e.label for e in rec.electrodes]
    pos = read_layout(_probe_json(tmp_path / "probe.json", labels))
    placed = apply_layout(rec, pos, "probe.json")
    xy = np.array([(e.x_um, e.y_um) for e in placed.electrodes])
    assert xy.shape == (12, 2) and not np.isnan(xy).any()
    assert sorted(set(xy[:, 0])) == [0.0, 200.0, 400.0, 600.0]  # 4 columns at 200 µm pitch
    assert [e.label for e in placed.electrodes] == labels and rec.electrodes[0].x_um != rec.electrodes[0].x_um


def test_probeinterface_by_channel_index(rec, tmp_path: Path) -> None:
    """Contact ids that are not the file's labels: the device channel index places the electrodes."""
    pos = read_layout(_probe_json(tmp_path / "probe.json", [f"c{i}" for i in range(12)], channels=True))
    placed = apply_layout(rec, pos)
    assert placed.electrodes[5].x_um == pos["#5"][0] and placed.electrodes[5].y_um == pos["#5"][1]


def test_csv_layout_and_missing_labels(rec, tmp_path: Path) -> None:
    labels = [e.label for e in rec.electrodes]
    lay = tmp_path / "layout.csv"
    lay.write_text("# lab grid\nElectrode,X,Y\n" + "".join(f"{lab},{10 * i},{-5 * i}\n" for i, lab in enumerate(labels)))
    placed = apply_layout(rec, read_layout(lay), lay)
    assert (placed.electrodes[3].x_um, placed.electrodes[3].y_um) == (30.0, -15.0)
    lay.write_text("electrode,x_um,y_um\n" + "".join(f"{lab},0,0\n" for lab in labels[:10]))
    with pytest.raises(LoadError, match=r"places 2 of the 12 .*missing: " + labels[10]):
        apply_layout(rec, read_layout(lay), lay)
    lay.write_text("electrode,x_um,y_um\nZZ,0,0\n")
    with pytest.raises(LoadError, match="places none of the"):
        apply_layout(rec, read_layout(lay), lay)


@pytest.mark.parametrize(("name", "text", "match"), [
    ("bad.csv", "electrode,depth\n1,2\n", "needs columns electrode, x_um, y_um"),
    ("bad2.csv", "electrode,x_um,y_um\n1,a,2\n", "line 2: position 'a'"),
    ("probe.json", '{"hello": 1}', "not a probeinterface file"),
    ("layout.xml", "<x/>", "unknown layout format"),
    ("binary.csv", "\udcff\udcfe", "not a text table"),
])
def test_bad_layout_files_are_one_line_errors(tmp_path: Path, name: str, text: str, match: str) -> None:
    (tmp_path / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(LoadError, match=match) as err:
        read_layout(tmp_path / name)
    assert name in str(err.value) and "\n" not in str(err.value)


def test_manifest_layout_column_resolved_and_checked(tmp_path: Path) -> None:
    (tmp_path / "a.h5").write_bytes(b"x")
    man = tmp_path / "m.csv"
    man.write_text("path,condition,well,protocol,layout\na.h5,control,A1,mea_spontaneous,maps/grid.csv\n")
    row = read_manifest(man).rows[0]
    assert row.overrides["layout"] == str((tmp_path / "maps" / "grid.csv").resolve())
    with pytest.raises(ManifestError, match="layout file .* does not exist"):
        read_manifest(man, check_files=True)


def test_batch_places_electrodes_and_reports_a_bad_layout(tmp_path: Path) -> None:
    """Through the batch: the layout reaches the recording the analyzer and figures see; a layout that
    matches no electrode fails that row alone with one line."""
    from ephystool.pipeline import build_tasks, run_analysis
    from ephystool.pipeline.tasks import _load
    from ephystool.simulate.mea import write_mea_h5

    data, truth = simulate_mea(3.0, n_channels=8, seed=5, snr=6.0)
    write_mea_h5(tmp_path / "w1.h5", data, truth)
    write_mea_h5(tmp_path / "w2.h5", data, truth)
    from ephystool.io import load

    labels = [e.label for e in load(tmp_path / "w1.h5").electrodes]
    (tmp_path / "ring.csv").write_text("electrode,x_um,y_um\n" + "".join(
        f"{lab},{100 * np.cos(k):.3f},{100 * np.sin(k):.3f}\n" for k, lab in enumerate(labels)))
    (tmp_path / "other.csv").write_text("electrode,x_um,y_um\nnot_here,0,0\n")
    (tmp_path / "quiet.yaml").write_text(
        (Path(__file__).resolve().parents[2] / "protocols" / "mea_spontaneous.yaml").read_text()
        .replace('dosing_time: "15 min"', "dosing_time: null"))
    man = tmp_path / "m.csv"
    man.write_text("path,condition,well,protocol,layout\nw1.h5,control,A1,quiet.yaml,ring.csv\n"
                   "w2.h5,mg_citrate,A2,quiet.yaml,other.csv\n")
    rec = _load(build_tasks(read_manifest(man))[0].rows[0], None)
    assert [round(e.x_um, 3) for e in rec.electrodes] == [round(100 * np.cos(k), 3) for k in range(len(labels))]
    res = run_analysis(man, tmp_path / "out", jobs=1, progress=False)
    assert res.n_ok == 1 and res.n_failed == 1
    assert "places none of the" in res.failures[0]["error"] and "\n" not in res.failures[0]["error"]
    assert any(p.name.endswith(".png") and "heat" in p.name for p in (tmp_path / "out" / "figures").rglob("*.png"))
