"""``ephystool manifest init DIR`` and ``ephystool manifest check MANIFEST``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def draft_rows(folder: Path, conditions: tuple[str, ...], base: Path | None = None,
               skipped: list[Path] | None = None) -> list[dict[str, str]]:
    """One manifest row per recording file under ``folder``; condition from a matching sub-folder name.

    Paths are written relative to ``base`` (the folder the manifest is written to: manifest paths are
    relative to the manifest), ``folder`` by default; absolute where no relative path exists. Tables and
    text files that no reader takes are left out (and appended to ``skipped``); recordings ephystool
    cannot read (HEKA, damaged files) are kept with a note.
    """
    import os

    from ephystool.io.manifest import normalise_condition

    base = (base or folder).resolve()

    from ephystool.io.registry import KNOWN_EXTENSIONS, detect_folder_recording

    rows, folders = [], set()
    for f in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in KNOWN_EXTENSIONS):
        if f.name.startswith(".") or f.name.startswith("manifest"):
            continue
        in_folder = detect_folder_recording(f)  # an Open Ephys recording folder is one recording (one row)
        if in_folder is not None:
            if in_folder[0] in folders:
                continue
            folders.add(in_folder[0])
            f = in_folder[0]
        problem = "" if in_folder is not None else _readability(f)
        if problem is None:  # a table or text file no reader takes (notes, peer outputs): not a recording
            if skipped is not None:
                skipped.append(f)
            continue
        rel = f.relative_to(folder)
        cond = next((c for part in rel.parts[:-1] if (c := normalise_condition(part, conditions))), "")
        try:
            text = Path(os.path.relpath(f.resolve(), base)).as_posix()
        except ValueError:  # another drive (Windows)
            text = f.resolve().as_posix()
        rows.append({"path": text, "condition": cond, "animal": "", "slice": "", "cell": "", "well": "",
                     "protocol": "", "notes": "; ".join(x for x in (
                         problem, "" if cond else "condition not found in folder names: fill it in") if x)})
    return rows


_GENERIC_EXT = {".csv", ".txt", ".gz", ".mat", ".dat", ".raw"}


def _readability(path: Path) -> str | None:
    """'' when a reader takes ``path`` (by content), a note when it is a recording ephystool cannot read
    (HEKA, damaged), None when it is a generic table/text file that is not a recording at all."""
    from ephystool.errors import EphysError, UnsupportedFormatError
    from ephystool.io.registry import LOADERS, detect

    try:
        detect(path)
    except UnsupportedFormatError as exc:
        refused = any(ld.refusal and ld.refusal in str(exc) for ld in LOADERS)  # a known format not read (HEKA)
        if refused or path.suffix.lower() not in _GENERIC_EXT:
            return f"cannot be read: {getattr(exc, 'message', exc)}"
        return None
    except EphysError as exc:
        return f"cannot be read: {getattr(exc, 'message', exc)}"
    return ""


@click.group(name="manifest")
def command() -> None:
    """Draft or check an experiment manifest."""


@command.command("init")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Manifest to write (default: FOLDER/manifest.csv).")
@click.option("--force", is_flag=True, help="Overwrite an existing manifest.")
def init(folder: Path, output: Path | None, force: bool) -> None:
    """Draft a manifest from the recordings under FOLDER (conditions from sub-folder names)."""
    import csv
    import io

    from ephystool.atomic import write_text
    from ephystool.errors import ManifestError
    from ephystool.io.manifest import DEFAULT_CONDITIONS

    out = output or folder / "manifest.csv"
    if out.exists() and not force:
        raise ManifestError("already exists; use --force to overwrite or -o to choose another name", out)
    skipped: list[Path] = []
    rows = draft_rows(folder, DEFAULT_CONDITIONS, base=out.parent, skipped=skipped)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["path", "condition", "animal", "slice", "cell", "well", "protocol", "notes"],
                       lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_text(out, buf.getvalue())
    missing = sum(1 for r in rows if not r["condition"])
    click.echo(f"wrote {out} with {len(rows)} recording(s); fill in animal/slice/cell/well and protocol"
               + (f"; {missing} row(s) need a condition" if missing else ""))
    if skipped:
        names = ", ".join(p.name for p in skipped[:6]) + (f" and {len(skipped) - 6} more" if len(skipped) > 6 else "")
        click.echo(f"left out {len(skipped)} file(s) that no reader takes (not recordings?): {names}")


def row_problems(man: Any) -> list[str]:
    """What ``analyze`` would reject, one line per row: protocol (resolved as ``analyze`` does), file format,
    and the holding potentials against the file's sweeps (the same check as the analysis's loader)."""
    from ephystool.errors import EphysError
    from ephystool.io.registry import detect
    from ephystool.pipeline import _row_dict, resolve_protocol
    from ephystool.pipeline.tasks import _load
    from ephystool.protocols import load_protocol

    base = Path(man.path).parent
    out = []
    for r in man.rows:
        where = f"row {r.row} ({r.recording_id})"
        try:
            proto = load_protocol(resolve_protocol(r.protocol, base))
            detect(Path(r.path))
            if r.holding_mV:
                _load(_row_dict(r), proto.recording.mode)
        except EphysError as exc:
            out.append(f"{where}: {exc}")
    return out


@command.command("check")
@click.argument("manifest", type=click.Path(path_type=str))
def check(manifest: str) -> None:
    """Validate MANIFEST as ``analyze`` reads it: columns, conditions, duplicates, protocols, that every file
    exists and is a supported format, and that holding_mV matches each file's sweeps."""
    from ephystool.errors import ManifestError
    from ephystool.io.manifest import read_manifest

    man = read_manifest(manifest, check_files=True)
    problems = row_problems(man)
    for line in problems:
        click.echo(line, err=True)
    if problems:
        raise ManifestError(f"{len(problems)} row(s) that 'ephystool analyze' would reject (listed above)", man.path)
    n_cond = {c: sum(r.condition == c for r in man.rows) for c in man.conditions}
    click.echo(f"{man.path}: {len(man.rows)} recording(s) OK; " + ", ".join(f"{c}: {n}" for c, n in n_cond.items()))
