"""Settings of the ``events`` analysis (spontaneous / miniature synaptic events)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import _signal as sig
from ephystool.errors import ProtocolError

__all__ = ["EventsParams"]

_CHOICES = {"method": ("template", "deconvolution"), "polarity": ("negative", "positive"),
            "decay_fit": ("average", "event")}
_DURATIONS = {"template_rise": "0.5 ms", "template_decay": "4 ms", "template_baseline": "4 ms",
              "min_interval": "1 ms", "local_baseline": "2 ms", "peak_smoothing": "1 ms",
              "artifact_blank": "5 ms", "mask_settle": "100 ms"}
_NUMBERS = {"threshold": 4.0, "min_amplitude_sd": 2.0}


def _ms(d: str) -> pq.Quantity:
    return float(d.split()[0]) * pq.ms


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

    method: str = "template"
    polarity: str = "negative"
    template_rise: pq.Quantity = field(default_factory=lambda: 0.5 * pq.ms)
    template_decay: pq.Quantity = field(default_factory=lambda: 4.0 * pq.ms)
    template_baseline: pq.Quantity = field(default_factory=lambda: 4.0 * pq.ms)
    threshold: float = 4.0
    min_amplitude: pq.Quantity = field(default_factory=lambda: 0.0 * pq.pA)
    min_amplitude_sd: float = 2.0
    min_interval: pq.Quantity = field(default_factory=lambda: 1.0 * pq.ms)
    local_baseline: pq.Quantity = field(default_factory=lambda: 2.0 * pq.ms)
    peak_smoothing: pq.Quantity = field(default_factory=lambda: 1.0 * pq.ms)
    deconvolution_band: pq.Quantity = field(default_factory=lambda: np.array([1.0, 300.0]) * pq.Hz)
    decay_fit: str = "average"
    analysis_window: pq.Quantity | None = None
    exclude_windows: tuple[tuple[float, float], ...] = ()
    artifact_blank: pq.Quantity = field(default_factory=lambda: 5.0 * pq.ms)
    mask_settle: pq.Quantity = field(default_factory=lambda: 100.0 * pq.ms)

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
        p = dict(analysis_params or {})
        kw: dict[str, Any] = {}
        for key, options in _CHOICES.items():
            v = p.get(key, options[0])
            if v not in options:
                raise ProtocolError(f"expected one of {', '.join(options)}, got {v!r}", field=f"analysis_params.{key}")
            kw[key] = v
        for key, d in _DURATIONS.items():
            kw[key] = sig.param_quantity(p, key, d, "ms")
            if kw[key] is None or float(kw[key].magnitude) < 0:
                raise ProtocolError(f"expected a non-negative duration such as '{d}'", field=f"analysis_params.{key}")
        for key in ("template_rise", "template_decay"):
            if float(kw[key].magnitude) <= 0:
                raise ProtocolError("expected a positive duration", field=f"analysis_params.{key}")
        for key, d in _NUMBERS.items():
            v = p.get(key, d)
            if not isinstance(v, int | float) or isinstance(v, bool) or v < 0 or (key == "threshold" and v <= 0):
                raise ProtocolError(f"expected a positive number (noise SDs), got {v!r}", field=f"analysis_params.{key}")
            kw[key] = float(v)
        amp = p.get("min_amplitude", "0 pA")
        unit = "mV" if isinstance(amp, str) and amp.strip().endswith("V") else "pA"
        kw["min_amplitude"] = sig.param_quantity(p, "min_amplitude", "0 pA", unit)
        kw["deconvolution_band"] = np.array(sig.param_window(p, "deconvolution_band", ["1 Hz", "300 Hz"], "Hz")) * pq.Hz
        if p.get("analysis_window") is not None:
            kw["analysis_window"] = np.array(sig.param_window(p, "analysis_window", None, "s")) * pq.s
        wins = p.get("exclude_windows") or []
        if not isinstance(wins, list | tuple):
            raise ProtocolError("expected a list of windows such as [['120 s', '180 s']]",
                                field="analysis_params.exclude_windows")
        kw["exclude_windows"] = tuple(sig.param_window({"exclude_windows": w}, "exclude_windows", None, "s") for w in wins)
        return cls(**kw)
