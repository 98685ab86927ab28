"""The command of an ABF file: which DAC drives the cell, its epochs, digital outputs and holding level.

pyABF builds a DAC's waveform and epoch table from the header. Three traps (``TRAPS.md``, Reading):

* A DAC whose waveform is disabled (``nWaveformEnable`` = 0) still has an epoch table, and pyABF reports
  that table for channel 0 whatever the DAC does. The command is the first DAC whose waveform is enabled;
  with none enabled there is no command (the holding level of DAC 0 is still the file's).
* Digital outputs belong to the epoch table of the active DAC (``nActiveDACChannel``): a stimulus that
  exists only there (a paired-pulse protocol with a flat DAC) is read from that table.
* A recorded channel in the command's dimension either measures the command (and must agree with the
  epoch table) or is a noise-free copy of it (a 1990s conversion's ``AO #0``, not a measurement). Sweeps
  where it disagrees with the table get no command and no epochs: the analysis finds the step from the
  recorded channel, or says it could not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import quantities as pq

from ephystool.core.recording import ChannelInfo, EpochInfo
from ephystool.io.base import is_current, to_canonical
from ephystool.io.recording import analog
from ephystool.io.unitnames import lookup_unit

__all__ = ["Protocol", "read_protocol"]

#: a recorded channel agrees with the table when its step is within this fraction of the table's step ...
_REL_TOL = 0.25
#: ... or within this many pA (measured currents carry noise and AP transients; medians are used)
_ABS_TOL_PA = 20.0


@dataclass
class Protocol:
    """Per-sweep command waveforms, epochs, digital stimulus times and holding levels, with their sources."""

    commands: list[Any]
    epochs: list[tuple[EpochInfo, ...]]
    stims: list[tuple[float, ...]]
    holding: list[Any]
    dac: int | None
    units: str
    notes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _dac_flags(abf: Any) -> tuple[list[int], list[int]]:
    if abf.abfVersion["major"] == 1:
        return list(abf._headerV1.nWaveformEnable), list(abf._headerV1.nWaveformSource)
    return list(abf._dacSection.nWaveformEnable), list(abf._dacSection.nWaveformSource)


def _holding_levels(abf: Any) -> list[float]:
    """fDACHoldingLevel per DAC, in the DAC's units. pyABF's ``holdingCommand`` is that field for ABF2 but
    ``fEpochInitLevel`` (the epoch table's first levels) for ABF1: pclamp11_4ch_abf1.abf reads 10 mV there
    where its DAC 0 holds -10 mV, as its ABF2 twin says. ABF1: 4 float32 at byte 1394 of the header."""
    if abf.abfVersion["major"] != 1:
        return [float(x) for x in abf.holdingCommand]
    with open(abf.abfFilePath, "rb") as fh:
        fh.seek(1394)
        raw = np.frombuffer(fh.read(16), "<f4").astype(float)
    return [x if abs(x) <= 1e6 else float("nan") for x in raw]  # unfilled bytes, as pyABF treats them


def _active_dac(abf: Any) -> int:
    sec = abf._headerV1 if abf.abfVersion["major"] == 1 else abf._protocolSection
    return int(getattr(sec, "nActiveDACChannel", 0) or 0)


def command_dac(abf: Any) -> int | None:
    """The DAC that drives the cell: the first whose waveform is enabled (from epochs or a file), else None."""
    enable, source = _dac_flags(abf)
    n = min(len(enable), len(source), len(abf.holdingCommand), 2 if abf.abfVersion["major"] == 1 else 8)
    for d in range(n):
        if enable[d] and source[d] in (1, 2):
            return d
    return None


def _epoch_sweeps(abf: Any, dac: int) -> list[Any]:
    import pyabf.waveform

    return pyabf.waveform.EpochTable(abf, dac).epochWaveformsBySweep


def _digital_stims(abf: Any, n: int, rate: float) -> tuple[list[tuple[float, ...]], list[list[int]]]:
    """Onsets (s from sweep start) of digital-output epochs of the active DAC's table, per sweep."""
    active = _active_dac(abf)
    if not 0 <= active < len(abf.holdingCommand):
        return [() for _ in range(n)], [[] for _ in range(n)]
    table = _epoch_sweeps(abf, active)
    stims, flags = [], []
    for k in range(n):
        e = table[min(k, len(table) - 1)] if table else None
        if e is None:
            stims.append(())
            flags.append([])
            continue
        dig = [int(np.any(d)) for d in e.digitalStates]
        flags.append(dig)
        stims.append(tuple(p1 / rate for p1, p2, on in zip(e.p1s, e.p2s, dig, strict=False) if on and p2 > p1))
    return stims, flags


def read_protocol(abf: Any, n_sweeps: int, rate: float, t_starts: list[float]) -> Protocol:
    """Command waveforms, epochs, digital stimulus times and holding levels per sweep (pyABF header)."""
    n = min(n_sweeps, abf.sweepCount)
    dac = command_dac(abf)
    stims, dig_flags = _digital_stims(abf, n, rate)
    notes = {"stim_times_source": "file (ABF digital-output epochs)" if any(stims) else "none in the file"}
    hold_dac = 0 if dac is None else dac
    units = lookup_unit(abf.dacUnits[hold_dac]) if hold_dac < len(abf.dacUnits) else None
    unit = pq.Quantity(1.0, units) if units else None  # closed table: never evaluated by quantities
    canonical = None if unit is None else (pq.pA if is_current(units) else pq.mV)
    proto = Protocol([], [], stims, [], dac, units or "", notes)
    if dac is None:
        notes["command_source"] = "none: no DAC waveform is enabled in the header"
        proto.commands = [None] * n
        proto.epochs = [() for _ in range(n)]
        proto.holding = [None if unit is None else (_holding_levels(abf)[0] * unit).rescale(canonical)
                         for _ in range(n)]
        return proto
    notes["command_source"] = f"file (DAC {dac} epoch table)"
    table = _epoch_sweeps(abf, dac)
    wave = abf.stimulusByChannel[dac]
    for k in range(n):
        c = np.asarray(wave.stimulusWaveform(k), dtype=float)[: abf.sweepPointCount]
        e = table[min(k, len(table) - 1)]
        ep = []
        for i, (p1, p2, level, typ) in enumerate(zip(e.p1s, e.p2s, e.levels, e.types, strict=False)):
            on = dig_flags[k][i] if i < len(dig_flags[k]) and dac == _active_dac(abf) else 0
            ep.append(EpochInfo(p1 / rate, p2 / rate, float(level), units or "", str(typ).lower(), on))
        proto.commands.append(to_canonical(analog(c, units, rate, t_starts[k], "command")) if c.size and units else None)
        proto.epochs.append(tuple(ep))
        proto.holding.append(_holding_level(abf, dac, c, stims[k], rate, units or "", unit, canonical))
    return proto


def _holding_level(abf: Any, dac: int, command: np.ndarray, stims: tuple[float, ...], rate: float, units: str,
                   unit: Any, canonical: Any) -> Any:
    """Command level at the first stimulus where the sweep has one, else the DAC holding level, in ``canonical``
    (pA or mV) units; ``unit`` is one of the command's ``units``."""
    if unit is None:
        return None
    if stims and command.size and units == "mV":
        return (float(command[min(command.size - 1, int(round(stims[0] * rate)))]) * unit).rescale(canonical)
    return (_holding_levels(abf)[dac] * unit).rescale(canonical)


def _step_delta(x: np.ndarray, i0: int, i1: int, base: int) -> float:
    """Median of the middle half of samples i0:i1 minus the median of the samples before ``base``."""
    q = (i1 - i0) // 4
    return float(np.median(x[i0 + q : i1 - q]) - np.median(x[:base]))


def check_recorded_command(proto: Protocol, block: Any, channels: tuple[ChannelInfo, ...], primary: int) -> None:
    """Compare the epoch table with recorded channels in the command's dimension (edits ``proto`` in place).

    A channel equal to the command waveform (to 1e-6 of its range, in every sweep) is a copy of the command,
    not a measurement: said in a warning and in ``notes``. Sweeps where a measured channel's step (median
    in the middle half of each step epoch minus the median before the first one) differs from the table's
    by more than 25 % and 20 pA (or 2 mV) lose their command and epochs, with a warning.
    """
    if not proto.units:
        return
    want_current = is_current(proto.units)
    cand = [c.index for c in channels if c.index != primary and is_current(c.units) == want_current
            and c.units in ("pA", "mV") and c.role != "aux"]
    for idx in cand:
        bad, copy = [], True
        for k, cmd in enumerate(proto.commands):
            if cmd is None:
                continue
            rec = np.asarray(block.segments[k].analogsignals[idx].magnitude[:, 0], dtype=float)
            ref = np.asarray(cmd.magnitude[:, 0], dtype=float)
            m = min(rec.size, ref.size)
            span = max(float(np.ptp(ref[:m])), 1e-12)
            copy = copy and float(np.max(np.abs(rec[:m] - ref[:m]))) <= 1e-6 * span
            if _disagrees(rec[:m], ref[:m], proto.epochs[k], float(cmd.sampling_rate.rescale("Hz")), want_current):
                bad.append(k)
        name = channels[idx].name
        if not want_current and not (copy and proto.dac is not None):
            _holding_from_recorded(proto, block, idx, name)
        if proto.dac is None:
            continue
        if copy:
            proto.notes["command_copy_channel"] = name
            proto.warnings.append(f"channel '{name}' is a noise-free copy of the DAC command, not a measurement")
            continue
        if bad:
            for k in bad:
                proto.commands[k], proto.epochs[k] = None, ()
            proto.notes["command_source"] += f"; not used in sweeps {_ranges(bad)} (recorded '{name}' disagrees)"
            proto.warnings.append(f"the command table disagrees with recorded channel '{name}' in sweeps "
                                  f"{_ranges(bad)}: no command is reported for them (the step must come from "
                                  "the recorded channel)")


def _disagrees(rec: np.ndarray, ref: np.ndarray, epochs: tuple[EpochInfo, ...], rate: float, current: bool) -> bool:
    steps = [e for e in epochs if e.end_s - e.start_s >= 0.005 and e.kind == "step"]
    if not steps:
        return False
    moved = np.flatnonzero(np.abs(ref - ref[0]) > 1e-9 * max(1.0, float(np.ptp(ref))))
    base = int(moved[0]) if moved.size else 0  # the command's first change: before it is the baseline
    if base < 10:
        return False
    tol_abs = _ABS_TOL_PA if current else 2.0
    for e in steps:
        i0, i1 = int(round(e.start_s * rate)), int(round(e.end_s * rate))
        if i1 - i0 < 8 or i1 > ref.size or i0 < base:
            continue
        want, got = _step_delta(ref, i0, i1, base), _step_delta(rec, i0, i1, base)
        if abs(got - want) > max(_REL_TOL * abs(want), tol_abs):
            return True
    return False


def _ranges(ks: list[int]) -> str:
    out, start = [], ks[0]
    for a, b in zip(ks, [*ks[1:], None], strict=True):
        if b != a + 1:
            out.append(f"{start}" if start == a else f"{start}-{a}")
            start = b
    return ", ".join(out)


def _holding_from_recorded(proto: Protocol, block: Any, idx: int, name: str, tol_mv: float = 5.0) -> None:
    """Voltage clamp: where a recorded membrane-potential channel sits more than ``tol_mv`` away from the header's
    holding level (median over each sweep's first 5 %), its level is the holding (source: detected), with a warning.
    """
    levels = []
    for k in range(len(proto.holding)):
        x = np.asarray(block.segments[k].analogsignals[idx].magnitude[:, 0], dtype=float)
        levels.append(float(np.median(x[: max(1, x.size // 20)])))
    header = [None if h is None else float(h.rescale(pq.mV).magnitude) for h in proto.holding]
    if not any(h is not None and abs(h - v) > tol_mv for h, v in zip(header, levels, strict=True)):
        return
    proto.holding = [v * pq.mV for v in levels]
    shown = next(h for h in header if h is not None)
    proto.notes["holding_source"] = f"detected (recorded channel '{name}'; the header says {shown:g} mV)"
    proto.warnings.append(f"the header holding level ({shown:g} mV) disagrees with recorded channel '{name}' "
                          f"({levels[0]:.1f} mV): the recorded level is used as the holding potential")
