"""Axon ABF1 and ABF2 through neo's AxonRawIO, with pyABF for what neo gets wrong.

neo (0.14) reads the samples, units and the recorded episode start times. pyABF supplies the
comment tags (text and the right time: neo labels them '1' at wrong times), the protocol
epochs and the command waveform per sweep. Episodic ABF1 files without a synch array are
split into their sweeps (neo returns one long segment; pyABF splits them).
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.recording import ChannelInfo, Recording, Tag
from ephystool.errors import CorruptFileError
from ephystool.io.abf_header import check_abf_header
from ephystool.io.abf_protocol import check_recorded_command, command_dac, read_protocol
from ephystool.io.base import head_bytes, to_canonical
from ephystool.io.clamp import infer_clamp
from ephystool.io.loader import FormatDoc, Loader
from ephystool.io.recording import analog, deferred_sha256
from ephystool.io.unitnames import file_unit, lookup_unit

__all__ = ["sniff", "read", "NAME", "EXTENSIONS", "LOADER"]

NAME = "abf"
EXTENSIONS = (".abf",)


def sniff(path: Path) -> bool:
    """ABF files start with 'ABF ' (ABF1) or 'ABF2'."""
    return head_bytes(path, 4) in (b"ABF ", b"ABF2")


def _open_neo(path: Path) -> Any:
    import neo.rawio

    raw = neo.rawio.AxonRawIO(filename=str(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw.parse_header()
    except Exception as exc:  # neo raises many types on damaged headers; we re-type them
        raise CorruptFileError(
            f"ABF header cannot be read ({type(exc).__name__}: {str(exc)[:160]}); the file is truncated or "
            "damaged: re-copy it from the acquisition computer",
            path,
        ) from exc
    return raw


def _open_pyabf(path: Path) -> Any:
    import pyabf

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pyabf.ABF(str(path))
    except Exception as exc:  # pyABF raises bare Exceptions on damaged files
        raise CorruptFileError(
            f"pyABF cannot read the file ({type(exc).__name__}: {str(exc)[:160]}); it is truncated or damaged",
            path,
        ) from exc


def _segments(raw: Any, path: Path) -> tuple[list[list[np.ndarray]], list[float], list[str], list[str], float]:
    """Per segment, per channel float arrays in file units, start times, names, units, rate."""
    chans = raw.header["signal_channels"]
    names = [str(c["name"]) for c in chans]
    units = [str(c["units"]) for c in chans]  # raw header text: mapped by file_unit() before any use
    rate = float(chans[0]["sampling_rate"])
    segs, starts = [], []
    n_seg = raw.segment_count(0)
    for k in range(n_seg):
        try:
            chunk = raw.get_analogsignal_chunk(0, k, stream_index=0)
            arr = raw.rescale_signal_raw_to_float(chunk, dtype="float64", stream_index=0)
        except Exception as exc:  # memmap beyond EOF, bad sizes
            raise CorruptFileError(f"sweep {k} cannot be read ({type(exc).__name__}: {exc}); file truncated?", path) from exc
        segs.append([arr[:, i] for i in range(arr.shape[1])])
        starts.append(float(raw.segment_t_start(0, k)))
    return segs, starts, names, units, rate


def _split_unsynched(segs: list[list[np.ndarray]], starts: list[float], abf: Any, rate: float, header: dict):
    """Split one long segment of an episodic file without a synch array into its sweeps (neo trap)."""
    n = int(abf.sweepCount)
    if len(segs) != 1 or n <= 1:
        return segs, starts
    per = int(abf.sweepPointCount)
    total = segs[0][0].size
    if per * n != total:
        return segs, starts
    new = [[ch[k * per : (k + 1) * per] for ch in segs[0]] for k in range(n)]
    # the header's episode start-to-start interval (pyABF reports the sweep length for ABF1)
    interval = float((header.get("protocol") or {}).get("fEpisodeStartToStart") or 0)
    if header["fFileVersionNumber"] < 2:  # ABF1: fEpisodeStartToStart at byte 178 (not in neo's V1 table)
        with open(header["_path"], "rb") as fh:
            fh.seek(178)
            interval = float(np.frombuffer(fh.read(4), "<f4")[0])
    interval = interval if interval >= per / rate else per / rate
    return new, [starts[0] + k * interval for k in range(n)]


def _telegraph(raw: Any) -> list[int | None]:
    info = raw._axon_info
    if info["fFileVersionNumber"] < 2:
        return []
    return [int(a["nTelegraphMode"]) if a.get("nTelegraphEnable") else None for a in info["listADCInfo"]]


def _tags(abf: Any, starts: np.ndarray) -> tuple[Tag, ...]:
    out = []
    for text, t in zip(abf.tagComments, abf.tagTimesSec, strict=False):
        sweep = int(np.searchsorted(starts, float(t), side="right") - 1) if len(starts) else None
        out.append(Tag(float(t), str(text).strip(), max(sweep, 0) if sweep is not None else None))
    return tuple(out)


def read(path: Path, kind: str | None = None) -> Recording:
    """Read an ABF1/ABF2 file into a :class:`Recording` (signals in pA / mV)."""
    import neo

    check_abf_header(path)  # pointers and counts against the file size before neo or pyABF parse it
    raw = _open_neo(path)
    abf = _open_pyabf(path)
    segs, starts, names, units, rate = _segments(raw, path)
    segs, starts = _split_unsynched(segs, starts, abf, rate, {**raw._axon_info, "_path": path})
    mapped = [file_unit(u, f"channel {ascii(names[i])}") for i, u in enumerate(units)]
    units = [u for u, _ in mapped]
    unit_warnings = tuple(w for _, w in mapped if w)
    cmd_dac = command_dac(abf)  # the DAC whose waveform is enabled: its unit says what the amplifier clamps
    dac_units = [] if cmd_dac is None or cmd_dac >= len(abf.dacUnits) else [lookup_unit(abf.dacUnits[cmd_dac]) or ""]
    guess = infer_clamp(names, units, telegraph_modes=_telegraph(raw), dac_units=dac_units, requested=kind)
    block = neo.Block(name=path.name, file_origin=str(path))
    for k, seg_arrays in enumerate(segs):
        seg = neo.Segment(index=k, name=f"sweep {k}")
        for i, arr in enumerate(seg_arrays):
            sig = analog(arr, units[i], rate, starts[k], names[i])
            seg.analogsignals.append(to_canonical(sig, path))
        block.segments.append(seg)
    chans = []
    for i in range(len(names)):
        role = "aux" if i != guess.primary and units[i].strip() == "V" else "signal"  # recorded unless shown a copy
        chans.append(ChannelInfo(i, names[i], block.segments[0].analogsignals[i].dimensionality.string, rate, role))
    proto = read_protocol(abf, len(segs), rate, starts)
    proto.notes.setdefault("holding_source", "file (DAC holding level)")
    check_recorded_command(proto, block, tuple(chans), guess.primary)
    copy_name = proto.notes.get("command_copy_channel")  # equal to the DAC waveform sample for sample
    chans = [dataclasses.replace(c, role="command_copy") if c.name == copy_name and c.index != guess.primary else c
             for c in chans]
    commands, epochs, stims, holding = proto.commands, proto.epochs, proto.stims, proto.holding
    dac = 0 if proto.dac is None else proto.dac
    _, dac_warning = file_unit(abf.dacUnits[dac] if dac < len(abf.dacUnits) else "", f"the command (DAC {dac})")
    if dac_warning:
        unit_warnings += (dac_warning.split(":")[0] + ": no command waveform or holding level is reported",)
    unit_warnings += tuple(proto.warnings)
    want = "pA" if guess.kind == "current_clamp" else "mV"
    first = next((h for h in holding if h is not None), None)  # every level is in the same canonical unit
    if first is not None and first.dimensionality.simplified != pq.Quantity(1, want).dimensionality.simplified:
        holding = [None] * len(holding)
    t = np.asarray(starts, dtype=float)
    version = "abf1" if abf.abfVersion["major"] == 1 else "abf2"
    meta = {
        "abf_version": abf.abfVersionString,
        "protocol": str(getattr(abf, "protocol", "") or ""),
        "recorded": _header_date(abf),
        "comment": str(getattr(abf, "abfFileComment", "") or ""),
        "clamp_evidence": guess.evidence, **({"file_kind": guess.file_kind} if guess.file_kind else {}),
        **proto.notes,
        "pyabf_sweep_start_times_s": ";".join(f"{x:g}" for x in abf.sweepTimesSec[: len(segs)]),
    }
    return Recording(
        path=path, sha256=deferred_sha256(path), format=version, kind=guess.kind, block=block,
        channels=tuple(chans), primary=guess.primary, sweep_start_times_s=t, holding=tuple(holding),
        commands=tuple(commands), epochs=tuple(epochs), stim_times_s=tuple(stims), tags=_tags(abf, t),
        metadata=meta, warnings=(*unit_warnings, *guess.warnings),
    )


LOADER = Loader(
    NAME, EXTENSIONS, sniff, read, signature=True, strict=EXTENSIONS,
    mislabelled="does not start with an ABF signature: not an ABF file or damaged",
    doc=FormatDoc(
        "Axon ABF1/ABF2", "`.abf`", "neo `AxonRawIO` (samples, episode times) + pyABF (tags, epochs, DACs)",
        "section pointers/counts checked against the file size; truncated files refused; units looked up, never "
        "evaluated (`9**9**9`, NUL padding); the command is the enabled DAC; digital-output stimuli; command "
        "copies named; holding from a recorded Vm channel when the header disagrees; ABF1 without synch array "
        "split; tags from pyABF"),
)


def _header_date(abf: Any) -> str:
    """The recording date from the header, or a note that the header has none.

    pyABF falls back to the file's creation time when an ABF1 header stores no date (``lFileStartDate`` 0)
    and to 0001-01-01 when the date does not parse: neither is when the cell was recorded.
    """
    header = getattr(abf, "_headerV1", None) if abf.abfVersion["major"] == 1 else getattr(abf, "_headerV2", None)
    stored = getattr(header, "lFileStartDate" if abf.abfVersion["major"] == 1 else "uFileStartDate", None)
    when = getattr(abf, "abfDateTime", None)
    if not stored or getattr(when, "year", 1) <= 1:
        return "not in the header"
    return str(when)

