"""Which channel and unit an fEPSP analysis reads, stated in its output.

A field channel must be a voltage. Files get this wrong: WinWCP writes millivolts as ``mv`` (neo
reads it as dimensionless), an amplifier left in voltage-clamp mode labels the field channel pA. The
rule, applied per recording:

1. a voltage unit in the file: rescaled to mV (source ``file``);
2. the protocol's ``signal_unit`` (mV, uV or V): wins over a non-voltage unit (source ``protocol``, the
   file's own unit quoted);
3. a dimensionless WinWCP channel whose header writes its unit ``mv``/``mV`` (``YU<n>=``): mV (source
   ``file header``). The readers' unit table (issue 14) will read it as mV; until then this module does;
4. anything else is refused, naming the channel, its unit and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.errors import AnalysisError

__all__ = ["FieldChannel", "field_channel", "field_trace_mv"]

_SCALE_TO_MV = {"mV": 1.0, "uV": 1e-3, "V": 1e3}


@dataclass(frozen=True)
class FieldChannel:
    """The channel read: name, 0-based index, the file's unit, the factor to mV and where it came from."""

    name: str
    index: int
    file_unit: str
    to_mv: float | None  # None: the file's voltage unit, rescaled by quantities
    source: str

    def statement(self) -> dict[str, Any]:
        """Columns for result rows: ``channel``, ``channel_index``, ``signal_unit``, ``signal_unit_source``."""
        return {"channel": self.name, "channel_index": self.index, "signal_unit": "mV",
                "signal_unit_source": self.source}


def _is_voltage(unit: str) -> bool:
    try:
        return pq.Quantity(1.0, unit).simplified.dimensionality == pq.V.simplified.dimensionality
    except (LookupError, ValueError, TypeError):
        return False


def field_channel(rec: Any, signal_unit: str | None = None) -> FieldChannel:
    """Resolve the measured (primary) channel of a recording as a field channel in mV.

    Raises
    ------
    AnalysisError
        A channel with no voltage unit and no ``signal_unit`` in the protocol.
    """
    ch = rec.channels[rec.primary]
    unit = str(ch.units)
    if signal_unit is not None and not _is_voltage(unit):
        return FieldChannel(ch.name, ch.index, unit, _SCALE_TO_MV[signal_unit],
                            f"protocol signal_unit {signal_unit} (the file says '{unit}')")
    if _is_voltage(unit):
        return FieldChannel(ch.name, ch.index, unit, None, "file")
    raise AnalysisError(f"channel '{ch.name}' (index {ch.index}) has unit '{unit}', not a voltage: if it is the field "
                        "channel, set signal_unit: mV in the protocol's analysis_params; else choose the field "
                        "channel with the manifest's channel column", rec.path)


def field_trace_mv(rec: Any, sweep: int, chan: FieldChannel) -> np.ndarray:
    """One sweep of the resolved field channel in mV (1-D float array)."""
    sig = rec.signal(sweep)
    if chan.to_mv is None:
        return np.asarray(sig.rescale("mV").magnitude, dtype=float).ravel()
    return chan.to_mv * np.asarray(sig.magnitude, dtype=float).ravel()
