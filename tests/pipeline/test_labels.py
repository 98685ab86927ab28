"""The manifest's own columns label every result row (claims select on them, e.g. zn_condition)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ephystool.pipeline import run_analysis
from ephystool.simulate.experiment import build_experiment


def test_manifest_columns_reach_results(tmp_path: Path) -> None:
    manifest = build_experiment(tmp_path / "exp", size="tiny")
    df = pd.read_csv(manifest, keep_default_na=False)
    df = df[df["protocol"] == "nmda_epsc"].head(2).copy()
    df["zn_condition"] = ["zn_added", ""]
    df["mg_mM"] = [1.3, ""]
    small = tmp_path / "exp" / "small.csv"
    df.to_csv(small, index=False)
    res = run_analysis(small, tmp_path / "out", jobs=1, figures=False, progress=False)
    assert res.n_failed == 0
    out = pd.read_csv(tmp_path / "out" / "results.csv", keep_default_na=False)
    first, second = (out[out["recording"] == r] for r in df["path"])
    assert set(first["zn_condition"]) == {"zn_added"} and set(second["zn_condition"]) == {""}
    assert set(first["mg_mM"].astype(str)) == {"1.3"}


def test_label_column_with_a_results_name_is_refused(tmp_path: Path) -> None:
    import pytest

    from ephystool.errors import ManifestError
    from ephystool.io.manifest import read_manifest

    (tmp_path / "a.abf").write_bytes(b"x")
    m = tmp_path / "m.csv"
    m.write_text("path,condition,protocol,window\na.abf,control,nmda_epsc,early\n")
    with pytest.raises(ManifestError, match="column 'window' is a results-table column"):
        read_manifest(m)
