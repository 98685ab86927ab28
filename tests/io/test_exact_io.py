"""Exact units and holding levels read from files (issue 13): a DAC holding level in nA, channels in nA and
µV, and the ABF1 DAC holding level (pyABF's ``holdingCommand`` is the epoch table's first level for ABF1)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import quantities as pq

from ephystool.io import load
from ephystool.io.unitnames import lookup_unit
from ephystool.simulate.abf_writer import write_abf1

RATE = 10000


def _holding(rec, unit: str) -> list[float]:
    return [float(h.rescale(unit).magnitude) for h in rec.holding]


def test_dac_holding_level_in_nA_is_read_as_pA(tmp_path: Path) -> None:
    """Current clamp, command DAC in nA holding 0.05 nA: the bias current is 50 pA, not 0.05 pA."""
    sweeps = np.full((3, 1, 2000), -65.0)
    rec = load(write_abf1(tmp_path / "cc.abf", sweeps, RATE, ["Vm"], ["mV"], sweep_interval_s=1.0,
                          command_units="nA", holding=0.05))
    assert rec.kind == "current_clamp"
    assert _holding(rec, "pA") == pytest.approx([50.0] * 3, rel=1e-6)


def test_abf1_dac_holding_level_not_the_first_epoch_level(tmp_path: Path) -> None:
    """Voltage clamp at -70 mV (fDACHoldingLevel) with an all-zero epoch table: the holding is -70 mV."""
    sweeps = np.full((2, 1, 2000), -120.0)
    rec = load(write_abf1(tmp_path / "vc.abf", sweeps, RATE, ["Im"], ["pA"], sweep_interval_s=1.0, holding=-70.0))
    assert rec.kind == "voltage_clamp"
    assert _holding(rec, "mV") == pytest.approx([-70.0, -70.0], rel=1e-6)


@pytest.mark.parametrize(("unit", "value", "canonical", "expected"),
                         [("nA", 0.25, "pA", 250.0), ("uV", 150.0, "mV", 0.15), ("V", -0.065, "mV", -65.0)])
def test_channels_in_other_units_are_rescaled(tmp_path: Path, unit: str, value: float, canonical: str,
                                              expected: float) -> None:
    sweeps = np.full((2, 1, 2000), value)
    rec = load(write_abf1(tmp_path / f"{unit}.abf", sweeps, RATE, ["ch"], [unit], sweep_interval_s=1.0))
    got = rec.signal(0).rescale(canonical).magnitude.ravel()
    assert got == pytest.approx(np.full(got.size, expected), rel=1e-3)


@pytest.mark.parametrize(("raw", "unit"), [("nA", "nA"), ("na", "nA"), ("pA", "pA"), ("uV", "uV"), ("uv", "uV"), ("µV", "uV"),
                                           ("mv", "mV"), ("V", "V"), (b"nA\x00\x00\x00\x00\x00\x00", "nA")])
def test_unit_table_maps_each_spelling_to_its_own_scale(raw: str | bytes, unit: str) -> None:
    got = lookup_unit(raw)
    assert got == unit
    assert pq.Quantity(1.0, got).rescale(unit).magnitude == 1.0


def test_realdata_abf1_dac_holding_levels(patchclamp_dir: Path) -> None:
    """ABF1 headers: pclamp11_4ch_abf1 holds DAC 0 at -10 mV (its ABF2 twin's fDACHoldingLevel), and
    multichannelAbf1WithTags at -50 mV (its recorded command copy agrees); pyABF reports 10 and 0 mV."""
    a = load(patchclamp_dir / "pclamp11_4ch_abf1.abf")
    assert set(_holding(a, "mV")) == {-10.0}
    b = load(patchclamp_dir / "multichannelAbf1WithTags.abf")
    assert set(_holding(b, "mV")) == {-50.0} and b.metadata["holding_source"].startswith("file")
