"""Batch analysis (issue 9): outputs, failures, exit status, determinism, cache, Dask, raw data untouched.

A tiny simulated experiment is built once per module; each test copies the few recordings it needs
(one per protocol, two for NMDA EPSCs and MEA) into its own folder, so that tests that modify an
input never affect the others.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

from ephystool.cli import main
from ephystool.pipeline import ELECTRODE_COLUMNS, RESULT_COLUMNS, SWEEP_COLUMNS, run_analysis
from ephystool.protocols import load_protocol, validate_protocol
from ephystool.simulate.experiment import build_experiment

REPO = Path(__file__).resolve().parents[2]
#: the contract's leading columns of results.csv (ARCHITECTURE.md), in this order
CONTRACT = ["recording", "condition", "animal", "slice", "cell", "well", "protocol", "analysis", "metric", "value",
            "unit"]
#: how many rows of each protocol of the tiny experiment the batch takes
SUBSET = {"nmda_iv": 1, "nmda_epsc": 2, "protocols/nmda_tonic_short.yaml": 1, "cc_fi_steps": 1, "ltp_fepsp": 1,
          "protocols/mea_spontaneous_short.yaml": 2}
OUTPUTS = ("results.csv", "results.parquet", "sweeps.csv", "electrodes.csv", "failures.csv", "recordings.csv",
           "provenance.json")


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny simulated experiment (36 recordings), built once for the module."""
    return build_experiment(tmp_path_factory.mktemp("exp") / "exp", size="tiny").parent


def _rows(src: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(src / "manifest.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write_manifest(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in header})
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def make_batch(src: Path, dst: Path, subset: dict[str, int] = SUBSET,
               extra: Sequence[dict[str, str]] = ()) -> Path:
    """Copy ``subset`` rows of the experiment (files and lab protocols) to ``dst``; return the manifest."""
    header, rows = _rows(src)
    taken: dict[str, int] = {}
    keep = []
    for r in rows:
        if taken.get(r["protocol"], 0) < subset.get(r["protocol"], 0):
            taken[r["protocol"]] = taken.get(r["protocol"], 0) + 1
            keep.append(r)
            (dst / r["path"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / r["path"], dst / r["path"])
    shutil.copytree(src / "protocols", dst / "protocols", dirs_exist_ok=True)
    return _write_manifest(dst / "manifest.csv", header, keep + list(extra))


def run(manifest: Path, out: Path, **kw):
    kw.setdefault("jobs", 1)
    kw.setdefault("figures", False)
    kw.setdefault("progress", False)
    return run_analysis(manifest, out, **kw)


def no_temporaries(out: Path) -> None:
    left = [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert not left, f"partial files left: {left}"


def read_str(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference(experiment: Path, tmp_path_factory: pytest.TempPathFactory):
    """One serial run with figures on the subset: (manifest, out dir, BatchResult, input fingerprints)."""
    root = tmp_path_factory.mktemp("ref")
    manifest = make_batch(experiment, root / "data")
    before = _fingerprint(root / "data")
    res = run(manifest, root / "out", figures=True)
    return manifest, root / "out", res, before


# --------------------------------------------------------------------------- outputs and columns

def test_all_outputs_written(reference) -> None:
    manifest, out, res, _ = reference
    n = sum(SUBSET.values())
    assert (res.n_tasks, res.n_ok, res.n_failed, res.n_reused, res.exit_code) == (n, n, 0, 0, 0)
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    assert list(out.glob("figures/*/*.png")), "no figure drawn"
    no_temporaries(out)


def test_recordings_table_names_every_inferred_values_source(reference) -> None:
    """recordings.csv: one row per recording, its SHA-256 and where each inferred value came from, equal to
    provenance.json's, so a reader of the tables sees what was read from the file and what was given."""
    import hashlib

    manifest, out, _, _ = reference
    rec = read_str(out / "recordings.csv")
    prov = json.loads((out / "provenance.json").read_text())
    res = read_str(out / "results.csv")
    assert list(rec.columns[:5]) == ["recording", "protocol", "analysis", "status", "sha256"]
    assert set(rec["recording"]) == set(res["recording"]) and (rec["status"] == "analysed").all()
    for row in rec.to_dict("records"):
        assert row["sha256"] == prov["inputs"][row["recording"]]
        sources = next(p["value_sources"][row["recording"]] for p in prov["parameters"].values()
                       if row["recording"] in p.get("value_sources", {}))
        assert {k: row[f"{k}_source"] for k in sources} == sources and row["kind_source"]
    first = rec.iloc[0]
    path = Path(manifest).parent / first["recording"]
    if path.is_file():
        assert first["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_results_columns_and_units(reference) -> None:
    _, out, _, _ = reference
    df = read_str(out / "results.csv")
    assert list(df.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    assert [c for c in df.columns if c in CONTRACT] == CONTRACT
    assert "holding_mV" in df.columns  # a selector column
    assert (df["unit"] != "").all(), df[df["unit"] == ""][["recording", "metric"]]
    assert (df["metric"] != "").all() and (df["analysis"] != "").all()
    pd.to_numeric(df["value"].replace("", "nan"))  # every value parses as a number
    assert set(df["analysis"]) >= {"nmda", "firing_cc", "firing_mea", "ltp"}
    manifest_rows = _rows(reference[0].parent)[1]
    assert set(df["recording"]) == {r["path"] for r in manifest_rows}
    by_rec = {r["path"]: r for r in manifest_rows}
    for rec, g in df.groupby("recording"):  # the manifest's labels reach every row
        assert set(g["condition"]) == {by_rec[rec]["condition"]}
        for col in ("animal", "well"):
            if by_rec[rec][col]:
                assert set(g[col]) == {by_rec[rec][col]}


def test_parquet_matches_csv(reference) -> None:
    _, out, _, _ = reference
    csv_df = pd.read_csv(out / "results.csv")
    pq_df = pd.read_parquet(out / "results.parquet")
    assert list(pq_df.columns) == list(csv_df.columns)
    assert len(pq_df) == len(csv_df)
    assert (pq_df["metric"].astype(str).to_numpy() == csv_df["metric"].astype(str).to_numpy()).all()
    assert (pq_df["unit"].astype(str) != "").all()
    pd.testing.assert_series_equal(pd.to_numeric(pq_df["value"]).reset_index(drop=True),
                                   pd.to_numeric(csv_df["value"]).reset_index(drop=True),
                                   check_names=False, rtol=1e-9)


def test_sweeps_electrodes_failures_provenance(reference) -> None:
    manifest, out, _, _ = reference
    sw, el, fail = read_str(out / "sweeps.csv"), read_str(out / "electrodes.csv"), read_str(out / "failures.csv")
    assert list(sw.columns[: len(SWEEP_COLUMNS)]) == SWEEP_COLUMNS and len(sw) > 0
    assert list(el.columns[: len(ELECTRODE_COLUMNS)]) == ELECTRODE_COLUMNS and len(el) > 0
    assert (sw["unit"] != "").all() and (el["unit"] != "").all()
    assert list(fail.columns) == ["recording", "stage", "error"] and len(fail) == 0
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["versions"]["ephystool"] == prov["ephystool"]
    assert {"numpy", "neo", "pandas", "numba"} <= set(prov["versions"])
    assert prov["started"] <= prov["finished"]
    rows = _rows(manifest.parent)[1]
    assert set(prov["inputs"]) == {r["path"] for r in rows}
    for r in rows:  # the recorded hash is the file's
        assert prov["inputs"][r["path"]] == hashlib.sha256((manifest.parent / r["path"]).read_bytes()).hexdigest()
    epsc = next(r["path"] for r in rows if r["protocol"] == "nmda_epsc")
    assert prov["parameters"][epsc]["nmda_late_window"] == ["50 ms", "60 ms"]


def test_raw_data_unchanged(reference) -> None:
    manifest, _, _, before = reference
    assert _fingerprint(manifest.parent) == before  # sha256 and mtime of every input (and the manifest)


# --------------------------------------------------------------------------- failures and exit status

def test_missing_and_corrupt_rows_fail_alone(experiment: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    header, rows = _rows(experiment)
    epsc = next(r for r in rows if r["protocol"] == "nmda_epsc")
    good = (experiment / epsc["path"]).read_bytes()
    (data / "bad").mkdir(parents=True)
    (data / "bad" / "truncated.abf").write_bytes(good[:700])  # header only, data gone
    extra = [{**epsc, "path": "bad/missing.abf", "animal": "x1"}, {**epsc, "path": "bad/truncated.abf", "animal": "x2"}]
    manifest = make_batch(experiment, data, {"nmda_epsc": 2, "cc_fi_steps": 1}, extra)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "ephystool.cli", "analyze", str(manifest), "--out", str(out),
                           "--jobs", "1", "--no-figures", "--quiet"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    fail = read_str(out / "failures.csv")
    assert sorted(fail["recording"]) == ["bad/missing.abf", "bad/truncated.abf"]
    for rec, err in zip(fail["recording"], fail["error"], strict=True):
        assert "\n" not in err and Path(rec).name in err, err  # one line naming the file
    res = read_str(out / "results.csv")
    assert set(res["recording"]) == {r["path"] for r in _rows(data)[1]} - {"bad/missing.abf", "bad/truncated.abf"}
    status = read_str(out / "recordings.csv").set_index("recording")["status"]
    assert set(status[status == "failed"].index) == {"bad/missing.abf", "bad/truncated.abf"}
    assert (status.drop(["bad/missing.abf", "bad/truncated.abf"]) == "analysed").all()
    for name in OUTPUTS:
        assert (out / name).is_file()
    no_temporaries(out)


def test_invalid_manifest_exit_2_writes_nothing(experiment: Path, tmp_path: Path, capsys) -> None:
    header, rows = _rows(experiment)
    bad = [{**rows[0], "path": str(experiment / rows[0]["path"]), "condition": "mg_glycinate"}]
    manifest = _write_manifest(tmp_path / "manifest.csv", header, bad)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as ex:
        main(["analyze", str(manifest), "--out", str(out), "--jobs", "1", "--quiet"])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert "mg_glycinate" in err and "Traceback" not in err
    assert not out.exists()


def test_cli_success_exit_0(reference, tmp_path: Path, capsys) -> None:
    manifest, ref_out, _, _ = reference
    out = tmp_path / "out"
    assert main(["analyze", str(manifest), "--out", str(out), "--jobs", "1", "--no-figures", "--quiet"]) in (0, None)
    assert "reused" in capsys.readouterr().out
    assert (out / "results.csv").read_bytes() == (ref_out / "results.csv").read_bytes()


# --------------------------------------------------------------------------- determinism and executors

def test_byte_identical_across_runs_and_jobs(reference, tmp_path: Path) -> None:
    manifest, ref_out, _, _ = reference
    ref = (ref_out / "results.csv").read_bytes()
    a = run(manifest, tmp_path / "a", use_cache=False)
    b = run(manifest, tmp_path / "b", jobs=2, use_cache=False)
    assert a.n_failed == b.n_failed == 0
    for name in ("results.csv", "sweeps.csv", "electrodes.csv", "failures.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (ref_out / name).read_bytes(), name
        assert (tmp_path / "b" / name).read_bytes() == (ref_out / name).read_bytes(), name
    assert (tmp_path / "a" / "results.csv").read_bytes() == ref
    no_temporaries(tmp_path / "b")


def test_dask_local_cluster_identical(reference, tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    manifest, ref_out, _, _ = reference
    res = run(manifest, tmp_path / "dask", scheduler="local", jobs=2)
    assert (res.n_ok, res.n_failed) == (sum(SUBSET.values()), 0)
    for name in ("results.csv", "sweeps.csv", "electrodes.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (ref_out / name).read_bytes(), name
    no_temporaries(tmp_path / "dask")


def test_unreachable_scheduler_is_a_usage_error(reference, tmp_path: Path, capsys) -> None:
    pytest.importorskip("dask.distributed")
    import dask

    manifest = reference[0]
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), pytest.raises(SystemExit) as ex:
        main(["analyze", str(manifest), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9",
              "--no-cache", "--quiet"])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert "scheduler" in err and "Traceback" not in err


# --------------------------------------------------------------------------- cache

def test_cache_reuses_everything(reference, tmp_path: Path) -> None:
    manifest, ref_out, _, _ = reference
    out = tmp_path / "out"
    first = run(manifest, out)
    cold = (out / "results.csv").read_bytes()
    second = run(manifest, out)
    assert first.n_reused == 0 and second.n_reused == second.n_tasks == sum(SUBSET.values())
    assert (out / "results.csv").read_bytes() == cold == (ref_out / "results.csv").read_bytes()
    assert (out / "electrodes.csv").read_bytes() == (ref_out / "electrodes.csv").read_bytes()
    assert json.loads((out / "provenance.json").read_text())["reused_from_cache"] == second.n_tasks
    rec, ref_rec = read_str(out / "recordings.csv"), read_str(ref_out / "recordings.csv")
    assert (rec["status"] == "reused from cache").all()  # what the run did with each file, sources unchanged
    assert rec.drop(columns="status").equals(ref_rec.drop(columns="status"))
    no_temporaries(out)


def test_cache_recomputes_a_changed_file_only(experiment: Path, tmp_path: Path) -> None:
    manifest = make_batch(experiment, tmp_path / "data")
    out = tmp_path / "out"
    run(manifest, out)
    rows = _rows(manifest.parent)[1]
    target = manifest.parent / next(r["path"] for r in rows if r["protocol"] == "nmda_epsc")
    raw = bytearray(target.read_bytes())
    assert raw[:4] == b"ABF "
    at = int.from_bytes(raw[40:44], "little") * 512 + 2000  # ABF1 lDataSectionPtr (blocks): the 1001st sample
    raw[at:at + 2] = (int.from_bytes(raw[at:at + 2], "little", signed=True) + 7).to_bytes(2, "little", signed=True)
    target.write_bytes(bytes(raw))  # one int16 sample changed
    res = run(manifest, out)
    assert (res.n_failed, res.n_reused) == (0, res.n_tasks - 1)
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["inputs"][str(target.relative_to(manifest.parent))] == hashlib.sha256(raw).hexdigest()


def _lab_copy(dst: Path, base: str, params: dict[str, object]) -> Path:
    """What ``ephystool protocol copy`` and editing give: the template with changed analysis_params."""
    data = load_protocol(base).with_overrides(params).to_dict()
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(validate_protocol(data).to_yaml(), encoding="utf-8")
    return dst


def test_cache_recomputes_after_a_protocol_change(experiment: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_batch(experiment, data, {"nmda_epsc": 2, "cc_fi_steps": 1})
    header, rows = _rows(data)
    lab = _lab_copy(data / "protocols" / "lab_nmda_epsc.yaml", "nmda_epsc", {})
    for r in rows:
        if r["protocol"] == "nmda_epsc":
            r["protocol"] = "protocols/lab_nmda_epsc.yaml"
    manifest = _write_manifest(data / "manifest.csv", header, rows)
    out = tmp_path / "out"
    assert run(manifest, out).n_reused == 0
    assert run(manifest, out).n_reused == 3
    _lab_copy(lab, "nmda_epsc", {"nmda_late_window": ["60 ms", "70 ms"]})
    res = run(manifest, out)
    assert (res.n_failed, res.n_reused) == (0, 1)  # the two EPSC rows recomputed, the F-I row reused


def test_figures_drawn_after_a_no_figures_run(reference, tmp_path: Path) -> None:
    manifest = reference[0]
    out = tmp_path / "out"
    run(manifest, out, figures=False)
    res = run(manifest, out, figures=True)
    assert res.n_reused == 0 and list(out.glob("figures/*/*.png"))
    drawn = sorted(p.relative_to(out) for p in out.glob("figures/*/*.png"))
    with_figures = len({p.parent for p in drawn})
    shutil.rmtree(out / "figures")
    res = run(manifest, out, figures=True)
    # deleted figures are redrawn (recordings whose analyzer draws nothing are reused)
    assert res.n_reused == res.n_tasks - with_figures
    assert sorted(p.relative_to(out) for p in out.glob("figures/*/*.png")) == drawn
    assert run(manifest, out, figures=True).n_reused == res.n_tasks


# --------------------------------------------------------------------------- issue 6 end to end

def _metric(out: Path, metric: str, **sel: str) -> pd.DataFrame:
    df = pd.read_csv(out / "results.csv")
    m = df["metric"] == metric
    for k, v in sel.items():
        m &= df[k] == v
    return df[m].set_index("recording")


def test_template_window_changes_the_analysis(experiment: Path, tmp_path: Path) -> None:
    """A lab copy with a later NMDA window (and a shifted LTP window) changes the measured values."""
    data = tmp_path / "data"
    make_batch(experiment, data, {"nmda_epsc": 2, "ltp_fepsp": 1})
    header, rows = _rows(data)
    _lab_copy(data / "protocols" / "late_nmda.yaml", "nmda_epsc", {"nmda_late_window": ["150 ms", "160 ms"]})
    _lab_copy(data / "protocols" / "early_ltp.yaml", "ltp_fepsp", {"post_window": ["20 min", "30 min"]})
    packaged = _write_manifest(data / "packaged.csv", header, rows)
    lab_rows = [{**r, "protocol": {"nmda_epsc": "protocols/late_nmda.yaml",
                                   "ltp_fepsp": "protocols/early_ltp.yaml"}[r["protocol"]]} for r in rows]
    lab = _write_manifest(data / "lab.csv", header, lab_rows)
    run(packaged, tmp_path / "a")
    run(lab, tmp_path / "b")
    a = _metric(tmp_path / "a", "nmda_late", holding_mV=40.0)
    b = _metric(tmp_path / "b", "nmda_late", holding_mV=40.0)
    assert len(a) == len(b) == 2
    # outward NMDA current at +40 mV decays (tau ~ 100-300 ms): 100 ms later it is clearly smaller
    ratio = b["value"] / a["value"]
    assert ((ratio > 0.15) & (ratio < 0.85)).all(), ratio
    assert (b["protocol"] == "nmda_epsc").all()  # a lab copy keeps the template's name
    la, lb = _metric(tmp_path / "a", "ltp_magnitude"), _metric(tmp_path / "b", "ltp_magnitude")
    assert list(la["window"]) == ["50-60 min"] and list(lb["window"]) == ["20-30 min"]
    assert (la["value"] != lb["value"]).all()
    # AMPA at -70 mV does not depend on either window
    pd.testing.assert_series_equal(_metric(tmp_path / "a", "ampa_peak")["value"],
                                   _metric(tmp_path / "b", "ampa_peak")["value"])
