"""The claims file: schema (pydantic v2) and loading.

A claims file is YAML with a header (``schema_version``, ``title``, ``source``, ``parameters``: the
rows of the seed table, key -> label) and a list ``claims``. Each claim is one assertion of one cell of
the seed table (a parameter row x a salt column), or a mechanism-implied expectation attached to that
cell, with the results-table names that test it (``analysis``, ``metric``, ``selectors``), the
expectation (``increase``, ``decrease``, ``no_change`` with an equivalence margin, ``differs``,
``exploratory``), an optional prediction computed by :mod:`ephystool.compare.predictions`, and
``testable: false`` with a ``reason`` where electrophysiology cannot test it. A claim with ``trend``
(a dose column, e.g. the manifest's ``mg_mM``) is a dose-response claim within ``condition``: the
expectation is the sign of the slope of the metric against the (log) dose, not a two-group difference
(:mod:`ephystool.compare.trend`). Unknown keys are errors
(``extra="forbid"``); every error names the claim id and the field.

The packaged file is ``ephystool/compare/claims/mg_salts.yaml``; :func:`load_claims` reads it when no
path is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ephystool.core import vocabulary as voc
from ephystool.errors import ProtocolError

__all__ = [
    "DESIGN_NAMES",
    "EXPECTATIONS",
    "SEED_COLUMNS",
    "Claim",
    "ClaimsFile",
    "DrivingForce",
    "FixedValue",
    "Margin",
    "PredictionSpec",
    "TrendSpec",
    "default_claims_path",
    "load_claims",
    "parse_claims",
    "seed_coverage",
]

DesignName = Literal[voc.DESIGNS]  # type: ignore[valid-type]
Expected = Literal["increase", "decrease", "no_change", "differs", "exploratory"]
DESIGN_NAMES: tuple[str, ...] = voc.DESIGNS
EXPECTATIONS: tuple[str, ...] = ("increase", "decrease", "no_change", "differs", "exploratory")
#: The salt columns of the seed table (plus the vendor's "Supporting Evidence" column).
SEED_COLUMNS: tuple[str, ...] = (*voc.TEST_SALTS, "supporting_evidence")
PREDICTED_QUANTITIES = ("nmda_ratio", "rectification_index_ratio", "release_factor_ratio", "nmda_synaptic_ratio",
                        "free_mg_ratio", "free_ca_ratio", "free_zn_fraction", "fixed")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Margin(_Strict):
    """Equivalence margin of a ``no_change`` claim.

    ``scale='ratio'``: bounds ``(1 - value, 1 + value)`` on the ratio of means (of geometric means when
    ``log``). ``scale='difference'``: bounds ``±value`` in the metric's unit (log units when ``log``).
    """

    value: float = Field(gt=0)
    scale: Literal["ratio", "difference"] = "ratio"
    log: bool | None = None

    @model_validator(mode="after")
    def _ratio_below_one(self) -> Margin:
        if self.scale == "ratio" and self.value >= 1:
            raise ValueError("a ratio margin must be < 1 (0.2 means ±20 %)")
        return self


class FixedValue(_Strict):
    """A literature value of an effect with its plausible range."""

    value: float
    range: tuple[float, float]

    @model_validator(mode="after")
    def _ordered(self) -> FixedValue:
        lo, hi = self.range
        if not lo <= self.value <= hi:
            raise ValueError(f"range [{lo}, {hi}] must be ordered and contain value {self.value}")
        return self


class PredictionSpec(_Strict):
    """What ephystool predicts for a claim.

    Computed quantities (condition vs reference, from the chemistry module for the declared design and
    aCSF): ``nmda_ratio`` (Jahr-Stevens at ``v_mV``), ``rectification_index_ratio``,
    ``release_factor_ratio`` (illustrative Dodge-Rahamimoff), ``nmda_synaptic_ratio`` (block x release
    at ``v_mV``), ``free_mg_ratio``, ``free_ca_ratio``, ``free_zn_fraction`` (condition's free/total Zn).
    ``fixed``: a literature value (``value``, ``range``) with optional per-design overrides.
    """

    quantity: Literal["nmda_ratio", "rectification_index_ratio", "release_factor_ratio", "nmda_synaptic_ratio",
                      "free_mg_ratio", "free_ca_ratio", "free_zn_fraction", "fixed"]
    v_mV: float | None = None
    statistic: Literal["ratio", "difference"] = "ratio"
    value: float | None = None
    range: tuple[float, float] | None = None
    by_design: dict[DesignName, FixedValue] = Field(default_factory=dict)
    source: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> PredictionSpec:
        if self.quantity in ("nmda_ratio", "nmda_synaptic_ratio") and self.v_mV is None:
            raise ValueError(f"quantity '{self.quantity}' needs v_mV (e.g. -70)")
        if self.quantity == "fixed":
            if (self.value is None) != (self.range is None):
                raise ValueError("quantity 'fixed' needs both value and range")
            if self.value is None and not self.by_design:
                raise ValueError("quantity 'fixed' needs value and range, or by_design values")
            if self.value is not None:
                FixedValue(value=self.value, range=self.range)
        elif self.quantity != "fixed" and self.statistic != "ratio":
            raise ValueError(f"computed quantity '{self.quantity}' is a ratio; statistic must be 'ratio'")
        return self


class DrivingForce(_Strict):
    """The sign of a current follows the driving force ``V - E_rev``.

    The claim's ``expected`` is stated for holding potentials below ``reversal_mV`` (an agonist current
    is inward there: ``decrease``); values recorded above it (outward current, e.g. +40 mV for NMDA
    receptors, E_rev about 0 mV) are multiplied by -1 before the comparison, so that cells held at any
    potential test the same claim. Rows at the reversal potential or without ``holding_mV`` are left out.

    Current magnitudes at different holding potentials are not one quantity (the driving force differs, and
    for NMDA receptors the Mg block is relieved at depolarised potentials: the same agonist current is
    ~ -150 pA at -70 mV and ~ +2000 pA at +40 mV), so they are never pooled into one estimate: where the data
    hold several potentials the claim is tested at ``test_at_mV`` (the potential its prediction is stated
    at) when rows there exist, else at the potential with the most rows (ties: the lowest); the rows at the
    other potentials are named in the verdict's notes.
    """

    reversal_mV: float = 0.0
    test_at_mV: float | None = None


class TrendSpec(_Strict):
    """A dose-response test: the slope of the claim's metric against ``dose`` within one condition."""

    dose: str = Field(min_length=1, description="results column holding the dose (e.g. mg_mM, from the manifest)")
    log_dose: bool = Field(True, description="regress on log(dose) (log-linear dose response)")
    min_doses: int = Field(3, ge=2, description="distinct doses needed for a test")


class Claim(_Strict):
    """One checkable claim (see the module docstring)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=40)
    parameter: str
    seed_column: Literal[SEED_COLUMNS] | None = None  # type: ignore[valid-type]
    source: Literal["vendor", "mechanism"]
    quote: str | None = None
    statement: str = Field(min_length=3)
    mechanism_ref: str | None = None
    condition: str = Field(min_length=1)
    reference: str = "auto"
    analysis: str | None = None
    metric: str | None = None
    selectors: dict[str, float | int | str | bool] = Field(default_factory=dict)
    protocol: tuple[str, ...] = ()
    expected: Expected = "exploratory"
    expected_by_design: dict[DesignName, Expected] = Field(default_factory=dict)
    margin: Margin | None = None
    log: bool | None = None
    prediction: PredictionSpec | None = None
    unit_of_inference: Literal["animal", "batch"] = "animal"
    trend: TrendSpec | None = None
    driving_force: DrivingForce | None = None
    designs: tuple[DesignName, ...] = DESIGN_NAMES
    testable: bool = True
    reason: str | None = None
    note: str | None = None

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol_list(cls, v: Any) -> Any:
        if v is None:
            return ()
        return (v,) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _consistent(self) -> Claim:
        if not self.testable and not (self.reason and self.reason.strip()):
            raise ValueError("testable: false needs a 'reason' (why electrophysiology cannot test it)")
        if self.testable and (not self.analysis or not self.metric):
            raise ValueError("a testable claim needs 'analysis' and 'metric' (results-table names)")
        if self.reference == self.condition:
            raise ValueError(f"reference equals condition ('{self.condition}')")
        if self.trend is not None and self.expected_for("") not in ("increase", "decrease", "exploratory"):
            raise ValueError("a trend claim expects 'increase', 'decrease' (the sign of the slope) or 'exploratory'")
        if not self.designs:
            raise ValueError("'designs' must name at least one design")
        return self

    def expected_for(self, design: str) -> str:
        """The expectation under ``design`` (``expected_by_design`` overrides ``expected``)."""
        return self.expected_by_design.get(design, self.expected)  # type: ignore[arg-type]

    def reference_for(self, design: str) -> str:
        """The reference condition: ``auto`` means the design's reference (Mg-matched control for acute_added)."""
        if self.reference != "auto":
            return self.reference
        return voc.REFERENCE_CONDITION.get(design, voc.CONTROL)


class ClaimsFile(_Strict):
    """A whole claims file."""

    schema_version: Literal[1] = 1
    title: str = ""
    source: str = ""
    parameters: dict[str, str] = Field(default_factory=dict)
    claims: tuple[Claim, ...]

    @model_validator(mode="after")
    def _unique_and_known(self) -> ClaimsFile:
        seen: set[str] = set()
        for c in self.claims:
            if c.id in seen:
                raise ValueError(f"duplicate claim id '{c.id}'")
            seen.add(c.id)
            if self.parameters and c.parameter not in self.parameters:
                raise ValueError(f"claim '{c.id}': parameter '{c.parameter}' is not one of "
                                 f"{sorted(self.parameters)} (the 'parameters' table)")
        return self

    def __iter__(self):  # type: ignore[override]
        return iter(self.claims)

    def __len__(self) -> int:
        return len(self.claims)

    def get(self, claim_id: str) -> Claim:
        """The claim with this id (``KeyError`` if absent)."""
        for c in self.claims:
            if c.id == claim_id:
                return c
        raise KeyError(claim_id)


def default_claims_path() -> Path:
    """Path of the packaged claims file (``compare/claims/mg_salts.yaml``)."""
    return Path(__file__).resolve().parent / "claims" / "mg_salts.yaml"


def _claim_label(raw: Any, index: Any) -> str:
    try:
        cid = raw["claims"][index].get("id")
    except (KeyError, IndexError, TypeError, AttributeError):
        cid = None
    return f"claim '{cid}'" if cid else f"claim #{index + 1 if isinstance(index, int) else index} (no id)"


def _format_errors(exc: ValidationError, raw: Any) -> str:
    parts = []
    for err in exc.errors():
        loc = list(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if len(loc) >= 2 and loc[0] == "claims" and isinstance(loc[1], int):
            fields = ".".join(str(x) for x in loc[2:] if not str(x).startswith(("function-", "tagged-")))
            where = _claim_label(raw, loc[1]) + (f", field '{fields}'" if fields else "")
        else:
            where = "field '" + ".".join(str(x) for x in loc) + "'" if loc else "claims file"
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def parse_claims(raw: Any, path: str | Path | None = None) -> ClaimsFile:
    """Validate already-parsed YAML data (a mapping with ``claims``, or a bare list of claims).

    Raises
    ------
    ProtocolError
        Schema errors; the message names the claim id and the field of each error.
    """
    if isinstance(raw, list):
        raw = {"claims": raw}
    if not isinstance(raw, dict):
        raise ProtocolError(f"a claims file is a mapping with a 'claims' list; found {type(raw).__name__}", path=path)
    try:
        return ClaimsFile.model_validate(raw)
    except ValidationError as exc:
        err = ProtocolError(f"invalid claims file: {_format_errors(exc, raw)}", path=path)
        err.field = "claims"
        raise err from None


def load_claims(path: str | Path | None = None) -> ClaimsFile:
    """Read and validate a claims file (``yaml.safe_load``); the packaged file when ``path`` is None.

    Parameters
    ----------
    path : str or Path, optional
        A YAML claims file.

    Returns
    -------
    ClaimsFile

    Raises
    ------
    ProtocolError
        The file cannot be read, is not YAML, or does not match the schema (message names claim and field).
    """
    import yaml

    p = Path(path) if path is not None else default_claims_path()
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"cannot read the claims file: {exc}", path=p) from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProtocolError(f"not valid YAML: {' '.join(str(exc).split())}", path=p) from exc
    return parse_claims(raw, path=p)


def seed_coverage(claims: ClaimsFile | Iterable[Claim], parameters: Iterable[str] | None = None,
                  columns: Iterable[str] = voc.TEST_SALTS) -> list[tuple[str, str]]:
    """Seed cells (parameter, salt column) with no claim; empty when every cell is covered.

    Parameters
    ----------
    claims : ClaimsFile or iterable of Claim
    parameters : iterable of str, optional
        Parameter keys; those of the file's ``parameters`` table by default.
    columns : iterable of str
        Salt columns of the seed table.
    """
    if parameters is None:
        parameters = claims.parameters if isinstance(claims, ClaimsFile) else sorted({c.parameter for c in claims})
    covered = {(c.parameter, c.seed_column) for c in claims}
    return [(p, col) for p in parameters for col in columns if (p, col) not in covered]
