"""One Params class per analysis: the fields state every default once, with unit, bounds and description.

An analysis declares its settings as a frozen dataclass whose fields are made with :func:`param`; the
field's default is the analyzer's default (in the field's unit), its metadata (:class:`ParamSpec`) says how
a template writes it (a quantity string, a window, a number, a choice ...), its bounds and whether a
template must state it. From that one declaration:

* :func:`from_protocol` (the one converter) builds the Params from a template's ``analysis_params``
  (quantity strings, as written) and a manifest row's overrides (columns with a unit suffix such as
  ``stim_time_ms``), rescaling every quantity to the field's unit with :func:`ephystool.units.parse_quantity`;
* :mod:`ephystool.protocols` derives the template's validation model and JSON schema
  (``ephystool.protocols._params.template_model``).

Cross-field rules (:class:`Rule`) are checked by both. This module imports only numpy and quantities.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.errors import ProtocolError, UnitsError
from ephystool.units import parse_quantity

__all__ = ["ParamSpec", "Rule", "param", "from_protocol", "convert_value", "param_specs", "check_rules", "defaults", "DIMENSION",
           "param_quantity", "param_window"]

#: canonical unit of a field -> the template dimension (:data:`ephystool.protocols._quantity.DIMENSIONS`)
DIMENSION: dict[str, str] = {
    "s": "time", "ms": "time", "min": "time", "mV": "voltage", "V": "voltage", "pA": "current", "uA": "current",
    "Hz": "frequency", "mM": "concentration", "MOhm": "resistance", "mV/ms": "voltage_rate",
}
KINDS = ("quantity", "window", "windows", "quantities", "number", "integer", "bool", "choice", "fractions", "texts")
_NONE_TEXT = ("auto", "none", "")


@dataclass(frozen=True)
class ParamSpec:
    """How one Params field is written in a template and checked.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`: ``quantity`` (``"50 ms"``), ``window`` (``["1 ms", "20 ms"]``, start < end),
        ``windows`` (a list of windows), ``quantities`` (a list of quantities), ``number``, ``integer``,
        ``bool``, ``choice`` (one of ``choices``); a number with a ``unit`` (a key such as ``mg_mM``) becomes
        a Quantity, ``fractions`` (``[lo, hi]`` with lo < hi, bounds as
        for numbers), ``texts`` (a list of strings the analysis reads itself).
    unit : tuple of str
        The unit a quantity is rescaled to; several: the first whose dimension fits.
    sign : str
        ``any``, ``nonneg`` or ``pos`` (quantities and windows).
    ge, gt, le : float or None
        Bounds of a number, integer or fraction.
    choices : tuple of str
        Allowed values of a ``choice``.
    description : str
        Shown in the JSON schema, ``protocol show`` and the docs.
    template : str
        ``required`` (a template must state it), ``optional`` (left out: this default) or ``internal``
        (set by the analysis or an override, never written in a template).
    nullable : bool
        ``None`` (or ``"auto"``/``"none"``) is a value of its own (e.g. "detect the stimulus").
    form : str
        Python form of a window / list: ``array`` (a Quantity array), ``pair`` (a tuple of two Quantities),
        ``floats`` (a tuple of floats in ``unit``), ``tuple`` (a tuple of Quantities).
    min_length : int
        Least number of items of a list.
    override : tuple of str
        Manifest columns (``<name>_<unit>``) that replace the value; the first given wins.
    override_wins : bool
        False: a value the template states wins over the manifest column.
    source : str or None
        Field set to ``"manifest"`` when an override was used.
    """

    kind: str
    unit: tuple[str, ...] = ()
    sign: str = "any"
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    choices: tuple[str, ...] = ()
    description: str = ""
    template: str = "optional"
    nullable: bool = False
    form: str = "array"
    min_length: int = 0
    override: tuple[str, ...] = ()
    override_wins: bool = True
    source: str | None = None

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Template dimensions of the units (``time``, ``voltage`` ...)."""
        return tuple(DIMENSION[u] for u in self.unit)


@dataclass(frozen=True)
class Rule:
    """A check across fields: ``test(*values)`` must hold, else ``message`` is reported on ``field``."""

    fields: tuple[str, ...]
    test: Callable[..., bool]
    field: str
    message: str


def param(default: Any = None, *, kind: str, unit: str | tuple[str, ...] = (), factory: bool = False,
          **spec: Any) -> Any:
    """A dataclass field whose metadata is a :class:`ParamSpec` (``factory``: ``default`` is a callable)."""
    if kind not in KINDS:
        raise ValueError(f"unknown parameter kind {kind!r}")
    units = (unit,) if isinstance(unit, str) else tuple(unit)
    meta = {"param": ParamSpec(kind=kind, unit=units, **spec)}
    if factory:
        return dataclasses.field(default_factory=default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def param_specs(cls: type) -> dict[str, ParamSpec]:
    """Field name -> :class:`ParamSpec` of a Params class (fields without one are left out)."""
    return {f.name: f.metadata["param"] for f in dataclasses.fields(cls) if "param" in f.metadata}


def _fail(key: str, message: str) -> ProtocolError:
    return ProtocolError(message, field=f"analysis_params.{key}")


def _quantity(raw: Any, spec: ParamSpec, key: str) -> pq.Quantity:
    err: UnitsError | None = None
    for unit in spec.unit:
        try:
            q = parse_quantity(raw, unit, name=key)
        except UnitsError as exc:
            err = err or exc
            continue
        value = float(np.asarray(q.magnitude).ravel()[0])
        if (spec.sign == "nonneg" and value < 0) or (spec.sign == "pos" and value <= 0):
            rule = "not be negative" if spec.sign == "nonneg" else "be greater than zero"
            raise _fail(key, f"must {rule}, got {raw!r}")
        return q
    raise _fail(key, f"{err}; expected e.g. '{key}: \"10 {spec.unit[0]}\"'")


def _window(raw: Any, spec: ParamSpec, key: str) -> Any:
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise _fail(key, f"expected a list of two quantities such as ['1 {spec.unit[0]}', '20 {spec.unit[0]}'], "
                         f"got {raw!r}")
    lo, hi = (float(_quantity(v, spec, key).magnitude) for v in raw)
    if not hi > lo:
        raise _fail(key, f"window start must be before its end, got {list(raw)!r}")
    return _form((lo, hi), spec)


def _form(values: tuple[float, ...], spec: ParamSpec) -> Any:
    unit = spec.unit[0]
    if spec.form == "array":
        return np.array(values) * pq.Quantity(1.0, unit)
    if spec.form == "floats":
        return values
    return tuple(v * pq.Quantity(1.0, unit) for v in values)


def _number(raw: Any, spec: ParamSpec, key: str, integer: bool = False) -> float | int:
    ok = isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw)
    if integer:
        ok = ok and float(raw).is_integer()
    bounds = [f"{op} {b:g}" for op, b in ((">=", spec.ge), (">", spec.gt), ("<=", spec.le)) if b is not None]
    within = ok and (spec.ge is None or raw >= spec.ge) and (spec.gt is None or raw > spec.gt) \
        and (spec.le is None or raw <= spec.le)
    if not within:
        what = "a whole number" if integer else "a number"
        raise _fail(key, f"expected {what}{' ' + ' and '.join(bounds) if bounds else ''}, got {raw!r}")
    return int(raw) if integer else float(raw)


def _choice(raw: Any, spec: ParamSpec, key: str) -> str:
    if raw in spec.choices:
        return str(raw)
    hint = difflib.get_close_matches(str(raw), spec.choices, n=1)
    raise _fail(key, f"unknown {key} '{raw}' (expected one of {', '.join(spec.choices)})"
                + (f"; did you mean '{hint[0]}'?" if hint else ""))


def _list(raw: Any, spec: ParamSpec, key: str) -> list[Any]:
    if not isinstance(raw, list | tuple) or len(raw) < max(spec.min_length, 1 if spec.kind == "quantities" else 0):
        example = {"quantities": "['-70 mV', '40 mV']", "windows": "[['120 s', '180 s']]"}.get(spec.kind, "['a', 'b']")
        raise _fail(key, f"expected a list such as {example}"
                         + (f" (at least {spec.min_length} items)" if spec.min_length else "") + f", got {raw!r}")
    return list(raw)


def convert_value(spec: ParamSpec, key: str, raw: Any) -> Any:
    """One template value (as written) -> its Python form (Quantities in the field's unit).

    Raises
    ------
    ProtocolError
        The value has the wrong kind, unit, sign or bounds (the field is ``analysis_params.<key>``).
    """
    kind = spec.kind
    if spec.nullable and (raw is None or (isinstance(raw, str) and raw.strip().lower() in _NONE_TEXT)):
        return None
    if kind == "quantity":
        return _quantity(raw, spec, key)
    if kind == "window":
        return _window(raw, spec, key)
    if kind == "windows":
        return tuple(_window(w, spec, key) for w in _list(raw, spec, key))
    if kind == "quantities":
        values = tuple(float(_quantity(v, spec, key).magnitude) for v in _list(raw, spec, key))
        return _form(values, spec)
    if kind == "number" and spec.unit and isinstance(raw, str):  # "1 mM" for a key mg_mM: the unit is checked
        raw = float(_quantity(raw, spec, key).magnitude)
    if kind in ("number", "integer"):
        number = _number(raw, spec, key, integer=kind == "integer")
        return number * pq.Quantity(1.0, spec.unit[0]) if spec.unit else number  # a key with a unit suffix
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        raise _fail(key, f"expected true or false, got {raw!r}")
    if kind == "choice":
        return _choice(raw, spec, key)
    if kind == "fractions":
        if not isinstance(raw, list | tuple) or len(raw) != 2:
            raise _fail(key, f"expected two fractions such as [0.1, 0.9], got {raw!r}")
        lo, hi = (_number(v, spec, key) for v in raw)
        if not lo < hi:
            raise _fail(key, f"the lower fraction must be below the upper, got [{lo}, {hi}]")
        return lo, hi
    return tuple(str(v) for v in _list(raw, spec, key))  # texts


def param_quantity(params: Mapping[str, Any], key: str, default: Any, unit: str) -> pq.Quantity | None:
    """One quantity (``"50 ms"``) of a mapping, rescaled to ``unit``; ``None``, ``"auto"``, ``"none"``: None.

    Raises
    ------
    ProtocolError
        The value is not a quantity of ``unit``'s dimension (the message names ``key``).
    """
    return convert_value(ParamSpec("quantity", (unit,), nullable=True), key, params.get(key, default))


def param_window(params: Mapping[str, Any], key: str, default: Any, unit: str = "s") -> tuple[float, float]:
    """A ``[start, end]`` window (``["1 ms", "20 ms"]``) of a mapping as floats in ``unit``.

    Raises
    ------
    ProtocolError
        Not a list of two quantities of ``unit``'s dimension with start < end (the message names ``key``).
    """
    return convert_value(ParamSpec("window", (unit,), form="floats"), key, params.get(key, default))


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) \
        and not (isinstance(value, str) and not value.strip())


def _override(spec: ParamSpec, column: str, value: Any) -> pq.Quantity:
    """A manifest column ``<name>_<unit>`` (a number) as a Quantity in that unit."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"expected a number, got {value!r}", field=column) from exc
    if isinstance(value, bool) or not math.isfinite(number) or (spec.sign == "pos" and number <= 0) \
            or (spec.sign == "nonneg" and number < 0):
        raise ProtocolError(f"expected a finite number{' > 0' if spec.sign == 'pos' else ''}, got {value!r}",
                            field=column)
    return number * pq.Quantity(1.0, column.rpartition("_")[2])


def check_rules(cls: type, values: Mapping[str, Any]) -> tuple[str, str] | None:
    """(field, message) of the first :class:`Rule` of ``cls`` that ``values`` break, else None."""
    for rule in getattr(cls, "RULES", ()):
        args = [values.get(name) for name in rule.fields]
        if all(a is not None for a in args) and not rule.test(*args):
            return rule.field, rule.message
    return None


def from_protocol(cls: type, analysis_params: Mapping[str, Any] | None,
                  overrides: Mapping[str, Any] | None = None, **fixed: Any) -> Any:
    """Build ``cls`` from a template's ``analysis_params`` and a manifest row's overrides.

    Parameters
    ----------
    cls : type
        A Params dataclass whose fields are made with :func:`param`.
    analysis_params : Mapping
        Template values as written (``"50 ms"``, lists of them, numbers); a missing key takes the
        field's default.
    overrides : Mapping, optional
        Manifest columns named in the fields' ``override`` (None, NaN and "" are ignored).
    **fixed
        Values set by the caller (not read from the template).

    Returns
    -------
    cls instance

    Raises
    ------
    ProtocolError
        A value of the wrong kind, unit, sign or range, or a broken cross-field rule (naming the key).
    """
    p, o = dict(analysis_params or {}), dict(overrides or {})
    kw: dict[str, Any] = {}
    for key, spec in param_specs(cls).items():
        if spec.template != "internal" and key in p and (p[key] is not None or spec.nullable):
            kw[key] = convert_value(spec, key, p[key])
        if spec.override and (spec.override_wins or key not in kw):
            column = next((c for c in spec.override if _given(o.get(c))), None)
            if column is not None:
                kw[key] = _override(spec, column, o[column])
                if spec.source:
                    kw[spec.source] = "manifest"
    kw.update(fixed)
    broken = check_rules(cls, {**defaults(cls), **kw})
    if broken:
        raise _fail(*broken)
    return cls(**kw)


def defaults(cls: type) -> dict[str, Any]:
    """Field name -> default value (fields without a default are left out)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out
