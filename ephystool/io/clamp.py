"""Clamp-mode inference from channel units, names, telegraphs and DAC units.

Never from channel 0's unit alone: ``PYR2.abf`` is current clamp with channel 0 in pA, and
``180329_ts_0005-badUnits.abf`` is current clamp saved with a voltage-clamp header. The
order of evidence is documented in :func:`infer_clamp`; the manifest or the protocol may
override the result (``load(path, kind=...)``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ephystool.io.base import is_current, is_voltage

__all__ = ["ClampGuess", "infer_clamp"]

_VM_NAME = re.compile(r"(^|[^a-z])(vm|v_?mem|membrane ?v(oltage|olt)?|vmscaled|v ?memb)", re.IGNORECASE)
_CMD_NAME = re.compile(r"^(ao|cmd|command|dac|out)\b|^ao ?#|command|raw command", re.IGNORECASE)


@dataclass(frozen=True)
class ClampGuess:
    """Result of clamp-mode inference: kind, primary channel index, evidence, warnings."""

    kind: str
    primary: int
    evidence: str
    warnings: tuple[str, ...] = ()
    file_kind: str = ""  # where a manifest or protocol forced ``kind``: what the file's own evidence says, if other


def _first(indices: Sequence[int]) -> int | None:
    return indices[0] if indices else None


def infer_clamp(
    names: Sequence[str],
    units: Sequence[str],
    *,
    telegraph_modes: Sequence[int | None] | None = None,
    dac_units: Sequence[str] = (),
    requested: str | None = None,
) -> ClampGuess:
    """Infer voltage or current clamp and the measured channel.

    Evidence, in order:

    1. ``requested`` (manifest or protocol) wins; the primary channel is the first channel with
       the matching measured dimension.
    2. An amplifier telegraph saying current clamp (ABF2 ``nTelegraphMode == 1``) on a channel; one saying
       voltage clamp (``nTelegraphMode == 0``) where a current channel exists.
    3. Voltage and current channels both present: a voltage channel named like a membrane potential
       ('Vm', 'Membrane Voltage') means current clamp (the current channel is the recorded injected
       current); a voltage channel named like a command copy ('AO #0', 'Cmd') means voltage clamp.
    4. Only current channels: voltage clamp; only voltage channels: current clamp.
    5. DAC units as a tie-breaker: command in pA/nA means current clamp, in mV voltage clamp.
    """
    cur = [i for i, u in enumerate(units) if is_current(u)]
    vol = [i for i, u in enumerate(units) if is_voltage(u) and u.strip() != "V" or (is_voltage(u) and _VM_NAME.search(names[i] or ""))]
    warns: list[str] = []
    if requested in ("voltage_clamp", "current_clamp", "field"):
        pool = cur if requested == "voltage_clamp" else vol
        if not pool:
            want = "current (pA)" if requested == "voltage_clamp" else "voltage (mV)"
            warns.append(f"requested {requested} but no channel is in {want} units; using channel 0")
        own = infer_clamp(names, units, telegraph_modes=telegraph_modes, dac_units=dac_units)
        return ClampGuess(requested, _first(pool) or 0, "requested by manifest/protocol", tuple(warns),
                          own.kind if own.kind != requested else "")
    modes = list(telegraph_modes or [])
    for i, m in enumerate(modes):
        if m == 1 and i < len(units):
            v = [j for j in vol if not _CMD_NAME.search(names[j] or "")]
            if v:
                return ClampGuess("current_clamp", v[0], "amplifier telegraph: current clamp")
            warns.append(
                f"amplifier telegraph says current clamp but channel '{names[i]}' is labelled {units[i]}: "
                "the header units/scale are probably wrong (voltage-clamp header saved for a current-clamp "
                "recording); fix the scale factor or set the clamp mode in the manifest"
            )
            return ClampGuess("current_clamp", i, "amplifier telegraph: current clamp (units inconsistent)", tuple(warns))
    vm_named = [i for i in vol if _VM_NAME.search(names[i] or "")]
    cmd_named = [i for i in vol if _CMD_NAME.search(names[i] or "")]
    if cur and any(m == 0 for m in modes):  # telegraph says voltage clamp (a VC secondary output is often 'Vm')
        return ClampGuess("voltage_clamp", cur[0], "amplifier telegraph: voltage clamp")
    if cur and vol:
        if vm_named:
            return ClampGuess("current_clamp", vm_named[0], f"membrane-potential channel '{names[vm_named[0]]}'")
        if len(cmd_named) == len(vol):
            return ClampGuess("voltage_clamp", cur[0], "voltage channels are command copies")
    if cur and not vol:
        return ClampGuess("voltage_clamp", cur[0], "only current channels")
    if vol and not cur:
        return ClampGuess("current_clamp", (vm_named or vol)[0], "only voltage channels")
    if cur and vol:
        dac = [u for u in dac_units if u]
        if dac and is_current(dac[0]):
            return ClampGuess("current_clamp", vol[0], "command (DAC) in current units")
        return ClampGuess("voltage_clamp", cur[0], "command (DAC) in voltage units")
    warns.append("no channel in current or voltage units; clamp mode unknown, assuming current clamp")
    return ClampGuess("current_clamp", 0, "no electrical units", tuple(warns))
