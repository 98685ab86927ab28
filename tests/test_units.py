"""Units: parsing quantity strings, rejecting bare numbers and wrong dimensions, rescaling."""

from __future__ import annotations

import math

import pytest
import quantities as pq
from hypothesis import given
from hypothesis import strategies as st

from ephystool.errors import UnitsError
from ephystool.units import parse_quantity, require_units, to_float, unit_string

TIME_SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def test_parse_ms_to_s() -> None:
    q = parse_quantity("50 ms", "s")
    assert isinstance(q, pq.Quantity)
    assert q.dimensionality == pq.s.dimensionality
    assert float(q.magnitude) == pytest.approx(0.05)


@pytest.mark.parametrize(("text", "unit", "value"), [
    ("-70 mV", "mV", -70.0), ("-70mV", "V", -0.07), ("1.5e3 pA", "nA", 1.5), ("200 µs", "ms", 0.2),
    ("10 Hz", "Hz", 10.0), ("2 MOhm", "ohm", 2e6), ("+40 mV", "mV", 40.0), (".5 s", "ms", 500.0),
    ("3 min", "s", 180.0), ("1 mM", "uM", 1000.0),
])
def test_parse_various(text: str, unit: str, value: float) -> None:
    assert to_float(parse_quantity(text, unit), unit) == pytest.approx(value)


def test_no_expected_unit_keeps_the_written_one() -> None:
    q = parse_quantity("50 ms")
    assert float(q.magnitude) == 50.0 and unit_string(q) == "ms"


@pytest.mark.parametrize("bare", [50, 0.05, "50", "  7 "])
def test_bare_numbers_rejected(bare) -> None:
    with pytest.raises(UnitsError):
        parse_quantity(bare, "s")


@pytest.mark.parametrize("bad", [None, True, [1, "ms"], "ms", "fifty ms", ""])
def test_non_quantities_rejected(bad) -> None:
    with pytest.raises(UnitsError):
        parse_quantity(bad, "s")


@pytest.mark.parametrize(("text", "unit"), [("50 ms", "mV"), ("-70 mV", "pA"), ("10 Hz", "s"), ("3 pA", "nS")])
def test_wrong_dimension_rejected(text: str, unit: str) -> None:
    with pytest.raises(UnitsError) as err:
        parse_quantity(text, unit, name="window")
    assert "window" in str(err.value)


def test_unknown_unit_rejected() -> None:
    with pytest.raises(UnitsError, match="unknown unit"):
        parse_quantity("5 zorkbits", "s")


def test_units_error_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        require_units(5.0, "ms")


def test_quantity_passes_through_and_rescales() -> None:
    q = parse_quantity(2.0 * pq.s, "ms")
    assert float(q.magnitude) == 2000.0 and unit_string(q) == "ms"


def test_unit_string() -> None:
    assert unit_string(parse_quantity("1 mM")) == "mM"
    assert unit_string(3.0 * pq.pA) == "pA"
    assert unit_string(pq.Quantity(1.0, "dimensionless")) == "1"


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(value=finite, src=st.sampled_from(sorted(TIME_SCALE)), dst=st.sampled_from(sorted(TIME_SCALE)))
def test_time_round_trip(value: float, src: str, dst: str) -> None:
    text = f"{value!r} {src}"
    q = parse_quantity(text, dst)
    expect = value * TIME_SCALE[src] / TIME_SCALE[dst]
    assert math.isclose(float(q.magnitude), expect, rel_tol=1e-12, abs_tol=1e-300)
    back = to_float(q, src)
    assert math.isclose(back, value, rel_tol=1e-12, abs_tol=1e-300)
