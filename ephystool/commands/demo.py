"""``ephystool demo``: sample data -> analysis -> comparison -> validation report, in one command.

The sample experiment is the checkout's ``sample_data/``; an installed package (``pip install .``, no
checkout beside it) generates the same experiment once (``ephystool simulate --seed 20261125 --size
small``) into the user's cache folder and reuses it afterwards.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import click

#: The seed and size ``sample_data/`` was generated with (sample_data/README.md).
SAMPLE_SEED = 20261125
SAMPLE_SIZE = "small"


def sample_data_dir() -> Path:
    """The bundled ``sample_data/`` folder (next to the package in a checkout)."""
    return Path(__file__).resolve().parents[2] / "sample_data"


def cache_dir() -> Path:
    """Where an installed package keeps its generated sample experiment: ``$EPHYSTOOL_CACHE``, else
    ``$XDG_CACHE_HOME/ephystool``, else ``~/.cache/ephystool``."""
    env = os.environ.get("EPHYSTOOL_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ephystool"


def _generate(dest: Path) -> None:
    from ephystool.simulate.experiment import build_experiment

    build_experiment(dest, seed=SAMPLE_SEED, size=SAMPLE_SIZE)


def find_sample_data(checkout: Path | None = None, cache: Path | None = None,
                     generate: Callable[[Path], None] = _generate) -> tuple[Path, str]:
    """The sample experiment's folder and where it came from (``checkout``, ``cache`` or ``generated``).

    A checkout's ``sample_data/`` wins; else a previously generated copy in ``cache``; else the experiment
    is generated there (into a temporary folder first, so an interrupted run never leaves half of it).
    """
    from ephystool._version import __version__

    checkout = sample_data_dir() if checkout is None else checkout
    if (checkout / "manifest.csv").is_file():
        return checkout, "checkout"
    dest = (cache_dir() if cache is None else cache) / f"sample_data-{__version__}"
    if (dest / "manifest.csv").is_file():
        return dest, "cache"
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    generate(tmp)
    if not (tmp / "manifest.csv").is_file():
        from ephystool.errors import LoadError

        raise LoadError("generating the sample experiment wrote no manifest.csv; run 'ephystool simulate "
                        "--out sample_data' and pass --data sample_data", tmp)
    os.replace(tmp, dest)
    return dest, "generated"


@click.command(name="demo")
@click.option("--out", "out_dir", default="ephystool_demo", show_default=True, type=click.Path(path_type=str))
@click.option("--data", "data_dir", default=None, type=click.Path(path_type=str),
              help="Experiment folder with manifest.csv (default: the bundled sample_data/, or one generated "
                   "into the user cache by an installed package).")
@click.option("--jobs", type=int, default=None, help="Worker processes (default: all cores).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(out_dir: str, data_dir: str | None, jobs: int | None, quiet: bool) -> None:
    """Run the whole pipeline on the sample experiment and write DIR/report.html."""
    from ephystool.errors import LoadError
    from ephystool.pipeline.validation import run_validate
    from ephystool.report.console import print_verdicts

    if data_dir:
        data = Path(data_dir)
    else:
        def generate(dest: Path) -> None:
            click.echo(f"no sample_data/ beside the package: generating the sample experiment (seed {SAMPLE_SEED}, "
                       f"about a minute) into {dest.parent}", err=True)
            _generate(dest)

        data, source = find_sample_data(generate=generate)
        if source != "checkout":
            click.echo(f"sample experiment: {data} ({source})", err=True)
    manifest = data / "manifest.csv"
    if not manifest.is_file():
        raise LoadError("no manifest.csv here; regenerate the sample data with "
                        "'ephystool simulate --out sample_data' or pass --data", data)
    run = run_validate(manifest, Path(out_dir), jobs=jobs, progress=not quiet, title="ephystool demo: sample experiment")
    print_verdicts(run.compare)
    batch = run.batch
    if batch.n_reused:
        click.echo(f"\nreused {batch.n_reused} of {batch.n_tasks} results from the cache in "
                   f"{Path(out_dir) / '.cache'} (their files are unchanged); delete it to recompute")
    click.echo(f"\n{batch.n_ok}/{batch.n_tasks} recordings analysed; report: {run.report}")
