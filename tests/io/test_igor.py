"""Igor .ibw wave series reader: grouping, units, wave-note step window, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ephystool.errors import CorruptFileError, LoadError

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
CC = REALDATA / "more" / "cc_steps"
pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is absent (a user's clone)")]


def test_series_loaded_from_any_wave_with_si_units_converted():
    from ephystool.io import load

    rec = load(CC / "C060109A1-SR-C1_IDthresh" / "X_IDthresh_ch0_353.ibw")
    assert rec.format == "igor" and rec.kind == "current_clamp" and rec.n_sweeps == 9
    assert [c.units for c in rec.channels] == ["pA", "mV"] and rec.primary == 1
    v = rec.signal(0).magnitude.ravel()
    assert -80 < float(v[:100].mean()) < -60  # mV, not V
    assert rec.metadata["sweep_numbers"].split(";")[0] == "349"
    assert rec.epochs[0] == ()  # no wave note: no invented window


def test_wave_note_pulse_gives_epochs_with_source_file():
    from ephystool.io.igor import read

    rec = read(CC / "CA1py_150216_A1_FirePattern")
    assert rec.metadata["step_window_source"] == "file (wave note Pulse($,0.25,3))"
    step = rec.epochs[1][1]
    assert (step.start_s, step.end_s, step.level, step.units) == (0.25, 3.25, 200.0, "pA")
    assert rec.sampling_rate_hz == pytest.approx(10000.0)


def test_errors_name_the_fix(tmp_path):
    from ephystool.io.igor import read

    src = CC / "C060109A1-SR-C1_IDthresh"
    bad = tmp_path / "wave.ibw"
    shutil.copy(src / "X_IDthresh_ch0_349.ibw", bad)
    with pytest.raises(LoadError, match="<name>_ch<k>_<sweep>"):
        read(bad)
    two = tmp_path / "two"
    two.mkdir()
    shutil.copy(src / "X_IDthresh_ch0_349.ibw", two / "A_ch0_1.ibw")
    shutil.copy(src / "X_IDthresh_ch0_349.ibw", two / "B_ch0_1.ibw")
    with pytest.raises(LoadError, match="exactly one"):
        read(two)
    miss = tmp_path / "miss"
    miss.mkdir()
    for name in ("A_ch0_1.ibw", "A_ch1_1.ibw", "A_ch0_2.ibw"):
        shutil.copy(src / "X_IDthresh_ch1_349.ibw", miss / name)
    with pytest.raises(CorruptFileError, match="sweep 2 has no wave for channel"):
        read(miss / "A_ch0_1.ibw")


def test_series_folder_is_one_recording_for_load_and_manifest_init(tmp_path):
    """A folder holding one wave series loads as that series, and ``manifest init`` lists it once."""
    from ephystool.commands.manifest import draft_rows
    from ephystool.io import load

    rec = load(CC / "CA1py_150216_A1_FirePattern")
    assert rec.format == "igor" and rec.n_sweeps == 2
    rows = draft_rows(CC, ("control", "mg_aspartate", "mg_citrate"))
    igor = [r["path"] for r in rows if "FirePattern" in r["path"] or "IDthresh" in r["path"]]
    assert sorted(Path(p).name for p in igor) == ["C060109A1-SR-C1_IDthresh", "CA1py_150216_A1_FirePattern"]
