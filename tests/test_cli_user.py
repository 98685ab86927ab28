"""The command line and API as a user hits them: re-runs into one folder, ``manifest check`` from anywhere,
the README's script, ``load`` overrides, the installed demo's sample data and its verdict table."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
IV = "-80;-70;-60;-40;-20;0;20;40;-80;-70;-60;-40;-20;0;20;40"


def _need_sample() -> None:
    if not (SAMPLE / "manifest.csv").is_file():
        pytest.skip("sample_data/ is absent")


def _manifest(folder: Path, cells: list[str], extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [f"{SAMPLE / 'patch' / 'control' / c}_nmda_iv.abf,control,{c[:5]},s1,c1,nmda_iv,{IV},100,1.1126"
            for c in cells]
    m = folder / "manifest.csv"
    m.write_text("path,condition,animal,slice,cell,protocol,holding_mV,stim_time_ms,mg_mM\n" + "\n".join(rows)
                 + ("\n" + extra if extra else "") + "\n")
    return m


def _main(*args: str) -> int:
    """``ephystool ARGS`` in this process: its exit status (0 when it returns)."""
    from ephystool.cli import main

    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ephystool", *args], capture_output=True, text=True, timeout=300)


def test_rerun_into_the_same_out_never_mixes_runs(tmp_path: Path) -> None:
    _need_sample()
    out = tmp_path / "out"
    assert _main("analyze", str(_manifest(tmp_path / "a", ["conA1_c1"])), "--out", str(out), "--jobs", "1", "--quiet") == 0
    assert any((out / "figures").rglob("conA1_c1_nmda_iv*.png"))
    # what a compare of that first run left in the folder
    for name in ("verdicts.csv", "verdicts.json", "summary.csv", "report.html"):
        (out / name).write_text("old run")
    (out / "claims").mkdir()
    (out / "claims" / "claim_OLD-1.png").write_bytes(b"png")
    assert _main("analyze", str(_manifest(tmp_path / "b", ["conA2_c1"])), "--out", str(out), "--jobs", "1", "--quiet") == 0
    left = {p.name for p in out.iterdir()}
    assert not left & {"verdicts.csv", "verdicts.json", "summary.csv", "report.html", "claims"}, left
    figs = [p.name for p in (out / "figures").rglob("*.png")]
    assert figs and all("conA2" in f for f in figs), figs  # the first run's recording is gone
    import pandas as pd

    assert set(pd.read_csv(out / "results.csv")["recording"]) == {str(SAMPLE / "patch/control/conA2_c1_nmda_iv.abf")}


def test_manifest_check_resolves_like_analyze_from_any_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _need_sample()
    monkeypatch.chdir(tmp_path)  # not the manifest's folder
    assert _main("manifest", "check", str(SAMPLE / "manifest.csv")) == 0


def test_manifest_check_catches_what_analyze_rejects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _need_sample()
    notes = tmp_path / "exp" / "notes.xyz"
    notes.parent.mkdir(parents=True)
    notes.write_text("not a recording\n")
    bad_hold = f"{SAMPLE / 'patch/control/conA2_c1_nmda_iv.abf'},control,conA2,s1,c1,nmda_iv,-70;40;-70,100,1.1126"
    unsupported = f"{notes},control,conA3,s1,c1,nmda_iv,,100,1.1126"
    m = _manifest(tmp_path / "exp", ["conA1_c1"], extra=bad_hold + "\n" + unsupported)
    assert _main("manifest", "check", str(m)) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "3 values but the file has 16 sweeps" in err
    assert "row 3" in err and "notes.xyz" in err
    assert "2 row(s) that 'ephystool analyze' would reject" in err


def test_readme_api_snippet_runs_as_a_plain_script(tmp_path: Path) -> None:
    """No ``if __name__ == '__main__':`` guard, jobs > 1 (spawned workers): no BrokenProcessPool."""
    _need_sample()
    _manifest(tmp_path, ["conA1_c1", "conA2_c1"])
    (tmp_path / "script.py").write_text(textwrap.dedent("""
        from ephystool.pipeline import run_analysis
        batch = run_analysis("manifest.csv", "results/", jobs=2, progress=False, figures=False)
        print("analysed", batch.n_ok, "failed", batch.n_failed)
    """))
    proc = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "analysed 2 failed 0"


def test_load_takes_the_manifest_holding_and_analyzers_warn_without_it() -> None:
    from ephystool.analysis import nmda
    from ephystool.io import load
    from ephystool.io.holding import HoldingWarning
    from ephystool.protocols import load_protocol

    _need_sample()
    path = SAMPLE / "patch" / "control" / "conA1_c1_nmda_epsc.abf"
    params = nmda.NmdaParams.from_protocol(load_protocol("nmda_epsc").params_mapping(), {"stim_time_ms": 100})
    with pytest.warns(HoldingWarning, match="every sweep is at 0 mV"):
        nmda.analyze(load(path), params)  # the file says 0 mV for -70 and +40 mV sweeps alike
    hold = ";".join(["-70", "40"] * 10)  # the manifest row's holding_mV
    rec = load(path, holding_mV=hold)
    assert [float(h) for h in rec.holding[:2]] == [-70.0, 40.0] and rec.metadata["holding_source"] == "manifest"
    res = nmda.analyze(rec, params)
    assert sorted(g.holding_mV for g in res.groups) == [-70.0, 40.0]
    assert res.nmda_ampa_ratio is not None
    with pytest.raises(Exception, match="3 values but the file has 20 sweeps"):
        load(path, holding_mV=[-70, 40, -70])
    from ephystool.errors import UnitsError

    for bad in ("abc", "-70;forty", [-70, None]):  # typed, one line (the CLI's exit 2), never a bare ValueError
        with pytest.raises(UnitsError, match="is not a holding potential in mV"):
            load(path, holding_mV=bad)


def test_installed_demo_generates_then_reuses_its_sample_experiment(tmp_path: Path) -> None:
    """``pip install .`` has no sample_data/ beside the package: the demo generates it once into the cache."""
    from ephystool.commands.demo import find_sample_data

    calls = []

    def fake_generate(dest: Path) -> None:
        calls.append(dest)
        dest.mkdir(parents=True)
        (dest / "manifest.csv").write_text("path,condition\n")

    nowhere = tmp_path / "site-packages" / "sample_data"
    first = find_sample_data(checkout=nowhere, cache=tmp_path / "cache", generate=fake_generate)
    again = find_sample_data(checkout=nowhere, cache=tmp_path / "cache", generate=fake_generate)
    assert first[1] == "generated" and again == (first[0], "cache") and len(calls) == 1
    assert (first[0] / "manifest.csv").is_file() and not list((tmp_path / "cache").glob("*.partial"))
    if (SAMPLE / "manifest.csv").is_file():  # a checkout's sample_data/ wins
        assert find_sample_data(checkout=SAMPLE, cache=tmp_path / "cache", generate=fake_generate) == (SAMPLE, "checkout")


def test_demo_verdict_table_shows_effect_and_ci_without_cut_names(capsys: pytest.CaptureFixture[str]) -> None:
    from types import SimpleNamespace

    from ephystool.workflow import print_verdicts

    v = SimpleNamespace(id="CIT-NMDA-10", condition="mg_citrate", reference="control_dose_series",
                        metric="nmda_rectification_index", expected="exploratory", verdict="inconclusive",
                        effect={"estimate": 1.2345678}, ci=[1.1111111, 1.3333333],
                        prediction={"value": 1.26, "low": 1.17, "high": 1.36}, prediction_holds=True)
    result = SimpleNamespace(verdicts=[v], design="acute_equal_total", counts=lambda: {"inconclusive": 1})
    print_verdicts(result)
    out = capsys.readouterr().out
    for text in ("CIT-NMDA-10", "nmda_rectification_index", "control_dose_series", "1.23 [1.11, 1.33]",
                 "effect [95% CI]"):
        assert text in out, (text, out)
    assert "…" not in out


@pytest.mark.skipif(shutil.which("ephystool") is None and not (REPO / ".venv" / "bin" / "ephystool").is_file(),
                    reason="no ephystool entry point")
def test_compare_writes_the_report_for_the_labs_own_data(tmp_path: Path) -> None:
    """``compare RESULTS --out DIR`` writes DIR/report.html from RESULTS' tables and figures."""
    _need_sample()
    res = tmp_path / "res"
    proc = _cli("analyze", str(_manifest(tmp_path / "m", ["conA1_c1", "conA2_c1"])), "--out", str(res),
                "--jobs", "1", "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = _cli("compare", str(res), "--out", str(tmp_path / "cmp"), "--n-boot", "200")
    assert proc.returncode == 0, proc.stderr[-2000:]
    html = (tmp_path / "cmp" / "report.html").read_text()
    assert "recordings analysed" in html and "I–V with the Woodhull fit" in html


def test_info_shows_one_set_of_sweep_times_and_the_span(capsys: pytest.CaptureFixture[str]) -> None:
    _need_sample()
    assert _main("info", str(SAMPLE / "ltp" / "control" / "conA1_s1_ltp.abf")) == 0
    out = capsys.readouterr().out
    assert "sweep starts: 0, 20, 40" in out and "pyabf_sweep_start_times_s" not in out
    assert "span 4860.2 s (sweeps total 48.8 s)" in out  # 244 sweeps of 0.2 s every 20 s


@pytest.mark.parametrize("given", ["recording", "manifest", "data folder", "text file"])
def test_compare_given_the_wrong_thing_says_what_it_got(tmp_path: Path, capsys, given: str) -> None:
    """``compare`` given a recording, a manifest or the data folder instead of the analysis folder: one line that
    says what it got and what to give, exit 2, and never a hint to write results into the raw data."""
    _need_sample()
    arg = {"recording": next((SAMPLE / "patch").rglob("*.abf")), "manifest": SAMPLE / "manifest.csv",
           "data folder": SAMPLE, "text file": SAMPLE / "README.md"}[given]
    assert _main("compare", str(arg), "--out", str(tmp_path / "cmp")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"ephystool: error: {arg}")
    assert {"recording": "is not a results table", "manifest": "is a manifest, not results",
            "data folder": "a data folder?", "text file": "is not a results table"}[given] in err
    assert "--out OUT" in err and f"--out {SAMPLE}" not in err
    assert not (tmp_path / "cmp").exists()
