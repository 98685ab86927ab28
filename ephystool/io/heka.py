"""HEKA PatchMaster bundled ``.dat`` files, read from HEKA's published file format (no extra package).

A bundle (signature ``DAT2``) holds items located by a table of ``(start, length, extension)`` records at
byte 64: ``.pul`` is the pulsed tree, ``.dat`` the samples. The tree (magic ``Tree``/``eerT``, level count,
record size per level) is Root > Group > Series > Sweep > Trace; each record is followed by its number of
children. A trace record gives the data offset (byte 40), point count (44), data format (70: int16, int32,
float32, float64), scaler and zero (72, 88), y unit (96, 8 chars), x interval (104) and the interleave size
(292). A sweep record gives its time (48, s). Field offsets are those of PatchMaster's FileFormat
description (version 2x7x, as in load-heka-python and neo's discussion of HEKA support).

One series is one recording: ``stream`` selects it (0-based over all groups); a file with several series
says so in a warning. Units go through the closed unit table; values are ``raw x scaler + zero``.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ephystool.core.recording import ChannelInfo, Recording
from ephystool.errors import CorruptFileError, LoadError
from ephystool.io.base import head_bytes, to_canonical
from ephystool.io.clamp import infer_clamp
from ephystool.io.loader import FormatDoc, Loader
from ephystool.io.recording import analog, deferred_sha256
from ephystool.io.unitnames import file_unit

__all__ = ["sniff", "read", "series_list", "LOADER", "LEGACY"]

_DTYPES = {0: "<i2", 1: "<i4", 2: "<f4", 3: "<f8"}


def sniff(path: Path) -> bool:
    """A PatchMaster bundle starts with 'DAT2' (DAT1 and 'DATA' are older, unbundled variants)."""
    return head_bytes(path, 4) == b"DAT2"


def _text(raw: bytes) -> str:
    return raw.split(b"\0")[0].decode("latin-1").strip()


def _tree(buf: bytes, start: int, length: int, path: Path) -> list[tuple[int, tuple[int, ...], bytes]]:
    """(level, index path, record bytes) of every record of the tree stored at ``start``."""
    if buf[start : start + 4] not in (b"eerT", b"Tree"):
        raise CorruptFileError("HEKA bundle: the .pul item has no tree signature", path)
    if buf[start : start + 4] == b"Tree":
        raise LoadError("big-endian HEKA file: not supported; export the series to ABF or NWB", path)
    nlev = struct.unpack_from("<i", buf, start + 4)[0]
    if not 1 <= nlev <= 10:
        raise CorruptFileError(f"HEKA tree with {nlev} levels", path)
    sizes = struct.unpack_from(f"<{nlev}i", buf, start + 8)
    end = start + length
    out: list[tuple[int, tuple[int, ...], bytes]] = []
    pos = start + 8 + 4 * nlev
    todo: list[tuple[int, tuple[int, ...]]] = [(0, ())]  # depth-first, iterative: no recursion on damaged trees
    while todo:
        lev, where = todo.pop()
        if lev >= nlev or pos + sizes[lev] + 4 > end:
            raise CorruptFileError("HEKA tree runs past its item: the file is damaged or truncated", path)
        out.append((lev, where, buf[pos : pos + sizes[lev]]))
        pos += sizes[lev]
        n = struct.unpack_from("<i", buf, pos)[0]
        pos += 4
        if n < 0 or n > 100_000:
            raise CorruptFileError(f"HEKA tree record with {n} children", path)
        todo.extend((lev + 1, (*where, k)) for k in reversed(range(n)))
    return out


def _bundle(path: Path) -> tuple[bytes, int, list[tuple[int, tuple[int, ...], bytes]]]:
    buf = path.read_bytes()
    if len(buf) < 256:
        raise CorruptFileError("HEKA bundle shorter than its 256-byte header", path)
    if buf[52] != 1:
        raise LoadError("big-endian HEKA bundle: not supported; export the series to ABF or NWB", path)
    items = {}
    for i in range(12):
        start, length, ext = struct.unpack_from("<ii8s", buf, 64 + 16 * i)
        if start > 0 and length > 0:
            if start + length > len(buf):
                raise CorruptFileError(f"HEKA bundle item {_text(ext)} runs past the end of the file (truncated)", path)
            items[_text(ext)] = (start, length)
    if ".pul" not in items or ".dat" not in items:
        raise CorruptFileError("HEKA bundle without .pul/.dat items (a non-bundled PatchMaster file?)", path)
    return buf, items[".dat"][0], _tree(buf, *items[".pul"], path)


def series_list(records: list[tuple[int, tuple[int, ...], bytes]]) -> list[tuple[tuple[int, ...], str]]:
    """(index path, 'group/series' label) of every series, in file order."""
    groups = {w: _text(r[4:36]) for lev, w, r in records if lev == 1}
    return [(w, f"{groups.get(w[:1], '')}/{_text(r[4:36])}") for lev, w, r in records if lev == 2]


def _trace(buf: bytes, rec: bytes, path: Path) -> tuple[np.ndarray, str, float, str]:
    offset, n = struct.unpack_from("<ii", rec, 40)
    fmt = rec[70]
    scaler, zero = struct.unpack_from("<dd", rec, 72)
    interval = struct.unpack_from("<d", rec, 104)[0]
    interleave = struct.unpack_from("<i", rec, 292)[0]
    if fmt not in _DTYPES or interleave not in (0, n * np.dtype(_DTYPES.get(fmt, "<i2")).itemsize):
        raise LoadError(f"HEKA trace with data format {fmt} / interleave {interleave}: not supported yet", path)
    width = np.dtype(_DTYPES[fmt]).itemsize
    if offset < 0 or n < 0 or offset + n * width > len(buf) or not interval > 0:
        raise CorruptFileError("HEKA trace points past the end of the file (truncated or damaged)", path)
    raw = np.frombuffer(buf, dtype=_DTYPES[fmt], count=n, offset=offset)
    return raw.astype(np.float64) * scaler + zero, _text(rec[4:36]), 1.0 / interval, rec[96:104].decode("latin-1")


def read(path: Path, kind: str | None = None, stream: int | None = None) -> Recording:
    """Read one series of a PatchMaster bundle (``stream``: series index, 0 when omitted)."""
    import neo

    buf, _, records = _bundle(path)
    series = series_list(records)
    if not series:
        raise CorruptFileError("HEKA file without any series", path)
    pick = 0 if stream is None else int(stream)
    if not 0 <= pick < len(series):
        raise LoadError(f"no series {pick}; the file has {len(series)} ({', '.join(s for _, s in series)}): "
                        "choose one with --stream", path)
    where, label = series[pick]
    sweeps = [(w, r) for lev, w, r in records if lev == 3 and w[:-1] == where]
    block = neo.Block(name=path.name, file_origin=str(path))
    names: list[str] = []
    units: list[str] = []
    warns: list[str] = []
    starts, rates = [], []
    for k, (sw, srec) in enumerate(sweeps):
        seg = neo.Segment(index=k, name=f"sweep {k}")
        traces = [r for lev, w, r in records if lev == 4 and w[:-1] == sw]
        for i, trec in enumerate(traces):
            data, name, rate, unit_text = _trace(buf, trec, path)
            if k == 0:
                unit, warning = file_unit(unit_text, f"trace '{name}'")
                names.append(name or f"trace{i}")
                units.append(unit)
                rates.append(rate)
                warns += [warning] if warning else []
            if i < len(units):
                seg.analogsignals.append(to_canonical(analog(data, units[i], rate, 0.0, names[i]), path))
        block.segments.append(seg)
        starts.append(struct.unpack_from("<d", srec, 48)[0])
    if not names:
        raise CorruptFileError(f"HEKA series '{label}' holds no traces", path)
    guess = infer_clamp(names, units, requested=kind)
    chans = tuple(ChannelInfo(i, names[i], block.segments[0].analogsignals[i].dimensionality.string, rates[i],
                              "signal" if i == guess.primary else "command_copy") for i in range(len(names)))
    if len(series) > 1:
        warns.append(f"the file holds {len(series)} series; series {pick} ('{label}') is read: choose another with "
                     "--stream (or 'stream' in the manifest)")
    t = np.asarray(starts, dtype=float)
    n = len(sweeps)
    return Recording(
        path=path, sha256=deferred_sha256(path), format="heka", kind=guess.kind, block=block, channels=chans, primary=guess.primary,
        sweep_start_times_s=t - t[0] if t.size else t, holding=(None,) * n, commands=(None,) * n, epochs=((),) * n,
        stim_times_s=((),) * n,
        metadata={"reader": "ephystool.io.heka (HEKA FileFormat)", "series": label, "stream": pick,
                  "n_series": len(series), "clamp_evidence": guess.evidence, **({"file_kind": guess.file_kind} if guess.file_kind else {}),
                  "sweep_times_source": "file (HEKA sweep time)",
                  "version": _text(buf[8:40])},
        warnings=(*warns, *guess.warnings),
    )


def sniff_legacy(path: Path) -> bool:
    """Older PatchMaster/Pulse files start with 'DAT1' or 'DATA' (not bundled: the tree files lie beside)."""
    return head_bytes(path, 4) in (b"DAT1", b"DATA")


LOADER = Loader(
    "heka", (".dat",), sniff, read, signature=True,
    doc=FormatDoc("HEKA PatchMaster", "`.dat` DAT2 bundle", "own reader (HEKA's published file format)",
                  "one series per recording (`--stream`; several series are said in a warning); tree and data offsets "
                  "checked against the file; older unbundled files refused with one line"),
)
#: older, unbundled PatchMaster/Pulse files: recognised and refused with the way out
LEGACY = Loader(
    "heka_legacy", (".dat",), sniff_legacy, read, signature=True,
    refusal="HEKA PatchMaster .dat that is not a DAT2 bundle (older PatchMaster/Pulse): not supported; export the "
            "series to ABF or NWB from PatchMaster (File > Export) and load that",
)
