"""Atomic output writes: write to a temporary name in the same folder, then ``os.replace``.

The one implementation every writer uses (tables, JSON, reports, figures, NWB, protocol copies), so a
reader never sees a partial file and a killed run leaves only ``.NAME.*.tmp*`` files that
:func:`remove_stale_temporaries` deletes. It sits below every other package module (like ``errors``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "write_text", "write_json", "write_table", "remove_stale_temporaries", "safe_filename"]


def safe_filename(name: str) -> str:
    """``name`` as one file-name component: every character but letters, digits and ``-_.`` becomes ``_``."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import: os.umask is process-wide and not thread-safe to query


def atomic_write(path: Path, writer: Callable[[Path], None], suffix: str = "") -> Path:
    """Call ``writer(tmp_path)`` then rename ``tmp_path`` onto ``path`` (no partial file is ever visible).

    ``suffix`` is appended to the temporary name's ``.tmp`` for writers that infer the format from the
    extension (``'.png'`` for matplotlib, ``'.nwb'`` for pynwb).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + suffix, dir=path.parent)
    os.close(fd)
    try:
        writer(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files: give them the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write text atomically (UTF-8)."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, obj: Any) -> Path:
    """Write JSON atomically (sorted keys, 2-space indent: stable across runs)."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_table(path: Path, df: Any) -> Path:
    """Write a pandas DataFrame atomically as CSV or Parquet (by suffix)."""
    if path.suffix == ".parquet":
        return atomic_write(path, lambda p: df.to_parquet(p, index=False))
    return atomic_write(path, lambda p: df.to_csv(p, index=False, lineterminator="\n", float_format="%.10g"))


def remove_stale_temporaries(folder: Path) -> int:
    """Delete the temporary files (``.NAME.*.tmp[.ext]``) a killed run left in ``folder``; return how many."""
    n = 0
    stale = [*folder.glob(".*.tmp"), *folder.glob(".*.tmp.*")] if folder.is_dir() else []
    for p in stale:
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    return n
