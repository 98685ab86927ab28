"""Parameters of the tonic NMDA-current analysis (template ``nmda_tonic``, analysis ``nmda_tonic``); re-exported by
its analyzer. A module of its own so that the protocol schema reads them without importing the analyzer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import params as _p
from ephystool.analysis.params import param

__all__ = ["NmdaTonicParams"]


def _win(lo: float, hi: float, description: str, required: bool = False) -> Any:
    return param(lambda: np.array([lo, hi]) * pq.s, kind="window", unit="s", factory=True, description=description,
                 template="required" if required else "optional")


@dataclass(frozen=True)
class NmdaTonicParams:
    """Settings (windows in s; see the module docstring for their meaning)."""

    baseline_window: pq.Quantity = _win(0.0, 60.0, "baseline holding current, from the recording start", True)
    washin_time: pq.Quantity = param(
        lambda: 120.0 * pq.s, kind="quantity", unit="s", sign="nonneg", factory=True, template="required",
        override=("washin_time_s",), source="washin_source", description="salt wash-in time, from the recording start")
    washin_source: str = "protocol"
    equilibration: pq.Quantity = param(
        lambda: 180.0 * pq.s, kind="quantity", unit="s", sign="nonneg", factory=True, template="required",
        description="time allowed for the bath to exchange after wash-in")
    treatment_window: pq.Quantity = _win(180.0, 300.0, "treatment holding current, relative to wash-in", True)
    noise_band: pq.Quantity = param(
        lambda: np.array([1.0, 1000.0]) * pq.Hz, kind="window", unit="Hz", sign="pos", factory=True,
        template="required", description="band of the current-noise (variance) measure")
    mode: str = param("auto", kind="choice", choices=("auto", "washin", "application"),
                      description="washin: holding-current time course; application: agonist puffs per sweep")
    application_baseline_window: pq.Quantity = _win(0.05, 0.45, "application mode, from the sweep start")
    application_window: pq.Quantity = _win(0.45, 2.6, "application mode: peak search")
    steady_state_window: pq.Quantity = _win(2.3, 2.5, "application mode: steady state")
    application_charge_window: pq.Quantity = _win(0.45, 3.5, "application mode: charge")
    min_response: pq.Quantity = param(lambda: 20.0 * pq.pA, kind="quantity", unit="pA", sign="nonneg", factory=True,
                                      description="application mode: min peak")
    response_snr: float = param(10.0, kind="number", gt=0.0, description="application mode: min peak / baseline SD")

    @classmethod
    def from_protocol(cls, analysis_params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> NmdaTonicParams:
        """Build from the template's ``analysis_params`` and the manifest's ``washin_time_s``.

        Raises
        ------
        ProtocolError
            On a malformed value (the message names the key).
        """
        return _p.from_protocol(cls, analysis_params, overrides)
