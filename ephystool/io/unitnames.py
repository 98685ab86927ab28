"""Unit strings from files, looked up in one closed table: never evaluated.

:mod:`quantities` parses a unit string by evaluating it as a Python expression, so a header
whose 8-byte unit field reads ``9**9**9`` hangs any reader that hands it over, and a field of
NUL bytes (pyABF's own ABF1 writer) raises ``SyntaxError``. Every unit string that comes from a
file goes through :func:`file_unit` first: NUL and space padding are stripped, case variants
(WinWCP's ``mv``) and spellings (``µV``, ``volts``) are mapped to one canonical name, and
anything else is *unknown*: the signal is kept dimensionless with a warning, and the string
never reaches ``quantities`` or a neo constructor. :func:`ephystool.io.recording.analog` accepts
only the canonical names of this table.
"""

from __future__ import annotations

__all__ = ["CANONICAL", "file_unit", "lookup_unit", "clean_unit_text"]

#: lower-cased, padding-free spelling -> canonical unit name (a valid ``quantities`` unit)
_TABLE: dict[str, str] = {
    # electric current
    "a": "A", "amp": "A", "amps": "A", "ampere": "A", "amperes": "A",
    "ma": "mA", "ua": "uA", "µa": "uA", "μa": "uA", "na": "nA", "pa": "pA", "fa": "fA",
    # electric potential
    "v": "V", "volt": "V", "volts": "V",
    "mv": "mV", "uv": "uV", "µv": "uV", "μv": "uV", "nv": "nV",
    # auxiliary channels seen in real files (time, temperature, resistance, ratio)
    "s": "s", "ms": "ms", "hz": "Hz", "degc": "degC", "°c": "degC",
    "mohm": "Mohm", "gohm": "GOhm", "%": "percent", "dimensionless": "dimensionless",
}

#: every unit name :func:`ephystool.io.recording.analog` accepts
CANONICAL: frozenset[str] = frozenset(_TABLE.values())


def clean_unit_text(raw: str | bytes | None) -> str:
    """The unit text of a header field without its NUL/space padding (bytes decoded as latin-1)."""
    if raw is None:
        return ""
    text = raw.decode("latin-1") if isinstance(raw, bytes | bytearray) else str(raw)
    return text.replace("\x00", " ").strip()


def lookup_unit(raw: str | bytes | None) -> str | None:
    """Canonical unit name of a file's unit string, or ``None`` when it is blank or not in the table.

    Examples
    --------
    >>> lookup_unit(b"mV\\x00\\x00\\x00\\x00\\x00\\x00"), lookup_unit("mv"), lookup_unit("µV"), lookup_unit("9**9")
    ('mV', 'mV', 'uV', None)
    """
    text = clean_unit_text(raw)
    if text in CANONICAL:
        return text
    return _TABLE.get(text.lower().replace(" ", ""))


def file_unit(raw: str | bytes | None, what: str) -> tuple[str, str | None]:
    """Canonical unit of a file's unit field, and a warning when it is blank or unknown.

    Parameters
    ----------
    raw : str or bytes
        The field as the file holds it.
    what : str
        What the unit belongs to (e.g. ``"channel 'IN 0'"``), for the warning.

    Returns
    -------
    unit : str
        A name from :data:`CANONICAL`; ``"dimensionless"`` where the field is blank or unknown.
    warning : str or None
        Set when the unit could not be read (the values are then in unknown units).
    """
    unit = lookup_unit(raw)
    if unit is not None:
        return unit, None
    text = clean_unit_text(raw)
    if not text:
        return "dimensionless", f"{what} has a blank unit field: values kept in unknown units (unit: unknown)"
    shown = ascii(text[:16])
    return "dimensionless", (f"{what} has the unit {shown}, which is not a known unit: values kept in unknown "
                             "units (unit: unknown); set the channel's units in the manifest or re-export the file")
