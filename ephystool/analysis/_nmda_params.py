"""Settings of the evoked NMDA/AMPA EPSC analysis (:mod:`ephystool.analysis.nmda`), read from a protocol
template's ``analysis_params`` (quantity strings) and a manifest row's overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import _signal as sig
from ephystool.errors import ProtocolError
from ephystool.units import parse_quantity

__all__ = ["NmdaParams"]


def _ms(v: tuple[float, float]) -> pq.Quantity:
    return np.array(v) * pq.ms


@dataclass(frozen=True)
class NmdaParams:
    """Settings of the evoked-EPSC analysis (windows in ms relative to the stimulus unless noted).

    ``decay_fit_window`` is relative to the NMDA peak; ``stim_time`` None means "detect from the
    artifact", a protocol's ``stim_time`` is used only within ``stim_match`` of a detected artefact; a pulse
    whose EPSC does not stand out by ``min_epsc`` (and 3 robust baseline SDs) is a failure; ``holding_potentials`` is cycled over sweeps whose holding the file does not give.
    """

    baseline_window: pq.Quantity = field(default_factory=lambda: _ms((-20.0, -2.0)))
    artifact_blank: pq.Quantity = field(default_factory=lambda: 1.5 * pq.ms)
    ampa_window: pq.Quantity = field(default_factory=lambda: _ms((1.0, 20.0)))
    nmda_late_window: pq.Quantity = field(default_factory=lambda: _ms((50.0, 60.0)))
    nmda_peak_window: pq.Quantity = field(default_factory=lambda: _ms((5.0, 150.0)))
    charge_window: pq.Quantity = field(default_factory=lambda: _ms((0.0, 300.0)))
    decay_fit_window: pq.Quantity = field(default_factory=lambda: _ms((0.0, 400.0)))
    stim_time: pq.Quantity | None = field(default_factory=lambda: 100.0 * pq.ms)
    stim_source: str = "protocol"
    stim_match: pq.Quantity = field(default_factory=lambda: 1.0 * pq.ms)
    min_epsc: pq.Quantity = field(default_factory=lambda: 5.0 * pq.pA)
    holding_potentials: pq.Quantity = field(default_factory=lambda: np.array([-70.0, 40.0]) * pq.mV)
    ampa_holding: pq.Quantity = field(default_factory=lambda: -70.0 * pq.mV)
    nmda_holding: pq.Quantity = field(default_factory=lambda: 40.0 * pq.mV)
    isolated_nmda: bool = False
    outlier_mad: float = 5.0
    rs_change_limit: float = 0.2
    test_pulse_window: pq.Quantity | None = None
    test_pulse_amplitude: pq.Quantity | None = None
    access_resistance_max: pq.Quantity | None = field(default_factory=lambda: 25.0 * pq.MOhm)
    mg_mM: pq.Quantity | None = None

    @classmethod
    def from_protocol(cls, analysis_params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> NmdaParams:
        """Build from a template's ``analysis_params`` and a manifest row's overrides.

        Raises
        ------
        ProtocolError
            If a value has the wrong form or unit (the message names the key).
        """
        p, o = analysis_params, dict(overrides or {})
        win = {k: _ms(sig.param_window(p, k, d, "ms")) for k, d in _WINDOW_DEFAULTS.items()}
        stim = sig.param_quantity(p, "stim_time", "100 ms", "ms")
        source = "protocol"
        if _given(o.get("stim_time_ms")):
            stim, source = float(o["stim_time_ms"]) * pq.ms, "manifest"
        mg = sig.param_quantity(p, "mg_mM", None, "mM")
        for key in ("mg_mM", "salt_mM"):
            if _given(o.get(key)):
                mg = float(o[key]) * pq.mmol / pq.L
                break
        tp = p.get("test_pulse_window")
        return cls(
            **win,
            artifact_blank=sig.param_quantity(p, "artifact_blank", "1.5 ms", "ms"),
            stim_time=stim, stim_source=source,
            stim_match=sig.param_quantity(p, "stim_match", "1 ms", "ms"),
            min_epsc=sig.param_quantity(p, "min_epsc", "5 pA", "pA"),
            holding_potentials=_holding_list(p.get("holding_potentials", ["-70 mV", "40 mV"]), "holding_potentials"),
            ampa_holding=sig.param_quantity(p, "ampa_holding", "-70 mV", "mV"),
            nmda_holding=sig.param_quantity(p, "nmda_holding", "40 mV", "mV"),
            isolated_nmda=_bool(p.get("isolated_nmda", False), "isolated_nmda"),
            outlier_mad=_number(p.get("outlier_mad", 5), "outlier_mad"),
            rs_change_limit=_number(p.get("rs_change_limit", 0.2), "rs_change_limit"),
            test_pulse_window=None if tp is None else _ms(sig.param_window(p, "test_pulse_window", tp, "ms")),
            test_pulse_amplitude=sig.param_quantity(p, "test_pulse_amplitude", None, "mV"),
            access_resistance_max=sig.param_quantity(p, "access_resistance_max", "25 MOhm", "MOhm"),
            mg_mM=mg,
        )


_WINDOW_DEFAULTS = {
    "baseline_window": ["-20 ms", "-2 ms"], "ampa_window": ["1 ms", "20 ms"], "nmda_late_window": ["50 ms", "60 ms"],
    "nmda_peak_window": ["5 ms", "150 ms"], "charge_window": ["0 ms", "300 ms"], "decay_fit_window": ["0 ms", "400 ms"],
}


def _given(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and np.isnan(v)) and v != ""


def _bool(v: Any, key: str) -> bool:
    if isinstance(v, bool):
        return v
    raise ProtocolError(f"expected true or false, got {v!r}", field=f"analysis_params.{key}")


def _number(v: Any, key: str) -> float:
    if isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
        return float(v)
    raise ProtocolError(f"expected a positive number, got {v!r}", field=f"analysis_params.{key}")


def _holding_list(v: Any, key: str) -> pq.Quantity:
    if not isinstance(v, list | tuple) or not v:
        raise ProtocolError(f"expected a list such as ['-70 mV', '40 mV'], got {v!r}", field=f"analysis_params.{key}")
    try:
        return np.array([float(parse_quantity(x, "mV", name=key).magnitude) for x in v]) * pq.mV
    except (ValueError, TypeError) as exc:
        raise ProtocolError(str(exc), field=f"analysis_params.{key}") from exc
