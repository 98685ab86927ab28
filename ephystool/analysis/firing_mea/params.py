"""Parameters of the MEA firing analysis (template ``mea_spontaneous``, analysis ``firing_mea``); re-exported by
its analyzer. A module of its own so that the protocol schema reads them without importing the detector."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import quantities as pq

from ephystool.analysis import params as _p
from ephystool.analysis._spike_settings import POLARITIES, DetectionSettings
from ephystool.analysis.bursts import BurstSettings
from ephystool.analysis.params import Rule, param

__all__ = ["FiringMEAParams"]

#: The detection and burst engines state the defaults (plain SI numbers); the template keys below take them
#: in their own units, so each default is written once.
_DET = DetectionSettings()
_BUR = BurstSettings()
_MS = 1e3  # s -> ms


def _ms(value: float, description: str, sign: str = "pos", required: bool = True) -> Any:
    return param(lambda: value * pq.ms, kind="quantity", unit="ms", sign=sign, factory=True, description=description,
                 template="required" if required else "optional")


def _dosing_window(description: str) -> Any:
    return param(None, kind="window", unit="s", form="pair", description=description)


@dataclass(frozen=True)
class FiringMEAParams:
    """Parameters of the MEA firing analysis (template keys; the defaults are the packaged templates')."""

    RULES: ClassVar[tuple[Rule, ...]] = (
        Rule(("burst_max_isi_start", "burst_max_isi_end"), lambda start, end: not end < start,
             "burst_max_isi_end", "must not be shorter than burst_max_isi_start"),
    )

    band: pq.Quantity = param(lambda: np.array(_DET.band_hz) * pq.Hz, kind="window", unit="Hz", sign="pos",
                              factory=True, template="required", description="band-pass for spike detection")
    filter_order: int = param(_DET.order, kind="integer", ge=1, le=8, template="required",
                              description="Butterworth order (zero-phase)")
    threshold_sd: float = param(_DET.threshold_sd, kind="number", gt=0.0, template="required",
                                description="threshold in robust SDs (MAD/0.6745) of the noise")
    polarity: str = param(_DET.polarity, kind="choice", choices=POLARITIES, template="required",
                          description="spike polarity")
    dead_time: pq.Quantity = _ms(_DET.dead_time_s * _MS, "refractory period between detected spikes", sign="nonneg")
    chunk: pq.Quantity = param(lambda: _DET.chunk_s * pq.s, kind="quantity", unit="s", sign="pos", factory=True,
                               template="required", description="length of the chunks read from the file")
    margin: pq.Quantity = _ms(_DET.margin_s * _MS, "filter margin on each side of a chunk", sign="nonneg")
    artifact_fraction: float = param(_DET.artifact_fraction, kind="number", ge=0.0, le=1.0, template="required",
                                     description="events on more than this fraction of electrodes ...")
    artifact_window: pq.Quantity = _ms(_DET.artifact_window_s * _MS, "... within this window are removed as artifacts", sign="nonneg")
    phase: str = param(_DET.phase, kind="choice", choices=("zero", "causal"), description="filter phase")
    stim_blanking: pq.Quantity = _ms(_DET.stim_blanking_s * _MS, "blanked after each stimulus", sign="nonneg", required=False)
    active_min_spikes_per_min: float = param(
        5.0, kind="number", ge=0.0, template="required",
        description="an electrode is active with at least this many spikes per minute")
    burst_max_isi_start: pq.Quantity = _ms(_BUR.max_isi_start * _MS, "max ISI to start a burst")
    burst_max_isi_end: pq.Quantity = _ms(_BUR.max_isi_end * _MS, "max ISI to continue a burst")
    burst_min_ibi: pq.Quantity = _ms(_BUR.min_ibi * _MS, "bursts closer than this are merged", sign="nonneg")
    burst_min_spikes: int = param(_BUR.min_spikes, kind="integer", ge=2, template="required", description="min spikes per burst")
    burst_min_duration: pq.Quantity = _ms(_BUR.min_duration * _MS, "min burst duration", sign="nonneg")
    network_burst_fraction: float = param(0.25, kind="number", ge=0.0, le=1.0, template="required",
                                          description="fraction of active electrodes bursting together")
    network_burst_window: pq.Quantity = _ms(100.0, "coincidence window of a network burst")
    sttc_dt: pq.Quantity = _ms(25.0, "STTC coincidence window")
    electrodes_per_well: int | None = param(
        None, kind="integer", ge=1, description="electrodes of a well (e.g. 16 on a 48-well Axion plate): silent "
        "electrodes a spike list omits count as 0 Hz in mean_firing_rate")
    dosing_source: str = "protocol"
    dosing_time: pq.Quantity | None = param(
        None, kind="quantity", unit="s", sign="nonneg", override=("dosing_time_s",), source="dosing_source",
        description="dosing time from the recording start")
    baseline_window: tuple[pq.Quantity, pq.Quantity] | None = _dosing_window(
        "relative to dosing_time; without dosing_time the whole file is analysed")
    treatment_window: tuple[pq.Quantity, pq.Quantity] | None = _dosing_window(
        "relative to dosing_time; without dosing_time the whole file is analysed")

    @classmethod
    def from_protocol(cls, analysis_params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
                      ) -> FiringMEAParams:
        """Build from a template's ``analysis_params`` and a manifest row's overrides (``dosing_time_s``).

        Raises
        ------
        ProtocolError
            A value has the wrong unit, type or range (the message names the key).
        """
        return _p.from_protocol(cls, analysis_params, overrides)

    def detection(self, stim_times_s: tuple[float, ...] = ()) -> DetectionSettings:
        """The spike-detector settings (plain SI numbers)."""
        s = lambda q: float(q.rescale(pq.s).magnitude)  # noqa: E731
        band = self.band.rescale(pq.Hz).magnitude
        return DetectionSettings(
            band_hz=(float(band[0]), float(band[1])), order=self.filter_order, threshold_sd=self.threshold_sd,
            polarity=self.polarity, dead_time_s=s(self.dead_time), chunk_s=s(self.chunk), margin_s=s(self.margin),
            artifact_fraction=self.artifact_fraction, artifact_window_s=s(self.artifact_window), phase=self.phase,
            stim_times_s=tuple(stim_times_s), stim_blanking_s=s(self.stim_blanking))

    def bursts(self) -> BurstSettings:
        """The max-interval burst settings (s)."""
        s = lambda q: float(q.rescale(pq.s).magnitude)  # noqa: E731
        return BurstSettings(s(self.burst_max_isi_start), s(self.burst_max_isi_end), s(self.burst_min_ibi),
                             self.burst_min_spikes, s(self.burst_min_duration))
