"""Units: parse quantity strings, check dimensions, canonical output units per metric.

Quantities are carried through the Python API with :mod:`quantities`. In files (YAML,
CSV, command-line flags) a unit is a string such as ``"50 ms"`` or a key suffix such as
``holding_mV``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.vocabulary import CANONICAL_UNITS  # canonical unit per quantity kind, stated there
from ephystool.errors import UnitsError

__all__ = ["parse_quantity", "require_units", "to_float", "unit_string", "CANONICAL_UNITS"]

_ALIASES = {
    "um": "um", "µm": "um", "μm": "um",
    "uV": "uV", "µV": "uV", "μV": "uV",
    "us": "us", "µs": "us", "μs": "us",
    "uA": "uA", "µA": "uA",
    "uM": "uM", "µM": "uM", "μM": "uM",
    "MOhm": "Mohm", "MΩ": "Mohm", "Mohm": "Mohm", "GOhm": "GOhm", "GΩ": "GOhm", "/min": "1/min",
    "%": "percent", "percent": "percent",
    "min": "min", "h": "h",
    "1": "dimensionless", "": "dimensionless",
}

_QTY_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\d\s].*)?\s*$")


def _unit(symbol: str) -> pq.Quantity:
    sym = _ALIASES.get(symbol.strip(), symbol.strip())
    if sym == "dimensionless":
        return pq.dimensionless
    if sym == "mM":
        return pq.mmol / pq.L
    if sym == "uM":
        return pq.umol / pq.L
    if sym == "nM":
        return pq.nmol / pq.L
    if sym == "GOhm":
        return pq.Quantity(1e3, "Mohm")
    try:
        return pq.Quantity(1.0, sym)
    except (LookupError, ValueError, TypeError, SyntaxError) as exc:
        raise UnitsError(f"unknown unit '{symbol}'") from exc


def parse_quantity(value: Any, expected: str | None = None, name: str = "value") -> pq.Quantity:
    """Parse ``"50 ms"``, ``"-70 mV"`` (or pass through a Quantity) into a :class:`quantities.Quantity`.

    Parameters
    ----------
    value : str or quantities.Quantity
        The text or quantity.
    expected : str, optional
        A unit whose dimension the value must have (e.g. ``"s"``); the result is rescaled to it.
    name : str
        The name used in error messages.

    Returns
    -------
    quantities.Quantity

    Raises
    ------
    UnitsError
        If the text has no number, an unknown unit, or the wrong dimension.

    Examples
    --------
    >>> parse_quantity("50 ms", "s")
    array(0.05) * s
    """
    if isinstance(value, pq.Quantity):
        q = value
    elif isinstance(value, str):
        m = _QTY_RE.match(value)
        if not m:
            raise UnitsError(f"{name}: cannot read '{value}' as a number with a unit (e.g. '50 ms')")
        number = float(m.group(1))
        q = number * _unit(m.group(2) or "")
    elif isinstance(value, int | float | np.number) and not isinstance(value, bool):
        raise UnitsError(f"{name}: bare number {value!r} has no unit; write it as e.g. '{value} {expected or 'ms'}'")
    else:
        raise UnitsError(f"{name}: expected a quantity string such as '50 ms', got {type(value).__name__}")
    if expected is not None:
        q = require_units(q, expected, name=name)
    return q


def require_units(x: Any, unit: str, name: str = "value") -> pq.Quantity:
    """Check that ``x`` is a Quantity with the dimension of ``unit`` and rescale it to ``unit``.

    Raises
    ------
    UnitsError
        If ``x`` is a bare number or has an incompatible dimension.
    """
    if not isinstance(x, pq.Quantity):
        raise UnitsError(f"{name}: expected a quantity in {unit}, got a bare {type(x).__name__}")
    target = _unit(unit)
    try:
        return x.rescale(target.units if isinstance(target, pq.Quantity) else target)
    except ValueError as exc:
        raise UnitsError(f"{name}: expected units compatible with {unit}, got {x.dimensionality}") from exc


def to_float(x: Any, unit: str, name: str = "value") -> float:
    """Return the magnitude of a scalar Quantity ``x`` expressed in ``unit`` as a float."""
    return float(require_units(x, unit, name=name).magnitude)


def unit_string(q: pq.Quantity | pq.UnitQuantity) -> str:
    """The canonical short string of a quantity's unit (``'pA'``, ``'mV'``, ``'Hz'``, ``'1'``)."""
    s = q.dimensionality.string
    return {"dimensionless": "1", "mmol/L": "mM", "umol/L": "uM", "nmol/L": "nM", "%": "%"}.get(s, s)
