"""Unit strings from files go through the closed table, never through ``quantities`` (issue 14, item 1).

``quantities`` evaluates a unit string as a Python expression: an ABF unit field reading ``9**9**9``
hung ``ephystool info`` and a NUL-filled field (pyABF's own ABF1 writer) raised ``SyntaxError``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import quantities as pq

from ephystool.errors import UnitsError
from ephystool.io import load
from ephystool.io.recording import analog
from ephystool.io.unitnames import file_unit, lookup_unit

#: ABF1 header: sADCUnits (16 x 8 bytes) at 602, sDACChannelUnit (4 x 8 bytes) at 1346 (Axon ABF1 layout)
#: this file's command is DAC 1 (DAC 0's waveform is disabled): its unit field is the second one
ADC_UNITS_ABF1, DAC_UNITS_ABF1 = 602, 1346 + 8
ABF1 = "18425108_abf1.abf"  # a real ABF1: channel 0 'Imemb' in nA, '10_Vm' in mV, command (DAC 1) in nA


@pytest.mark.parametrize(("raw", "unit"), [
    (b"mV\x00\x00\x00\x00\x00\x00", "mV"), (b"pA      ", "pA"), ("mv", "mV"), ("MV", "mV"), ("µV", "uV"),
    (b"\xb5V", "uV"), ("uV", "uV"), ("nA", "nA"), ("V", "V"), ("A", "A"), ("volts", "V"), ("amperes", "A"),
])
def test_known_spellings_map_to_one_name(raw: str | bytes, unit: str) -> None:
    assert lookup_unit(raw) == unit


@pytest.mark.parametrize("raw", ["9**9**9", "__import__('os')", "mV*1e9", "pA/0", "year", "x"])
def test_anything_else_is_unknown_and_warned(raw: str) -> None:
    assert lookup_unit(raw) is None
    unit, warning = file_unit(raw, "channel 'IN 0'")
    assert unit == "dimensionless" and "not a known unit" in warning and "IN 0" in warning


@pytest.mark.parametrize("raw", ["", "   ", b"\x00" * 8, None])
def test_blank_is_unknown_with_a_warning(raw: str | bytes | None) -> None:
    unit, warning = file_unit(raw, "the command")
    assert unit == "dimensionless" and "blank unit" in warning


def test_analog_refuses_a_string_outside_the_table() -> None:
    with pytest.raises(UnitsError, match="unit table"):
        analog(np.zeros(4), "9**9**9", 1000.0)
    assert analog(np.zeros(4), "mV", 1000.0).units == pq.mV


def _patched_abf1(realdata: Path, tmp_path: Path, offset: int, field: bytes) -> Path:
    data = bytearray((realdata / "patchclamp" / ABF1).read_bytes())
    data[offset : offset + 8] = field.ljust(8)
    out = tmp_path / f"patched_{offset}.abf"
    out.write_bytes(bytes(data))
    return out


@pytest.mark.realdata
@pytest.mark.parametrize("offset", [ADC_UNITS_ABF1, DAC_UNITS_ABF1], ids=["adc", "dac"])
def test_expression_in_a_unit_field_returns_within_a_second(realdata_dir: Path, tmp_path: Path, offset: int) -> None:
    path = _patched_abf1(realdata_dir, tmp_path, offset, b"9**9**9")
    t0 = time.perf_counter()
    rec = load(path)
    assert time.perf_counter() - t0 < 1.0
    assert any("9**9**9" in w and "not a known unit" in w for w in rec.warnings)
    if offset == ADC_UNITS_ABF1:
        assert rec.channels[0].units == "dimensionless"
    else:
        assert all(c is None for c in rec.commands) and all(h is None for h in rec.holding)
        assert rec.channels[0].units == "pA"


@pytest.mark.realdata
def test_mv_in_lower_case_is_millivolt(realdata_dir: Path, tmp_path: Path) -> None:
    rec = load(_patched_abf1(realdata_dir, tmp_path, ADC_UNITS_ABF1 + 8, b"mv"))  # channel 1 '10_Vm'
    assert rec.channels[1].units == "mV" and not any("unit" in w for w in rec.warnings)


@pytest.mark.realdata
def test_winwcp_lower_case_mv_is_millivolt(realdata_dir: Path) -> None:
    path = realdata_dir / "more" / "fepsp" / "example2_002.wcp"
    if not path.exists():
        pytest.skip("realdata/more is absent")
    rec = load(path)
    assert rec.channels[0].units == "mV"
    assert rec.signal(0).units == pq.mV


def test_pyabf_writer_nul_padded_units_load(tmp_path: Path) -> None:
    pyabf_writer = pytest.importorskip("pyabf.abfWriter")
    sweeps = np.tile(np.linspace(-5.0, 5.0, 2000), (3, 1))
    path = tmp_path / "written.abf"
    pyabf_writer.writeABF1(sweeps, str(path), 20000.0, units="pA")
    rec = load(path)
    assert rec.n_sweeps == 3 and rec.channels[0].units == "pA"
    np.testing.assert_allclose(rec.signal(1).magnitude[:, 0], sweeps[1], atol=0.01)
    assert any("blank unit" in w for w in rec.warnings)  # the writer's command unit is NUL bytes
    # its header stores no date (lFileStartDate 0): pyABF would report the file's creation time instead
    assert rec.metadata["recorded"] == "not in the header"
