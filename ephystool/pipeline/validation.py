"""The pipeline's second half: results table -> comparison -> verdict files, claim figures and the report.

``ephystool compare``, ``ephystool validate``, ``ephystool demo`` and :mod:`ephystool.workflow` all run
through here, so they write the same files in the same way: :mod:`ephystool.compare` computes the
verdicts (data only), :mod:`ephystool.report` writes the files and draws the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ephystool.core import vocabulary as voc
from ephystool.errors import AnalysisError, one_line

if TYPE_CHECKING:
    import pandas as pd

    from ephystool.compare.claims import Claim, ClaimsFile
    from ephystool.compare.engine import CompareResult
    from ephystool.pipeline import BatchResult

__all__ = ["CompareRun", "ValidateRun", "compare", "read_results", "run_compare", "run_validate"]

#: The design when neither the caller nor the manifest declares one.
DEFAULT_DESIGN = voc.DEFAULT_DESIGN


def read_results(results_dir: Path) -> pd.DataFrame:
    """``results.csv`` (or ``results.parquet``) of an analysis folder, or a table file given directly.

    Raises
    ------
    AnalysisError
        Neither table is there, or it cannot be read.
    """
    import pandas as pd

    candidates = [results_dir] if results_dir.is_file() else [results_dir / "results.csv",
                                                               results_dir / "results.parquet"]
    give = "give the folder 'ephystool analyze MANIFEST --out OUT' wrote (OUT), or its results.csv"
    for path in candidates:
        if not path.is_file():
            continue
        if path.suffix.lower() not in (".csv", ".tsv", ".txt", ".parquet"):
            raise AnalysisError(f"is not a results table (a recording or another file?); {give}", path=path)
        try:
            table = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(
                path, low_memory=False, sep="\t" if path.suffix.lower() == ".tsv" else ",")
        except (OSError, ValueError, ImportError, UnicodeDecodeError) as exc:
            raise AnalysisError(f"cannot read the results table ({one_line(exc, 160)}); {give}", path=path) from exc
        if "metric" not in table.columns and "path" in table.columns:
            raise AnalysisError(f"is a manifest, not results: run 'ephystool analyze {path.name} --out OUT' first, "
                                "then compare OUT", path=path)
        return table
    data = " (it holds a manifest: a data folder?)" if any(results_dir.glob("manifest*")) else ""
    raise AnalysisError(f"no results.csv or results.parquet in {results_dir}{data}; run 'ephystool analyze MANIFEST "
                        "--out OUT' first (OUT outside the raw data), then compare OUT", path=results_dir)



def compare(results: pd.DataFrame, claims: ClaimsFile | str | Path | list[Claim] | None = None,
            design: str = DEFAULT_DESIGN, out_dir: str | Path | None = None, seed: int = 0, *,
            figures: bool = False, mg_mM: float = 1.3, acsf: Any = None, salt_forms: dict[str, str] | None = None,
            n_boot: int = 2000, alpha: float = 0.05) -> CompareResult:
    """:func:`ephystool.compare.engine.compare` (same parameters, same result), then, with ``out_dir``, its
    files written by :func:`ephystool.report.verdict_files.write_compare` (``figures``: one figure per tested
    claim into ``out_dir/claims``)."""
    from ephystool.compare.engine import compare as _compare

    result = _compare(results, claims, design, seed=seed, mg_mM=mg_mM, acsf=acsf, salt_forms=salt_forms,
                      n_boot=n_boot, alpha=alpha)
    if out_dir is not None:
        from ephystool.report.verdict_files import write_compare

        write_compare(result, out_dir, figures=figures)
    return result


@dataclass(frozen=True)
class CompareRun:
    """A comparison written to disk: the result and the report's path."""

    result: CompareResult
    report: Path


def run_compare(results: pd.DataFrame, out_dir: str | Path, *, claims: ClaimsFile | str | Path | None = None,
                design: str | None = None, mg_mM: float = 1.3, acsf: Any = None, figures: bool = True,
                n_boot: int = 2000, seed: int = 0, results_dir: str | Path | None = None,
                title: str = "ephystool report") -> CompareRun:
    """Compare ``results`` against the claims and write the verdict files, claim figures and ``report.html``.

    A previous comparison's files in ``out_dir`` are removed first, so verdicts of one run never sit beside
    another's (an invalid claims file fails before anything is removed).

    Parameters
    ----------
    results : DataFrame
        The tidy results table (:func:`read_results`).
    out_dir : str or Path
        Folder of the verdict files, ``claims/`` and ``report.html``.
    claims, design, mg_mM, acsf, n_boot, seed
        As in :func:`ephystool.compare.engine.compare` (``design`` None: ``acute_equal_total``; ``mg_mM`` in mM).
    figures : bool
        Draw one figure per tested claim.
    results_dir : str or Path, optional
        The analysis folder the report reads (``results.csv``, ``figures/``, provenance); default ``out_dir``.
    title : str
        Title of the report.

    Returns
    -------
    CompareRun
    """
    from ephystool.compare.engine import resolve_claims
    from ephystool.pipeline.outputs import clear_compare_outputs, is_output_folder
    from ephystool.report.html import write_report

    out = Path(out_dir)
    cf = resolve_claims(claims)  # an invalid claims file fails before anything is removed
    if is_output_folder(out):
        clear_compare_outputs(out)
    result = compare(results, cf, design or DEFAULT_DESIGN, out, seed, figures=figures, mg_mM=mg_mM, acsf=acsf,
                     n_boot=n_boot)
    return CompareRun(result, write_report(out, title, results_dir=results_dir if results_dir is not None else out))


@dataclass(frozen=True)
class ValidateRun:
    """Analysis, comparison and report of one manifest."""

    batch: BatchResult
    compare: CompareResult
    report: Path

    def as_dict(self) -> dict[str, Any]:
        """``batch``, ``compare``, ``verdicts`` (list of verdict dicts) and ``report`` (the workflow's dict)."""
        return {"batch": self.batch, "compare": self.compare, "verdicts": [v.as_dict() for v in self.compare.verdicts],
                "report": self.report}


def run_validate(manifest: str | Path, out_dir: str | Path, *, design: str | None = None,
                 claims: ClaimsFile | str | Path | None = None, jobs: int | None = None, scheduler: str | None = None,
                 progress: bool = True, seed: int = 0, title: str = "ephystool report", mg_mM: float = 1.3,
                 acsf: Any = None, figures: bool = True, n_boot: int = 2000,
                 on_analysed: Callable[[BatchResult], None] | None = None) -> ValidateRun:
    """Analyse every recording of ``manifest`` into ``out_dir``, compare the conditions, write the report.

    ``ephystool validate``, ``ephystool demo`` and :func:`ephystool.workflow.validate` all run this.

    Parameters
    ----------
    manifest : str or Path
        The manifest (:func:`ephystool.pipeline.run_analysis`).
    out_dir : str or Path
        Folder of the analysis, the comparison and the report.
    design : str, optional
        The design; else the manifest's, else ``acute_equal_total``.
    jobs, scheduler, progress
        As in :func:`ephystool.pipeline.run_analysis` (only those given are passed on).
    claims, seed, title, mg_mM, acsf, figures, n_boot
        As in :func:`run_compare`.
    on_analysed : callable, optional
        Called with the :class:`~ephystool.pipeline.BatchResult` before the comparison (the command line
        reports failed recordings there).

    Returns
    -------
    ValidateRun

    Raises
    ------
    ManifestError
        The manifest is invalid (nothing is analysed).
    AnalysisError
        The results table cannot be read or lacks the required columns.
    """
    from ephystool.io.manifest import read_manifest
    from ephystool.pipeline import run_analysis

    out = Path(out_dir)
    options: dict[str, Any] = {"jobs": jobs}  # the options chosen; run_analysis's defaults for the rest
    if scheduler is not None:
        options["scheduler"] = scheduler
    if not progress:
        options["progress"] = False
    batch = run_analysis(manifest, out, **options)  # clears a previous run
    if on_analysed is not None:
        on_analysed(batch)
    chosen = design or read_manifest(manifest).design or DEFAULT_DESIGN
    run = run_compare(read_results(out), out, claims=claims, design=chosen, mg_mM=mg_mM, acsf=acsf, figures=figures,
                      n_boot=n_boot, seed=seed, title=title)
    return ValidateRun(batch, run.result, run.report)
