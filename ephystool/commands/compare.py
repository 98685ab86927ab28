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

from ephystool.core import vocabulary as voc

__all__ = ["command", "read_acsf", "validate"]

_DESIGNS = voc.DESIGNS


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


def _report(result: Any, out_dir: Path, report: Path) -> None:
    from ephystool.report.console import print_verdicts

    print_verdicts(result)
    click.echo(f"wrote {out_dir / 'verdicts.json'}, verdicts.csv, summary.csv, design.json; report: {report}")


@click.command(name="compare")
@click.argument("results_dir", type=click.Path(exists=True, path_type=Path))
@_options
def command(results_dir: Path, out_dir: Path, claims_path: Path | None, design: str | None, mg_mM: float,
            acsf_path: Path | None, no_figures: bool, n_boot: int, seed: int) -> None:
    """Compare conditions in RESULTS_DIR/results.csv and give a verdict for every claim."""
    from ephystool.pipeline.validation import read_results, run_compare

    run = run_compare(read_results(results_dir), out_dir, claims=claims_path, design=design, mg_mM=mg_mM,
                      acsf=read_acsf(acsf_path), figures=not no_figures, n_boot=n_boot, seed=seed,
                      results_dir=results_dir.parent if results_dir.is_file() else results_dir)
    _report(run.result, out_dir, run.report)


@click.command(name="validate")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_options
@click.option("--jobs", type=int, default=None, help="Worker processes for the analysis.")
def validate(manifest: Path, out_dir: Path, claims_path: Path | None, design: str | None, mg_mM: float,
             acsf_path: Path | None, no_figures: bool, n_boot: int, seed: int, jobs: int | None) -> None:
    """Analyse every recording of MANIFEST into --out, then compare and check the claims."""
    from ephystool.pipeline.validation import run_validate

    def said(batch: Any) -> None:
        if batch.n_failed:
            click.echo(f"{batch.n_failed} recording(s) failed (see {out_dir / 'failures.csv'}); comparing the rest",
                       err=True)

    run = run_validate(manifest, out_dir, design=design, claims=claims_path, jobs=jobs, seed=seed, mg_mM=mg_mM,
                       acsf=read_acsf(acsf_path), figures=not no_figures, n_boot=n_boot, on_analysed=said)
    _report(run.compare, out_dir, run.report)
    if run.batch.n_failed:
        raise SystemExit(1)
