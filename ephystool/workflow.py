"""End-to-end workflows for scripts: analyse, compare, report (a thin public facade over the pipeline).

The orchestration lives in :mod:`ephystool.pipeline.validation` (the command line runs the same code);
the verdict table in :mod:`ephystool.report.console`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ephystool.report.console import print_verdicts, verdict_rows

__all__ = ["print_verdicts", "validate", "verdict_rows"]


def validate(manifest: str | Path, out_dir: str | Path, *, design: str | None = None, claims: str | Path | None = None,
             jobs: int | None = None, scheduler: str | None = None, progress: bool = True, seed: int = 0,
             title: str = "ephystool report") -> dict[str, Any]:
    """Analyse every recording of ``manifest``, compare conditions against the claims, write the report.

    Same as ``ephystool validate MANIFEST --out OUT_DIR`` (:func:`ephystool.pipeline.validation.run_validate`).

    Returns
    -------
    dict
        ``batch`` (:class:`~ephystool.pipeline.BatchResult`), ``compare`` (the comparison result),
        ``verdicts`` (list of verdict dicts) and ``report`` (path of ``report.html``).
    """
    from ephystool.pipeline.validation import run_validate

    return run_validate(manifest, out_dir, design=design, claims=claims, jobs=jobs, scheduler=scheduler,
                        progress=progress, seed=seed, title=title).as_dict()
