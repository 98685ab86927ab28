"""Acceptance of issue 14: every real file through ``ephystool info --json``, and the loader facts of
``realdata/more/PROVENANCE.md`` (sweep order, units, channel kinds, step windows).

Every file under ``../shared/realdata`` and ``sample_data/`` exits 0 in under 2 s, or 2 with one line for
the files listed in :data:`NOT_RECORDINGS` (each with the reason it cannot load on its own).
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import pytest
import quantities as pq

from ephystool.cli import main
from ephystool.io import load

REPO = Path(__file__).resolve().parents[2]
#: relative path (glob) -> why it exits 2 with one line
NOT_RECORDINGS = {
    "mea/axion_raw_mat/*.mat": "MATLAB arrays without a sampling rate: not loadable on their own",
    "mea/axion_spikelist_csv/*expLog.csv.gz": "an experiment log (well -> treatment), not a recording",
    "mea/tetrode_raw/locust_info.json": "the shape/rate descriptor of locust_trial_01.raw",
    "sample_data/ground_truth.json": "simulator ground truth", "sample_data/manifest.csv": "a manifest",
    "sample_data/protocols/*.yaml": "protocol templates",
}
if importlib.util.find_spec("igor2") is None:  # Igor .ibw through igor2 (issue 15): until it is installed
    NOT_RECORDINGS["more/cc_steps/*/*.ibw"] = "needs igor2"
SKIP_NAMES = {"PROVENANCE.md", "README.md", "expected_values.json", "reference_peer_outputs.csv"}


def _all_files(realdata: Path) -> list[tuple[str, Path]]:
    out = [(p.relative_to(realdata).as_posix(), p) for p in sorted(realdata.rglob("*")) if p.is_file()]
    out += [("sample_data/" + p.relative_to(REPO / "sample_data").as_posix(), p)
            for p in sorted((REPO / "sample_data").rglob("*")) if p.is_file()]
    return [(rel, p) for rel, p in out if p.name not in SKIP_NAMES]


@pytest.mark.realdata
def test_info_json_on_every_file(realdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problems = []
    for rel, path in _all_files(realdata_dir):
        capsys.readouterr()
        t0 = time.perf_counter()
        try:
            main(["info", "--json", str(path)])
            code = 0
        except SystemExit as exc:
            code = exc.code
        seconds = time.perf_counter() - t0
        out, err = capsys.readouterr()
        expected_fail = any(Path(rel).match(g) for g in NOT_RECORDINGS)
        if seconds > 2.0:
            problems.append(f"{rel}: {seconds:.1f} s")
        if expected_fail:
            if code != 2 or err.count("\n") != 1 or not err.startswith("ephystool: error: "):
                problems.append(f"{rel}: expected one error line and exit 2, got {code}: {err[:200]}")
        elif code != 0:
            problems.append(f"{rel}: exit {code}: {err.strip()[:200]}")
        else:
            summary = json.loads(out)
            if not summary["n_channels"] or not summary["duration_s"] > 0:
                problems.append(f"{rel}: empty summary")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------- loader facts of PROVENANCE.md
@pytest.fixture(scope="module")
def more(realdata_dir: Path) -> Path:
    d = realdata_dir / "more"
    if not d.is_dir():
        pytest.skip("realdata/more is absent")
    return d


def _step_epochs(rec, sweep: int) -> list[tuple[float, float, float]]:
    return [(e.start_s, e.end_s, e.level) for e in rec.epochs[sweep] if e.level != 0]


@pytest.mark.realdata
def test_97509008_step_window_currents_and_channels(more: Path) -> None:
    rec = load(more / "cc_steps" / "97509008.abf")
    assert rec.kind == "current_clamp" and rec.n_sweeps == 16
    assert [c.units for c in rec.channels] == ["mV", "pA"] and rec.channels[rec.primary].name == "Chan 0mV"
    for k in range(16):  # documented command: -2.0 nA + 0.2 nA per sweep in 0.0312-0.4312 s (the table, in nA)
        (start, end, level), = _step_epochs(rec, k) or [(0.0312, 0.4312, 0.0)]
        assert (start, end) == pytest.approx((0.0312, 0.4312)) and level == pytest.approx(-2.0 + 0.2 * k, abs=1e-6)
    assert rec.metadata["command_copy_channel"] == "AO #0"  # a copy of the DAC, not a measured current


@pytest.mark.realdata
def test_20303010_step_window_currents_and_timing(more: Path) -> None:
    rec = load(more / "cc_steps" / "20303010_rita.abf")
    assert rec.kind == "current_clamp" and rec.n_sweeps == 13 and rec.channels[0].units == "mV"
    levels = []
    for k in range(13):
        steps = _step_epochs(rec, k)
        if steps:
            assert steps[0][:2] == pytest.approx((0.0881, 0.4881))
        levels.append(steps[0][2] if steps else 0.0)
    assert levels == pytest.approx(list(np.arange(-200.0, 401.0, 50.0)))
    np.testing.assert_allclose(rec.sweep_start_times_s, 5.0 * np.arange(13))


@pytest.mark.realdata
def test_axograph_family_has_no_current_and_si_units_in_mv(more: Path) -> None:
    rec = load(more / "cc_steps" / "File_axograph.axgd")
    assert rec.n_sweeps == 39 and [c.name for c in rec.channels] == ["Membrane Voltage-1"]
    assert rec.channels[0].units == "mV" and rec.sampling_rate_hz == pytest.approx(50_000.0)
    assert all(c is None for c in rec.commands) and all(e == () for e in rec.epochs)  # no currents invented
    v = rec.signal(0).magnitude
    assert -70 < float(np.median(v)) < -50  # resting -60 ... -64 mV: volts were scaled, not labelled


@pytest.mark.realdata
def test_171116sh_holding_and_memtest_epoch(more: Path) -> None:
    rec = load(more / "vc_spontaneous" / "171116sh_0020.abf")
    assert rec.kind == "voltage_clamp" and rec.n_sweeps == 7 and rec.sampling_rate_hz == 20_000.0
    assert rec.channels[rec.primary].units == "pA"
    assert float(rec.holding_at(0).rescale(pq.mV)) == -50.0
    assert _step_epochs(rec, 0)[1] == pytest.approx((0.15625, 0.35625, -60.0))


@pytest.mark.realdata
def test_cap_episodes_units_and_stim_channel(more: Path) -> None:
    rec = load(more / "fepsp" / "episodic.axgd")
    assert rec.n_sweeps == 30 and [c.name for c in rec.channels] == ["CAP", "STIM"]
    assert rec.signal(0).shape[0] == 2500 and rec.sampling_rate_hz == 5000.0
    cap = rec.signal(0, "CAP").rescale(pq.uV).magnitude
    assert 10 < float(np.ptp(cap)) < 500  # tens of µV (file values ~1e-5 V)
    stim = rec.signal(0, "STIM").rescale(pq.V).magnitude[:, 0]
    onset = int(np.argmax(stim > 0.2)) / 5000.0 + float(rec.signal(0).t_start.rescale(pq.s))
    assert onset == pytest.approx(0.0504, abs=0.0003)  # STIM rising edge at 50.4 ms


@pytest.mark.realdata
def test_wcp_train_records(more: Path) -> None:
    rec = load(more / "fepsp" / "example2_002.wcp")
    assert rec.n_sweeps == 7 and rec.channels[0].units == "mV"
    assert rec.sampling_rate_hz == pytest.approx(100_300.9, abs=0.1)
    assert rec.sweep_durations_s[0] == pytest.approx(0.2016, abs=1e-3)
