"""``ephystool simulate --out DIR``: a ground-truth experiment in real formats."""

from __future__ import annotations

import click

from ephystool.core import vocabulary as voc


@click.command(name="simulate")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=str), help="Folder to write.")
@click.option("--seed", type=int, default=20261125, show_default=True, help="Seed of the whole experiment.")
@click.option("--size", type=click.Choice(["tiny", "small", "large"]), default="small", show_default=True)
@click.option("--design", type=click.Choice(voc.DESIGNS),
              default=voc.DEFAULT_DESIGN, show_default=True, help="Bath design used for the chemistry.")
@click.option("--raw-mea", is_flag=True, help="Also write a raw 60-electrode MCS HDF5 recording.")
def command(out_dir: str, seed: int, size: str, design: str, raw_mea: bool) -> None:
    """Simulate control, Mg aspartate and Mg citrate recordings (ABF, MEA spike exports, MCS HDF5)
    with a manifest and ground_truth.json; effects come from documented mechanisms."""
    from ephystool.simulate.experiment import build_experiment

    manifest = build_experiment(out_dir, seed=seed, size=size, design=design, raw_mea=raw_mea)
    click.echo(f"wrote {manifest} (seed {seed}, size {size}, design {design}); analyse it with:\n"
               f"  ephystool validate {manifest} --out {out_dir}_results")
