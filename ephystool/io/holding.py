"""A manifest row's overrides of what a file says, applied the same way by ``analyze`` and by
:func:`ephystool.io.load` (so an API user cannot pool sweeps of different holding potentials by accident).

A manifest value wins over the file (the file's holding level is that of the amplifier's command, 0 mV
where the amplifier was driven externally).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["HoldingWarning", "apply_holding", "holding_values", "parse_holding"]


class HoldingWarning(UserWarning):
    """A voltage-clamp analysis does not know each sweep's holding potential from the file or the manifest."""


def parse_holding(value: Any) -> tuple[float, ...]:
    """``-70``, ``"-70;40"``, ``[-70, 40]`` or a Quantity array -> holding potentials in mV.

    Raises
    ------
    UnitsError
        A value that is not a number (``"abc"``) or a quantity that is not a voltage.
    """
    from ephystool.errors import UnitsError

    if value is None or value == "":
        return ()
    try:
        if hasattr(value, "rescale"):
            return tuple(float(v) for v in np.atleast_1d(value.rescale("mV").magnitude))
        if isinstance(value, str):
            return tuple(float(v) for v in value.replace(",", ";").split(";") if v.strip())
        if isinstance(value, int | float):
            return (float(value),)
        return tuple(float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise UnitsError(f"holding_mV {value!r} is not a holding potential in mV: give numbers such as -70 "
                         "or '-70;40' (one per sweep)") from exc


def holding_values(hold: Sequence[float], n_sweeps: int, path: Any) -> list[float]:
    """One holding per sweep from a manifest's ``holding_mV`` (one value, or one per sweep)."""
    from ephystool.errors import AnalysisError

    if len(hold) == n_sweeps:
        return list(hold)
    if len(hold) == 1:
        return [hold[0]] * n_sweeps
    raise AnalysisError(f"manifest holding_mV has {len(hold)} values but the file has {n_sweeps} sweeps "
                        "(give one value, or one per sweep separated by ';')", path)


def apply_holding(rec: Any, hold: Sequence[float], path: Any) -> Any:
    """``rec`` with the manifest's holding potentials (mV); a flat file command (0 mV from an amplifier
    driven externally) is dropped rather than contradicting them."""
    import quantities as pq

    from ephystool.errors import AnalysisError

    if not hold:
        return rec
    if rec.kind == "mea":
        raise AnalysisError("holding_mV given for an MEA recording", path)
    vals = holding_values(hold, rec.n_sweeps, path)
    flat = [c is not None and float(np.ptp(c.magnitude)) == 0.0 for c in rec.commands]
    cmds = tuple(None if f else c for f, c in zip(flat, rec.commands, strict=True))
    eps = tuple(() if k < len(flat) and flat[k] else e for k, e in enumerate(rec.epochs))
    meta = {**rec.metadata, "holding_source": "manifest"}  # every inferred value carries its source
    return rec.replace(holding=tuple(v * pq.mV for v in vals), commands=cmds, epochs=eps, metadata=meta)
