"""The explicit list of readers and format detection by content.

Detection looks at the file's bytes first (magic numbers, HDF5 attributes) and only then at the
extension, so a renamed file is still read correctly and a mislabelled one (random bytes named
``.abf``, a text file named ``.h5``) gets a precise error. Nothing is tried blindly: each
reader's own error reaches the user (neo's ``get_io`` hides them inside a bare ``except``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ephystool.errors import CorruptFileError, UnsupportedFormatError
from ephystool.io.base import HDF5_MAGIC, head_bytes

__all__ = ["Reader", "detect", "SUPPORTED", "spikelist_readers"]

SUPPORTED = (
    "Axon ABF1/ABF2 (.abf)", "NWB 2 icephys/ecephys (.nwb)", "Multi Channel Systems HDF5 (.h5)",
    "AxoGraph (.axgd/.axgx/.axg)", "WinWCP (.wcp)", "CED Spike2 (.smr/.smrx)", "Igor (.ibw/.pxp)",
    "raw binary with a JSON/YAML sidecar", "Open Ephys legacy/binary (folder)", "3Brain BrainWave (.brw)",
    "Intan (.rhd/.rhs)", "Maxwell (.raw.h5)", "Blackrock (.ns1-.ns6)", "PatchMaster DAT2 bundle (.dat)", "spike lists: Axion CSV, MC_DataTool text, NeuroExplorer .nex and "
    "timestamps, Eglen spike HDF5, MEA-NAP .mat",
)
_HEKA_MAGIC = (b"DAT1", b"DAT2", b"DATA")


@dataclass(frozen=True)
class Reader:
    """A detected format: its name and the function that reads it."""

    name: str
    read: Callable[..., Any]


def spikelist_readers() -> list[tuple[str, Callable[[Path], bool], Callable[..., Any]]]:
    """(name, sniff, read) for each spike-list format in :mod:`ephystool.io.spikelists`."""
    try:
        mod = importlib.import_module("ephystool.io.spikelists")
    except ModuleNotFoundError:
        return []
    out = []
    for attr in sorted(dir(mod)):
        if attr.startswith("sniff_") and hasattr(mod, "read_" + attr[6:]):
            out.append((attr[6:], getattr(mod, attr), getattr(mod, "read_" + attr[6:])))
    return out


def _safe_sniff(sniff: Callable[[Path], bool], path: Path) -> bool:
    """A sniffer that cannot parse the file's head says 'not mine' (damaged content is the reader's to report)."""
    try:
        return bool(sniff(path))
    except (OSError, RuntimeError, KeyError, ValueError, UnicodeError):
        return False


def _neo_mea(fmt: str) -> Reader:
    from ephystool.io import neo_mea

    return Reader(fmt, lambda p, kind=None, stream=None, _f=fmt: neo_mea.read(p, _f, kind, stream))


#: files that belong to an Open Ephys recording folder (the folder is the recording)
_OPEN_EPHYS_PARTS = (".continuous", ".openephys", ".oebin", ".events", ".spikes", ".npy", ".dat", ".xml")


def _igor_series_folder(p: Path) -> Path | None:
    """The folder when ``p`` is a folder of one Igor wave series ``<name>_ch<k>_<sweep>.ibw`` or a wave in one."""
    from ephystool.io.igor import _NAME

    if not (p.is_dir() or p.suffix.lower() == ".ibw"):
        return None
    folder = p if p.is_dir() else p.parent
    names = {m["name"] for f in folder.iterdir() if f.is_file() and (m := _NAME.match(f.name))}
    return folder if len(names) == 1 else None


def detect_folder_recording(path: str | Path) -> tuple[Path, Reader] | None:
    """(folder, reader) when ``path`` is a recording folder or one of its files, else None.

    Recording folders: Open Ephys (legacy ``.continuous`` or binary ``structure.oebin``) and a folder that
    holds one Igor wave series (``<name>_ch<k>_<sweep>.ibw``: one wave per channel and sweep).
    """
    from ephystool.io.neo_mea import open_ephys_root

    p = Path(path)
    if p.exists() and (igor := _igor_series_folder(p)) is not None:
        return igor, Reader("igor", importlib.import_module("ephystool.io.igor").read)
    if not p.exists() or not (p.is_dir() or p.suffix.lower() in _OPEN_EPHYS_PARTS):
        return None
    found = open_ephys_root(p)
    return None if found is None else (found[0], _neo_mea(found[1]))


def _sniff_h5_groups(path: Path) -> str | None:
    """'brw' (3Brain BrainWave) or 'maxwell' from the HDF5 file's top-level groups."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            keys = set(f.keys())
    except (OSError, RuntimeError, KeyError, ValueError):
        return None
    if keys & {"3BData", "3BRecInfo"} or any(k.startswith("Well_") for k in keys) and "ExperimentSettings" in keys:
        return "brw"
    if "mapping" in keys or {"recordings", "wells"} <= keys:
        return "maxwell"
    return None


def _hdf5(path: Path) -> Reader:
    import h5py

    from ephystool.io import mcs_h5, nwb

    try:
        with h5py.File(path, "r") as f:
            dict(f.attrs)
            list(f.keys())
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        raise CorruptFileError(f"HDF5 file cannot be opened ({type(exc).__name__}: {str(exc)[:160]}); damaged or "
                               "truncated: re-copy it", path) from exc

    if _safe_sniff(nwb.sniff, path):
        return Reader("nwb", nwb.read)
    if _safe_sniff(mcs_h5.sniff, path):
        return Reader("mcs_h5", mcs_h5.read)
    for name, sniff, read in spikelist_readers():
        if _safe_sniff(sniff, path):
            return Reader(name, read)
    fmt = _sniff_h5_groups(path)
    if fmt is not None:
        return _neo_mea(fmt)
    raise UnsupportedFormatError(
        "HDF5 file that is neither NWB, Multi Channel Systems nor a known spike-time layout; "
        "export it from the acquisition software as NWB or MCS HDF5", path)


def detect(path: Path) -> Reader:
    """Choose the reader for ``path`` from its content, then its extension.

    Raises
    ------
    UnsupportedFormatError
        No reader handles it (message lists the supported formats), or it is HEKA PatchMaster.
    CorruptFileError
        The extension promises a format the content does not have.
    """
    from ephystool.io import abf, binary, neo_generic

    head = head_bytes(path, 8)
    ext = path.suffix.lower()
    if abf.sniff(path):
        return Reader("abf", abf.read)
    if head[:4] == b"DAT2":
        from ephystool.io import heka

        return Reader("heka", heka.read)
    if head[:4] in _HEKA_MAGIC:
        raise UnsupportedFormatError(
            "HEKA PatchMaster .dat that is not a DAT2 bundle (older PatchMaster/Pulse): not supported; export the "
            "series to ABF or NWB from PatchMaster (File > Export) and load that", path)
    if head == HDF5_MAGIC:
        return _hdf5(path)
    if ext == ".abf":
        raise CorruptFileError("named .abf but does not start with an ABF signature: not an ABF file or damaged", path)
    if ext in (".h5", ".hdf5", ".nwb"):
        raise CorruptFileError(f"named {ext} but is not an HDF5 file (no HDF5 signature): wrong file or damaged", path)
    if ext == ".ibw":  # a wave of a '<name>_ch<k>_<sweep>.ibw' series: the whole series is one recording
        return Reader("igor", importlib.import_module("ephystool.io.igor").read)
    if ext in (".rhd", ".rhs"):
        return _neo_mea("intan")
    if re.fullmatch(r"\.ns[1-6]", ext):
        return _neo_mea("blackrock")
    fmt = neo_generic.sniff_format(path)
    if fmt is not None:
        return Reader(fmt, lambda p, kind=None, _f=fmt: neo_generic.read(p, _f, kind))
    for name, sniff, read in spikelist_readers():
        if _safe_sniff(sniff, path):
            return Reader(name, read)
    if binary.find_sidecar(path) is not None:
        return Reader("binary", binary.read)
    raise UnsupportedFormatError(f"no reader for this file; supported: {'; '.join(SUPPORTED)}", path)
