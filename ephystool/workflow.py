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
             title: str = "ephystool report", mg_mM: float = 1.3, acsf: Any = None, figures: bool = True,
             n_boot: int = 2000) -> dict[str, Any]:
    """Analyse every recording of ``manifest``, compare conditions against the claims, write the report.

    Same as ``ephystool validate MANIFEST --out OUT_DIR`` (both run
    :func:`ephystool.pipeline.validation.run_validate`).

    Parameters
    ----------
    manifest : str or Path
        The experiment's manifest (see :func:`ephystool.pipeline.run_analysis`).
    out_dir : str or Path
        Output folder: the analysis tables, ``verdicts.json``/``.csv``, ``summary.csv``, ``design.json``,
        ``claims/`` figures and ``report.html``.
    design : str, optional
        ``acute_equal_total``, ``acute_added`` or ``chronic_oral``; default the manifest's, else
        ``acute_equal_total``.
    claims : str or Path, optional
        Claims YAML file (default: the packaged one).
    jobs, scheduler, progress
        As in :func:`ephystool.pipeline.run_analysis`.
    seed : int
        Seed of the bootstraps.
    title : str
        Title of ``report.html``.
    mg_mM : float
        Total Mg (acute_equal_total) or Mg added (acute_added), in mM.
    acsf : ACSF, optional
        Background bath (default: the standard aCSF).
    figures : bool
        Draw one figure per tested claim.
    n_boot : int
        Bootstrap replicates per claim.

    Returns
    -------
    dict
        ``batch`` (:class:`~ephystool.pipeline.BatchResult`), ``compare`` (the comparison result),
        ``verdicts`` (list of verdict dicts) and ``report`` (path of ``report.html``).
    """
    from ephystool.pipeline.validation import run_validate

    return run_validate(manifest, out_dir, design=design, claims=claims, jobs=jobs, scheduler=scheduler,
                        progress=progress, seed=seed, title=title, mg_mM=mg_mM, acsf=acsf, figures=figures,
                        n_boot=n_boot).as_dict()
