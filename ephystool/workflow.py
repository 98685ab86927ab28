"""End-to-end workflows shared by ``validate`` and ``demo``: analyse, compare, report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["validate", "print_verdicts"]


def validate(manifest: str | Path, out_dir: str | Path, *, design: str | None = None, claims: str | Path | None = None,
             jobs: int | None = None, scheduler: str | None = None, progress: bool = True, seed: int = 0,
             title: str = "ephystool report") -> dict[str, Any]:
    """Analyse every recording of ``manifest``, compare conditions against the claims, write the report.

    Returns
    -------
    dict
        ``batch`` (:class:`~ephystool.pipeline.BatchResult`), ``compare`` (the comparison result),
        ``verdicts`` (list of verdict dicts) and ``report`` (path of ``report.html``).
    """
    from ephystool.commands.compare import read_results
    from ephystool.compare.engine import compare
    from ephystool.io.manifest import read_manifest
    from ephystool.pipeline import run_analysis
    from ephystool.report.html import write_report

    out = Path(out_dir)
    batch = run_analysis(manifest, out, jobs=jobs, scheduler=scheduler, progress=progress)
    results = read_results(out)
    chosen = design or read_manifest(manifest).design or "acute_equal_total"
    cmp = compare(results, claims, chosen, seed=seed)
    cmp.write(out, figures=True)
    report = write_report(out, title)
    return {"batch": batch, "compare": cmp, "verdicts": [v.as_dict() for v in cmp.verdicts], "report": report}


def print_verdicts(verdicts: list[dict[str, Any]]) -> None:
    """Print the verdict table (rich when available)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Claims: verdicts (reasons in report.html and verdicts.csv)")
    for col in ("id", "condition", "metric", "expected", "verdict"):
        table.add_column(col, no_wrap=col in ("id", "verdict"))
    for v in verdicts:
        table.add_row(*(escape(str(v.get(c, "") or "-")) for c in ("id", "condition", "metric", "expected", "verdict")))
    Console(highlight=False).print(table)
