"""Manifest selectors of part of a file: which sweeps (``sweeps``) and which channel (``channel``) a row analyses.

One file can hold two experiments: two pathways stimulated on alternate sweeps (a test and a control
input of one slice), or two recording channels. A manifest row then selects its part, and the
analyzer sees a :class:`~ephystool.io.recording.Recording` holding only those sweeps, with the named
channel as its measured (primary) channel.

``sweeps`` (0-based sweep indices, the numbering of ``sweeps.csv``):

* ``all`` - every sweep;
* ``even`` - sweeps 0, 2, 4, ... (the 1st, 3rd, 5th sweep of the file); ``odd`` - sweeps 1, 3, 5, ...;
* ``a-b`` - sweeps a to b, both included (``0-119``);
* ``start:stop:step`` - a Python slice, stop excluded, any part may be left out (``::2``, ``1::2``, ``120:``);
* a list of the above separated by commas or semicolons (``0-9, 20-29``), or a YAML list of integers.

``channel``: a channel name as the file writes it (``IN 1``), or its 0-based index (``1``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ephystool.errors import AnalysisError, ManifestError

__all__ = ["SweepSelector", "parse_sweeps", "parse_channel", "select_part"]

_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")
_SLICE = re.compile(r"^(\d*)\s*:\s*(\d*)(?:\s*:\s*(\d*))?$")
_HELP = "write e.g. odd, even, 0-119, ::2, 1::2 or 0-9,20-29 (0-based sweep indices)"


@dataclass(frozen=True)
class SweepSelector:
    """A parsed ``sweeps`` value: parts, each ('all'|'parity'|'range'|'slice', numbers)."""

    text: str
    parts: tuple[tuple[str, tuple[int | None, ...]], ...]

    def indices(self, n_sweeps: int, path: str | Path = "") -> np.ndarray:
        """The selected sweep indices of a file with ``n_sweeps`` sweeps (sorted, unique).

        Raises
        ------
        AnalysisError
            A range or index beyond the file's sweeps, or an empty selection.
        """
        out: set[int] = set()
        for kind, nums in self.parts:
            if kind == "all":
                out.update(range(n_sweeps))
            elif kind == "parity":
                out.update(range(int(nums[0] or 0), n_sweeps, 2))
            elif kind == "range":
                lo, hi = int(nums[0] or 0), int(nums[1] or 0)
                if hi >= n_sweeps:
                    raise AnalysisError(f"manifest sweeps '{self.text}' reaches sweep {hi} but the file has {n_sweeps} "
                                        f"sweeps (0 to {n_sweeps - 1}); fix the sweeps column", path)
                out.update(range(lo, hi + 1))
            else:
                out.update(range(n_sweeps)[slice(*nums)])
        if not out:
            raise AnalysisError(f"manifest sweeps '{self.text}' selects no sweep of the file's {n_sweeps}; fix the "
                                "sweeps column", path)
        return np.array(sorted(out), dtype=int)


def _part(token: str) -> tuple[str, tuple[int | None, ...]] | None:
    t = token.strip().lower()
    if t == "all":
        return "all", ()
    if t in ("even", "odd"):
        return "parity", (0 if t == "even" else 1,)
    if t.isdigit():
        return "range", (int(t), int(t))
    m = _RANGE.match(t)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        return ("range", (lo, hi)) if lo <= hi else None
    m = _SLICE.match(t)
    if m:
        nums = tuple(int(g) if g else None for g in m.groups())
        return None if nums[2] == 0 else ("slice", nums)
    return None


def parse_sweeps(value: Any, manifest: str | Path = "", row: int | None = None) -> SweepSelector | None:
    """Parse a manifest ``sweeps`` value (see the module docstring); None when empty.

    Raises
    ------
    ManifestError
        One line naming the manifest, row and column, the bad part and the accepted forms.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ManifestError(f"'{value}' is not a sweep selection; {_HELP}", manifest, row, "sweeps")
    tokens = [str(v) for v in value] if isinstance(value, list | tuple) else re.split(r"[,;]", str(value))
    parts = []
    for tok in tokens:
        if not tok.strip():
            continue
        part = _part(tok)
        if part is None:
            raise ManifestError(f"'{tok.strip()}' is not a sweep selection; {_HELP}", manifest, row, "sweeps")
        parts.append(part)
    if not parts:
        return None
    text = ",".join(t.strip() for t in tokens if t.strip())
    return SweepSelector(text, tuple(parts))


def parse_channel(value: Any, manifest: str | Path = "", row: int | None = None) -> int | str | None:
    """A manifest ``channel`` value: an int (0-based index) or a name; None when empty.

    Raises
    ------
    ManifestError
        A negative or fractional index.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value < 0:
            raise ManifestError(f"channel index {value} is negative; write a 0-based index or the channel's name",
                                manifest, row, "channel")
        return value
    if isinstance(value, float):
        if not value.is_integer() or value < 0:
            raise ManifestError(f"channel '{value}' is not a 0-based index; write e.g. 1 or the channel's name",
                                manifest, row, "channel")
        return int(value)
    text = str(value).strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


def _subset(seq: tuple[Any, ...], keep: np.ndarray) -> tuple[Any, ...]:
    return tuple(seq[k] for k in keep if k < len(seq)) if len(seq) else seq


def select_part(rec: Any, sweeps: Any = None, channel: Any = None) -> Any:
    """The part of a recording a manifest row names: its sweeps and its measured channel.

    Parameters
    ----------
    rec : Recording
        A loaded (non-MEA) recording.
    sweeps : str, list or SweepSelector, optional
        The row's ``sweeps`` value.
    channel : int or str, optional
        The row's ``channel`` (name or 0-based index): becomes the primary channel.

    Returns
    -------
    Recording
        A copy; ``metadata['selection']`` records the spec, the file's sweep indices kept and the
        channel (name, index, unit) with source ``manifest``.

    Raises
    ------
    AnalysisError
        An MEA recording, an unknown channel, or sweeps the file does not have.
    """
    sel = sweeps if isinstance(sweeps, SweepSelector) else parse_sweeps(sweeps, rec.path)
    chan = parse_channel(channel, rec.path)
    if sel is None and chan is None:
        return rec
    if rec.mea is not None:
        raise AnalysisError("sweeps/channel select part of a sweep-based file; this is an MEA recording (leave the "
                            "columns empty, or use well/stream)", rec.path)
    changes: dict[str, Any] = {}
    info: dict[str, Any] = {"source": "manifest"}
    if chan is not None:
        changes["primary"] = rec.channel_index(chan)
        ch = rec.channels[changes["primary"]]
        info.update(channel=ch.name, channel_index=ch.index, channel_unit=ch.units)
    if sel is not None:
        keep = sel.indices(rec.n_sweeps, rec.path)
        changes.update(_sweep_changes(rec, keep))
        info.update(sweeps=sel.text, file_sweeps=[int(k) for k in keep])
    changes["metadata"] = {**rec.metadata, "selection": info}
    return rec.replace(**changes)


def _sweep_changes(rec: Any, keep: np.ndarray) -> dict[str, Any]:
    import neo

    old = rec.block
    block = neo.Block(name=getattr(old, "name", None), rec_datetime=getattr(old, "rec_datetime", None),
                      file_origin=getattr(old, "file_origin", None))
    block.segments.extend([old.segments[int(k)] for k in keep])
    times = np.asarray(rec.sweep_start_times_s, dtype=float)
    new_index = {int(k): j for j, k in enumerate(keep)}
    tags = []
    for g in rec.tags:  # a tag keeps its time; its sweep becomes the last kept sweep at or before it
        j = None
        if g.sweep is not None:
            before = keep[keep <= g.sweep]
            j = new_index[int(before[-1])] if before.size else None
        tags.append(type(g)(g.time_s, g.text, j))
    return {"block": block, "sweep_start_times_s": times[keep] if times.size == rec.n_sweeps else times,
            "holding": _subset(rec.holding, keep), "commands": _subset(rec.commands, keep),
            "epochs": _subset(rec.epochs, keep), "stim_times_s": _subset(rec.stim_times_s, keep),
            "tags": tuple(tags)}
