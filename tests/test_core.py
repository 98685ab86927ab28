"""The shared data model (:mod:`ephystool.core`): one Recording for every layer, reading no file itself."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import numpy as np
import pytest

import ephystool.core.recording as core
import ephystool.io as eio
from ephystool.core.recording import Recording
from ephystool.io.recording import deferred_sha256

PKG = Path(__file__).resolve().parents[1] / "ephystool"


def test_one_recording_class_whichever_way_it_is_imported() -> None:
    import ephystool.io.recording as io_recording

    assert eio.Recording is core.Recording is io_recording.Recording is Recording
    assert io_recording.Tag is core.Tag and io_recording.iter_chunks is core.iter_chunks


def test_core_imports_nothing_of_the_package_but_errors() -> None:
    found = set()
    for path in (PKG / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ephystool"):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("ephystool"))
    assert found <= {"ephystool.errors", "ephystool.core.recording"}, found


def _rec(sha256) -> Recording:
    return Recording(path=Path("x.bin"), sha256=sha256, format="arrays", kind="field", block=None, channels=())


def test_the_file_hash_is_computed_once_on_first_access(tmp_path: Path) -> None:
    f = tmp_path / "data.bin"
    f.write_bytes(np.arange(1000, dtype=np.int16).tobytes())
    calls = []

    def counted() -> str:
        calls.append(1)
        return deferred_sha256(f)()

    rec = _rec(counted)
    assert calls == []  # loading never pays for the hash
    assert rec.sha256 == rec.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert calls == [1]
    assert _rec("ab" * 32).sha256 == "ab" * 32


def test_a_missing_hash_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match="deferred_sha256"):
        _rec(None)
