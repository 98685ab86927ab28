"""The comparison's files: ``verdicts.json``, ``verdicts.csv``, ``summary.csv``, ``design.json`` and the
per-claim figures (``claims/``), all written atomically from a
:class:`~ephystool.compare.engine.CompareResult` (compare computes, report writes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ephystool.atomic import write_text

if TYPE_CHECKING:
    from ephystool.compare.engine import CompareResult

__all__ = ["write_compare"]


def write_compare(result: CompareResult, out_dir: str | Path, figures: bool = False) -> list[Path]:
    """Write ``verdicts.json``, ``verdicts.csv``, ``summary.csv`` and ``design.json`` atomically.

    Parameters
    ----------
    result : CompareResult
        Output of :func:`ephystool.compare.engine.compare`.
    out_dir : str or Path
        Created if needed.
    figures : bool
        Also draw one figure per tested claim into ``out_dir/claims``.

    Returns
    -------
    list of Path
        The files written, in the order above, then the figures.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [
        write_text(out / "verdicts.json", json.dumps([v.as_dict() for v in result.verdicts], indent=2,
                                                       allow_nan=False)),
        write_text(out / "verdicts.csv", result.table().to_csv(index=False)),
        write_text(out / "summary.csv", result.summary.to_csv(index=False)),
        write_text(out / "design.json", json.dumps(result.design_record(), indent=2, allow_nan=False)),
    ]
    if figures:
        from ephystool.report.fig_claims import plot_claims

        paths += plot_claims(result, out / "claims")
    return paths
