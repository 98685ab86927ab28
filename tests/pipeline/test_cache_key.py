"""The cache key covers ephystool's own source: an edited analyzer never gets results from the cache."""

from __future__ import annotations

from ephystool.pipeline import tasks
from ephystool.pipeline.tasks import Task, code_digest, task_key


def test_key_changes_with_the_source(monkeypatch) -> None:
    task = Task(0, ({"recording": "a.abf", "row": 2, "overrides": {}},), "nmda_epsc")
    before = task_key(task, {"a.abf": "0" * 64}, {"p": 1})
    assert task_key(task, {"a.abf": "0" * 64}, {"p": 1}) == before  # deterministic
    monkeypatch.setattr(tasks, "code_digest", lambda: "edited")
    assert task_key(task, {"a.abf": "0" * 64}, {"p": 1}) != before


def test_code_digest_reads_the_package() -> None:
    d = code_digest()
    assert len(d) == 64 and d == code_digest()
