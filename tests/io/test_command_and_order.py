"""Sweeps in acquisition order and the command from the file (issue 14, item 3 of the issue: 'Sweeps in
acquisition order, stimulus from the file'): NWB sweep order and stimulus series, ABF disabled DACs,
digital-output stimuli, command copies and recorded channels that contradict the header."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import quantities as pq

from ephystool.io import load
from ephystool.io.abf_protocol import EpochInfo, _disagrees


def _more(realdata: Path, rel: str) -> Path:
    p = realdata / "more" / rel
    if not p.exists():
        pytest.skip(f"{p} is absent")
    return p


# ----------------------------------------------------------------------------------------- NWB
def _write_steps_nwb(path: Path, *, sweep_numbers: bool, table: bool) -> None:
    """16 current-clamp sweeps named 'Step 1' .. 'Step 16' (sweep k holds the value k), added in shuffled order."""
    pynwb = pytest.importorskip("pynwb")
    from pynwb.icephys import CurrentClampSeries, CurrentClampStimulusSeries

    nwb = pynwb.NWBFile("steps", "id", datetime(2024, 1, 1, tzinfo=UTC))
    dev = nwb.create_device("amp")
    elec = nwb.create_icephys_electrode(name="e0", description="", device=dev)
    for k in np.random.default_rng(3).permutation(np.arange(1, 17)):
        extra = {"sweep_number": int(k)} if sweep_numbers else {}
        resp = CurrentClampSeries(name=f"Step {k}", data=np.full(100, -70.0 + k), electrode=elec, rate=1000.0,
                                  gain=1.0, starting_time=0.0, conversion=1e-3, unit="volts", **extra)
        stim = CurrentClampStimulusSeries(name=f"Stim {k}", data=np.full(100, 10.0 * k), electrode=elec,
                                          rate=1000.0, gain=1.0, starting_time=0.0, conversion=1e-12,
                                          unit="amperes", **extra)
        nwb.add_acquisition(resp)
        nwb.add_stimulus(stim)
        if table:
            nwb.add_intracellular_recording(electrode=elec, stimulus=stim, response=resp)
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)


@pytest.mark.parametrize(("sweep_numbers", "table"), [(True, False), (False, False)], ids=["sweep_number", "names"])
def test_nwb_step_1_to_16_in_numeric_order_with_their_stimulus(tmp_path: Path, sweep_numbers: bool,
                                                               table: bool) -> None:
    path = tmp_path / "steps.nwb"
    _write_steps_nwb(path, sweep_numbers=sweep_numbers, table=table)
    rec = load(path)
    assert [rec.block.segments[k].name for k in range(16)] == [f"Step {k}" for k in range(1, 17)]
    assert [round(float(rec.signal(k).magnitude[0, 0]), 6) for k in range(16)] == [-70.0 + k for k in range(1, 17)]
    if sweep_numbers:  # the stimulus series of the same sweep is the command (pA)
        assert [round(float(rec.command(k).rescale(pq.pA).magnitude[0, 0]), 6) for k in range(16)] == \
            [10.0 * k for k in range(1, 17)]
    else:  # no sweep_number and no table: nothing pairs a stimulus with a sweep, so none is guessed
        assert all(rec.command(k) is None for k in range(16))


def test_nwb_intracellular_recordings_table_orders_and_pairs(tmp_path: Path) -> None:
    path = tmp_path / "table.nwb"
    _write_steps_nwb(path, sweep_numbers=False, table=True)
    rec = load(path)
    values = [round(float(rec.signal(k).magnitude[0, 0]), 6) for k in range(16)]
    stims = [round(float(rec.command(k).rescale(pq.pA).magnitude[0, 0]), 6) for k in range(16)]
    assert rec.metadata["sweep_order_source"] == "intracellular_recordings table"
    assert [10.0 * (v + 70.0) for v in values] == pytest.approx(stims)  # each sweep with its own stimulus


# ----------------------------------------------------------------------------------------- ABF
@pytest.mark.realdata
def test_disabled_dac0_is_not_the_command(realdata_dir: Path) -> None:
    """18425108: DAC 0's waveform is disabled (its table holds a 1.8 mV pulse); DAC 1 gives the 2.5 nA pulses."""
    rec = load(realdata_dir / "patchclamp" / "18425108.abf")
    assert rec.metadata["command_source"] == "file (DAC 1 epoch table)"
    cmd = rec.command(0).rescale(pq.pA).magnitude
    assert cmd.max() == pytest.approx(2500.0) and rec.epochs[0][0].units == "nA"
    assert all(e.units == "nA" for e in rec.epochs[0])


@pytest.mark.realdata
def test_no_enabled_dac_means_no_command(realdata_dir: Path) -> None:
    rec = load(realdata_dir / "patchclamp" / "File_axon_7.abf")
    assert all(c is None for c in rec.commands) and all(e == () for e in rec.epochs)
    assert rec.metadata["command_source"].startswith("none")
    assert float(rec.holding_at(0).rescale(pq.mV)) == -80.0  # the DAC holding level is still the file's


@pytest.mark.realdata
def test_ppr_stimulus_only_in_digital_outputs(realdata_dir: Path) -> None:
    rec = load(_more(realdata_dir, "vc_evoked/patchclampplotteR_sample_abf_PPR_2sweeps.abf"))
    assert rec.kind == "voltage_clamp" and rec.channels[rec.primary].name == "Im_primar"
    assert rec.stim_times_s == ((0.5781, 0.6282), (0.5781, 0.6282))
    assert rec.metadata["stim_times_source"] == "file (ABF digital-output epochs)"
    # header holding 0 mV, the cell sits at -70 mV on Vm_sec: the recorded level is used, and said
    assert float(rec.holding_at(0).rescale(pq.mV)) == pytest.approx(-70.0, abs=0.1)
    assert rec.metadata["holding_source"].startswith("detected")
    assert any("holding level" in w for w in rec.warnings)


@pytest.mark.realdata
def test_excerpt_without_epoch_table(realdata_dir: Path) -> None:
    rec = load(_more(realdata_dir, "vc_spontaneous/patchclampplotteR_sample_abf_excerpt.abf"))
    assert rec.kind == "voltage_clamp" and rec.n_sweeps == 1
    assert rec.commands == (None,) and rec.epochs == ((),) and rec.stim_times_s == ((),)


@pytest.mark.realdata
def test_synthetic_command_copy_is_not_a_measurement(realdata_dir: Path) -> None:
    rec = load(_more(realdata_dir, "cc_steps/97509008.abf"))
    assert rec.kind == "current_clamp" and rec.channels[rec.primary].name == "Chan 0mV"
    assert rec.metadata["command_copy_channel"] == "AO #0"
    assert rec.channels[1].role == "command_copy"
    assert any("noise-free copy of the DAC command" in w for w in rec.warnings)


def test_recorded_channel_disagreeing_with_the_table() -> None:
    rate = 10_000.0
    t = np.arange(7000) / rate
    epochs = (EpochInfo(0.0, 0.03, 0.0, "pA"), EpochInfo(0.03, 0.43, -200.0, "pA"), EpochInfo(0.43, 0.7, 0.0, "pA"))
    table = np.where((t >= 0.03) & (t < 0.43), -200.0, 0.0)
    noise = np.random.default_rng(0).normal(0, 5, t.size)
    assert not _disagrees(table + noise, table, epochs, rate, current=True)
    assert _disagrees(0.1 * table + noise, table, epochs, rate, current=True)  # the cell got -20 pA, not -200
