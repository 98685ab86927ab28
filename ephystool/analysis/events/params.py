"""Settings of the ``events`` analysis (spontaneous / miniature synaptic events)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import params as _p
from ephystool.analysis.params import param

__all__ = ["EventsParams"]

def _ms(value: float, description: str, sign: str = "nonneg") -> Any:
    return param(lambda: value * pq.ms, kind="quantity", unit="ms", sign=sign, factory=True, description=description)


@dataclass(frozen=True)
class EventsParams:
    """Detection and measurement settings (see :mod:`ephystool.analysis.events`).

    Attributes
    ----------
    method : str
        ``template`` (Clements & Bekkers optimal scaling) or ``deconvolution`` (Pernia-Andrade et al.).
    polarity : str
        ``negative`` (inward currents, EPSCs at negative holding) or ``positive`` (IPSCs at 0 mV, PSPs).
    template_rise, template_decay : Quantity
        Time constants of the bi-exponential template (ms).
    template_baseline : Quantity
        Baseline before the onset included in the template (ms; the fitted offset is the local baseline).
    threshold : float
        Detection threshold in noise SDs of the detection trace (measured on event-free stretches).
    min_amplitude : Quantity
        Events smaller than this (pA in voltage clamp, mV in current clamp) are not counted.
    min_amplitude_sd : float
        Events smaller than this many trace-noise SDs are not counted (default 2; 0: off).
    min_interval : Quantity
        Onsets closer than this are one event (ms).
    local_baseline, peak_smoothing : Quantity
        Baseline window before each onset and boxcar width for the peak (ms).
    deconvolution_band : Quantity
        Band-pass of the deconvolved trace (Hz).
    decay_fit : str
        ``average``: ``event_decay_tau`` from the average event; ``event``: median of per-event fits.
    analysis_window : Quantity or None
        Part of each sweep analysed, from the sweep start (s); None: the whole sweep.
    exclude_windows : tuple
        ``(start, end)`` in s from the recording start left out (e.g. a drug application).
    artifact_blank : Quantity
        Left out after each stimulus time the file records (ms).
    mask_settle : Quantity
        Left out after every command step (test pulse) edge (ms).
    """

    method: str = param("template", kind="choice", choices=("template", "deconvolution"),
                        description="template: Clements-Bekkers optimal scaling; deconvolution: Pernia-Andrade 2012")
    polarity: str = param("negative", kind="choice", choices=("negative", "positive"),
                          description="event direction (negative: inward)")
    template_rise: pq.Quantity = _ms(0.5, "template rise time constant", sign="pos")
    template_decay: pq.Quantity = _ms(4.0, "template decay time constant", sign="pos")
    template_baseline: pq.Quantity = _ms(4.0, "baseline before the onset in the template")
    threshold: float = param(4.0, kind="number", gt=0.0,
                             description="detection threshold in noise SDs of the detection trace")
    min_amplitude: pq.Quantity = param(lambda: 0.0 * pq.pA, kind="quantity", unit=("pA", "mV"), sign="nonneg",
                                       factory=True, description="smallest counted amplitude (pA, or mV in current clamp)")
    min_amplitude_sd: float = param(2.0, kind="number", ge=0.0,
                                    description="smallest counted amplitude in trace-noise SDs (0: off)")
    min_interval: pq.Quantity = _ms(1.0, "onsets closer than this are one event")
    local_baseline: pq.Quantity = _ms(2.0, "baseline window before each onset", sign="pos")
    peak_smoothing: pq.Quantity = _ms(1.0, "boxcar width for the peak")
    deconvolution_band: pq.Quantity = param(lambda: np.array([1.0, 300.0]) * pq.Hz, kind="window", unit="Hz",
                                            sign="pos", factory=True, description="band of the deconvolved trace")
    decay_fit: str = param("average", kind="choice", choices=("average", "event"),
                           description="event_decay_tau from the average event or the median of per-event fits")
    analysis_window: pq.Quantity | None = param(None, kind="window", unit="s",
                                                description="analysed part of each sweep, from the sweep start")
    exclude_windows: tuple[tuple[float, float], ...] = param(
        (), kind="windows", unit="s", form="floats", description="left out, from the recording start (drug wash)")
    artifact_blank: pq.Quantity = _ms(5.0, "left out after each recorded stimulus")
    mask_settle: pq.Quantity = _ms(100.0, "left out after each command-step edge")

    def ms(self, name: str) -> float:
        """A duration setting in ms."""
        return float(getattr(self, name).rescale(pq.ms).magnitude)

    @classmethod
    def from_protocol(cls, analysis_params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> EventsParams:
        """Build from a template's ``analysis_params`` (quantity strings); manifest overrides are not used.

        Raises
        ------
        ProtocolError
            A value of the wrong kind or unit (the message names the key).
        """
        return _p.from_protocol(cls, analysis_params, overrides)
