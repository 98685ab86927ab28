"""The experiment manifest: CSV and YAML forms, condition aliases, validation errors, and the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from ephystool.cli import main
from ephystool.errors import ManifestError
from ephystool.io.manifest import DEFAULT_CONDITIONS, normalise_condition, read_manifest
from ephystool.simulate.abf_writer import write_abf1

HEADER = "path,condition,animal,slice,cell,protocol,holding_mV\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _small_abf(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    return write_abf1(path, -50.0 + rng.standard_normal((2, 1, 200)), 10000, ["IN 0"], ["pA"], sweep_interval_s=1.0)


def _one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as ex:
        main(argv)
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ephystool: error:")
    return lines[0]


# ----------------------------------------------------------------------------------------- reading
def test_csv_manifest_reads_rows(tmp_path: Path) -> None:
    m = _write(tmp_path / "exp" / "manifest.csv", HEADER
               + "rec/a.abf,control,A1,S1,C1,nmda_epsc,-70\n"
               + "# a comment line is skipped\n"
               + "rec/b.abf,mg_citrate,A1,S1,C2,nmda_epsc,\n")
    man = read_manifest(m)
    assert [r.condition for r in man.rows] == ["control", "mg_citrate"]
    assert [r.row for r in man.rows] == [1, 2]
    assert man.rows[0].units()["animal"] == "A1" and man.rows[1].cell == "C2"
    assert man.rows[0].holding_mV == (-70.0,) and man.rows[1].holding_mV == ()
    assert man.rows[0].protocol == "nmda_epsc"
    assert man.conditions == DEFAULT_CONDITIONS
    assert man.rows[0].recording_id == "rec/a.abf"


def test_yaml_list_form(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.yaml", """
- {path: a.abf, condition: Mg-Asp, animal: A1, cell: C1, protocol: nmda_epsc, holding_mV: [-70, 40]}
- {path: b.abf, condition: ctrl, animal: A2, cell: C1, protocol: nmda_epsc, stim_time_ms: 100}
""")
    man = read_manifest(m)
    assert [r.condition for r in man.rows] == ["mg_aspartate", "control"]
    assert man.rows[0].holding_mV == (-70.0, 40.0)
    assert man.rows[1].overrides["stim_time_ms"] == 100.0


def test_yaml_mapping_form_with_vocabulary(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.yaml", """
conditions: [wildtype, knockout]
design: between_animals
recordings:
  - {path: a.abf, condition: Wildtype, animal: A1, protocol: cc_fi_steps}
  - {path: b.abf, condition: knockout, animal: A2, protocol: cc_fi_steps}
""")
    man = read_manifest(m)
    assert man.conditions == ("wildtype", "knockout")
    assert [r.condition for r in man.rows] == ["wildtype", "knockout"]
    assert man.design == "between_animals"


def test_yaml_mapping_without_recordings_is_an_error(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.yaml", "conditions: [a, b]\n")
    with pytest.raises(ManifestError, match="recordings"):
        read_manifest(m)


@pytest.mark.parametrize(("label", "expected"), [
    ("Mg-Asp", "mg_aspartate"), ("MgCit", "mg_citrate"), ("Mg aspartate", "mg_aspartate"), ("ctrl", "control"),
    ("Control", "control"), ("mg_citrate", "mg_citrate"), ("Mg citrate", "mg_citrate"),
])
def test_condition_aliases(tmp_path: Path, label: str, expected: str) -> None:
    assert normalise_condition(label) == expected
    m = _write(tmp_path / "m.csv", HEADER + f"a.abf,{label},A1,S1,C1,nmda_epsc,\n")
    assert read_manifest(m).rows[0].condition == expected


def test_unknown_condition_lists_valid_ones_with_row(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.csv", HEADER + "a.abf,control,A1,S1,C1,p,\nb.abf,Mg sulphate,A1,S1,C2,p,\n")
    with pytest.raises(ManifestError) as err:
        read_manifest(m)
    msg = str(err.value)
    assert err.value.row == 2 and err.value.column == "condition"
    assert "row 2" in msg and "Mg sulphate" in msg and "m.csv" in msg
    assert all(c in msg for c in DEFAULT_CONDITIONS)


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.csv", "path,condition,animal\na.abf,control,A1\n")
    with pytest.raises(ManifestError) as err:
        read_manifest(m)
    assert "protocol" in str(err.value) and "m.csv" in str(err.value)


def test_empty_required_value_names_row_and_column(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.csv", HEADER + "a.abf,control,A1,S1,C1,,\n")
    with pytest.raises(ManifestError) as err:
        read_manifest(m)
    assert (err.value.row, err.value.column) == (1, "protocol")


def test_duplicate_row_names_both_rows(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.csv", HEADER + "a.abf,control,A1,S1,C1,p,\nb.abf,control,A1,S1,C2,p,\n"
               + "./a.abf,ctrl,A1,S1,C1,p,\n")
    with pytest.raises(ManifestError) as err:
        read_manifest(m)
    msg = str(err.value)
    assert "row 3" in msg and "row 1" in msg and "duplicate" in msg


def test_holding_list_parsed(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.csv", HEADER + 'a.abf,control,A1,S1,C1,nmda_iv,"-70;40"\n')
    assert read_manifest(m).rows[0].holding_mV == (-70.0, 40.0)


def test_bad_number_names_row_and_column(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.csv", "path,condition,protocol,stim_time_ms\na.abf,control,p,soon\n")
    with pytest.raises(ManifestError) as err:
        read_manifest(m)
    assert (err.value.row, err.value.column) == (1, "stim_time_ms") and "soon" in str(err.value)


def test_relative_paths_resolve_against_manifest_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m = _write(tmp_path / "exp" / "sub" / "m.csv", HEADER + "../rec/a.abf,control,A1,S1,C1,p,\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    row = read_manifest(m).rows[0]
    assert row.path == (tmp_path / "exp" / "rec" / "a.abf").resolve()
    absolute = tmp_path / "abs.abf"
    m2 = _write(tmp_path / "exp" / "m2.csv", HEADER + f"{absolute},control,A1,S1,C1,p,\n")
    assert read_manifest(m2).rows[0].path == absolute.resolve()


def test_check_files_names_the_missing_row(tmp_path: Path) -> None:
    _small_abf(tmp_path / "a.abf")
    m = _write(tmp_path / "m.csv", HEADER + "a.abf,control,A1,S1,C1,p,\nmissing.abf,mg_citrate,A1,S1,C2,p,\n")
    man = read_manifest(m)  # without check_files a missing file is the pipeline's per-row failure
    assert [r.path.name for r in man.missing_files()] == ["missing.abf"]
    with pytest.raises(ManifestError) as err:
        read_manifest(m, check_files=True)
    assert err.value.row == 2 and "missing.abf" in str(err.value) and "row 2" in str(err.value)


def test_configurable_vocabulary(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.csv", HEADER + "a.abf,WT,A1,S1,C1,p,\nb.abf,ko,A2,S1,C1,p,\n")
    man = read_manifest(m, conditions=["wt", "ko"])
    assert man.conditions == ("wt", "ko") and [r.condition for r in man.rows] == ["wt", "ko"]
    with pytest.raises(ManifestError) as err:
        read_manifest(_write(tmp_path / "n.csv", HEADER + "a.abf,control,A1,S1,C1,p,\n"), conditions=["wt", "ko"])
    assert "wt" in str(err.value) and "ko" in str(err.value)
    assert normalise_condition("control", ("wt", "ko")) is None


def test_same_cell_under_two_conditions_is_allowed(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.csv", HEADER + "cell1_base.abf,control,A1,S1,C1,nmda_epsc,\n"
               + "cell1_drug.abf,Mg-Asp,A1,S1,C1,nmda_epsc,\n"
               + "cell1_both.abf,control,A1,S1,C1,nmda_epsc,\n"
               + "cell1_both.abf,MgCit,A1,S1,C1,nmda_epsc,\n")
    man = read_manifest(m)
    assert [r.condition for r in man.rows] == ["control", "mg_aspartate", "control", "mg_citrate"]
    assert len({(r.animal, r.slice, r.cell) for r in man.rows}) == 1


def test_missing_or_empty_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="does not exist"):
        read_manifest(tmp_path / "nope.csv")
    with pytest.raises(ManifestError, match="no rows"):
        read_manifest(_write(tmp_path / "empty.csv", HEADER))


# ----------------------------------------------------------------------------------------- CLI
def _experiment(root: Path) -> Path:
    for folder, n in (("control", 2), ("Mg-Asp", 1), ("mg_citrate", 2)):
        for i in range(n):
            _small_abf(root / folder / f"cell{i}.abf", seed=i)
    _small_abf(root / "unsorted" / "x.abf")
    return root


def test_manifest_init_drafts_conditions_from_folders(tmp_path: Path, capsys) -> None:
    root = _experiment(tmp_path / "exp")
    main(["manifest", "init", str(root)])
    assert "6 recording(s)" in capsys.readouterr().out
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    got = {r["path"]: r["condition"] for r in rows}
    assert got == {
        "Mg-Asp/cell0.abf": "mg_aspartate",
        "control/cell0.abf": "control", "control/cell1.abf": "control",
        "mg_citrate/cell0.abf": "mg_citrate", "mg_citrate/cell1.abf": "mg_citrate",
        "unsorted/x.abf": "",
    }
    assert {"path", "condition", "animal", "slice", "cell", "protocol"} <= set(rows[0])
    assert [r["notes"] for r in rows if r["path"] == "unsorted/x.abf"][0]
    # a second init does not overwrite the draft
    before = (root / "manifest.csv").read_text()
    line = _one_line_exit_2(["manifest", "init", str(root)], capsys)
    assert "manifest.csv" in line and "force" in line
    assert (root / "manifest.csv").read_text() == before


def test_manifest_init_elsewhere_writes_paths_relative_to_the_manifest(tmp_path: Path, capsys) -> None:
    """``-o`` in another folder: manifest paths are relative to the manifest, so they must still resolve."""
    root = _experiment(tmp_path / "exp")
    out = tmp_path / "analysis" / "runs" / "manifest.csv"
    out.parent.mkdir(parents=True)
    main(["manifest", "init", str(root), "-o", str(out)])
    capsys.readouterr()
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6 and all(r["path"].startswith("../../exp/") for r in rows)
    assert all((out.parent / r["path"]).resolve().is_file() for r in rows)


def test_manifest_check_ok_and_missing_file(tmp_path: Path, capsys) -> None:
    root = _experiment(tmp_path / "exp")
    m = _write(root / "m.csv", HEADER + "control/cell0.abf,control,A1,S1,C1,nmda_epsc,-70\n"
               + "Mg-Asp/cell0.abf,Mg-Asp,A2,S1,C1,nmda_epsc,-70\n")
    capsys.readouterr()
    main(["manifest", "check", str(m)])
    assert "2 recording(s) OK" in capsys.readouterr().out
    bad = _write(root / "bad.csv", HEADER + "control/cell0.abf,control,A1,S1,C1,nmda_epsc,-70\n"
                 + "control/gone.abf,control,A1,S1,C2,nmda_epsc,-70\n")
    line = _one_line_exit_2(["manifest", "check", str(bad)], capsys)
    assert "bad.csv" in line and "row 2" in line and "gone.abf" in line


def test_manifest_check_unknown_condition(tmp_path: Path, capsys) -> None:
    m = _write(tmp_path / "m.csv", HEADER + "a.abf,saline,A1,S1,C1,nmda_epsc,\n")
    line = _one_line_exit_2(["manifest", "check", str(m)], capsys)
    assert "saline" in line and "mg_aspartate" in line


def test_manifest_init_leaves_out_tables_and_notes_unreadable_recordings(tmp_path: Path, capsys) -> None:
    root = _experiment(tmp_path / "exp")
    (root / "control" / "peer_outputs.csv").write_text("file,metric,value\ncell0.abf,rate,3\n")
    (root / "control" / "rig.dat").write_bytes(b"DAT1" + bytes(200))  # an old (unbundled) HEKA file: no reader
    main(["manifest", "init", str(root)])
    out = capsys.readouterr().out
    assert "left out 1 file(s)" in out and "peer_outputs.csv" in out
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = {r["path"]: r for r in csv.DictReader(fh)}
    assert "control/peer_outputs.csv" not in rows
    assert "HEKA" in rows["control/rig.dat"]["notes"] and rows["control/rig.dat"]["condition"] == "control"
