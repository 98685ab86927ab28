"""``ephystool demo``: sample data -> analysis -> comparison -> validation report, in one command."""

from __future__ import annotations

from pathlib import Path

import click


def sample_data_dir() -> Path:
    """The bundled ``sample_data/`` folder (next to the package in a checkout)."""
    return Path(__file__).resolve().parents[2] / "sample_data"


@click.command(name="demo")
@click.option("--out", "out_dir", default="ephystool_demo", show_default=True, type=click.Path(path_type=str))
@click.option("--data", "data_dir", default=None, type=click.Path(path_type=str),
              help="Experiment folder with manifest.csv (default: the bundled sample_data/).")
@click.option("--jobs", type=int, default=None, help="Worker processes (default: all cores).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(out_dir: str, data_dir: str | None, jobs: int | None, quiet: bool) -> None:
    """Run the whole pipeline on the sample experiment and write DIR/report.html."""
    from ephystool.errors import LoadError
    from ephystool.workflow import print_verdicts, validate

    data = Path(data_dir) if data_dir else sample_data_dir()
    manifest = data / "manifest.csv"
    if not manifest.is_file():
        raise LoadError("no manifest.csv here; regenerate the sample data with "
                        "'ephystool simulate --out sample_data' or pass --data", data)
    res = validate(manifest, Path(out_dir), jobs=jobs, progress=not quiet, title="ephystool demo: sample experiment")
    print_verdicts(res["verdicts"])
    click.echo(f"\n{res['batch'].n_ok}/{res['batch'].n_tasks} recordings analysed; report: {res['report']}")
