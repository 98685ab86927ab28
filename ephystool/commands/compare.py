"""``ephystool compare`` and ``ephystool validate``: conditions compared, a verdict for every claim.

``compare RESULTS_DIR --out DIR`` reads ``RESULTS_DIR/results.csv`` (or ``results.parquet``);
``validate MANIFEST --out DIR`` first analyses the manifest into ``DIR`` (``ephystool analyze``), then
compares. Both print the verdict table at the end and write ``verdicts.json``, ``verdicts.csv``,
``summary.csv``, ``design.json`` and one figure per tested claim (``DIR/claims/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ephystool.errors import AnalysisError

__all__ = ["command", "validate"]

_DESIGNS = ("acute_equal_total", "acute_added", "chronic_oral")


def read_results(results_dir: Path) -> Any:  # -> pandas.DataFrame
    """``results.csv`` (or ``results.parquet``) of an analysis folder, or a table file given directly."""
    import pandas as pd

    candidates = [results_dir] if results_dir.is_file() else [results_dir / "results.csv",
                                                               results_dir / "results.parquet"]
    for path in candidates:
        if path.is_file():
            try:
                if path.suffix == ".parquet":
                    return pd.read_parquet(path)
                return pd.read_csv(path, low_memory=False)
            except (OSError, ValueError, ImportError) as exc:
                raise AnalysisError(f"cannot read the results table: {exc}", path=path) from exc
    raise AnalysisError(f"no results.csv or results.parquet in {results_dir}; run 'ephystool analyze MANIFEST "
                        f"--out {results_dir}' first", path=results_dir)


def read_acsf(path: Path | None) -> Any:
    """The aCSF of ``--acsf`` (None: the protocol's standard bath)."""
    from ephystool.chemistry import ACSF

    return None if path is None else ACSF.from_file(path)

def _options(f: Any) -> Any:
    f = click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstraps.")(f)
    f = click.option("--n-boot", type=click.IntRange(100, 100000), default=2000, show_default=True,
                     help="Bootstrap replicates per claim.")(f)
    f = click.option("--no-figures", is_flag=True, help="Do not draw the per-claim figures.")(f)
    f = click.option("--acsf", "acsf_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     default=None, help="YAML mapping of the background bath (standard aCSF if omitted).")(f)
    f = click.option("--mg-mM", "mg_mM", type=float, default=1.3, show_default=True,
                     help="Total Mg (acute_equal_total) or Mg added (acute_added), mM.")(f)
    f = click.option("--design", type=click.Choice(_DESIGNS), default=None,
                     help="Experimental design: decides the reference and the predictions "
                          "[default: the manifest's design (validate), else acute_equal_total].")(f)
    f = click.option("--claims", "claims_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     default=None, help="Claims YAML file (the packaged mg_salts.yaml if omitted).")(f)
    f = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
                     help="Output folder.")(f)
    return f


def _run_compare(results: Any, out_dir: Path, claims_path: Path | None, design: str | None, mg_mM: float,
                 acsf_path: Path | None, no_figures: bool, n_boot: int, seed: int, results_dir: Path) -> None:
    from ephystool.compare.claims import load_claims
    from ephystool.compare.engine import compare
    from ephystool.pipeline.outputs import clear_compare_outputs, is_output_folder
    from ephystool.report.html import write_report
    from ephystool.workflow import print_verdicts

    claims = load_claims(claims_path)
    if is_output_folder(out_dir):  # a previous comparison's claims/ figures never sit beside this one's
        clear_compare_outputs(out_dir)
    result = compare(results, claims, design=design or "acute_equal_total", out_dir=out_dir, seed=seed, mg_mM=mg_mM,
                     acsf=read_acsf(acsf_path), n_boot=n_boot, figures=not no_figures)
    report = write_report(out_dir, results_dir=results_dir)
    print_verdicts(result)
    click.echo(f"wrote {out_dir / 'verdicts.json'}, verdicts.csv, summary.csv, design.json; report: {report}")


@click.command(name="compare")
@click.argument("results_dir", type=click.Path(exists=True, path_type=Path))
@_options
def command(results_dir: Path, out_dir: Path, claims_path: Path | None, design: str | None, mg_mM: float,
            acsf_path: Path | None, no_figures: bool, n_boot: int, seed: int) -> None:
    """Compare conditions in RESULTS_DIR/results.csv and give a verdict for every claim."""
    results = read_results(results_dir)
    _run_compare(results, out_dir, claims_path, design, mg_mM, acsf_path, no_figures, n_boot, seed,
                 results_dir.parent if results_dir.is_file() else results_dir)


@click.command(name="validate")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_options
@click.option("--jobs", type=int, default=None, help="Worker processes for the analysis.")
def validate(manifest: Path, out_dir: Path, claims_path: Path | None, design: str | None, mg_mM: float,
             acsf_path: Path | None, no_figures: bool, n_boot: int, seed: int, jobs: int | None) -> None:
    """Analyse every recording of MANIFEST into --out, then compare and check the claims."""
    from ephystool import pipeline

    batch = pipeline.run_analysis(manifest, out_dir, jobs=jobs)
    n_failed = batch.n_failed
    if n_failed:
        click.echo(f"{n_failed} recording(s) failed (see {out_dir / 'failures.csv'}); comparing the rest", err=True)
    if design is None:
        design = _manifest_design(manifest)
    _run_compare(read_results(out_dir), out_dir, claims_path, design, mg_mM, acsf_path, no_figures, n_boot, seed,
                 out_dir)
    if n_failed:
        raise SystemExit(1)


def _manifest_design(manifest: Path) -> str | None:
    """The design declared in the manifest (its reader already validated it in run_analysis)."""
    from ephystool.io.manifest import read_manifest

    return read_manifest(manifest).design or None
