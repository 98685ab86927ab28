"""``ephystool protocol list|show|new|validate|check``: protocol templates on the command line.

Errors are raised as :class:`ephystool.errors.EphysError` subclasses; the main command line
prints them as one line and exits with status 2.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import yaml

from ephystool.atomic import write_text
from ephystool.errors import ProtocolError
from ephystool.protocols import (
    check_recording,
    find_protocol,
    list_protocols,
    load_protocol,
    read_yaml,
    validate_protocol,
)

__all__ = ["command", "write_atomic"]


def write_atomic(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically (:func:`ephystool.atomic.write_text`); the folder must exist."""
    if not target.parent.is_dir():
        raise ProtocolError(f"folder {target.parent} does not exist; create it first", path=target)
    write_text(target, text)


@click.group(name="protocol")
def command() -> None:
    """Protocol templates: what to record, and how the analyzers read it."""


@command.command("list")
def list_cmd() -> None:
    """List the templates found by name (name, analysis, version, title), then the analyses they can name."""
    from ephystool.analysis.registry import ANALYSES

    by_analysis: dict[str, list[str]] = {}
    for name in list_protocols():
        proto = load_protocol(name)
        by_analysis.setdefault(proto.analysis, []).append(name)
        click.echo(f"{name:<20} {proto.analysis:<11} {proto.version:<8} {proto.title}")
    click.echo("\nanalyses (a template's 'analysis:' value; metrics in the catalogue of each):")
    for spec in ANALYSES:
        templates = ", ".join(by_analysis.get(spec.name, [])) or "no template yet"
        click.echo(f"{spec.name:<11} {len(spec.metrics):>3} metrics   templates: {templates}")


@command.command("show")
@click.argument("name")
@click.option("--resolved", is_flag=True, help="Print the validated template (comments dropped).")
def show(name: str, resolved: bool) -> None:
    """Print template NAME (a template name or a .yaml file)."""
    path = find_protocol(name)
    proto = load_protocol(path)
    click.echo(proto.to_yaml() if resolved else path.read_text(encoding="utf-8"), nl=resolved)


@command.command("new")
@click.argument("name")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write the copy to.")
@click.option("--name", "new_name", default=None, help="Rename the copy (its 'name:' field).")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
def new(name: str, output: Path, new_name: str | None, force: bool) -> None:
    """Copy template NAME to OUTPUT to edit it (comments kept)."""
    source = find_protocol(name)
    load_protocol(source)
    text = source.read_text(encoding="utf-8")
    if new_name is not None:
        text, n = re.subn(r"^name:.*$", f"name: {new_name}", text, count=1, flags=re.MULTILINE)
        if n != 1:
            raise ProtocolError("no top-level 'name:' line to rename", path=source)
        validate_protocol(yaml.safe_load(text), source=output)
    if output.exists() and not force:
        raise ProtocolError("already exists; pass --force to overwrite it or choose another -o", path=output)
    write_atomic(output, text)
    click.echo(f"wrote {output}; edit it, then run: ephystool protocol validate {output}")


@command.command("validate")
@click.argument("file")
def validate(file: str) -> None:
    """Check template FILE (or a template name): keys, units, dimensions, windows."""
    path = find_protocol(file)
    proto = validate_protocol(read_yaml(path), source=path)
    click.echo(f"ok: {proto.source}: {proto.name} {proto.version} (analysis {proto.analysis}, "
               f"{len(proto.params_mapping())} parameters)")


@command.command("check")
@click.argument("file")
@click.argument("recording", type=click.Path(exists=True, dir_okay=True, path_type=Path))
def check(file: str, recording: Path) -> None:
    """Check that RECORDING matches what protocol FILE (or a template name) asks for."""
    proto = load_protocol(file)
    from ephystool.io import load  # lazy: keeps `ephystool --help` light

    problems = check_recording(proto, load(recording))
    for message in problems:
        click.echo(f"mismatch: {message}")
    if problems:
        raise ProtocolError(f"{len(problems)} mismatch(es) with protocol {proto.name}: " + "; ".join(problems),
                            path=recording)
    click.echo(f"ok: {recording} matches protocol {proto.name}")
