"""The result cache's file identity: cheap (both ends of the file, not all of it) yet changed by any rewrite."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from ephystool.io.base import IDENTITY_BYTES, file_identity, sha256_file


def _file(path: Path, n: int) -> Path:
    path.write_bytes(bytes(range(256)) * (n // 256))
    return path


def test_identity_is_stable_and_full_hash_is_sha256(tmp_path: Path) -> None:
    f = _file(tmp_path / "a.bin", 3 * IDENTITY_BYTES)
    assert file_identity(f) == file_identity(f)
    assert sha256_file(f) == hashlib.sha256(f.read_bytes()).hexdigest()


def test_a_middle_byte_rewritten_with_the_old_mtime_changes_the_identity(tmp_path: Path) -> None:
    f = _file(tmp_path / "a.bin", 3 * IDENTITY_BYTES)
    before, st = file_identity(f), f.stat()
    time.sleep(0.02)  # past a coarse file-system clock tick
    with open(f, "r+b") as fh:  # a byte outside both hashed ends, same size
        fh.seek(IDENTITY_BYTES + 17)
        fh.write(b"\xff")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # modification time set back: the status change remains
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    assert file_identity(f) != before


def test_a_copy_with_the_same_times_is_another_file(tmp_path: Path) -> None:
    f = _file(tmp_path / "a.bin", 2 * IDENTITY_BYTES + 5)
    g = tmp_path / "b.bin"
    shutil.copy2(f, g)
    assert file_identity(g) != file_identity(f)  # recomputed, never served another file's result
    assert sha256_file(g) == sha256_file(f)


def test_a_folder_identity_follows_its_files(tmp_path: Path) -> None:
    d = tmp_path / "rec"
    d.mkdir()
    _file(d / "x.dat", 1024)
    before = file_identity(d)
    time.sleep(0.02)
    _file(d / "x.dat", 2048)
    assert file_identity(d) != before


def test_load_with_overrides_does_not_hash_the_file(tmp_path: Path, mea_nwb_writer, monkeypatch) -> None:
    import ephystool.io.base as base
    from ephystool.io import load
    from ephystool.io.overrides import apply_overrides

    mea_nwb_writer(tmp_path / "m.nwb", 1.0, 4, seed=3, snr=7.0, rate_hz=5.0)
    calls: list[Path] = []
    real = base.sha256_file
    monkeypatch.setattr(base, "sha256_file", lambda p, *a: calls.append(Path(p)) or real(p, *a))
    rec = apply_overrides(load(tmp_path / "m.nwb", kind="mea"), {}, kind="mea", holding_given=False)
    rec = rec.replace(metadata={**rec.metadata, "x": 1})
    assert calls == []  # the hash waits for provenance: the analysis starts first
    assert rec.sha256 == hashlib.sha256((tmp_path / "m.nwb").read_bytes()).hexdigest() and len(calls) == 1
