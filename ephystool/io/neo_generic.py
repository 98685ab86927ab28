"""Other patch-clamp vendor formats through neo's readers (AxoGraph, WinWCP, CED Spike2, Igor).

Each format is tried with its own neo IO class chosen by content or extension — never with
``neo.io.get_io``, which wraps every candidate in a bare ``except`` and hides the real error.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ephystool.core.recording import ChannelInfo, Recording
from ephystool.errors import CorruptFileError, EphysError, MissingDependencyError
from ephystool.io.base import captured_logs, to_canonical
from ephystool.io.clamp import infer_clamp
from ephystool.io.igor import DOC as _IGOR_DOC
from ephystool.io.loader import FormatDoc, Loader, by_extension, starts_with
from ephystool.io.recording import analog, deferred_sha256
from ephystool.io.unitnames import file_unit

__all__ = ["FORMATS", "sniff_format", "read", "LOADERS"]

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
    """Name of the neo-read format this file is in (magic bytes first, then extension: :data:`LOADERS`' order)."""
    return next((ld.name for ld in LOADERS if ld.sniff(path)), None)


def _io_class(fmt: str, path: Path) -> Any:
    import neo.io

    cls_name = FORMATS[fmt][0]
    cls = getattr(neo.io, cls_name, None)
    if cls is None:
        raise MissingDependencyError(f"neo has no {cls_name} in this installation; upgrade neo (pip install -U neo)", path)
    return cls


#: format -> neo rawio class: samples and raw header strings, no quantities (units are mapped by file_unit)
RAWIO: dict[str, str] = {
    "axograph": "AxographRawIO", "axograph_old": "AxographRawIO", "winwcp": "WinWcpRawIO",
    "spike2": "Spike2RawIO", "spike2_smrx": "CedRawIO",
}


def _rawio_signals(path: Path, fmt: str) -> tuple[list[list[tuple[np.ndarray, float, float]]], list[str], list[str],
                                                   list[str]]:
    """Per segment, per channel (samples, rate Hz, t_start s), with names, raw unit strings and reader warnings.

    Through neo's rawio layer, which returns a file's unit fields as plain strings: neo's full IO classes hand
    them to ``quantities``, which evaluates them.
    """
    import neo.rawio

    cls = getattr(neo.rawio, RAWIO[fmt], None)
    if cls is None:
        raise MissingDependencyError(f"neo has no {RAWIO[fmt]} in this installation; upgrade neo", path)
    with warnings.catch_warnings(), captured_logs("neo") as said:
        warnings.simplefilter("ignore")
        raw = cls(filename=str(path))
        raw.parse_header()
        chans, streams = raw.header["signal_channels"], raw.header["signal_streams"]
        names, units, segs = [], [], []
        for si in range(len(streams)):
            mine = chans[chans["stream_id"] == streams[si]["id"]]
            names += [str(c["name"]) for c in mine]
            units += [str(c["units"]) for c in mine]
        for k in range(raw.segment_count(0)):
            seg: list[tuple[np.ndarray, float, float]] = []
            for si in range(len(streams)):
                chunk = raw.get_analogsignal_chunk(0, k, stream_index=si)
                arr = raw.rescale_signal_raw_to_float(chunk, dtype="float64", stream_index=si)
                rate, t0 = float(raw.get_signal_sampling_rate(si)), float(raw.get_signal_t_start(0, k, si))
                seg += [(arr[:, i], rate, t0) for i in range(arr.shape[1])]
            segs.append(seg)
    return segs, names, units, list(said)


def _read_full_io(path: Path, fmt: str) -> tuple[list[list[tuple[np.ndarray, float, float]]], list[str], list[str],
                                                 list[str]]:
    """The same through a full neo IO (formats without a rawio class: Igor)."""
    cls = _io_class(fmt, path)
    with warnings.catch_warnings(), captured_logs("neo") as said:
        warnings.simplefilter("ignore")
        reader = cls(filename=str(path))
        blk = reader.read_block(signal_group_mode="split-all") if "signal_group_mode" in _params(reader) else reader.read_block()
    segs = [[(np.asarray(a.magnitude, dtype=np.float64)[:, 0], float(a.sampling_rate.rescale("Hz")),
              float(a.t_start.rescale("s"))) for a in s.analogsignals] for s in blk.segments if s.analogsignals]
    first = next((s.analogsignals for s in blk.segments if s.analogsignals), [])
    return segs, [str(a.name or f"ch{i}") for i, a in enumerate(first)], [a.dimensionality.string for a in first], list(said)


def read(path: Path, fmt: str, kind: str | None = None) -> Recording:
    """Read ``path`` with neo's reader for ``fmt``; units through the closed unit table, signals in pA / mV."""
    import neo

    try:
        segs, names, raw_units, reader_said = (_rawio_signals if fmt in RAWIO else _read_full_io)(path, fmt)
    except EphysError:
        raise
    except ImportError as exc:
        raise MissingDependencyError(f"reading {fmt} needs an extra package: {exc}", path) from exc
    except Exception as exc:  # neo readers raise many types on bad files
        raise CorruptFileError(f"neo cannot read it as {fmt} ({type(exc).__name__}: {str(exc)[:160]})", path) from exc
    segs = [s for s in segs if s]
    if not segs:
        raise CorruptFileError("the file holds no analog signals", path)
    names = [n or f"ch{i}" for i, n in enumerate(names)]
    mapped = [file_unit(u, f"channel {ascii(names[i])}") for i, u in enumerate(raw_units)]
    units = [u for u, _ in mapped]
    guess = infer_clamp(names, units, requested=kind)
    block = neo.Block(name=path.name, file_origin=str(path))
    for k, s in enumerate(segs):
        seg = neo.Segment(index=k, name=f"sweep {k}")
        for i, (arr, rate, t0) in enumerate(s):
            seg.analogsignals.append(to_canonical(analog(arr, units[i], rate, t0, names[i]), path))
        block.segments.append(seg)
    chans = tuple(
        ChannelInfo(i, names[i], block.segments[0].analogsignals[i].dimensionality.string, segs[0][i][1],
                    "signal" if i == guess.primary else "command_copy")
        for i in range(len(names))
    )
    starts = np.asarray([s[0][2] for s in segs])
    return Recording(
        path=path, sha256=deferred_sha256(path), format=fmt, kind=guess.kind, block=block, channels=chans,
        primary=guess.primary, sweep_start_times_s=starts, holding=tuple(None for _ in segs),
        commands=tuple(None for _ in segs), epochs=tuple(() for _ in segs), stim_times_s=tuple(() for _ in segs),
        metadata={"clamp_evidence": guess.evidence, **({"file_kind": guess.file_kind} if guess.file_kind else {}),
                  "reader": f"neo.rawio.{RAWIO[fmt]}" if fmt in RAWIO else f"neo.io.{FORMATS[fmt][0]}"},
        warnings=(*(w for _, w in mapped if w), *guess.warnings, *dict.fromkeys(reader_said)),
    )


def _params(reader: Any) -> tuple[str, ...]:
    import inspect

    return tuple(inspect.signature(reader.read_block).parameters)


_DOCS = {
    "AxographIO": FormatDoc("AxoGraph", "`.axgd` `.axgx` `.axg`", "neo `AxographRawIO`",
                            "SI units scaled to mV/pA; no current invented"),
    "WinWcpIO": FormatDoc("WinWCP", "`.wcp`", "neo `WinWcpRawIO`", "unit `mv` read as mV (neo: dimensionless)"),
    "Spike2IO": FormatDoc("CED Spike2", "`.smr` `.smrx`", "neo `Spike2RawIO` / `CedRawIO`", "units through the table"),
}
_DOCS["CedIO"] = _DOCS["Spike2IO"]
_DOCS["IgorIO"] = _IGOR_DOC  # .pxp: the Igor row


def _loader(fmt: str) -> Loader:
    """The loader of one neo format: its magic bytes decide where it has them, else its extension."""
    cls, exts, magic = FORMATS[fmt]

    def read_fmt(path: Path, kind: str | None = None) -> Recording:
        return read(path, fmt, kind)

    read_fmt.__doc__ = f"Read a {fmt} file with neo (see :func:`read`)."
    return Loader(fmt, exts, by_extension(exts) if magic is None else starts_with(magic), read_fmt, doc=_DOCS.get(cls))


#: one loader per format, magic-byte formats first
LOADERS: tuple[Loader, ...] = tuple(
    _loader(f) for f in sorted(FORMATS, key=lambda f: FORMATS[f][2] is None))
