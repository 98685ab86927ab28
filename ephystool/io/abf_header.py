"""ABF header pointers and counts checked against the file size before any parser sees them.

neo's and pyABF's ABF parsers trust the header: a single damaged byte in a section's entry count
(offset 136 of an ABF2 header is the high part of the epoch section's count) makes them read for
minutes, and a data section that promises more samples than the file holds is read past its end.
:func:`check_abf_header` reads the fixed-layout fields (Axon's published ABF1 header layout; the ABF2
section index of 18 ``(uBlockIndex, uBytes, llNumEntries)`` records at byte 76) and refuses, with one
line, a file whose sections do not fit inside it.
"""

from __future__ import annotations

import struct
from pathlib import Path

from ephystool.errors import CorruptFileError

__all__ = ["check_abf_header"]

BLOCK = 512
ABF2_SECTIONS = (
    "Protocol", "ADC", "DAC", "Epoch", "ADCPerDAC", "EpochPerDAC", "UserList", "StatsRegion", "Math", "Strings",
    "Data", "Tag", "Scope", "Delta", "VoiceTag", "SynchArray", "Annotation", "Stats",
)
#: largest plausible size of one entry of a non-data section (bytes); Axon's entries are 64..1024 bytes
_MAX_ENTRY = 1 << 16
#: ABF1 fixed fields: name -> (offset, struct format)
_ABF1 = {
    "lActualAcqLength": (10, "<i"), "lDataSectionPtr": (40, "<i"), "lTagSectionPtr": (44, "<i"),
    "lNumTagEntries": (48, "<i"), "lSynchArrayPtr": (92, "<i"), "lSynchArraySize": (96, "<i"),
    "nDataFormat": (100, "<h"), "nADCNumChannels": (120, "<h"),
}


def _refuse(path: Path, what: str) -> CorruptFileError:
    return CorruptFileError(f"ABF header is inconsistent with the file ({what}); the file is damaged or truncated: "
                            "re-copy it from the acquisition computer", path)


def _truncated(path: Path, promised: int, held: int, unit: str) -> CorruptFileError:
    return CorruptFileError(f"truncated ABF: the header promises {promised} {unit} but the file holds {held}; "
                            "re-copy the complete file from the acquisition computer", path)


def _check_abf2(path: Path, head: bytes, size: int) -> None:
    if len(head) < 76 + 16 * len(ABF2_SECTIONS):
        raise _truncated(path, 76 + 16 * len(ABF2_SECTIONS), len(head), "header bytes")
    for s, name in enumerate(ABF2_SECTIONS):
        block, nbytes, entries = struct.unpack_from("<IIq", head, 76 + 16 * s)
        if entries == 0:
            continue
        start = block * BLOCK
        if entries < 0 or nbytes == 0 or block == 0 or start >= size:
            raise _refuse(path, f"{name} section: block {block}, {nbytes} bytes x {entries} entries, file "
                                f"{size} bytes")
        if name == "Data":
            if nbytes not in (2, 4):
                raise _refuse(path, f"data section sample size {nbytes} bytes (2 or 4 expected)")
            held = (size - start) // nbytes
            if entries > held:
                raise _truncated(path, entries, held, "samples")
            continue
        if nbytes > _MAX_ENTRY or start + nbytes * entries > size:
            raise _refuse(path, f"{name} section of {entries} entries x {nbytes} bytes at byte {start} runs past "
                                f"the end of the {size}-byte file")


def _check_abf1(path: Path, head: bytes, size: int) -> None:
    if len(head) < 2048:
        raise _truncated(path, 2048, len(head), "header bytes")
    f = {k: struct.unpack_from(fmt, head, off)[0] for k, (off, fmt) in _ABF1.items()}
    if not 1 <= f["nADCNumChannels"] <= 16:
        raise _refuse(path, f"{f['nADCNumChannels']} ADC channels (1 to 16 expected)")
    if f["nDataFormat"] not in (0, 1):
        raise _refuse(path, f"data format {f['nDataFormat']} (0 or 1 expected)")
    width = 2 if f["nDataFormat"] == 0 else 4
    start = f["lDataSectionPtr"] * BLOCK
    if f["lDataSectionPtr"] <= 0 or start > size or f["lActualAcqLength"] < 0:
        raise _refuse(path, f"data section at block {f['lDataSectionPtr']}, {f['lActualAcqLength']} samples")
    held = (size - start) // width
    if f["lActualAcqLength"] > held:
        raise _truncated(path, f["lActualAcqLength"], held, "samples")
    for ptr, count, entry, name in (("lSynchArrayPtr", "lSynchArraySize", 8, "synch array"),
                                    ("lTagSectionPtr", "lNumTagEntries", 64, "tag section")):
        if f[count] == 0:
            continue
        if f[count] < 0 or f[ptr] <= 0 or f[ptr] * BLOCK + f[count] * entry > size:
            raise _refuse(path, f"{name} of {f[count]} entries at block {f[ptr]} runs past the end of the file")


def check_abf_header(path: Path) -> None:
    """Refuse an ABF file whose header sections (pointers x counts) do not fit inside it.

    Raises
    ------
    CorruptFileError
        One line naming the section and the numbers; "truncated ABF" when the data section promises
        more samples than the file holds.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(6144)
    if head[:4] == b"ABF2":
        _check_abf2(path, head, size)
    elif head[:4] == b"ABF ":
        _check_abf1(path, head, size)
