"""A multi-well plate file listed once per well: each manifest row gets its own well's metrics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ephystool.pipeline import run_analysis

AXION = "mea/axion_spikelist_csv/exampleRecording_1012016_plate1_DIV3_spike_list.csv.gz"


@pytest.mark.realdata
def test_plate_rows_per_well(mea_dir: Path, tmp_path: Path, monkeypatch) -> None:
    src = mea_dir / AXION.split("/", 1)[1]
    man = tmp_path / "manifest.csv"
    man.write_text("path,condition,well,batch,protocol\n"
                   f"{src},control,C3,b1,mea_excitotoxicity\n"
                   f"{src},mg_citrate,B2,b1,mea_excitotoxicity\n"
                   f"{src},mg_citrate,Z9,b1,mea_excitotoxicity\n")
    from ephystool.analysis import firing_mea

    calls: list[str] = []
    real = firing_mea.analyze
    monkeypatch.setattr(firing_mea, "analyze", lambda rec, params: calls.append(rec.path.name) or real(rec, params))
    res = run_analysis(man, tmp_path / "out", jobs=1, figures=False, progress=False)
    assert len(calls) == 1  # the plate is analysed once for its three rows, not once per row
    assert res.n_failed == 1 and "Z9" in res.failures[0]["error"]  # a well the plate does not have
    df = pd.read_csv(tmp_path / "out" / "results.csv", keep_default_na=False)
    mfr = df[df.metric == "mean_firing_rate"]
    assert set(mfr["well"]) == {"C3", "B2"}
    assert set(mfr.loc[mfr.well == "C3", "condition"]) == {"control"}
    assert set(mfr.loc[mfr.well == "B2", "condition"]) == {"mg_citrate"}
    elec = pd.read_csv(tmp_path / "out" / "electrodes.csv", keep_default_na=False)
    assert set(elec["well"]) <= {"C3", "B2"}


@pytest.mark.realdata
def test_plate_memo_is_per_thread(mea_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """Tasks run in threads of one process (a Dask worker with several threads) never share the plate
    memo: each thread analyses the plate itself, and every row still gets its own well."""
    from concurrent.futures import ThreadPoolExecutor

    from ephystool.analysis import firing_mea
    from ephystool.io.manifest import read_manifest
    from ephystool.pipeline import build_tasks
    from ephystool.pipeline.tasks import run_task

    src = mea_dir / AXION.split("/", 1)[1]
    man = tmp_path / "manifest.csv"
    man.write_text("path,condition,well,batch,protocol\n"
                   f"{src},control,C3,b1,mea_excitotoxicity\n{src},mg_citrate,B2,b1,mea_excitotoxicity\n")
    calls: list[str] = []
    real = firing_mea.analyze
    monkeypatch.setattr(firing_mea, "analyze", lambda rec, params: calls.append(rec.path.name) or real(rec, params))
    tasks = build_tasks(read_manifest(man), None, False, None)
    first = run_task(tasks[0])  # this thread's memo now holds the plate
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(run_task, tasks[1]).result()
    assert len(calls) == 2 and first.failure is None and second.failure is None
    assert {r["well"] for r in first.results} == {"C3"} and {r["well"] for r in second.results} == {"B2"}
