"""Provenance hashes started early by the batch (``ephystool.io.prehash``): the right digest, taken once, never
for a file changed since the hash started, and started only where a spare core runs it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import ephystool.io.base as base
from ephystool.io import prehash


@pytest.fixture(autouse=True)
def _clean():
    prehash.stop_hashes()
    yield
    prehash.stop_hashes()


def _counting(monkeypatch) -> list[Path]:
    calls: list[Path] = []
    real = base.sha256_file
    monkeypatch.setattr(base, "sha256_file", lambda p, *a, **k: calls.append(Path(p)) or real(p, *a, **k))
    return calls


def test_started_hash_is_taken_once(tmp_path: Path, monkeypatch) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(os.urandom(3 << 20))
    calls = _counting(monkeypatch)
    prehash.start_hashes([f])
    want = hashlib.sha256(f.read_bytes()).hexdigest()
    assert prehash.sha256_prehashed(f) == want and len(calls) == 1  # the background hash, not a second one
    assert prehash.sha256_prehashed(f) == want and len(calls) == 2  # used once: asked again, hashed again


def test_file_changed_after_start_is_hashed_again(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"x" * 100)
    prehash.start_hashes([f])
    f.write_bytes(b"y" * 101)  # another content (and size) before the recording asks
    assert prehash.sha256_prehashed(f) == hashlib.sha256(b"y" * 101).hexdigest()


def test_stopped_hash_is_recomputed(tmp_path: Path, monkeypatch) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(os.urandom(1 << 20))
    prehash.start_hashes([f])
    prehash.stop_hashes()
    calls = _counting(monkeypatch)
    assert prehash.sha256_prehashed(f) == hashlib.sha256(f.read_bytes()).hexdigest() and len(calls) == 1


def test_stop_during_a_hash_gives_none(tmp_path: Path) -> None:
    import threading

    f = tmp_path / "a.bin"
    f.write_bytes(os.urandom(3 << 20))
    stop = threading.Event()
    stop.set()
    assert base.sha256_file(f, block=1 << 16, stop=stop) is None
    assert base.sha256_file(f, block=1 << 16) == hashlib.sha256(f.read_bytes()).hexdigest()


def test_missing_and_folder_paths_are_skipped(tmp_path: Path) -> None:
    prehash.start_hashes([tmp_path / "nothing.abf", tmp_path])
    assert prehash._STARTED == {}


@pytest.mark.parametrize(("jobs", "started"), [(1, False), (2, True)])
def test_batch_starts_the_hash_only_with_a_spare_core(tmp_path: Path, mea_nwb_writer, monkeypatch, jobs,
                                                      started) -> None:
    import json

    from ephystool.pipeline import run_analysis

    path, _ = mea_nwb_writer(tmp_path / "m.nwb", 1.0, 4, seed=3, snr=7.0, rate_hz=5.0)
    (tmp_path / "manifest.csv").write_text("path,condition,well,protocol\nm.nwb,control,,mea_spontaneous\n")
    seen: list[list[Path]] = []
    real = prehash.start_hashes
    monkeypatch.setattr(prehash, "start_hashes", lambda paths: seen.append(list(paths)) or real(paths))
    run_analysis(tmp_path / "manifest.csv", tmp_path / "out", jobs=jobs, figures=False, progress=False)
    assert (seen == [[path]]) is started and (seen == []) is not started
    prov = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert prov["inputs"]["m.nwb"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prehash._STARTED == {}  # nothing left behind


def test_background_hash_of_a_mapped_file(tmp_path: Path, monkeypatch) -> None:
    """A background hash (``stop`` given) of a file of two slices or more hashes it mapped, slice by slice (one
    GIL return per slice): the same digest, and a stop between slices ends it."""
    import mmap
    import threading

    monkeypatch.setattr(base, "MAP_SLICE", 1 << 16)
    f = tmp_path / "a.bin"
    f.write_bytes(os.urandom((5 << 16) + 123))  # 5 slices and a partial one
    want = hashlib.sha256(f.read_bytes()).hexdigest()
    mapped: list[int] = []
    real_map = base._mapped
    monkeypatch.setattr(base, "_mapped", lambda fh: mapped.append(1) or real_map(fh))
    released: list[tuple[int, int]] = []
    real_release = base._release_pages
    monkeypatch.setattr(base, "_release_pages", lambda m, a, b: released.append((a, b)) or real_release(m, a, b))
    stop = threading.Event()
    assert base.sha256_file(f, stop=stop) == want and mapped == [1]
    assert released[0] == (0, 1 << 16) and released[-1][1] == f.stat().st_size and len(released) == 6
    assert base.sha256_file(f) == want and mapped == [1]  # asked in the foreground: read block by block

    class StopAfterFirst(threading.Event):
        def is_set(self) -> bool:
            return bool(released)

    released.clear()
    assert base.sha256_file(f, stop=StopAfterFirst()) is None and len(released) == 1
    small = tmp_path / "b.bin"
    small.write_bytes(b"x" * 1000)
    assert base._mapped(open(small, "rb")) is None  # under two slices: read, not mapped
    assert isinstance(real_map(open(f, "rb")), mmap.mmap)
