"""``analysis_params`` of each analyzer, derived from the analyzer's one Params class.

Each field of an analysis' Params dataclass (:mod:`ephystool.analysis.params`) declares its kind, unit,
bounds, description and whether a template must state it; :func:`template_model` turns that into a strict
pydantic model (quantity strings such as ``"50 ms"`` checked for dimension and sign, windows ordered,
"did you mean" for unknown keys), from which the JSON schema is written. Optional parameters left out of a
template are omitted from :meth:`Protocol.params_mapping` so that the analyzer's own default applies.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, Literal

import numpy as np
import quantities as pq
from pydantic import AfterValidator, Field, create_model, model_validator
from pydantic_core import PydanticCustomError

from ephystool.analysis import params as _p
from ephystool.analysis.registry import PARAMS
from ephystool.errors import ProtocolError
from ephystool.protocols._quantity import StrictModel, field_error, qty, window

__all__ = ["PARAMS_BY_ANALYSIS", "ByAnalysis", "template_model"]


def _fraction_order(pair: tuple[float, float]) -> tuple[float, float]:
    lo, hi = pair
    if not lo < hi:
        raise PydanticCustomError("fraction_order", "the lower fraction must be below the upper, got [{lo}, {hi}]",
                                  {"lo": lo, "hi": hi})
    return pair


def _number(spec: _p.ParamSpec, integer: bool = False) -> Any:
    return Annotated[int if integer else float, Field(ge=spec.ge, gt=spec.gt, le=spec.le)]


def _annotation(spec: _p.ParamSpec) -> Any:
    """The pydantic type of one template value."""
    kind, dims = spec.kind, spec.dimensions
    if kind == "quantity":
        types = [qty(d, spec.sign) for d in dims]
        return types[0] if len(types) == 1 else types[0] | types[1]
    if kind == "window":
        return window(dims[0], spec.sign)
    if kind == "windows":
        return list[window(dims[0], spec.sign)]
    if kind == "quantities":
        return Annotated[list[qty(dims[0], spec.sign)], Field(min_length=spec.min_length)]
    if kind == "number" or kind == "integer":
        return _number(spec, kind == "integer")
    if kind == "bool":
        return bool
    if kind == "choice":
        return Literal[spec.choices]
    if kind == "fractions":
        return Annotated[tuple[_number(spec), _number(spec)], AfterValidator(_fraction_order)]
    return list[str]


def _text(value: Any) -> str:
    """A default as a template writes it (for the description)."""
    if isinstance(value, pq.Quantity):
        mags = np.atleast_1d(value.magnitude)
        unit = value.dimensionality.string
        return ", ".join(f"{m:g} {unit}" for m in mags)
    if isinstance(value, tuple | list):
        return ", ".join(_text(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _template_specs(cls: type) -> dict[str, tuple[_p.ParamSpec, Any]]:
    """Template key -> (spec, default) of a Params class (and of its ``TEMPLATE_BASE``), in field order."""
    out: dict[str, tuple[_p.ParamSpec, Any]] = {}
    base = getattr(cls, "TEMPLATE_BASE", None)
    if base is not None:
        out.update(_template_specs(base))
    defaults = _p.defaults(cls)
    for f in dataclasses.fields(cls):
        spec = f.metadata.get("param")
        if spec is not None and spec.template != "internal":
            out[f.name] = (spec, defaults.get(f.name))
    return out


def _rules_validator(cls: type) -> Any:
    """A model validator checking the Params class' cross-field rules on the template values."""
    specs = _template_specs(cls)

    def check(model: Any) -> Any:
        values: dict[str, Any] = {}
        for key in {name for rule in getattr(cls, "RULES", ()) for name in rule.fields}:
            raw = getattr(model, key, None)
            try:
                values[key] = specs[key][1] if raw is None else _p.convert_value(specs[key][0], key, raw)
            except ProtocolError:
                return model  # the field's own check reports it
        broken = _p.check_rules(cls, values)
        if broken:
            raise field_error(*broken)
        return model

    return model_validator(mode="after")(check)


def template_model(name: str, cls: type) -> type[StrictModel]:
    """The strict pydantic model of analysis ``name``'s ``analysis_params``, derived from its Params class."""
    fields: dict[str, Any] = {}
    for key, (spec, default) in _template_specs(cls).items():
        description = spec.description
        if spec.template == "required":
            fields[key] = (_annotation(spec), Field(description=description))
            continue
        if default is not None and not (isinstance(default, tuple) and not default):
            description += f" (default {_text(default)})"
        fields[key] = (_annotation(spec) | None, Field(None, description=description))
    title = "".join(part.capitalize() for part in name.split("_")) + "Template"
    doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
    validators = {"_rules": _rules_validator(cls)} if getattr(cls, "RULES", ()) else {}
    model = create_model(title, __base__=StrictModel, __doc__=f"{doc} (``{name}``)", __validators__=validators,
                         **fields)
    return model


class ByAnalysis(Mapping[str, Any]):
    """Analysis name (the registry's, in its order) -> a pydantic model built on first access.

    A run validates the templates of its own analyses: building the seven models up front cost ~30 ms of
    every start. Built once under a lock (the result cache loads templates in threads): one class per name.
    """

    def __init__(self, build: Callable[[str], Any]) -> None:
        self._build = build
        self._built: dict[str, Any] = {}
        self._lock = threading.RLock()

    def __getitem__(self, name: str) -> Any:
        if name not in PARAMS:
            raise KeyError(name)
        if name not in self._built:
            with self._lock:
                if name not in self._built:
                    self._built[name] = self._build(name)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(PARAMS)

    def __len__(self) -> int:
        return len(PARAMS)


#: analysis name -> its template parameter model.
PARAMS_BY_ANALYSIS: Mapping[str, type[StrictModel]] = ByAnalysis(lambda name: template_model(name, PARAMS[name]))
