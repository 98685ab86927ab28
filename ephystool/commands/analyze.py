"""``ephystool analyze MANIFEST --out DIR``: the batch command."""

from __future__ import annotations

import sys

import click


@click.command(name="analyze")
@click.argument("manifest", type=click.Path(path_type=str))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=str), help="Output folder.")
@click.option("--jobs", type=int, default=None, help="Worker processes (default: all cores); with fewer files than jobs the spare cores run as threads within a file (MEA spike detection).")
@click.option("--scheduler", default=None, help="Dask scheduler address, or 'local' for a LocalCluster.")
@click.option("--no-cache", is_flag=True, help="Recompute everything (ignore cached results).")
@click.option("--no-figures", is_flag=True, help="Skip per-recording figures.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def command(ctx: click.Context, manifest: str, out_dir: str, jobs: int | None, scheduler: str | None,
            no_cache: bool, no_figures: bool, quiet: bool) -> None:
    """Analyse every recording listed in MANIFEST; write tidy tables to --out.

    Exit status: 0 all recordings analysed, 1 some failed (the others are written and the failures
    listed in failures.csv), 2 the manifest or an option is invalid.
    """
    from ephystool.pipeline import run_analysis
    from ephystool.pipeline.progress import failure_line

    debug = bool((ctx.find_root().obj or {}).get("debug"))
    res = run_analysis(manifest, out_dir, jobs=jobs, scheduler=scheduler, use_cache=not no_cache,
                       figures=not no_figures, progress=not quiet, debug=debug)
    click.echo(f"analysed {res.n_ok}/{res.n_tasks} recording(s) ({res.n_reused} reused from cache) -> {res.out_dir}")
    for f in res.failures:
        click.echo(f"failed: {failure_line(f)}", err=True)
    if res.n_failed:
        click.echo(f"{res.n_failed} recording(s) failed; see {res.out_dir / 'failures.csv'}", err=True)
        sys.exit(1)
