"""Template sections other than ``analysis_params``: recording, solutions, timeline, inclusion."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from ephystool.core import vocabulary as voc
from ephystool.errors import UnitsError
from ephystool.protocols._quantity import (
    DIMENSIONS,
    Concentration,
    ConcentrationRange,
    Current,
    Duration,
    DurationWindow,
    Frequency,
    PositiveDuration,
    QuantityCheck,
    StrictModel,
    Voltage,
    Window,
    dimension_of,
    field_error,
    magnitude_in,
    parse_text,
    suggest,
)

__all__ = [
    "MODES",
    "MODE_DIMENSION",
    "DESIGNS",
    "CORE_CONDITIONS",
    "CRITERIA",
    "Identifier",
    "RecordingSpec",
    "Solutions",
    "MetadataItem",
    "Phase",
    "Criterion",
]

MODES = ("voltage_clamp", "current_clamp", "field", "mea")
#: What the primary channel of each recording mode measures.
MODE_DIMENSION = {"voltage_clamp": "current", "current_clamp": "voltage", "field": "voltage", "mea": "voltage"}
DESIGNS = voc.DESIGNS
CORE_CONDITIONS = voc.CONDITIONS
#: Inclusion criteria the pipeline knows how to compute -> dimension of their limits.
CRITERIA: dict[str, str] = {
    "access_resistance": "resistance",
    "access_resistance_change": "fraction",
    "holding_current": "current",
    "resting_potential": "voltage",
    "baseline_drift": "fraction",
    "ap5_block": "fraction",
    "fibre_volley_change": "fraction",
    "fepsp_amplitude": "voltage",
    "active_electrodes": "count",
    "baseline_firing_rate": "frequency",
}

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


def _identifier(value: str) -> str:
    if not _IDENT.match(value):
        raise PydanticCustomError(
            "identifier", "expected a lower-case name of letters, digits and '_' such as 'nmda_epsc', got '{v}'",
            {"v": value},
        )
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]
_COLUMN = re.compile(r"^[a-z][A-Za-z0-9_]*$")


def _column(value: str) -> str:
    if not _COLUMN.match(value):
        raise PydanticCustomError(
            "identifier", "expected a column name of letters, digits and '_' such as 'free_mg_mM', got '{v}'",
            {"v": value},
        )
    return value


#: A manifest column name; a unit suffix may keep its case (``holding_mV``).
ColumnName = Annotated[str, AfterValidator(_column)]


class SweepCount(StrictModel):
    """Minimum and expected number of sweeps."""

    min: Annotated[int, Field(ge=1)]
    expected: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _order(self) -> SweepCount:
        if self.expected < self.min:
            raise field_error("expected", f"must be at least min ({self.min}), got {self.expected}")
        return self


class Stimulus(StrictModel):
    """Stimulation within each sweep."""

    kind: Literal["electrical", "current_step", "none"] = "electrical"
    site: str | None = None
    time: Duration | None = Field(None, description="first stimulus from the sweep start")
    pulse_width: PositiveDuration | None = None
    n_pulses: Annotated[int, Field(ge=1)] = 1
    paired_pulse_interval: PositiveDuration | None = None
    intensity: str | None = Field(None, description="how to set the intensity, in words")
    intensity_fraction_of_max: tuple[Fraction, Fraction] | None = None
    test_interval: PositiveDuration | None = Field(None, description="between test stimuli")


class Induction(StrictModel):
    """Plasticity induction (theta burst or high-frequency stimulation)."""

    pattern: Literal["theta_burst", "hfs"]
    bursts: Annotated[int, Field(ge=1)] | None = None
    pulses_per_burst: Annotated[int, Field(ge=1)] | None = None
    intra_burst_frequency: Frequency | None = None
    inter_burst_interval: PositiveDuration | None = None
    train_duration: PositiveDuration | None = None
    trains: Annotated[int, Field(ge=1)] = 1
    inter_train_interval: PositiveDuration | None = None
    alternative: str | None = Field(None, description="the other accepted induction, in words")


class CurrentSteps(StrictModel):
    """Current-clamp step family: ``start + k * step`` for ``k = 0 .. count - 1``."""

    start: Current
    step: Current
    count: Annotated[int, Field(ge=2)]
    onset: Duration = Field(description="step onset from the sweep start")
    duration: PositiveDuration

    @model_validator(mode="after")
    def _nonzero(self) -> CurrentSteps:
        if magnitude_in(self.step, "pA") == 0:
            raise field_error("step", "must not be zero")
        return self


class RecordingSpec(StrictModel):
    """What to record: mode, units, rates, sweeps, holding levels, stimulation."""

    mode: Literal["voltage_clamp", "current_clamp", "field", "mea"]
    preparation: str
    units: str = Field(description="unit of the primary channel, e.g. 'pA'")
    channels: Annotated[int, Field(ge=1)] = Field(description="minimum number of channels (electrodes for MEA)")
    min_sampling_rate: Frequency
    sweep_length: PositiveDuration | None = Field(None, description="minimum sweep length")
    sweep_interval: PositiveDuration | None = None
    n_sweeps: SweepCount
    duration: PositiveDuration | None = Field(None, description="minimum total recording length")
    holding_potentials: list[Voltage] = Field(default_factory=list)
    current_steps: CurrentSteps | None = None
    stimulus: Stimulus | None = None
    induction: Induction | None = None
    layout: Identifier | None = Field(None, description="MEA layout, e.g. 'mcs60_8x8'")

    @model_validator(mode="after")
    def _units_match_mode(self) -> RecordingSpec:
        try:
            found = dimension_of(parse_text(f"1 {self.units}"))
        except UnitsError:
            raise field_error("units", f"unknown unit '{self.units}'; expected e.g. 'pA' or 'mV'") from None
        expected = MODE_DIMENSION[self.mode]
        if found != expected:
            raise field_error("units", f"mode {self.mode} records a {expected}, but '{self.units}' is a {found}")
        if self.mode == "mea" and self.layout is None:
            raise field_error("layout", "required for mode mea (e.g. 'mcs60_8x8')")
        return self


class Condition(StrictModel):
    """One bath condition: the Mg salt, its stoichiometry and the target Mg."""

    label: str
    salt: str = Field(description="formula of the anhydrous salt, e.g. 'Mg3(C6H5O7)2'")
    hydrate: Annotated[int, Field(ge=0)] = Field(description="waters of crystallisation per formula unit")
    mg_per_formula_unit: Annotated[int, Field(ge=1)]
    anion: str
    anion_per_formula_unit: Annotated[int, Field(ge=1)]
    total_mg: Concentration = Field(
        description="total bath Mg of this condition (salts: acute_equal_total; mg_matched_control: acute_added)"
    )
    added_mg: Concentration = Field("0 mM", description="Mg added on top of the aCSF under acute_added")
    notes: str | None = None


class Drug(StrictModel):
    """A drug in the bath or pipette."""

    name: str
    concentration: Concentration
    range: ConcentrationRange | None = None
    purpose: str
    where: Literal["bath", "pipette"] = "bath"
    phase: Identifier | None = Field(None, description="timeline phase from which it is applied")
    required: bool = Field(True, description="false: an optional arm or control")


class ZnChelator(StrictModel):
    """Zn2+ buffer added to every condition (SCIENCE section 0.4)."""

    name: str
    concentration: Concentration
    alternatives: list[str] = Field(default_factory=list)


class Solutions(StrictModel):
    """aCSF, experimental design, conditions and pharmacology."""

    acsf: dict[str, Concentration] = Field(min_length=1, description="compound -> concentration")
    acsf_notes: str | None = None
    design: Literal[voc.DESIGNS]  # type: ignore[valid-type]
    designs: dict[Literal[voc.DESIGNS], str]  # type: ignore[valid-type]
    conditions: dict[Identifier, Condition]
    zn_chelator: ZnChelator | None = None
    pharmacology: list[Drug] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> Solutions:
        missing = [d for d in DESIGNS if d not in self.designs]
        if missing:
            raise field_error("designs", f"describe every design; missing: {', '.join(missing)}")
        missing = [c for c in CORE_CONDITIONS if c not in self.conditions]
        if missing:
            raise field_error("conditions", f"missing condition(s): {', '.join(missing)}")
        if self.design == voc.ACUTE_ADDED and voc.MG_MATCHED_CONTROL not in self.conditions:
            raise field_error("conditions", "design acute_added needs a 'mg_matched_control' condition")
        return self


class MetadataItem(StrictModel):
    """A fact the experimenter must record for each recording (manifest column or notes)."""

    key: ColumnName
    description: str
    unit: str | None = None
    expected: str | None = None


class Phase(StrictModel):
    """One step of the experiment timeline."""

    name: Identifier
    duration: Duration
    range: DurationWindow | None = Field(None, description="accepted [shortest, longest] duration")
    bath: str | None = None
    recorded: bool = Field(True, description="false: not part of the analysed file (e.g. incubation)")
    optional: bool = False
    description: str | None = None

    @model_validator(mode="after")
    def _within_range(self) -> Phase:
        if self.range is not None:
            d, lo, hi = (magnitude_in(v, "s") for v in (self.duration, *self.range))
            if not lo <= d <= hi:
                raise field_error("duration", f"'{self.duration}' is outside its range {list(self.range)}")
        return self


def _check_limit(kind: str, value: Any, field: str) -> float:
    """Check one criterion limit against the criterion's dimension; return it in reference units."""
    if kind in ("fraction", "count"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise field_error(field, f"expected a plain number ({kind}), got {value!r}")
        if kind == "count" and (value < 0 or value != int(value)):
            raise field_error(field, f"expected a whole number of items, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise field_error(field, f"expected a {kind} such as '{DIMENSIONS[kind][1]}', got {value!r}")
    try:
        QuantityCheck(kind, "any").check(value)
    except PydanticCustomError as err:
        raise field_error(field, err.message()) from None
    return magnitude_in(value, DIMENSIONS[kind][0])


class Criterion(StrictModel):
    """An inclusion criterion: a measured value must lie within [min, max]."""

    name: str
    min: float | str | None = None
    max: float | str | None = None
    window: Window | None = Field(None, description="where it is measured, when it matters")
    description: str

    @model_validator(mode="after")
    def _limits(self) -> Criterion:
        if self.name not in CRITERIA:
            raise field_error("name", f"unknown criterion '{self.name}'" + suggest(self.name, CRITERIA))
        if self.min is None and self.max is None:
            raise field_error("max", "give min, max or both")
        kind = CRITERIA[self.name]
        lo = None if self.min is None else _check_limit(kind, self.min, "min")
        hi = None if self.max is None else _check_limit(kind, self.max, "max")
        if lo is not None and hi is not None and lo > hi:
            raise field_error("max", f"must not be below min, got min {self.min!r}, max {self.max!r}")
        return self
