"""The exception tree of ephystool.

Every error a user can cause (a bad file, manifest, protocol, parameter or setting) is an
:class:`EphysError`. The command line catches ``EphysError`` only, prints its one-line
message and exits with status 2; any other exception is a bug and shows a traceback.

Each subclass also derives from the matching builtin (``ValueError``, ``TypeError``,
``ImportError``) so that generic callers can catch it the usual way.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "EphysError",
    "LoadError",
    "UnsupportedFormatError",
    "CorruptFileError",
    "ManifestError",
    "ProtocolError",
    "AnalysisError",
    "UnitsError",
    "MissingDependencyError",
    "SettingError",
    "one_line",
]


class EphysError(Exception):
    """Base class of every expected (user-caused) error.

    Parameters
    ----------
    message : str
        What is wrong and what to do about it.
    path : str or Path, optional
        The file the error is about; it is prefixed to the message.
    """

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class LoadError(EphysError, ValueError):
    """A recording could not be read."""


class UnsupportedFormatError(LoadError):
    """No reader handles this file (or the format is known but not supported yet)."""


class CorruptFileError(LoadError):
    """The file claims a known format but its content is empty, truncated or damaged."""


class ManifestError(EphysError, ValueError):
    """The experiment manifest is malformed; carries ``row`` and ``column`` where known."""

    def __init__(
        self, message: str, path: str | Path | None = None, row: int | None = None, column: str | None = None
    ) -> None:
        self.row = row
        self.column = column
        where = ""
        if row is not None:
            where += f"row {row}"
        if column is not None:
            where += (", " if where else "") + f"column '{column}'"
        super().__init__(f"{where}: {message}" if where else message, path)


class ProtocolError(EphysError, ValueError):
    """A protocol template is invalid or does not match a recording; carries the field path."""

    def __init__(self, message: str, path: str | Path | None = None, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"field '{field}': {message}" if field else message, path)


class AnalysisError(EphysError, ValueError):
    """The data cannot support the requested analysis (window outside the sweep, wrong mode, ...)."""


class UnitsError(EphysError, TypeError):
    """A value has no units, or units of the wrong dimension."""


class MissingDependencyError(EphysError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""


class SettingError(EphysError, ValueError):
    """An environment variable ephystool reads holds a value it does not know; the message names the choices."""


def one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's message on one line, shortened to ``limit`` characters, with control characters escaped
    (for a message that quotes another library's error)."""
    text = " ".join(str(exc).split())
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text[:limit] + ("..." if len(text) > limit else "")
