"""Spare cores become threads: ``--jobs N`` on fewer files than N gives each task N // files threads."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ephystool.parallel import threads, use_threads
from ephystool.pipeline import execute as execute_mod
from ephystool.pipeline.tasks import Task, TaskOutput


def _tasks(n: int) -> list[Task]:
    return [Task(i, ({"recording": f"r{i}"},), "mea_spontaneous") for i in range(n)]


def _record(seen: list[int]):
    def run(task: Task) -> TaskOutput:
        seen.append(task.threads)
        return TaskOutput(task.index, task.rows[0]["recording"])
    return run


@pytest.mark.parametrize(("n_tasks", "jobs", "want"), [(1, 2, [2]), (1, 1, [1]), (3, 1, [1, 1, 1])])
def test_serial_tasks_get_the_spare_cores(monkeypatch, n_tasks: int, jobs: int, want: Sequence[int]) -> None:
    seen: list[int] = []
    monkeypatch.setattr(execute_mod, "run_task", _record(seen))
    outs = execute_mod.execute(_tasks(n_tasks), jobs=jobs)
    assert seen == list(want) and [o.index for o in outs] == list(range(n_tasks))


def test_pool_tasks_split_the_cores(monkeypatch) -> None:
    """Two tasks, four jobs: two processes of two threads each (the pool is replaced by a recorder)."""
    got: dict[str, object] = {}

    def fake_pool(tasks: Sequence[Task], jobs: int):
        got["threads"], got["jobs"] = [t.threads for t in tasks], jobs
        return iter([TaskOutput(t.index, "") for t in tasks])

    monkeypatch.setattr(execute_mod, "_pool", fake_pool)
    execute_mod.execute(_tasks(2), jobs=4)
    assert got == {"threads": [2, 2], "jobs": 4 // 2}
    execute_mod.execute(_tasks(8), jobs=4)
    assert got == {"threads": [1] * 8, "jobs": 4}


def test_use_threads_is_scoped() -> None:
    assert threads() == 1
    with use_threads(3):
        assert threads() == 3
        with use_threads(0):
            assert threads() == 1  # at least one
        assert threads() == 3
    assert threads() == 1


def test_every_core_is_used_by_few_tasks_also_under_dask(monkeypatch) -> None:
    """Three long files on four cores: threads 2, 1, 1 in the pool and under Dask (recorders replace both)."""
    got: dict[str, object] = {}

    def fake(tasks: Sequence[Task], *args: object):
        got["threads"] = [t.threads for t in tasks]
        return iter([TaskOutput(t.index, "") for t in tasks])

    monkeypatch.setattr(execute_mod, "_pool", fake)
    monkeypatch.setattr(execute_mod, "_dask", fake)
    execute_mod.execute(_tasks(3), jobs=4)
    assert got["threads"] == [2, 1, 1]
    execute_mod.execute(_tasks(1), jobs=3, scheduler="local")
    assert got["threads"] == [3]
    execute_mod.execute(_tasks(5), jobs=3, scheduler="local")
    assert got["threads"] == [1] * 5
