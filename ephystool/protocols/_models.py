"""The :class:`Protocol` model, one subclass per analyzer, validation and error messages."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import numpy as np
import quantities as pq
import yaml
from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ephystool.errors import ProtocolError, UnitsError
from ephystool.protocols._params import PARAMS_BY_ANALYSIS, ByAnalysis
from ephystool.protocols._quantity import (
    StrictModel,
    field_error,
    is_quantity_text,
    parse_text,
    quantity_to_text,
    suggest,
)
from ephystool.protocols._sections import Criterion, Identifier, MetadataItem, Phase, RecordingSpec, Solutions
from ephystool.units import require_units

__all__ = ["Protocol", "ANALYSES", "PROTOCOLS", "PROTOCOL_ADAPTER", "validate_protocol"]

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
_CLAIM = re.compile(r"^C\d+[a-z]?$")


def _semver(value: str) -> str:
    if not _SEMVER.match(value):
        raise PydanticCustomError("semver", "expected a semantic version such as '1.0.0', got '{v}'", {"v": value})
    return value


def _claim(value: str) -> str:
    if not _CLAIM.match(value):
        raise PydanticCustomError("claim", "expected a claim id such as 'C1b' (SCIENCE.md section 3), got '{v}'",
                                  {"v": value})
    return value


class Protocol(StrictModel):
    """A validated protocol template: what to record and how the analyzer reads it.

    Obtain one with :func:`ephystool.protocols.load_protocol`; the instance is of the subclass that
    matches its ``analysis`` (e.g. :class:`NmdaProtocol`). Instances are immutable.
    """

    name: Identifier
    version: Annotated[str, AfterValidator(_semver)]
    title: str
    purpose: str
    claims: list[Annotated[str, AfterValidator(_claim)]] = Field(min_length=1)
    analysis: str
    recording: RecordingSpec
    solutions: Solutions
    metadata_required: list[MetadataItem] = Field(min_length=1)
    timeline: list[Phase] = Field(min_length=1)
    analysis_params: StrictModel
    inclusion: list[Criterion] = Field(default_factory=list)

    _source: str | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _cross_check(self) -> Protocol:
        names = [p.name for p in self.timeline]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise field_error("timeline", f"phase names must be unique; repeated: {', '.join(dupes)}")
        for i, drug in enumerate(self.solutions.pharmacology):
            if drug.phase is not None and drug.phase not in names:
                raise field_error(f"solutions.pharmacology[{i}].phase",
                                  f"no timeline phase '{drug.phase}'" + suggest(drug.phase, names))
        return self

    # ----- access ---------------------------------------------------------------------------
    @property
    def source(self) -> str | None:
        """The file this protocol was read from (None when built in memory)."""
        return self._source

    def param(self, name: str, unit: str | None = None) -> Any:
        """One analysis parameter, parsed.

        Parameters
        ----------
        name : str
            A key of ``analysis_params``.
        unit : str, optional
            Rescale a quantity to this unit (its dimension is checked).

        Returns
        -------
        quantities.Quantity, tuple, bool, float, int, str or None
            A quantity string becomes a scalar Quantity; a list of quantity strings (a window,
            holding levels) a 1-D Quantity array in the unit of its first item (or ``unit``);
            a list of numbers a tuple; other values are returned as they are; an optional
            parameter that is not set gives None.

        Raises
        ------
        ProtocolError
            Unknown name (with a suggestion), or ``unit`` of the wrong dimension.
        """
        fields = type(self.analysis_params).model_fields
        if name not in fields:
            raise ProtocolError(f"unknown analysis parameter '{name}' for analysis '{self.analysis}'"
                                + suggest(name, fields), path=self.source)
        where = f"analysis_params.{name}"
        raw = getattr(self.analysis_params, name)
        try:
            return _parse_value(raw, unit, where)
        except UnitsError:
            raise ProtocolError(f"cannot express {raw!r} in {unit}", path=self.source, field=where) from None

    def params_mapping(self) -> dict[str, Any]:
        """The analysis parameters as written (strings with units, numbers); unset optionals left out."""
        return self.analysis_params.model_dump(mode="json", exclude_none=True)

    def params_quantities(self) -> dict[str, Any]:
        """The analysis parameters parsed as by :meth:`param` (unset optionals left out)."""
        return {key: self.param(key) for key in self.params_mapping()}

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> Protocol:
        """A copy with some analysis parameters replaced, validated again.

        Keys are parameter names (values as in the template, or Quantities), or a parameter name
        with a unit suffix as in the manifest (``stim_time_ms: 100``, ``washin_time_s: 120``,
        a list given as ``"-70;40"``).

        Raises
        ------
        ProtocolError
            Unknown parameter (with a suggestion) or an invalid value, naming the field.
        """
        if not overrides:
            return self
        data = self.to_dict()
        fields = type(self.analysis_params).model_fields
        for key, value in overrides.items():
            name, value = _normalise_override(str(key), value, fields, self)
            data["analysis_params"][name] = value
        try:
            return validate_protocol(data, self.source)
        except ProtocolError as err:
            raise ProtocolError(f"override: {err.message}", path=self.source) from None

    def to_dict(self) -> dict[str, Any]:
        """The template as plain data (what YAML would hold); unset optionals left out."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        """The template as YAML text; :func:`load_protocol` reads it back to an equal Protocol."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=110)


def _parse_value(value: Any, unit: str | None, where: str) -> Any:
    if value is None:
        return None
    if is_quantity_text(value):
        q = parse_text(value, name=where)
        return q if unit is None else require_units(q, unit, name=where)
    if isinstance(value, list | tuple) and value and all(is_quantity_text(v) for v in value):
        items = [parse_text(v, name=where) for v in value]
        target = unit if unit is not None else items[0].dimensionality.string
        mags = [float(require_units(q, target, name=where).magnitude) for q in items]
        return pq.Quantity(np.asarray(mags), require_units(items[0], target, name=where).units)
    if unit is not None:
        raise UnitsError(f"{where}: {value!r} is not a quantity")
    return tuple(value) if isinstance(value, list | tuple) else value


def _override_value(value: Any, unit: str | None = None) -> Any:
    if isinstance(value, pq.Quantity):
        return quantity_to_text(value) if np.ndim(value) == 0 else [quantity_to_text(v) for v in value]
    if isinstance(value, list | tuple):
        return [_override_value(v, unit) for v in value]
    if unit is not None:
        if isinstance(value, str) and ";" in value:
            return [_override_value(v.strip(), unit) for v in value.split(";") if v.strip()]
        if isinstance(value, str) and not is_quantity_text(value):
            return f"{value.strip()} {unit}"
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value!r} {unit}"
    return value


def _normalise_override(key: str, value: Any, fields: Mapping[str, Any], proto: Protocol) -> tuple[str, Any]:
    if key in fields:
        return key, _override_value(value)
    base, _, unit = key.rpartition("_")
    if base in fields and unit:
        try:
            parse_text(f"1 {unit}")
        except UnitsError:
            pass
        else:
            return base, _override_value(value, unit)
    raise ProtocolError(f"override: unknown analysis parameter '{key}' for analysis '{proto.analysis}'"
                        + suggest(key, fields), path=proto.source)


def _protocol_class(name: str, params: type[StrictModel]) -> type[Protocol]:
    """The template model of one analysis: :class:`Protocol` with ``analysis: <name>`` and its parameters."""
    title = "".join(part.capitalize() for part in name.split("_"))
    return create_model(f"{title}Protocol", __base__=Protocol, __doc__=f"A template of ``analysis: {name}``.",
                        analysis=(Literal[name], ...), analysis_params=(params, ...))


#: analysis name -> its template model, in the order of the analysis registry (each built on first use)
PROTOCOLS: Mapping[str, type[Protocol]] = ByAnalysis(lambda name: _protocol_class(name, PARAMS_BY_ANALYSIS[name]))
#: The analysis names a template may name.
ANALYSES: tuple[str, ...] = tuple(PARAMS_BY_ANALYSIS)
#: Any template: the union of :data:`PROTOCOLS` on ``analysis`` (``PROTOCOL_ADAPTER``: built on first use, for the
#: JSON schema and the messages of a template whose ``analysis`` is missing or unknown)
PROTOCOL_ADAPTER: TypeAdapter[Any]


@functools.lru_cache(maxsize=1)
def _adapter() -> TypeAdapter[Any]:
    return TypeAdapter(Annotated[Union[tuple(PROTOCOLS.values())], Field(discriminator="analysis")])  # noqa: UP007


def __getattr__(name: str) -> Any:
    if name == "PROTOCOL_ADAPTER":
        return _adapter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _path(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _describe(err: Mapping[str, Any]) -> tuple[str, str]:
    """(field path, message) of one pydantic error."""
    loc = list(err["loc"])
    if loc and loc[0] in ANALYSES:  # the discriminator tag pydantic puts first
        loc = loc[1:]
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "field_error":
        loc += str(ctx["field"]).split(".")
        return _path(loc), str(ctx["message"])
    if kind == "union_tag_invalid":
        return "analysis", f"unknown analysis '{ctx.get('tag')}'" + suggest(ctx.get("tag", ""), ANALYSES)
    if kind == "union_tag_not_found":
        return "analysis", "required key is missing; expected one of: " + ", ".join(ANALYSES)
    if kind == "missing":
        return _path(loc), "required key is missing"
    if kind == "value_error":
        return _path(loc), str(ctx.get("error", err["msg"]))
    msg = str(err["msg"])
    value = err.get("input")
    if isinstance(value, str | int | float | bool) and len(repr(value)) < 40 and kind not in (
        "dimension", "quantity", "sign", "bare_number", "window_order", "semver", "identifier", "claim"
    ):
        msg += f", got {value!r}"
    return _path(loc), msg


def _to_protocol_error(exc: ValidationError, source: str | None) -> ProtocolError:
    items = [_describe(e) for e in exc.errors(include_url=False)]
    field, message = items[0]
    if len(items) > 1:
        also = "; ".join(f"'{f}': {m}" for f, m in items[1:3])
        more = f" (+{len(items) - 3} more)" if len(items) > 3 else ""
        message += f" [also {also}{more}]"
    return ProtocolError(message, path=source, field=field or None)


def validate_protocol(data: Any, source: str | Path | None = None) -> Protocol:
    """Validate template data (as read from YAML) into a :class:`Protocol`.

    Raises
    ------
    ProtocolError
        One line naming the file, the field path and what is expected.
    """
    src = None if source is None else str(source)
    if not isinstance(data, dict):
        raise ProtocolError(f"expected a mapping (name, version, analysis, ...) at the top level, "
                            f"got {type(data).__name__}", path=src)
    try:
        tag = data.get("analysis")
        if isinstance(tag, str) and tag in ANALYSES:  # its own model: the union's member (the error paths lack
            proto = PROTOCOLS[tag].model_validate(data)  # the tag the union puts first, which _describe drops)
        else:
            proto = _adapter().validate_python(data)
    except ValidationError as exc:
        raise _to_protocol_error(exc, src) from None
    proto._source = src
    return proto
