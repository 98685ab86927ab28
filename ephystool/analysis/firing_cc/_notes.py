"""Step windows written only in a file's notes (AxoGraph), and the step index of repeated families.

AxoGraph X episodic files from a "CC_Response Family" protocol record no current and have no epoch
table; their notes hold the protocol: ``Episodes 18``, ``Repeat protocol 3 times`` and a pulse-table line
under ``Pulse #1 : Current Command-1`` whose 4th and 6th fields are the pulse onset and width in ms
(``0 2 1 200 0 300 ...`` = onset 200 ms, width 300 ms). Amplitudes are not decoded (their encoding in
that line is undocumented): the f-I x-axis must then come from the manifest or the template.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

__all__ = ["NotesStep", "axograph_step"]

_PULSE = re.compile(r"Pulse #1\s*:\s*Current Command[^\n]*\n([^\n]+)")


class NotesStep:
    """Step window (s) and family size parsed from a file's notes, with the text it came from."""

    def __init__(self, start_s: float, end_s: float, episodes: int | None, source: str) -> None:
        self.start_s, self.end_s, self.episodes, self.source = start_s, end_s, episodes, source


def _notes(path: Path) -> str:
    import warnings

    from neo.rawio import AxographRawIO

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = AxographRawIO(str(path))
        raw.parse_header()
    return str(raw.info.get("notes", "") or "")


def axograph_step(recording: Any) -> NotesStep | None:
    """The current step of an AxoGraph recording from its notes, or None where not parseable."""
    if recording.format != "axograph" or not Path(recording.path).is_file():
        return None
    try:
        text = _notes(Path(recording.path))
    except (OSError, ValueError, KeyError, IndexError, UnicodeError):
        return None
    m = _PULSE.search(text)
    if m is None:
        return None
    fields = m.group(1).split()
    try:
        onset_ms, width_ms = float(fields[3]), float(fields[5])
    except (IndexError, ValueError):
        return None
    if not width_ms > 0:
        return None
    ep = re.search(r"Episodes\s+(\d+)", text)
    episodes = int(ep.group(1)) if ep else None
    return NotesStep(onset_ms * 1e-3, (onset_ms + width_ms) * 1e-3, episodes,
                     f"file notes (AxoGraph pulse table: onset {onset_ms:g} ms, width {width_ms:g} ms)")
