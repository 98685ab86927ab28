"""Per-recording result cache under the output folder, keyed by file hash + parameters + version and source."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from ephystool.atomic import write_json
from ephystool.pipeline.tasks import Task, TaskOutput, task_key

__all__ = ["ResultCache"]


class ResultCache:
    """JSON files in ``out_dir/.cache``; a run reuses an entry when inputs and parameters are unchanged."""

    def __init__(self, out_dir: Path, enabled: bool = True) -> None:
        self.dir = out_dir / ".cache"
        self.enabled = enabled
        self._keys: dict[int, str | None] = {}  # get() computed them; put() of the same task reuses them

    @staticmethod
    def key(task: Task) -> str | None:
        """Cache key of a task, computed from the files' identities (:func:`~ephystool.io.base.file_identity`:
        path, inode, size, times and the hashes of both ends) without reading them through neo or hashing
        whole files: a long recording's analysis starts without waiting for a full SHA-256 (provenance still
        gets one, from the task).

        The whole protocol (not only its ``analysis_params``) is hashed: its name and recording mode
        reach the results too. Whether figures are wanted is part of the key, so that a run with
        figures after a ``--no-figures`` run draws them.
        """
        from ephystool.io.base import file_identity
        from ephystool.protocols import load_protocol
        from ephystool.report.figures import FIGURE_SET

        try:
            hashes = {r["recording"]: file_identity(Path(r["path"])) for r in task.rows}
            hashes.update({f"layout:{r['overrides']['layout']}": file_identity(Path(r["overrides"]["layout"]))
                           for r in task.rows if r["overrides"].get("layout")})
            params = {"protocol": load_protocol(task.protocol).to_dict(),
                      "figures": FIGURE_SET if task.figures_dir else 0}
        except (OSError, ValueError):
            return None  # missing file or bad protocol: never cached, the task reports it
        return task_key(task, hashes, params)

    def get(self, task: Task) -> TaskOutput | None:
        """The cached output of ``task`` or None."""
        if not self.enabled:
            return None
        k = self._keys[task.index] = self.key(task)  # loads the protocol and stats/hashes the files: once
        f = self.dir / f"{k}.json"
        if k is None or not f.is_file():
            return None
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None  # a damaged entry is recomputed
        if not isinstance(data, dict) or not all(Path(f).is_file() for f in data.get("figures", [])):
            return None  # figures deleted (or moved with the folder): recompute to redraw them
        data.update(index=task.index, cached=True)
        try:
            return TaskOutput(**data)
        except TypeError:
            return None  # an entry of another layout is recomputed

    def put(self, task: Task, out: TaskOutput) -> None:
        """Store a successful output."""
        if not self.enabled or out.failure is not None:
            return
        k = self._keys.pop(task.index) if task.index in self._keys else self.key(task)
        if k is not None:
            write_json(self.dir / f"{k}.json", {k2: v for k2, v in dataclasses.asdict(out).items()
                                               if k2 not in ("index", "cached")})

    def __repr__(self) -> str:  # pragma: no cover
        return f"ResultCache({self.dir}, enabled={self.enabled})"

    def asdict(self) -> dict[str, Any]:
        """Where the cache lives."""
        return {"dir": str(self.dir), "enabled": self.enabled}
