"""The explicit, ordered list of readers (:data:`LOADERS`) and format detection by content.

Detection looks at the file's bytes first (magic numbers, HDF5 content) and only then at the extension, so
a renamed file is still read correctly and a mislabelled one (random bytes named ``.abf``, a text file named
``.h5``) gets a precise error. Nothing is tried blindly: each reader's own error reaches the user (neo's
``get_io`` hides them inside a bare ``except``). ``SUPPORTED``, the extensions ``manifest init`` looks at
(:data:`KNOWN_EXTENSIONS`) and the README's format table (:mod:`ephystool.io.formats`) derive from
:data:`LOADERS`; a new reader is one module with a ``LOADER`` and one line here.
"""

from __future__ import annotations

from pathlib import Path

from ephystool.errors import CorruptFileError, UnsupportedFormatError
from ephystool.io import abf, binary, heka, igor, mcs_h5, neo_generic, neo_mea, nwb, spikelists
from ephystool.io.base import HDF5_MAGIC, head_bytes
from ephystool.io.loader import Loader

__all__ = ["LOADERS", "Loader", "Reader", "detect", "detect_folder_recording", "SUPPORTED", "KNOWN_EXTENSIONS"]

#: Every format, in the order detection asks them. Within its stage (see :func:`detect`) the first loader
#: that claims a file reads it.
LOADERS: tuple[Loader, ...] = (
    # signatures (magic bytes) decide whatever the file's name
    abf.LOADER,
    heka.LOADER,
    heka.LEGACY,
    # HDF5 files, by their content
    nwb.LOADER,
    mcs_h5.LOADER,
    spikelists.EGLEN_H5,
    neo_mea.BRW,
    neo_mea.MAXWELL,
    # recordings that are folders (the folder, or any file in it)
    igor.SERIES,
    neo_mea.OPEN_EPHYS_LEGACY,
    neo_mea.OPEN_EPHYS_BINARY,
    # the rest: by extension or content, in this order
    igor.LOADER,
    neo_mea.INTAN,
    neo_mea.BLACKROCK,
    *neo_generic.LOADERS,
    spikelists.AXION_CSV,
    spikelists.MCD_TEXT,
    spikelists.MEANAP_MAT,
    spikelists.NEX,
    spikelists.NEX_TIMESTAMPS,
    binary.LOADER,
)

#: the formats ephystool reads, one line each (named in the "no reader" error)
SUPPORTED: tuple[str, ...] = tuple(dict.fromkeys(ld.doc.supported for ld in LOADERS if ld.doc is not None))
#: the extensions of recording files (what ``manifest init`` looks at)
KNOWN_EXTENSIONS: frozenset[str] = frozenset(e for ld in LOADERS for e in ld.extensions)
#: a detected format: the loader (kept under its former name)
Reader = Loader


def detect_folder_recording(path: str | Path) -> tuple[Path, Loader] | None:
    """(folder, loader) when ``path`` is a recording folder or one of its files, else None.

    Recording folders: a folder that holds one Igor wave series (``<name>_ch<k>_<sweep>.ibw``: one wave per
    channel and sweep) and Open Ephys (legacy ``.continuous`` or binary ``structure.oebin``).
    """
    p = Path(path)
    for loader in LOADERS:
        if loader.folder is not None and (root := loader.folder(p)) is not None:
            return root, loader
    return None


def _chosen(loader: Loader, path: Path) -> Loader:
    if loader.refusal:
        raise UnsupportedFormatError(loader.refusal, path)
    return loader


def _detect_hdf5(path: Path) -> Loader:
    """The loader of an HDF5 file: it must open; then the first HDF5 loader whose sniffer claims it."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            dict(f.attrs)
            list(f.keys())
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        raise CorruptFileError(f"HDF5 file cannot be opened ({type(exc).__name__}: {str(exc)[:160]}); damaged or "
                               "truncated: re-copy it", path) from exc
    for loader in LOADERS:
        if loader.hdf5 and loader.sniff(path):
            return _chosen(loader, path)
    raise UnsupportedFormatError(
        "HDF5 file that is neither NWB, Multi Channel Systems nor a known spike-time layout; "
        "export it from the acquisition software as NWB or MCS HDF5", path)


def detect(path: Path) -> Loader:
    """Choose the loader for the file ``path``, walking :data:`LOADERS` in four stages.

    1. signature loaders (magic bytes), whatever the name; an HDF5 file goes to the HDF5 loaders only;
    2. a name that promises a signature the content lacks (``strict`` extensions) is refused;
    3. the other file loaders in order (extension, content, sidecar);
    4. none: :class:`~ephystool.errors.UnsupportedFormatError` listing :data:`SUPPORTED`.

    Raises
    ------
    UnsupportedFormatError
        No reader handles it (message lists the supported formats), or it is a refused format (old HEKA).
    CorruptFileError
        The extension promises a format the content does not have, or an HDF5 file does not open.
    """
    files = [ld for ld in LOADERS if ld.folder is None and not ld.hdf5]
    for loader in files:
        if loader.signature and loader.sniff(path):
            return _chosen(loader, path)
    if head_bytes(path, 8) == HDF5_MAGIC:
        return _detect_hdf5(path)
    ext = path.suffix.lower()
    for loader in LOADERS:
        if ext in loader.strict:
            raise CorruptFileError(f"named {ext} but {loader.mislabelled}", path)
    for loader in files:
        if not loader.signature and loader.sniff(path):
            return _chosen(loader, path)
    raise UnsupportedFormatError(f"no reader for this file; supported: {'; '.join(SUPPORTED)}", path)
