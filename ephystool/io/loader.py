"""What a format module declares so the registry can choose it: a :class:`Loader` (and its :class:`FormatDoc`).

Each format module (``abf.py``, ``nwb.py``, ...) defines one ``LOADER`` (or a few); ``ephystool.io.registry``
lists them in one ordered tuple, ``LOADERS``, from which detection, ``SUPPORTED``, the manifest's known
extensions and the README's format table are derived.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ephystool.io.base import head_bytes

__all__ = ["FormatDoc", "Loader", "tolerant", "by_extension", "starts_with", "never", "NOT_HDF5"]

#: the mislabelled-file message of the HDF5-based formats (after "named <ext> but ")
NOT_HDF5 = "is not an HDF5 file (no HDF5 signature): wrong file or damaged"


@dataclass(frozen=True)
class FormatDoc:
    """One row of the README's format table (several loaders may share a row).

    Attributes
    ----------
    format : str
        The format's name as users know it ("Axon ABF1/ABF2").
    files : str
        Markdown: the files it comes as (extensions, a folder layout).
    reader : str
        Markdown: the library or own reader that reads it.
    traps : str
        Markdown: the traps of the format that the reader handles.
    """

    format: str
    files: str
    reader: str
    traps: str

    @property
    def supported(self) -> str:
        """The one-line entry of :data:`ephystool.io.registry.SUPPORTED` ("Axon ABF1/ABF2 (.abf)")."""
        return f"{self.format} ({self.files.replace('`', '')})"


@dataclass(frozen=True)
class Loader:
    """A format ephystool reads: how a file is recognised and the function that reads it.

    Attributes
    ----------
    name : str
        The reader's name in messages (``"abf"``, ``"axion_csv"``).
    extensions : tuple of str
        Lower-case suffixes (with the dot) its files carry; ``manifest init`` looks at these files.
    sniff : callable
        ``sniff(path) -> bool``: whether the file is in this format (magic bytes, HDF5 content, extension,
        a sidecar). Exceptions propagate: a sniffer that may meet damaged content is wrapped in
        :func:`tolerant` by its module.
    read : callable
        ``read(path, kind=None, **options) -> Recording`` (``kind`` and options only where it takes them).
    folder : callable, optional
        For a recording that is a folder: ``folder(path) -> Path | None``, the recording folder that
        ``path`` (the folder or a file in it) belongs to. Folder loaders are asked before file detection.
    signature : bool
        Its sniffer tests a fixed signature (magic bytes) that decides whatever the file's name: asked
        before any extension is trusted.
    hdf5 : bool
        It reads HDF5 files: an HDF5 file is offered only to these loaders, in order.
    mislabelled : str
        With ``strict``: the message (after "named <ext> but ") for a file named with one of ``strict``
        that does not carry this format's signature.
    strict : tuple of str
        Extensions that promise this format's signature; a file so named without it is refused as
        mislabelled (:class:`~ephystool.errors.CorruptFileError`) rather than offered to other loaders.
    refusal : str
        A recognised format that is not read: detection raises
        :class:`~ephystool.errors.UnsupportedFormatError` with this message (and ``read`` is never called).
    doc : FormatDoc, optional
        Its row of the README's format table and its entry in ``SUPPORTED``.
    """

    name: str
    extensions: tuple[str, ...]
    sniff: Callable[[Path], bool]
    read: Callable[..., Any]
    folder: Callable[[Path], Path | None] | None = None
    signature: bool = False
    hdf5: bool = False
    mislabelled: str = ""
    strict: tuple[str, ...] = ()
    refusal: str = ""
    doc: FormatDoc | None = None

    def __post_init__(self) -> None:
        if any(e != e.lower() or not e.startswith(".") for e in self.extensions + self.strict):
            raise ValueError(f"loader {self.name}: extensions are lower-case suffixes with the dot")
        if bool(self.strict) != bool(self.mislabelled):
            raise ValueError(f"loader {self.name}: 'strict' and 'mislabelled' go together")


def tolerant(sniff: Callable[[Path], bool]) -> Callable[[Path], bool]:
    """``sniff`` that says 'not mine' when it cannot parse the file's head (damaged content is the reader's
    to report, not the detector's)."""

    def safe(path: Path) -> bool:
        try:
            return bool(sniff(path))
        except (OSError, RuntimeError, KeyError, ValueError, UnicodeError):
            return False

    safe.__doc__ = sniff.__doc__
    safe.__name__ = getattr(sniff, "__name__", "sniff")
    return safe


def by_extension(extensions: tuple[str, ...]) -> Callable[[Path], bool]:
    """A sniffer for a format without a signature: the file's (lower-cased) suffix is one of ``extensions``."""

    def sniff(path: Path) -> bool:
        return Path(path).suffix.lower() in extensions

    sniff.__doc__ = f"The file is named {' / '.join(extensions)}."
    return sniff


def starts_with(magic: bytes) -> Callable[[Path], bool]:
    """A sniffer for a format with a signature: the file's first bytes are ``magic``."""

    def sniff(path: Path) -> bool:
        return head_bytes(Path(path), len(magic)) == magic

    sniff.__doc__ = f"The file starts with {magic!r}."
    return sniff


def never(path: Path) -> bool:
    """The sniffer of a folder loader: no single file is this format by itself."""
    return False
