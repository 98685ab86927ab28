"""Quantity-string field types for protocol templates, and the strict base model.

A quantity is written in a template as a string with a unit (``"50 ms"``, ``"-70 mV"``,
``"5 /min"``). Each field declares the dimension it needs (time, voltage, ...) and an optional
sign rule; the raw string is kept (so a template round-trips unchanged) and checked when the
template is validated. :func:`parse_text` turns a validated string into a
:class:`quantities.Quantity`.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import quantities as pq
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from ephystool.errors import UnitsError
from ephystool.units import parse_quantity, require_units, unit_string

__all__ = [
    "DIMENSIONS",
    "StrictModel",
    "QuantityCheck",
    "field_error",
    "suggest",
    "parse_text",
    "magnitude_in",
    "is_quantity_text",
    "quantity_to_text",
    "dimension_of",
    "qty",
    "window",
    "Time",
    "Duration",
    "PositiveDuration",
    "Voltage",
    "Current",
    "Frequency",
    "Concentration",
    "Resistance",
    "VoltageRate",
    "Window",
    "DurationWindow",
    "FrequencyBand",
    "ConcentrationRange",
]

#: Dimension name -> (reference unit used for the check, example written in a template).
DIMENSIONS: dict[str, tuple[str, str]] = {
    "time": ("s", "50 ms"),
    "voltage": ("mV", "-70 mV"),
    "current": ("pA", "100 pA"),
    "frequency": ("Hz", "10 kHz"),
    "concentration": ("mM", "1.3 mM"),
    "resistance": ("MOhm", "25 MOhm"),
    "voltage_rate": ("V/s", "20 mV/ms"),
}

#: The regular expression a quantity string must match (also exported in the JSON Schema).
QUANTITY_PATTERN = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*(/|per\s+)?\s*[^\d\s].*$"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PER_RE = re.compile(rf"^\s*({_NUMBER})\s*(?:/|per\s+|1/)\s*([A-Za-zµμ]+)\s*$")
_QTY_RE = re.compile(QUANTITY_PATTERN)


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error raised by a model validator that belongs to one of the model's fields."""
    return PydanticCustomError("field_error", "{message}", {"field": field, "message": message})


def suggest(word: str, choices: Any) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or the list of choices when none is close."""
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; expected one of: {', '.join(choices)}"


class StrictModel(BaseModel):
    """Base of every template section: unknown keys are errors, with a "did you mean" hint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = set(cls.model_fields)
            unknown = [k for k in data if k not in allowed]
            if unknown:
                more = f" (and {len(unknown) - 1} more unknown keys)" if len(unknown) > 1 else ""
                raise field_error(str(unknown[0]), "unknown key" + suggest(unknown[0], allowed) + more)
        return data


def is_quantity_text(value: Any) -> bool:
    """True when ``value`` is a string that starts with a number followed by a unit."""
    return isinstance(value, str) and bool(_QTY_RE.match(value))


def parse_text(text: str, name: str = "value") -> pq.Quantity:
    """Parse a template quantity string (also ``"5 /min"``, ``"5 per min"``) into a Quantity.

    Raises
    ------
    UnitsError
        If the text is not a number followed by a known unit.
    """
    return _parse_cached(text, name).copy()


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str, name: str) -> pq.Quantity:
    # Parsing a unit is slow in quantities; templates repeat the same few strings. Callers get copies.
    m = _PER_RE.match(text)
    if m:
        return float(m.group(1)) / parse_quantity(f"1 {m.group(2)}", name=name)
    try:
        return parse_quantity(text, name=name)
    except SyntaxError as exc:  # quantities evaluates unit expressions; a malformed one is a SyntaxError
        raise UnitsError(f"{name}: cannot read the unit of '{text}'") from exc


def magnitude_in(text: str, unit: str, name: str = "value") -> float:
    """The magnitude of quantity string ``text`` in ``unit`` (dimension checked).

    Raises
    ------
    UnitsError
        If the text cannot be read or has another dimension.
    """
    value, found = _measure(text, unit)
    if value is None:
        raise UnitsError(f"{name}: '{text}' is not a quantity compatible with {unit}"
                         + (f" (it is a {found})" if found else ""))
    return value


@functools.lru_cache(maxsize=4096)
def _measure(text: str, unit: str) -> tuple[float | None, str | None]:
    """(magnitude, None); (None, found dimension) for a wrong dimension; (None, None) if unreadable."""
    try:
        q = parse_text(text)
    except UnitsError:
        return None, None
    try:
        return float(require_units(q, unit).magnitude), None
    except UnitsError:
        return None, dimension_of(q)


def dimension_of(q: pq.Quantity) -> str:
    """The name of the dimension of ``q`` (a key of :data:`DIMENSIONS`), or its unit string."""
    for kind, (unit, _) in DIMENSIONS.items():
        try:
            require_units(q, unit)
        except UnitsError:
            continue
        return kind
    if q.simplified.dimensionality.string == "dimensionless":
        return "plain number"
    return f"quantity in {unit_string(q)}"


def quantity_to_text(q: pq.Quantity) -> str:
    """Write a scalar Quantity as a template string (``"100.0 ms"``)."""
    return f"{float(np.asarray(q.magnitude))!r} {unit_string(q)}"


@dataclass(frozen=True)
class QuantityCheck:
    kind: str
    sign: str  # "any", "nonneg" or "pos"

    def coerce(self, value: Any) -> Any:
        """Accept a Quantity (from Python overrides) as its string; reject bare numbers clearly."""
        if isinstance(value, pq.Quantity) and np.ndim(value) == 0:
            return quantity_to_text(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            unit, example = DIMENSIONS[self.kind]
            raise PydanticCustomError(
                "bare_number",
                "bare number {value} has no unit; expected a {kind} such as '{example}'",
                {"value": value, "kind": self.kind, "example": example},
            )
        return value

    def check(self, text: str) -> str:
        unit, example = DIMENSIONS[self.kind]
        value, found = _measure(text, unit)
        if value is None and found is None:
            raise PydanticCustomError(
                "quantity", "cannot read '{text}'; expected a {kind} such as '{example}'",
                {"text": text, "kind": self.kind, "example": example},
            )
        if value is None:
            raise PydanticCustomError(
                "dimension", "expected a {kind} such as '{example}', got '{text}' (a {found})",
                {"kind": self.kind, "example": example, "text": text, "found": found},
            )
        if self.sign == "nonneg" and value < 0:
            raise PydanticCustomError("sign", "must not be negative, got '{text}'", {"text": text})
        if self.sign == "pos" and value <= 0:
            raise PydanticCustomError("sign", "must be greater than zero, got '{text}'", {"text": text})
        return text


def qty(kind: str, sign: str = "any") -> Any:
    """An annotated ``str`` type holding a quantity of dimension ``kind`` with sign rule ``sign``."""
    check = QuantityCheck(kind, sign)
    unit, example = DIMENSIONS[kind]
    rule = {"any": "", "nonneg": ", not negative", "pos": ", greater than zero"}[sign]
    schema = {
        "type": "string",
        "pattern": QUANTITY_PATTERN,
        "description": f"a {kind} with its unit, e.g. '{example}'{rule}",
        "examples": [example],
        "x-dimension": kind,
    }
    return Annotated[str, BeforeValidator(check.coerce), AfterValidator(check.check), WithJsonSchema(schema)]


def _ordered(kind: str) -> Any:
    ref = DIMENSIONS[kind][0]

    def check(pair: tuple[str, str]) -> tuple[str, str]:
        lo, hi = (magnitude_in(v, ref) for v in pair)
        if not lo < hi:
            raise PydanticCustomError(
                "window_order", "the start must be before the end, got ['{lo}', '{hi}']",
                {"lo": pair[0], "hi": pair[1]},
            )
        return pair

    return AfterValidator(check)


def window(kind: str, sign: str = "any") -> Any:
    """An ordered ``[start, end]`` pair of quantities of dimension ``kind``."""
    item = qty(kind, sign)
    return Annotated[tuple[item, item], _ordered(kind)]


Time = qty("time")
Duration = qty("time", "nonneg")
PositiveDuration = qty("time", "pos")
Voltage = qty("voltage")
Current = qty("current")
Frequency = qty("frequency", "pos")
Concentration = qty("concentration", "nonneg")
Resistance = qty("resistance", "pos")
VoltageRate = qty("voltage_rate", "pos")
Window = window("time")
DurationWindow = window("time", "nonneg")
FrequencyBand = window("frequency", "pos")
ConcentrationRange = window("concentration", "nonneg")
