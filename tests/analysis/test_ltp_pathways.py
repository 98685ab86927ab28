"""Two pathways of one slice: manifest selectors (sweeps, channel), pathway labels, the control pathway.

Acceptance (issue 19): synthetic two-pathway sessions (test pathway potentiated to 150 %, control
unchanged, alternate sweeps, one and two channels): each pathway's ``ltp_magnitude`` within 3 pp of the
simulator's realised truth; a test per manifest selector form.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ephystool.analysis import ltp
from ephystool.analysis.ltp._pathways import CONTROL_REASON, is_control_pathway, pathway_rows
from ephystool.errors import AnalysisError, ManifestError
from ephystool.io.manifest import read_manifest
from ephystool.io.selection import parse_channel, parse_sweeps, select_part
from ephystool.pipeline import build_tasks, run_analysis
from ephystool.simulate.abf_writer import write_abf1
from ephystool.simulate.fepsp import simulate_two_pathways

PARAMS = ltp.LtpParams(ppi=None)


@functools.cache
def _two(seed: int, n_channels: int, **kw):
    return simulate_two_pathways(seed, n_channels=n_channels, paired=False, **kw)


# ----------------------------------------------------------------------------- selector forms
@pytest.mark.parametrize(("text", "n", "expected"), [
    ("even", 7, [0, 2, 4, 6]),
    ("odd", 7, [1, 3, 5]),
    ("0-3", 7, [0, 1, 2, 3]),
    ("::2", 7, [0, 2, 4, 6]),
    ("1::2", 7, [1, 3, 5]),
    ("2:5", 7, [2, 3, 4]),
    ("4:", 7, [4, 5, 6]),
    ("0-1, 5", 7, [0, 1, 5]),
    ("0;6", 7, [0, 6]),
    ([3, 1], 7, [1, 3]),
    ("all", 3, [0, 1, 2]),
    ("ODD", 4, [1, 3]),
])
def test_sweep_selector_forms(text, n: int, expected: list[int]) -> None:
    assert parse_sweeps(text).indices(n).tolist() == expected


@pytest.mark.parametrize("bad", ["odds", "3-1", "::0", "1.5", "-2", "a-b", "0-2-4"])
def test_bad_sweep_selector_is_one_line_naming_the_column(bad: str) -> None:
    with pytest.raises(ManifestError) as exc:
        parse_sweeps(bad, "m.csv", 4)
    msg = str(exc.value)
    assert "\n" not in msg and "sweeps" in msg and "odd, even, 0-119, ::2" in msg


def test_sweep_range_beyond_the_file_is_refused() -> None:
    with pytest.raises(AnalysisError, match="reaches sweep 9 but the file has 5 sweeps"):
        parse_sweeps("0-9").indices(5)
    with pytest.raises(AnalysisError, match="selects no sweep"):
        parse_sweeps("10:").indices(5)


def test_channel_by_index_and_by_name() -> None:
    rec, _ = _two(31, 2)
    assert parse_channel("1") == 1 and parse_channel(1.0) == 1 and parse_channel("field2") == "field2"
    assert parse_channel("") is None
    with pytest.raises(ManifestError, match="channel"):
        parse_channel(-1, "m.csv", 2)
    by_name, by_index = select_part(rec, channel="field2"), select_part(rec, channel=1)
    assert by_name.primary == by_index.primary == 1
    assert by_name.metadata["selection"] == {"source": "manifest", "channel": "field2", "channel_index": 1,
                                             "channel_unit": "mV"}
    with pytest.raises(AnalysisError, match="no channel named 'field9'"):
        select_part(rec, channel="field9")


def test_selected_sweeps_keep_their_times_and_the_tag() -> None:
    rec, truth = _two(31, 1)
    odd = select_part(rec, "odd")
    assert odd.n_sweeps == rec.n_sweeps // 2
    np.testing.assert_allclose(odd.sweep_start_times_s, rec.sweep_start_times_s[1::2])
    assert odd.tags[0].time_s == pytest.approx(truth["test"]["induction_time_s"])
    assert odd.metadata["selection"]["file_sweeps"][:3] == [1, 3, 5]


# ----------------------------------------------------------------------------- acceptance
@pytest.mark.parametrize("n_channels", [1, 2])
def test_each_pathway_within_3pp(n_channels: int) -> None:
    rec, truth = _two(4242, n_channels)
    for pathway, sweeps, channel in (("test", "even", 0), ("control", "odd", n_channels - 1)):
        res = ltp.analyze(select_part(rec, sweeps, channel), PARAMS)
        assert abs(float(res.ltp_magnitude.magnitude) - truth[pathway]["ltp_magnitude"]) <= 3.0, pathway
        assert res.flag == ""
        row = next(r for r in res.rows() if r["metric"] == "ltp_magnitude")
        assert row["channel"] == ("field" if n_channels == 1 else f"field{channel + 1}")
    assert truth["test"]["ltp_magnitude"] > 140 and abs(truth["control"]["ltp_magnitude"] - 100) < 5


def test_two_pathways_read_as_one_are_refused() -> None:
    rec, _ = _two(4242, 1)
    with pytest.raises(AnalysisError, match="alternate between two responses.*sweeps: even / odd"):
        ltp.analyze(rec, PARAMS)
    rec2, _ = _two(4242, 2)
    with pytest.raises(AnalysisError, match="alternate"):  # channel 0 of the two-channel file: response, nothing
        ltp.analyze(select_part(rec2, channel=0), PARAMS)


# ----------------------------------------------------------------------------- manifest, tasks, outputs
def _manifest(tmp_path: Path, rows: list[str], header: str = "path,condition,protocol,slice,pathway,sweeps,session") -> Path:
    m = tmp_path / "m.csv"
    m.write_text("\n".join([header, *rows]) + "\n")
    (tmp_path / "f.abf").write_bytes(b"")
    return m


def test_one_file_two_pathways_are_two_rows_two_sessions(tmp_path: Path) -> None:
    m = _manifest(tmp_path, ["f.abf,control,ltp_fepsp,s1,test,even,a", "f.abf,control,ltp_fepsp,s1,control,odd,a"])
    man = read_manifest(m)
    assert [r.recording_id for r in man.rows] == ["f.abf [test]", "f.abf [control]"]
    assert [r.overrides["sweeps"] for r in man.rows] == ["even", "odd"]
    tasks = build_tasks(man)
    assert len(tasks) == 2 and [len(t.rows) for t in tasks] == [1, 1]


def test_two_pathways_selecting_the_same_sweeps_are_refused(tmp_path: Path) -> None:
    m = _manifest(tmp_path, ["f.abf,control,ltp_fepsp,s1,test,even,", "f.abf,control,ltp_fepsp,s1,control,even,"])
    with pytest.raises(ManifestError, match="two pathways of one file but select the same sweeps"):
        read_manifest(m)
    m = _manifest(tmp_path, ["f.abf,control,ltp_fepsp,s1,,,", "f.abf,control,ltp_fepsp,s1,,,"])
    with pytest.raises(ManifestError, match="duplicate of row 1"):
        read_manifest(m)


def test_bad_selector_in_a_manifest_names_row_and_column(tmp_path: Path) -> None:
    m = _manifest(tmp_path, ["f.abf,control,ltp_fepsp,s1,test,evens,"])
    with pytest.raises(ManifestError, match="row 1.*sweeps|sweeps.*row 1"):
        read_manifest(m)


def test_control_pathway_rows() -> None:
    assert is_control_pathway("control") and is_control_pathway("S2-ctrl") and not is_control_pathway("S1")
    base = {"condition": "control", "animal": "a", "slice": "s1", "cell": "", "protocol": "ltp_fepsp",
            "unit": "%", "excluded_reason": ""}
    rows = [{**base, "pathway": "test", "metric": "ltp_magnitude", "value": 151.0},
            {**base, "pathway": "control", "metric": "ltp_magnitude", "value": 99.0},
            {**base, "pathway": "control", "metric": "ppr", "value": 1.4}]
    extra = pathway_rows(rows)
    assert rows[1]["excluded_reason"] == rows[2]["excluded_reason"] == CONTROL_REASON
    assert rows[0]["excluded_reason"] == ""
    assert [(e["metric"], e["value"], e["pathway"], e["control_pathway"]) for e in extra] == \
        [("control_ltp_magnitude", 99.0, "test", "control")]


def test_pipeline_two_pathways_of_one_abf(tmp_path: Path) -> None:
    rec, truth = simulate_two_pathways(77, n_channels=1, paired=False, resume_after_s=0.0, fs_hz=10000.0,
                                       sweep_ms=60.0)
    sweeps = np.stack([np.asarray(rec.signal(k).magnitude).ravel() for k in range(rec.n_sweeps)])[:, None, :]
    t_ind = truth["test"]["induction_time_s"]
    write_abf1(tmp_path / "two.abf", sweeps, 10000, ["field"], ["mV"], sweep_interval_s=10.0,
               comments=[(t_ind, "TBS")])
    m = tmp_path / "m.csv"
    m.write_text("path,condition,protocol,animal,slice,pathway,sweeps,stim_time_ms\n"
                 "two.abf,control,ltp_fepsp,a1,s1,S1 test,even,10\n"
                 "two.abf,control,ltp_fepsp,a1,s1,S2 control,1::2,10\n")
    res = run_analysis(m, tmp_path / "out", jobs=1, figures=False, progress=False)
    assert res.exit_code == 0, res.failures
    df = pd.read_csv(tmp_path / "out" / "results.csv", keep_default_na=False)
    mag = df[df.metric == "ltp_magnitude"].set_index("pathway")
    assert abs(float(mag.loc["S1 test", "value"]) - truth["test"]["ltp_magnitude"]) <= 3.0
    assert abs(float(mag.loc["S2 control", "value"]) - truth["control"]["ltp_magnitude"]) <= 3.0
    assert mag.loc["S2 control", "excluded_reason"] == CONTROL_REASON and mag.loc["S1 test", "excluded_reason"] == ""
    side = df[df.metric == "control_ltp_magnitude"]
    assert len(side) == 1 and side.iloc[0]["pathway"] == "S1 test"
    assert float(side.iloc[0]["value"]) == pytest.approx(float(mag.loc["S2 control", "value"]))
    assert set(df.recording) == {"two.abf [S1 test]", "two.abf [S2 control]"}
    assert set(df.sweeps) == {"even", "1::2"}
    sw = pd.read_csv(tmp_path / "out" / "sweeps.csv", keep_default_na=False)
    ctrl = sw[(sw.recording == "two.abf [S2 control]") & (sw.metric == "fepsp_slope")]
    assert (ctrl.file_sweep == 2 * ctrl.sweep + 1).all()
