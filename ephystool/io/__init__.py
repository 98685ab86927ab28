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

    The format is detected from the file's content (not its extension) by the readers of
    :mod:`ephystool.io.registry`; samples are converted to physical units once, here (gain, offset and
    exponent of the file), as neo's rawio does.

    Parameters
    ----------
    path : str or path-like
        The recording file, or an Open Ephys recording folder (a file inside one opens the folder).
    kind : {'voltage_clamp', 'current_clamp', 'field', 'mea'}, optional
        Force the recording kind, e.g. from the manifest or the protocol, where the file's header is
        wrong or silent (the recording's metadata then names the source).
    holding_mV : float, str, sequence of float or Quantity, optional
        The manifest's ``holding_mV`` in mV (a Quantity is rescaled to mV): one holding potential for
        every sweep or one per sweep (``"-70;40;-70;40"``, ``[-70, 40, -70, 40]``); wins over the
        file's (a file recorded with the amplifier driven externally says 0 mV). The same rule as a
        manifest row in ``analyze``.
    layout : str or path-like, optional
        The manifest's ``layout`` file (MEA electrode positions in µm: a probeinterface ``.json`` or a
        CSV ``electrode,x_um,y_um``).
    **options
        Reader-specific options, e.g. ``stream=1`` for Multi Channel Systems files.

    Returns
    -------
    Recording
        Signals as ``neo.AnalogSignal`` in physical units (membrane current in pA, potentials in mV,
        MEA samples in µV through chunked access), sampling rate in Hz, sweep start times in s,
        holding levels as Quantities (mV in voltage clamp, pA in current clamp); the file's SHA-256 is
        computed when first asked for.

    Raises
    ------
    LoadError
        Missing path, a directory that is no recording folder, an unknown ``kind``, an option the reader
        does not take, or a layout that does not fit; subclasses
        :class:`~ephystool.errors.UnsupportedFormatError` (no reader recognises the content) and
        :class:`~ephystool.errors.CorruptFileError` (a reader failed on a damaged or truncated file).
    AnalysisError
        ``holding_mV`` whose count is neither 1 nor the number of sweeps, or given for an MEA recording.
    MissingDependencyError
        The format needs a package that is not installed (the message names it).

    Examples
    --------
    A 4-sweep voltage-clamp file (ABF 1, written by ``ephystool.simulate``) recorded at -70 and +40 mV:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from ephystool.simulate.abf_writer import write_abf1
    >>> sweeps = np.full((4, 1, 2000), -20.0)  # (sweeps, channels, samples), pA
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_abf1(Path(tmp) / "cell.abf", sweeps, 10000.0, ["Im"], ["pA"], sweep_interval_s=10.0)
    ...     rec = load(path, holding_mV="-70;40;-70;40")
    >>> rec.format, rec.kind, rec.n_sweeps, rec.sampling_rate_hz, rec.sweep_durations_s[0]
    ('abf1', 'voltage_clamp', 4, 10000.0, 0.2)
    >>> rec.signal(1).units, float(rec.signal(1)[0, 0])
    (array(1.) * pA, -20.0)
    >>> rec.holding_at(1), rec.sweep_start_times_s.tolist()
    (array(40.) * mV, [0.0, 10.0, 20.0, 30.0])
    """
    from ephystool.errors import LoadError
    from ephystool.io.base import check_readable
    from ephystool.io.registry import detect, detect_folder_recording

    folder = detect_folder_recording(path)  # an Open Ephys recording: the folder (or a file inside it)
    p = folder[0] if folder else check_readable(path)
    if kind is not None and kind not in KINDS:
        raise LoadError(f"unknown recording kind '{kind}'; expected one of {', '.join(KINDS)}", p)
    rec = _read(folder[1] if folder else detect(p), p, kind, options)
    return _with_manifest_values(rec, p, kind, layout, holding_mV)


def _with_manifest_values(rec: Recording, p: Any, kind: str | None, layout: Any, holding_mV: Any) -> Recording:
    """The forced kind, the electrode layout and the holding potentials given by the caller (the manifest)."""
    if kind is not None and rec.kind != kind:
        rec = rec.replace(kind=kind)
    if layout is not None:
        from ephystool.io.layout import apply_layout, read_layout

        rec = apply_layout(rec, read_layout(layout), layout)
    if holding_mV is not None:
        from ephystool.io.holding import apply_holding, parse_holding

        rec = apply_holding(rec, parse_holding(holding_mV), p)
    return rec


def _read(reader: Any, p: Any, kind: str | None, options: dict[str, Any]) -> Recording:
    """``reader.read(p)`` with the options it takes (another is an error) and any failure typed."""
    from ephystool.errors import CorruptFileError, EphysError, LoadError

    accepted = inspect.signature(reader.read).parameters
    opts = {k: v for k, v in options.items() if k in accepted}
    unknown = sorted(set(options) - set(opts))
    if unknown:
        raise LoadError(f"reader '{reader.name}' takes no option(s) {', '.join(unknown)}", p)
    try:
        return reader.read(p, kind=kind, **opts) if "kind" in accepted else reader.read(p, **opts)
    except EphysError:
        raise
    except (OSError, ValueError, KeyError, IndexError, LookupError, RuntimeError, EOFError, UnicodeError) as exc:
        # a damaged file makes readers fail in many ways (h5py filter errors, bad unit strings, bad numbers):
        # the real error is kept in the message and the chain, typed so that a batch goes on
        raise CorruptFileError(f"the {reader.name} reader failed ({type(exc).__name__}: {str(exc)[:200]}); the "
                               "file is damaged or truncated: re-copy or re-export it", p) from exc
