"""``ephystool solutions``: masses to weigh for a Mg salt and the free ions of the resulting bath."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ephystool.core import vocabulary as voc

__all__ = ["command"]

_SALTS = (*voc.TEST_SALTS, "mg_hydrogen_citrate", "mgso4", "mgcl2")
_DESIGNS = voc.DESIGNS


@click.command(name="solutions")
@click.option("--salt", type=click.Choice(_SALTS), default=voc.MG_CITRATE, show_default=True,
              help="Salt family to weigh out (all its hydrates are listed).")
@click.option("--mg-mM", "mg_mM", type=float, default=1.3, show_default=True,
              help="Mg delivered by the salt, mM (total Mg for acute_equal_total, added Mg for acute_added).")
@click.option("--volume-L", "volume_L", type=float, default=1.0, show_default=True, help="Final volume, L.")
@click.option("--design", type=click.Choice(_DESIGNS), default=voc.DEFAULT_DESIGN, show_default=True,
              help="How the salt enters the bath.")
@click.option("--acsf", "acsf_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML mapping of the background bath (reagent: '1.3 mM', pH: 7.4); standard aCSF if omitted.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def command(salt: str, mg_mM: float, volume_L: float, design: str, acsf_path: Path | None, as_json: bool) -> None:
    """Print what to weigh for a Mg salt solution and the predicted free Mg, Ca and Zn."""
    from ephystool.chemistry import solution_plan
    from ephystool.commands.compare import read_acsf

    acsf = read_acsf(acsf_path)
    plan = solution_plan(salt, mg_mM, volume_L, design=design, acsf=acsf)
    if as_json:
        click.echo(json.dumps(plan.as_dict(), indent=2))
    else:
        click.echo(plan.to_text())
