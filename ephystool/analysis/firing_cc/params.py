"""Parameters of the current-clamp firing analysis (template ``cc_fi_steps``, analysis ``firing_cc``; the keys are
described in :mod:`ephystool.analysis.firing_cc`'s analyzer); re-exported by its analyzer. A module of its own so
that the protocol schema reads them without importing the analyzer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import quantities as pq

from ephystool.analysis import params as _p
from ephystool.analysis.firing_cc import _ap
from ephystool.analysis.params import param
from ephystool.units import to_float

__all__ = ["FiringCCParams"]


def _q(default: float | None, unit: str, description: str, sign: str = "nonneg", required: bool = False,
       **spec: Any) -> Any:
    value = None if default is None else (lambda: default * pq.Quantity(1.0, unit))
    return param(value, kind="quantity", unit=unit, sign=sign, factory=default is not None, description=description,
                 template="required" if required else "optional", **spec)


#: The AP detector states its defaults (:class:`~ephystool.analysis.firing_cc._ap.DetectorRules`, in the same
#: units as these template keys), so each is written once.
_RULES = _ap.DetectorRules()


@dataclass(frozen=True)
class FiringCCParams:
    """Parameters of the current-clamp firing analysis (see the module docstring)."""

    dvdt_threshold: pq.Quantity = _q(_RULES.dvdt_threshold, "mV/ms", "dV/dt that marks an action potential onset", sign="pos",
                                     required=True)
    dvdt_sustain: pq.Quantity = _q(_RULES.sustain_ms, "ms", "dV/dt above threshold at least this long (and 3 samples)")
    min_peak: pq.Quantity | None = _q(None, "mV", "optional absolute peak level (off: low-overshoot APs count)",
                                      sign="any")
    min_ap_amplitude: pq.Quantity = _q(_RULES.min_amplitude, "mV", "min threshold-to-peak amplitude", required=True)
    min_ap_width: pq.Quantity = _q(_RULES.min_width_ms, "ms", "min full width at half height (glitches are narrower)")
    max_repolarisation: pq.Quantity = _q(_RULES.max_repolarisation_ms, "ms", "the AP falls back below half height within this "
                                                      "(RC charging does not)")
    refractory: pq.Quantity = _q(_RULES.refractory_ms, "ms", "min interval between action potentials", required=True)
    onset_skip: pq.Quantity = _q(1.0, "ms", "ignored after the step onset (capacitive transient)", required=True)
    smooth: pq.Quantity | None = _q(None, "Hz", "low-pass before dV/dt (default none)", sign="pos")
    feature_lowpass: pq.Quantity | None = _q(
        5000.0, "Hz", "low-pass of dV/dt for AP threshold (ignored at or above Nyquist)", sign="pos")
    step_window: tuple[pq.Quantity, pq.Quantity] | None = param(
        None, kind="window", unit="s", form="pair", description="current step, from the sweep start; default: epochs")
    step_currents: tuple[pq.Quantity, ...] | None = param(
        None, kind="quantities", unit="pA", form="tuple", description="every step current, when irregular")
    step_first: pq.Quantity | None = _q(None, "pA", "first step current when the file has no epochs", sign="any",
                                        override=("step_first_pA",), override_wins=False)
    step_increment: pq.Quantity | None = _q(None, "pA", "step increment when the file has no epochs", sign="any",
                                            override=("step_increment_pA",), override_wins=False)

    @classmethod
    def from_protocol(
        cls, analysis_params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
    ) -> FiringCCParams:
        """Build from a template's ``analysis_params`` (quantity strings) and manifest overrides
        (``step_first_pA``, ``step_increment_pA``: used where the template gives none).

        Raises
        ------
        ProtocolError
            A value without a unit, with the wrong unit, or a malformed ``step_window``.
        """
        return _p.from_protocol(cls, analysis_params, overrides)

    def rules(self) -> _ap.DetectorRules:
        """The detector's shape rules as plain floats (see :class:`ephystool.analysis.firing_cc._ap.DetectorRules`)."""
        return _ap.DetectorRules(
            dvdt_threshold=to_float(self.dvdt_threshold, "mV/ms", "dvdt_threshold"),
            sustain_ms=to_float(self.dvdt_sustain, "ms", "dvdt_sustain"),
            min_amplitude=to_float(self.min_ap_amplitude, "mV", "min_ap_amplitude"),
            min_peak=None if self.min_peak is None else to_float(self.min_peak, "mV", "min_peak"),
            min_width_ms=to_float(self.min_ap_width, "ms", "min_ap_width"),
            max_repolarisation_ms=to_float(self.max_repolarisation, "ms", "max_repolarisation"),
            refractory_ms=to_float(self.refractory, "ms", "refractory"),
        )

    @property
    def smooth_hz(self) -> float | None:
        """Low-pass cut-off for dV/dt in Hz, or None."""
        return None if self.smooth is None else to_float(self.smooth, "Hz", "smooth")
