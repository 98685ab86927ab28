"""Bad input: every damaged, mislabelled or missing file gives one precise EphysError, never a traceback.

For each case :func:`ephystool.io.load` raises the right :class:`~ephystool.errors.EphysError`
subclass with the file name in the message, and ``ephystool info`` prints exactly one line
``ephystool: error: <file>: <what>`` to stderr and exits with status 2. Loading is read-only:
the bytes and modification time of every real file are unchanged, and read-only files load.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ephystool.cli import main
from ephystool.errors import CorruptFileError, EphysError, LoadError, UnsupportedFormatError
from ephystool.io import load
from ephystool.simulate.abf_writer import write_abf1

MCS_REL = "mea/mcs_h5/mcs_2014-07-09T10-17-35W8_Standard_all_500Hz.h5"


# ----------------------------------------------------------------------------------------- makers
def _empty(tmp: Path) -> Path:
    p = tmp / "empty.abf"
    p.write_bytes(b"")
    return p


def _random_abf(tmp: Path) -> Path:
    p = tmp / "random.abf"
    p.write_bytes(np.random.default_rng(0).bytes(4096))
    return p


def _text_h5(tmp: Path) -> Path:
    p = tmp / "notes.h5"
    p.write_text("this is a text file, not HDF5\n", encoding="utf-8")
    return p


def _plain_hdf5(tmp: Path) -> Path:
    import h5py

    p = tmp / "plain.h5"
    with h5py.File(p, "w") as f:
        f["x"] = np.arange(10)
    return p


def _missing(tmp: Path) -> Path:
    return tmp / "does_not_exist.abf"


def _directory(tmp: Path) -> Path:
    p = tmp / "a_folder.abf"
    p.mkdir()
    return p


def _raw_no_sidecar(tmp: Path) -> Path:
    p = tmp / "orphan.raw"
    p.write_bytes(np.arange(4000, dtype="<i2").tobytes())
    return p


def _truncated_simulated_abf(tmp: Path) -> Path:
    full = write_abf1(tmp / "full.abf", np.zeros((4, 1, 20000)) + np.arange(20000), 20000, ["IN 0"], ["pA"],
                      sweep_interval_s=2.0)
    data = full.read_bytes()
    p = tmp / "truncated_sim.abf"
    p.write_bytes(data[: len(data) // 2])
    return p


CASES: dict[str, tuple[Callable[[Path], Path], type[EphysError]]] = {
    "empty file": (_empty, CorruptFileError),
    "random bytes named .abf": (_random_abf, CorruptFileError),
    "text file named .h5": (_text_h5, CorruptFileError),
    "HDF5 neither MCS nor NWB": (_plain_hdf5, UnsupportedFormatError),
    "path does not exist": (_missing, LoadError),
    "a directory": (_directory, LoadError),
    "raw binary without sidecar": (_raw_no_sidecar, LoadError),
    "truncated simulated ABF1": (_truncated_simulated_abf, CorruptFileError),
}


def _check_cli_one_line(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as ex:
        main(["info", str(path)])
    assert ex.value.code == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "Traceback" not in out.out
    lines = out.err.splitlines()
    assert len(lines) == 1, out.err
    assert lines[0].startswith("ephystool: error:")
    assert path.name in lines[0]
    return lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_raises_precise_error(tmp_path: Path, case: str) -> None:
    make, expected = CASES[case]
    path = make(tmp_path)
    with pytest.raises(expected) as err:
        load(path)
    assert path.name in str(err.value)
    assert err.value.path is not None and Path(err.value.path).name == path.name
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_cli_prints_one_line_and_exits_2(tmp_path: Path, case: str, capsys) -> None:
    path = CASES[case][0](tmp_path)
    _check_cli_one_line(path, capsys)


def test_raw_without_sidecar_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="sidecar"):
        load(_raw_no_sidecar(tmp_path))


def test_empty_and_missing_messages_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(CorruptFileError, match="empty"):
        load(_empty(tmp_path))
    with pytest.raises(LoadError, match="does not exist"):
        load(_missing(tmp_path))
    with pytest.raises(LoadError, match="directory"):
        load(_directory(tmp_path))


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["18711001.abf", "PYR2.abf", "2018_11_16_sh_0006.abf", "19114001.abf",
                                  "multichannelAbf1WithTags.abf"])
def test_truncated_real_abf(patchclamp_dir: Path, tmp_path: Path, name: str, capsys) -> None:
    data = (patchclamp_dir / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError) as err:
        load(path)
    assert name in str(err.value) and "truncated" in str(err.value)
    _check_cli_one_line(path, capsys)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["FergusonEtAl2015_PYR2.nwb", "Vers6_060523 004.axgd"])
def test_truncated_other_formats(patchclamp_dir: Path, tmp_path: Path, name: str, capsys) -> None:
    data = (patchclamp_dir / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 4])
    with pytest.raises(LoadError) as err:
        load(path)
    assert name in str(err.value)
    _check_cli_one_line(path, capsys)


def test_unknown_kind_and_unknown_option(tmp_path: Path) -> None:
    path = write_abf1(tmp_path / "ok.abf", np.zeros((2, 1, 100)), 10000, ["IN 0"], ["pA"], sweep_interval_s=1.0)
    with pytest.raises(LoadError, match="unknown recording kind") as err:
        load(path, kind="whole_cell")
    assert "ok.abf" in str(err.value)
    with pytest.raises(LoadError, match="stream") as err:
        load(path, stream=1)
    assert "ok.abf" in str(err.value)


def test_binary_sidecar_mismatch_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "odd.raw"
    path.write_bytes(b"\x00" * 1001)
    (tmp_path / "odd.raw.json").write_text(json.dumps({"sampling_rate": 1000, "n_channels": 4, "dtype": "int16"}))
    with pytest.raises(CorruptFileError, match="frames") as err:
        load(path)
    assert "odd.raw" in str(err.value)


def test_binary_with_sidecar_loads(tmp_path: Path) -> None:
    path = tmp_path / "good.raw"
    raw = np.arange(4000, dtype="<i2").reshape(-1, 4)
    path.write_bytes(raw.tobytes())
    (tmp_path / "good.raw.json").write_text(json.dumps(
        {"sampling_rate": 1000, "n_channels": 4, "dtype": "int16", "gain_uV": 0.5, "offset": 10}))
    rec = load(path)
    assert rec.format == "binary" and rec.mea.n_samples == 1000 and rec.mea.n_channels == 4
    np.testing.assert_allclose(rec.mea.get_traces(0, 1000), (raw - 10.0) * 0.5)


# ----------------------------------------------------------------------------------------- read-only
def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def _real_files(realdata_dir: Path) -> list[Path]:
    patch = sorted(p for p in (realdata_dir / "patchclamp").iterdir() if p.suffix.lower() in (".abf", ".nwb", ".axgd"))
    return [*patch, realdata_dir / MCS_REL, realdata_dir / "mea/tetrode_raw/locust_trial_01.raw"]


@pytest.mark.realdata
def test_loading_real_files_leaves_them_untouched(realdata_dir: Path) -> None:
    files = _real_files(realdata_dir)
    before = {p: _fingerprint(p) for p in files}
    listing = {d: sorted(os.listdir(d)) for d in {p.parent for p in files}}
    for p in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load(p)
    assert {p: _fingerprint(p) for p in files} == before
    assert {d: sorted(os.listdir(d)) for d in listing} == listing  # nothing written next to them


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["PYR2.abf", "18711001.abf", "LantyerEtAl2018_170328_AL_238_VC.nwb",
                                  "Vers6_060523 004.axgd", "mcs"])
def test_copies_unchanged_and_read_only_copies_load(realdata_dir: Path, tmp_path: Path, name: str) -> None:
    src = realdata_dir / MCS_REL if name == "mcs" else realdata_dir / "patchclamp" / name
    copy = tmp_path / "rw" / src.name
    copy.parent.mkdir()
    shutil.copy2(src, copy)
    before = _fingerprint(copy)
    rec = load(copy)
    assert _fingerprint(copy) == before
    assert sorted(os.listdir(copy.parent)) == [src.name]
    assert rec.sha256 == before[0] == hashlib.sha256(src.read_bytes()).hexdigest()

    ro = tmp_path / "ro" / src.name
    ro.parent.mkdir()
    shutil.copy2(src, ro)
    ro.chmod(0o444)
    try:
        assert stat.S_IMODE(ro.stat().st_mode) == 0o444
        rec_ro = load(ro)
        assert rec_ro.sha256 == rec.sha256 and rec_ro.n_sweeps == rec.n_sweeps
        assert _fingerprint(ro) == before
    finally:
        ro.chmod(0o644)


def test_read_only_simulated_abf_loads(tmp_path: Path) -> None:
    path = write_abf1(tmp_path / "ro.abf", np.ones((3, 1, 500)), 10000, ["IN 0"], ["pA"], sweep_interval_s=1.0)
    before = _fingerprint(path)
    path.chmod(0o444)
    try:
        rec = load(path)
        assert rec.n_sweeps == 3
        assert _fingerprint(path) == before
    finally:
        path.chmod(0o644)


@pytest.mark.realdata
def test_mcs_unknown_stream_is_not_reported_as_damage(realdata_dir: Path) -> None:
    path = realdata_dir / MCS_REL
    with pytest.raises(LoadError) as err:
        load(path, stream=5)
    msg = str(err.value)
    assert "no analog stream 5" in msg and "[0, 1, 2]" in msg
    assert not isinstance(err.value, CorruptFileError) and "damaged" not in msg
    assert msg.count(path.name) == 1
