"""Loading recordings: :func:`load` detects the format by content and returns a :class:`Recording`."""

from __future__ import annotations

import inspect
import os
from typing import Any

from ephystool.core.recording import KINDS, Recording

__all__ = ["load", "Recording", "KINDS"]


def load(path: str | os.PathLike[str], kind: str | None = None, *, holding_mV: Any = None,
         layout: str | os.PathLike[str] | None = None, **options: Any) -> Recording:
    """Load one recording file (read-only) into a :class:`Recording` with physical units.

    Parameters
    ----------
    path : str or path-like
        The recording file, or an Open Ephys recording folder (a file inside one opens the folder).
    kind : str, optional
        Force the recording kind ('voltage_clamp', 'current_clamp', 'field', 'mea'), e.g. from
        the manifest or the protocol, where the file's header is wrong or silent.
    holding_mV : float, str, sequence or Quantity, optional
        The manifest's ``holding_mV``: one holding potential for every sweep or one per sweep
        (``"-70;40;-70;40"``, ``[-70, 40, -70, 40]``); wins over the file's (a file recorded with the
        amplifier driven externally says 0 mV). The same rule as a manifest row in ``analyze``.
    layout : str or path-like, optional
        The manifest's ``layout`` file (MEA electrode positions).
    **options
        Reader-specific options, e.g. ``stream=1`` for Multi Channel Systems files.

    Returns
    -------
    Recording

    Raises
    ------
    LoadError
        Missing path, a directory, or an unreadable file; subclasses
        :class:`~ephystool.errors.UnsupportedFormatError` and :class:`~ephystool.errors.CorruptFileError`.
    """
    from ephystool.errors import LoadError
    from ephystool.io.base import check_readable
    from ephystool.io.registry import detect, detect_folder_recording

    folder = detect_folder_recording(path)  # an Open Ephys recording: the folder (or a file inside it)
    p = folder[0] if folder else check_readable(path)
    if kind is not None and kind not in KINDS:
        raise LoadError(f"unknown recording kind '{kind}'; expected one of {', '.join(KINDS)}", p)
    reader = folder[1] if folder else detect(p)
    accepted = inspect.signature(reader.read).parameters
    opts = {k: v for k, v in options.items() if k in accepted}
    unknown = sorted(set(options) - set(opts))
    if unknown:
        raise LoadError(f"reader '{reader.name}' takes no option(s) {', '.join(unknown)}", p)
    from ephystool.errors import CorruptFileError, EphysError

    try:
        rec = reader.read(p, kind=kind, **opts) if "kind" in accepted else reader.read(p, **opts)
    except EphysError:
        raise
    except (OSError, ValueError, KeyError, IndexError, LookupError, RuntimeError, EOFError, UnicodeError) as exc:
        # a damaged file makes readers fail in many ways (h5py filter errors, bad unit strings, bad numbers):
        # the real error is kept in the message and the chain, typed so that a batch goes on
        raise CorruptFileError(f"the {reader.name} reader failed ({type(exc).__name__}: {str(exc)[:200]}); the "
                               "file is damaged or truncated: re-copy or re-export it", p) from exc
    if kind is not None and rec.kind != kind:
        rec = rec.replace(kind=kind)
    if layout is not None:
        from ephystool.io.layout import apply_layout, read_layout

        rec = apply_layout(rec, read_layout(layout), layout)
    if holding_mV is not None:
        from ephystool.io.holding import apply_holding, parse_holding

        rec = apply_holding(rec, parse_holding(holding_mV), p)
    return rec
