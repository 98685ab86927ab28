"""Other patch-clamp vendor formats through neo's readers (AxoGraph, WinWCP, CED Spike2, Igor).

Each format is tried with its own neo IO class chosen by content or extension — never with
``neo.io.get_io``, which wraps every candidate in a bare ``except`` and hides the real error.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ephystool.errors import CorruptFileError, MissingDependencyError
from ephystool.io.base import captured_logs, head_bytes, to_canonical
from ephystool.io.clamp import infer_clamp
from ephystool.io.recording import ChannelInfo, Recording

__all__ = ["FORMATS", "sniff_format", "read"]

#: format name -> (neo IO class name, extensions, magic prefix or None)
FORMATS: dict[str, tuple[str, tuple[str, ...], bytes | None]] = {
    "axograph": ("AxographIO", (".axgd", ".axgx"), b"axgx"),
    "axograph_old": ("AxographIO", (".axg",), b"AxGr"),
    "winwcp": ("WinWcpIO", (".wcp",), None),
    "spike2": ("Spike2IO", (".smr",), None),
    "spike2_smrx": ("CedIO", (".smrx",), None),
    "igor": ("IgorIO", (".ibw", ".pxp"), None),
}


def sniff_format(path: Path) -> str | None:
    """Name of the neo-read format this file is in (magic bytes first, then extension)."""
    head = head_bytes(path, 8)
    for name, (_, _, magic) in FORMATS.items():
        if magic is not None and head.startswith(magic):
            return name
    ext = path.suffix.lower()
    for name, (_, exts, magic) in FORMATS.items():
        if magic is None and ext in exts:
            return name
    return None


def _io_class(fmt: str, path: Path) -> Any:
    import neo.io

    cls_name = FORMATS[fmt][0]
    cls = getattr(neo.io, cls_name, None)
    if cls is None:
        raise MissingDependencyError(f"neo has no {cls_name} in this installation; upgrade neo (pip install -U neo)", path)
    return cls


def read(path: Path, fmt: str, kind: str | None = None) -> Recording:
    """Read ``path`` with the neo IO for ``fmt`` and convert signals to pA / mV."""
    import neo

    cls = _io_class(fmt, path)
    try:
        with warnings.catch_warnings(), captured_logs("neo") as reader_said:
            warnings.simplefilter("ignore")
            reader = cls(filename=str(path))
            blk = reader.read_block(signal_group_mode="split-all") if "signal_group_mode" in _params(reader) else reader.read_block()
    except ImportError as exc:
        raise MissingDependencyError(f"reading {fmt} needs an extra package: {exc}", path) from exc
    except Exception as exc:  # neo readers raise many types on bad files
        raise CorruptFileError(f"neo.{cls.__name__} cannot read it ({type(exc).__name__}: {str(exc)[:160]})", path) from exc
    segs = [s for s in blk.segments if s.analogsignals]
    if not segs:
        raise CorruptFileError("the file holds no analog signals", path)
    first = segs[0].analogsignals
    names = [str(a.name or f"ch{i}") for i, a in enumerate(first)]
    units = [a.dimensionality.string for a in first]
    guess = infer_clamp(names, units, requested=kind)
    block = neo.Block(name=path.name, file_origin=str(path))
    for k, s in enumerate(segs):
        seg = neo.Segment(index=k, name=f"sweep {k}")
        for a in s.analogsignals:
            seg.analogsignals.append(to_canonical(a, path))
        block.segments.append(seg)
    chans = tuple(
        ChannelInfo(i, names[i], block.segments[0].analogsignals[i].dimensionality.string,
                    float(first[i].sampling_rate.rescale("Hz")), "signal" if i == guess.primary else "command_copy")
        for i in range(len(names))
    )
    starts = np.asarray([float(s.analogsignals[0].t_start.rescale("s")) for s in segs])
    return Recording(
        path=path, sha256=None, format=fmt, kind=guess.kind, block=block, channels=chans,
        primary=guess.primary, sweep_start_times_s=starts, holding=tuple(None for _ in segs),
        commands=tuple(None for _ in segs), epochs=tuple(() for _ in segs), stim_times_s=tuple(() for _ in segs),
        metadata={"clamp_evidence": guess.evidence, "reader": f"neo.io.{cls.__name__}"},
        warnings=(*guess.warnings, *dict.fromkeys(reader_said)),
    )


def _params(reader: Any) -> tuple[str, ...]:
    import inspect

    return tuple(inspect.signature(reader.read_block).parameters)
