"""Finding, reading and listing templates; the exported JSON Schema."""

from __future__ import annotations

import importlib.resources
import json
import os
from pathlib import Path
from typing import Any

import yaml

from ephystool.errors import ProtocolError
from ephystool.protocols import _models
from ephystool.protocols._models import Protocol, validate_protocol
from ephystool.protocols._quantity import suggest

__all__ = [
    "ENV_VAR",
    "SCHEMA_PATH",
    "protocol_dirs",
    "find_protocol",
    "list_protocols",
    "read_yaml",
    "load_protocol",
    "export_json_schema",
    "write_json_schema",
]

#: Environment variable: extra template folders (``os.pathsep``-separated), searched first.
ENV_VAR = "EPHYSTOOL_PROTOCOLS"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: The committed JSON Schema of a template.
SCHEMA_PATH = _PACKAGE_DIR / "schemas" / "protocol.schema.json"
_SUFFIXES = (".yaml", ".yml")


def protocol_dirs() -> list[Path]:
    """Template folders in search order: ``$EPHYSTOOL_PROTOCOLS``, ``<repo>/protocols``, package data."""
    dirs = [Path(p).expanduser() for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    dirs.append(_PACKAGE_DIR.parent / "protocols")  # a source checkout
    packaged = importlib.resources.files("ephystool") / "_protocols"  # an installed wheel
    dirs.append(Path(str(packaged)))
    return [d for d in dirs if d.is_dir()]


def _templates() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in protocol_dirs():
        for path in sorted(folder.iterdir()):
            if path.suffix in _SUFFIXES and path.is_file():
                found.setdefault(path.stem, path)
    return found


def list_protocols() -> list[str]:
    """Names of the templates that :func:`load_protocol` finds by name, sorted."""
    return sorted(_templates())


def _looks_like_path(text: str) -> bool:
    return text.endswith(_SUFFIXES) or "/" in text or os.sep in text


def find_protocol(name_or_path: str | os.PathLike[str]) -> Path:
    """The file of a template name (``'nmda_epsc'``) or the given path.

    Raises
    ------
    ProtocolError
        Unknown name (listing the known ones) or missing file.
    """
    text = os.fspath(name_or_path)
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(text):
        path = Path(text).expanduser()
        if not path.is_file():
            raise ProtocolError("protocol file not found; give a template name or an existing .yaml file",
                                path=path)
        return path
    templates = _templates()
    if text not in templates:
        known = ", ".join(sorted(templates)) or "none found"
        hint = suggest(text, templates) if templates else ""
        hint = f" ({hint[2:]})" if "did you mean" in hint else ""
        raise ProtocolError(f"unknown protocol '{text}'{hint}; known protocols: {known} "
                            f"(or give a path to a .yaml file; folders: ${ENV_VAR}, protocols/)")
    return templates[text]


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """Read a YAML file with ``yaml.safe_load``; errors name the file and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"cannot read the file: {exc}", path=path) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ProtocolError(f"{where}invalid YAML: {problem}", path=path) from None


def load_protocol(name_or_path: str | os.PathLike[str]) -> Protocol:
    """Load and validate a protocol template.

    Parameters
    ----------
    name_or_path : str or path-like
        A template name (``'nmda_epsc'``, see :func:`list_protocols`) or a path to a YAML file.

    Returns
    -------
    Protocol
        The subclass matching its ``analysis``.

    Raises
    ------
    ProtocolError
        Unknown name, unreadable file, or an invalid template (one line: file, field, expected).

    Examples
    --------
    >>> p = load_protocol("nmda_epsc")
    >>> p.param("nmda_late_window", "ms")
    array([50., 60.]) * ms
    """
    path = find_protocol(name_or_path)
    before = _bytes(path)
    key = (str(path), before)
    if before is not None and key in _LOADED:
        return _LOADED[key]
    proto = validate_protocol(read_yaml(path), source=path)
    if before is not None and _bytes(path) == before:  # unchanged while it was read: these bytes give this Protocol
        if len(_LOADED) >= 64:
            _LOADED.clear()
        _LOADED[key] = proto
    return proto


#: (file, its bytes) -> the Protocol validated from them. A run loads a template more than once per task (the
#: result cache's key, the analysis); a Protocol is immutable, so the same bytes are parsed and validated once.
_LOADED: dict[tuple[str, bytes | None], Protocol] = {}


def _bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # read_yaml names the problem


def export_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a protocol template file."""
    schema = _models.PROTOCOL_ADAPTER.json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://ephystool.invalid/schemas/protocol.schema.json",
        "title": "ephystool protocol template",
        "description": "What to record and how the analyzer reads it. Quantities are strings with units.",
        **schema,
    }


def write_json_schema(path: str | os.PathLike[str] | None = None) -> Path:
    """Write :func:`export_json_schema` to ``path`` (default: the packaged schema file), atomically."""
    from ephystool.atomic import write_text

    target = Path(path) if path is not None else SCHEMA_PATH
    return write_text(target, json.dumps(export_json_schema(), indent=2, ensure_ascii=False) + "\n")
