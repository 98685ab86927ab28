"""Settings of the evoked NMDA/AMPA EPSC analysis (:mod:`ephystool.analysis.nmda`), read from a protocol
template's ``analysis_params`` (quantity strings) and a manifest row's overrides by the one converter
(:func:`ephystool.analysis.params.from_protocol`); the template schema derives from the same fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import params as _p
from ephystool.analysis.params import param

__all__ = ["NmdaParams"]


def _ms(*v: float) -> Any:
    return lambda: np.array(v) * pq.ms


def _win(*v: float, description: str, required: bool = True) -> Any:
    return param(_ms(*v), kind="window", unit="ms", factory=True, description=description,
                 template="required" if required else "optional")


@dataclass(frozen=True)
class NmdaParams:
    """Settings of the evoked-EPSC analysis (windows in ms relative to the stimulus unless noted).

    ``decay_fit_window`` is relative to the NMDA peak; ``stim_time`` None means "detect from the
    artifact", a protocol's ``stim_time`` is used only within ``stim_match`` of a detected artefact; a pulse
    whose EPSC does not stand out by ``min_epsc`` (and 3 robust baseline SDs) is a failure; ``holding_potentials`` is cycled over sweeps whose holding the file does not give.
    """

    stim_time: pq.Quantity | None = param(
        lambda: 100.0 * pq.ms, kind="quantity", unit="ms", sign="nonneg", factory=True, nullable=True,
        template="required", override=("stim_time_ms",), source="stim_source",
        description="stimulus time from the start of each sweep")
    stim_source: str = "protocol"
    stim_match: pq.Quantity = param(
        lambda: 1.0 * pq.ms, kind="quantity", unit="ms", sign="pos", factory=True,
        description="stim_time is used only this close to a detected artefact")
    min_epsc: pq.Quantity = param(
        lambda: 5.0 * pq.pA, kind="quantity", unit="pA", sign="pos", factory=True,
        description="an evoked EPSC must stand out by this much, else the pulse is a failure")
    baseline_window: pq.Quantity = _win(-20.0, -2.0, description="baseline, relative to the stimulus")
    artifact_blank: pq.Quantity = param(
        lambda: 1.5 * pq.ms, kind="quantity", unit="ms", sign="nonneg", factory=True, template="required",
        description="samples blanked after the stimulus artifact")
    ampa_window: pq.Quantity = _win(1.0, 20.0, description="AMPA peak search at the AMPA holding, relative to the stimulus")
    nmda_late_window: pq.Quantity = _win(
        50.0, 60.0, description="NMDA 'late' mean at the NMDA holding, relative to the stimulus")
    nmda_peak_window: pq.Quantity = _win(5.0, 150.0, description="NMDA peak search, relative to the stimulus")
    charge_window: pq.Quantity = _win(0.0, 300.0, description="NMDA charge integration, relative to the stimulus")
    decay_fit_window: pq.Quantity = _win(0.0, 400.0, description="decay fit, relative to the NMDA peak")
    holding_potentials: pq.Quantity = param(
        lambda: np.array([-70.0, 40.0]) * pq.mV, kind="quantities", unit="mV", factory=True, min_length=1,
        template="required", description="holding levels recorded")
    ampa_holding: pq.Quantity = param(lambda: -70.0 * pq.mV, kind="quantity", unit="mV", factory=True,
                                      template="required", description="holding level of the AMPA measurement")
    nmda_holding: pq.Quantity = param(lambda: 40.0 * pq.mV, kind="quantity", unit="mV", factory=True,
                                      template="required", description="holding level of the NMDA measurement")
    isolated_nmda: bool = param(False, kind="bool", template="required",
                                description="true when AMPA receptors are blocked (NBQX in the bath)")
    outlier_mad: float = param(5.0, kind="number", gt=0.0, template="required",
                               description="sweeps further than this many MADs are excluded")
    rs_change_limit: float = param(0.2, kind="number", ge=0.0, le=1.0, template="required",
                                   description="largest allowed relative change of series resistance")
    test_pulse_window: pq.Quantity | None = param(
        None, kind="window", unit="ms", description="seal test pulse, from the sweep start")
    test_pulse_amplitude: pq.Quantity | None = param(
        None, kind="quantity", unit="mV",
        description="size of the test pulse in test_pulse_window (used only where the file has no epochs)")
    access_resistance_max: pq.Quantity | None = param(
        lambda: 25.0 * pq.MOhm, kind="quantity", unit="MOhm", sign="pos", factory=True, nullable=True,
        description="largest access resistance (the template's inclusion criterion)")
    mg_mM: pq.Quantity | None = param(
        None, kind="number", unit="mM", ge=0.0, override=("mg_mM", "salt_mM"),
        description="free bath Mg; left out: computed from the bath composition")

    @classmethod
    def from_protocol(cls, analysis_params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> NmdaParams:
        """Build from a template's ``analysis_params`` and a manifest row's overrides (``stim_time_ms``,
        ``mg_mM``/``salt_mM``); see :func:`ephystool.analysis.params.from_protocol`.

        Raises
        ------
        ProtocolError
            If a value has the wrong form or unit (the message names the key).
        """
        return _p.from_protocol(cls, analysis_params, overrides)
