"""A file read as another kind than its header says (the protocol's mode or the manifest's kind) and failing its
analysis: the failure names both kinds, since the row's protocol is the likelier fix than the analyzer's hint."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ephystool.io.clamp import infer_clamp


def test_forced_kind_keeps_the_files_own() -> None:
    assert infer_clamp(["Vm"], ["mV"], requested="voltage_clamp").file_kind == "current_clamp"
    assert infer_clamp(["Im"], ["pA"], requested="current_clamp").file_kind == "voltage_clamp"
    assert infer_clamp(["Vm"], ["mV"], requested="current_clamp").file_kind == ""  # agrees: nothing to say
    assert infer_clamp(["Vm"], ["mV"]).file_kind == ""  # not forced


def test_current_clamp_ramp_under_a_field_protocol_names_both_kinds(patchclamp_dir: Path, tmp_path: Path) -> None:
    from ephystool.pipeline import run_analysis

    ramp = patchclamp_dir / "17o05027_ic_ramp.abf"
    (tmp_path / "m.csv").write_text(f"path,condition,animal,slice,cell,protocol\n{ramp},control,a1,s1,c1,ltp_fepsp\n")
    res = run_analysis(tmp_path / "m.csv", tmp_path / "out", jobs=1, figures=False, progress=False)
    assert res.n_failed == 1
    error = pd.read_csv(tmp_path / "out" / "failures.csv")["error"].iloc[0]
    assert "the file's header says current_clamp" in error and "reads it as field" in error
    assert "ltp_fepsp" in error and error.count("\n") == 0
