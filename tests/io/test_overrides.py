"""Manifest values win over file metadata and name their source (issue 14: 'Overrides win, labels stay labels')."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from ephystool.errors import AnalysisError, ManifestError
from ephystool.io import load
from ephystool.io.overrides import apply_overrides, value_sources
from ephystool.pipeline.tasks import _load, _select_well
from ephystool.simulate.abf_writer import write_abf1


def _back_to_back(tmp_path: Path, n: int = 5) -> Path:
    """A 'converted' ABF whose header says the 200 ms sweeps were recorded back to back."""
    sweeps = -0.1 + 0.01 * np.random.default_rng(1).standard_normal((n, 1, 2000))
    return write_abf1(tmp_path / "converted.abf", sweeps, 10_000, ["fEPSP"], ["mV"], sweep_interval_s=0.2)


def _row(path: Path, **overrides: object) -> dict:
    return {"path": str(path), "overrides": dict(overrides), "holding_mV": ()}


def test_manifest_sweep_interval_wins_over_the_header(tmp_path: Path) -> None:
    path = _back_to_back(tmp_path)
    assert np.allclose(np.diff(load(path).sweep_start_times_s), 0.2)  # what the header says
    rec = _load(_row(path, sweep_interval_s=15.0), "field")
    assert np.allclose(np.diff(rec.sweep_start_times_s), 15.0)
    assert rec.sweep_time(4) == pytest.approx(60.0)
    assert value_sources(rec)["sweep_times"] == "manifest (sweep_interval_s = 15 s)"
    assert any("replaces the file's sweep spacing (0.2 s)" in w for w in rec.warnings)


def test_without_override_the_file_times_are_used_and_said(tmp_path: Path) -> None:
    rec = _load(_row(_back_to_back(tmp_path)), "field")
    assert np.allclose(np.diff(rec.sweep_start_times_s), 0.2)
    assert value_sources(rec)["sweep_times"] == "file" and value_sources(rec)["kind"] == "protocol"


def test_interval_shorter_than_a_sweep_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="shorter than a sweep"):
        apply_overrides(load(_back_to_back(tmp_path)), {"sweep_interval_s": 0.1})


def test_manifest_stim_time_wins_and_kind_and_holding_sources(tmp_path: Path) -> None:
    path = _back_to_back(tmp_path)
    rec = _load({**_row(path, stim_time_ms=164.0, kind="field"), "holding_mV": (-70.0,)}, None)
    assert rec.stim_times_s == tuple((0.164,) for _ in range(rec.n_sweeps))
    src = value_sources(rec)
    assert src["stim_times"] == "manifest (stim_time_ms = 164)"
    assert src["kind"] == "manifest" and src["holding"] == "manifest"


@pytest.mark.realdata
def test_manifest_stim_time_agreeing_with_the_file_keeps_the_file_train(realdata_dir: Path) -> None:
    path = realdata_dir / "more" / "vc_evoked" / "patchclampplotteR_sample_abf_PPR_2sweeps.abf"
    if not path.exists():
        pytest.skip("realdata/more is absent")
    rec = _load(_row(path, stim_time_ms=578.1), "voltage_clamp")
    assert rec.stim_times_s[0] == (0.5781, 0.6282)
    assert value_sources(rec)["stim_times"].startswith("file (agrees")
    moved = _load(_row(path, stim_time_ms=100.0), "voltage_clamp")
    assert moved.stim_times_s[0] == (0.1,) and any("replaces the file's stimulus times" in w for w in moved.warnings)


def _result(wells: list[str]) -> SimpleNamespace:
    rows = [{"well": w, "metric": "rate", "value": 1.0} for w in wells]
    elec = [{"well": w, "electrode": "12", "metric": "rate", "value": 1.0} for w in wells]
    return SimpleNamespace(rows=lambda: rows, electrode_rows=lambda: elec)


def test_single_well_file_accepts_any_well_label() -> None:
    rows, elec = _select_well(_result(["mea60"]), "w0", "one_well.h5")
    assert len(rows) == 1 and [e["well"] for e in elec] == ["w0"]


def test_multi_well_file_selects_by_label_and_refuses_an_unknown_one() -> None:
    rows, _ = _select_well(_result(["A1", "A2", "B1"]), "A2", "plate.h5")
    assert [r["well"] for r in rows] == ["A2"]
    with pytest.raises(AnalysisError, match="names well 'w0'"):
        _select_well(_result(["A1", "A2"]), "w0", "plate.h5")
