"""Firing on multi-electrode arrays: per-electrode and per-well spiking, bursting and synchrony.

Input: a raw MEA recording (``recording.mea``: spikes are detected chunk by chunk with
:mod:`ephystool.analysis.spikes`) or a spike-list recording (``recording.spiketrains``, one train per
electrode annotated with ``electrode`` and ``well``). A well is the unit of analysis (a single-well
array is one well, named ``""``).

Per electrode (``electrode_rows``): ``spike_count``, ``firing_rate`` (Hz), ``active`` (>=
``active_min_spikes_per_min``), ``isi_mean`` (s), ``isi_cv`` (Elephant ``cv``), ``burst_rate`` (/min),
``burst_duration`` (s), ``spikes_per_burst``, ``percent_spikes_in_bursts`` (%), ``channel_ok`` (0 for dead
or saturated channels, which are not searched for spikes).

Per well (``rows``; definitions in :data:`WELL_METRICS`): ``mean_firing_rate`` (Hz, the mean rate over
all electrodes of the well, silent ones counted as 0 Hz: Axion's Mean Firing Rate), ``weighted_mean_firing_rate``
(Hz, the mean rate over the well's active electrodes, >= ``active_min_spikes_per_min``; 0 when none is
active: Axion's Weighted Mean Firing Rate, EPA meaRtools' ``meanfiringrate``), ``active_electrodes``, ``burst_rate`` (/min,
mean over active electrodes), ``network_burst_rate`` (/min), ``sttc`` (mean spike-time tiling
coefficient over pairs of active electrodes). With a dosing time inside the recording, each is also
computed in the baseline and treatment windows of the same well, with the ratio treatment/baseline
(``window`` selector: ``all``, ``baseline``, ``treatment``, ``ratio``). A recording that ends before the
protocol's dosing time (one recording per well, conditions in different wells) is analysed whole
(``window`` ``all`` only) and its rows carry a ``note`` saying so; a manifest ``dosing_time_s`` outside
the recording is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis.bursts import BurstSettings, ElectrodeStats, electrode_stats, well_stats
from ephystool.analysis.spikes import POLARITIES, DetectionSettings, detect_spikes
from ephystool.errors import AnalysisError, ProtocolError, UnitsError
from ephystool.units import parse_quantity

__all__ = ["NAME", "FiringMEAParams", "FiringMEAResult", "analyze", "WELL_METRICS", "WELL_UNITS", "ELECTRODE_UNITS"]

NAME = "firing_mea"
WELL_UNITS = {"mean_firing_rate": "Hz", "weighted_mean_firing_rate": "Hz", "active_electrodes": "1",
              "burst_rate": "1/min", "network_burst_rate": "1/min", "sttc": "1"}
#: The metric catalogue of a well: what each metric means (the report and ``ephystool`` docs show it).
WELL_METRICS = {
    "mean_firing_rate": "mean spike rate over all electrodes of the well, silent electrodes counted as 0 Hz "
                        "(Axion AxIS 'Mean Firing Rate'); electrodes a spike list omits count when "
                        "electrodes_per_well gives the layout",
    "weighted_mean_firing_rate": "mean spike rate over the well's active electrodes (>= active_min_spikes_per_min, "
                                 "5/min by default) (Axion AxIS 'Weighted Mean Firing Rate'; EPA meaRtools "
                                 "'meanfiringrate'); use it for activity per active electrode",
    "active_electrodes": "electrodes with at least active_min_spikes_per_min spikes per minute",
    "burst_rate": "bursts per minute (max-interval method), mean over active electrodes",
    "network_burst_rate": "network bursts per minute (bursts on >= network_burst_fraction of active electrodes "
                          "within network_burst_window)",
    "sttc": "mean spike-time tiling coefficient over pairs of active electrodes (Cutts & Eglen 2014)",
}
ELECTRODE_UNITS = {"spike_count": "1", "firing_rate": "Hz", "active": "1", "isi_mean": "s", "isi_cv": "1",
                   "burst_rate": "1/min", "burst_duration": "s", "spikes_per_burst": "1",
                   "percent_spikes_in_bursts": "%", "channel_ok": "1"}


def _q(params: Mapping[str, Any], key: str, default: str, unit: str) -> pq.Quantity:
    try:
        return parse_quantity(params.get(key, default), unit, name=key)
    except UnitsError as exc:
        raise ProtocolError(str(exc), field=key) from exc


def _num(params: Mapping[str, Any], key: str, default: float, lo: float = 0.0) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= lo:
        raise ProtocolError(f"expected a number >= {lo:g}, got {value!r}", field=key)
    return float(value)


def _window(params: Mapping[str, Any], key: str) -> tuple[pq.Quantity, pq.Quantity] | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ProtocolError("expected two times relative to dosing, e.g. ['-10 min', '0 min']", field=key)
    a, b = (_q({key: v}, key, "", "s") for v in value)
    if not float(b) > float(a):
        raise ProtocolError(f"window end {b} is not after its start {a}", field=key)
    return a, b


@dataclass(frozen=True)
class FiringMEAParams:
    """Parameters of the MEA firing analysis (template keys in parentheses; defaults documented there)."""

    band: pq.Quantity = field(default_factory=lambda: np.array([300.0, 3000.0]) * pq.Hz)
    filter_order: int = 2
    threshold_sd: float = 5.0
    polarity: str = "negative"
    dead_time: pq.Quantity = field(default_factory=lambda: 1.0 * pq.ms)
    chunk: pq.Quantity = field(default_factory=lambda: 10.0 * pq.s)
    margin: pq.Quantity = field(default_factory=lambda: 50.0 * pq.ms)
    artifact_fraction: float = 0.5
    artifact_window: pq.Quantity = field(default_factory=lambda: 0.2 * pq.ms)
    phase: str = "zero"
    stim_blanking: pq.Quantity = field(default_factory=lambda: 2.0 * pq.ms)
    active_min_spikes_per_min: float = 5.0
    burst_max_isi_start: pq.Quantity = field(default_factory=lambda: 100.0 * pq.ms)
    burst_max_isi_end: pq.Quantity = field(default_factory=lambda: 250.0 * pq.ms)
    burst_min_ibi: pq.Quantity = field(default_factory=lambda: 800.0 * pq.ms)
    burst_min_spikes: int = 5
    burst_min_duration: pq.Quantity = field(default_factory=lambda: 50.0 * pq.ms)
    network_burst_fraction: float = 0.25
    network_burst_window: pq.Quantity = field(default_factory=lambda: 100.0 * pq.ms)
    sttc_dt: pq.Quantity = field(default_factory=lambda: 25.0 * pq.ms)
    electrodes_per_well: int | None = None
    dosing_source: str = "protocol"
    dosing_time: pq.Quantity | None = None
    baseline_window: tuple[pq.Quantity, pq.Quantity] | None = None
    treatment_window: tuple[pq.Quantity, pq.Quantity] | None = None

    @classmethod
    def from_protocol(cls, analysis_params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
                      ) -> FiringMEAParams:
        """Build from a template's ``analysis_params`` and a manifest row's overrides (``dosing_time_s``).

        Raises
        ------
        ProtocolError
            A value has the wrong unit, type or range (the message names the key).
        """
        p, ov = dict(analysis_params), dict(overrides or {})
        band = p.get("band", ["300 Hz", "3000 Hz"])
        if not isinstance(band, list | tuple) or len(band) != 2:
            raise ProtocolError("expected [low, high], e.g. ['300 Hz', '3000 Hz']", field="band")
        band_q = np.array([float(_q({"band": b}, "band", "", "Hz")) for b in band]) * pq.Hz
        if not 0 < band_q[0] < band_q[1]:
            raise ProtocolError(f"expected 0 < low < high, got {band}", field="band")
        for key, allowed in (("polarity", POLARITIES), ("phase", ("zero", "causal"))):
            if key in p and p[key] not in allowed:
                raise ProtocolError(f"'{p[key]}' is not one of {', '.join(allowed)}", field=key)
        dosing = _q(p, "dosing_time", "0 s", "s") if "dosing_time" in p and p["dosing_time"] is not None else None
        source = "protocol"
        if ov.get("dosing_time_s") is not None:
            source = "manifest"
            try:
                dosing = float(ov["dosing_time_s"]) * pq.s
            except (TypeError, ValueError) as exc:
                raise ProtocolError(f"not a number: {ov['dosing_time_s']!r}", field="dosing_time_s") from exc
        return cls(
            band=band_q, filter_order=int(_num(p, "filter_order", 2, 1)), threshold_sd=_num(p, "threshold_sd", 5.0),
            polarity=p.get("polarity", "negative"), dead_time=_q(p, "dead_time", "1 ms", "ms"),
            chunk=_q(p, "chunk", "10 s", "s"), margin=_q(p, "margin", "50 ms", "ms"),
            artifact_fraction=_num(p, "artifact_fraction", 0.5), artifact_window=_q(p, "artifact_window", "0.2 ms", "ms"),
            phase=p.get("phase", "zero"), stim_blanking=_q(p, "stim_blanking", "2 ms", "ms"),
            active_min_spikes_per_min=_num(p, "active_min_spikes_per_min", 5.0),
            burst_max_isi_start=_q(p, "burst_max_isi_start", "100 ms", "ms"),
            burst_max_isi_end=_q(p, "burst_max_isi_end", "250 ms", "ms"),
            burst_min_ibi=_q(p, "burst_min_ibi", "800 ms", "ms"),
            burst_min_spikes=int(_num(p, "burst_min_spikes", 5, 1)),
            burst_min_duration=_q(p, "burst_min_duration", "50 ms", "ms"),
            network_burst_fraction=_num(p, "network_burst_fraction", 0.25),
            network_burst_window=_q(p, "network_burst_window", "100 ms", "ms"),
            sttc_dt=_q(p, "sttc_dt", "25 ms", "ms"), dosing_time=dosing,
            electrodes_per_well=int(_num(p, "electrodes_per_well", 1, 1)) if p.get("electrodes_per_well") else None,
            dosing_source=source,
            baseline_window=_window(p, "baseline_window"), treatment_window=_window(p, "treatment_window"),
        )

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


@dataclass(frozen=True)
class FiringMEAResult:
    """Per-electrode and per-well metrics, the spike trains, channel problems and analysis windows (s).

    ``well_metrics[(well, window)]`` maps metric names to floats in :data:`WELL_UNITS`;
    :meth:`metric` returns one as a Quantity.
    """

    electrodes: tuple[ElectrodeStats, ...]
    well_metrics: dict[tuple[str, str], dict[str, float]]
    windows: dict[str, tuple[float, float]]
    spiketrains: tuple[Any, ...]
    channel_problems: dict[str, str]
    noise_uv: dict[str, float] = field(default_factory=dict)
    n_artifacts: int = 0
    note: str = ""

    @property
    def wells(self) -> list[str]:
        """Wells in order of appearance."""
        return list(dict.fromkeys(e.well for e in self.electrodes))

    def metric(self, name: str, well: str = "", window: str = "all") -> pq.Quantity:
        """One well metric as a Quantity (e.g. ``result.metric('mean_firing_rate')`` in Hz)."""
        unit = {"1": pq.dimensionless, "1/min": 1 / pq.min}.get(WELL_UNITS[name], WELL_UNITS[name])
        return self.well_metrics[(well, window)][name] * pq.Quantity(1.0, unit)

    def rows(self) -> list[dict[str, Any]]:
        """Tidy per-well rows: ``analysis, metric, value, unit, well, window``."""
        out = []
        for (well, window), metrics in self.well_metrics.items():
            for name, value in metrics.items():
                unit = "1" if window == "ratio" else WELL_UNITS[name]
                out.append({"analysis": NAME, "metric": name, "value": float(value), "unit": unit,
                            "well": well, "window": window, **({"note": self.note} if self.note else {})})
        return out

    def sweep_rows(self) -> list[dict[str, Any]]:
        """MEA recordings have no sweeps."""
        return []

    def electrode_rows(self) -> list[dict[str, Any]]:
        """Tidy per-electrode rows: ``well, electrode, analysis, metric, value, unit``."""
        return [{"well": e.well, "electrode": e.label, "analysis": NAME, "metric": k, "value": float(v),
                 "unit": ELECTRODE_UNITS[k]} for e in self.electrodes for k, v in e.metrics().items()]

    def spike_table(self) -> Any:
        """All spikes as a DataFrame: ``electrode, well, time_s, amplitude_uV`` (NaN amplitude where unknown)."""
        import pandas as pd

        parts = []
        for st in self.spiketrains:
            t = np.asarray(st.times.rescale(pq.s).magnitude, dtype=float)
            amp = st.array_annotations.get("amplitude_uV", np.full(t.size, np.nan))
            parts.append(pd.DataFrame({"electrode": st.annotations.get("electrode", st.name), "well":
                                       st.annotations.get("well", ""), "time_s": t,
                                       "amplitude_uV": np.asarray(amp, dtype=float)}))
        if not parts:
            return pd.DataFrame(columns=["electrode", "well", "time_s", "amplitude_uV"])
        return pd.concat(parts, ignore_index=True)


def _trains_from_detection(recording: Any, params: FiringMEAParams) -> tuple[list[Any], dict, dict, int, float]:
    import neo

    src = recording.mea
    stim = tuple(recording.stim_times_s[0]) if recording.stim_times_s else ()
    det = detect_spikes(src, params.detection(stim))
    elecs = recording.electrodes or tuple(src.electrodes)
    duration = det.n_samples / det.sampling_rate_hz
    trains = []
    for ch, e in enumerate(elecs):
        st = neo.SpikeTrain(det.times_s(ch) * pq.s, t_start=0 * pq.s, t_stop=duration * pq.s, name=e.label,
                            electrode=e.label, well=e.well,
                            array_annotations={"amplitude_uV": det.amplitudes_uv[ch]})
        trains.append(st)
    problems = {elecs[c].label: why for c, why in det.problems.items()}
    noise = {e.label: float(det.noise_uv[c]) for c, e in enumerate(elecs)}
    return trains, problems, noise, det.n_artifacts, duration


def _windows(params: FiringMEAParams, t0: float, t1: float, path: Any) -> dict[str, tuple[float, float]]:
    out = {"all": (t0, t1)}
    if params.dosing_time is None:
        return out
    d = float(params.dosing_time.rescale(pq.s).magnitude)
    if d >= t1 and params.dosing_source == "protocol":
        return out  # no dosing inside this recording (one recording per well): the whole recording
    if not t0 < d < t1:
        raise AnalysisError(f"dosing time {d:g} s is outside the recording ({t0:g}-{t1:g} s); set dosing_time_s "
                            "in the manifest, or use a protocol without dosing_time for recordings without dosing",
                            path)
    for name, win, default in (("baseline", params.baseline_window, (t0, d)),
                               ("treatment", params.treatment_window, (d, t1))):
        want = default if win is None else (d + float(win[0].rescale(pq.s)), d + float(win[1].rescale(pq.s)))
        a, b = max(want[0], t0), min(want[1], t1)
        if not b > a:
            raise AnalysisError(
                f"{name} window {want[0]:g}-{want[1]:g} s (dosing at {d:g} s) lies outside the recording "
                f"({t0:g}-{t1:g} s); change {name}_window in the protocol or dosing_time_s in the manifest", path)
        out[name] = (a, b)
    return out


def analyze(recording: Any, params: FiringMEAParams) -> FiringMEAResult:
    """Per-electrode and per-well firing metrics of an MEA recording (raw or spike list).

    Raises
    ------
    AnalysisError
        Not an MEA recording, no electrodes, a dosing time or window outside the recording, or settings
        the sampling rate cannot support.
    """
    if recording.kind != "mea":
        raise AnalysisError(f"firing_mea needs an MEA recording, got kind '{recording.kind}'", recording.path)
    problems: dict[str, str] = {}
    noise: dict[str, float] = {}
    n_art = 0
    if recording.mea is not None:
        trains, problems, noise, n_art, _ = _trains_from_detection(recording, params)
    else:
        trains = list(recording.spiketrains)
    if not trains:
        raise AnalysisError("the recording has no electrodes/spike trains", recording.path)
    t0 = min(float(st.t_start.rescale(pq.s)) for st in trains)
    t1 = max(float(st.t_stop.rescale(pq.s)) for st in trains)
    windows = _windows(params, t0, t1, recording.path)
    bs = params.bursts()
    elec = tuple(electrode_stats(st, t0, t1, bs, params.active_min_spikes_per_min, problems) for st in trains)
    wm: dict[tuple[str, str], dict[str, float]] = {}
    nb_frac, nb_win = params.network_burst_fraction, float(params.network_burst_window.rescale(pq.s))
    dt = float(params.sttc_dt.rescale(pq.s))
    for well in dict.fromkeys(e.well for e in elec):
        members = [e for e in elec if e.well == well]
        for name, (a, b) in windows.items():
            stats = members if name == "all" else [
                electrode_stats(e.train, a, b, bs, params.active_min_spikes_per_min, problems) for e in members]
            wm[(well, name)] = well_stats(stats, a, b, nb_frac, nb_win, dt, params.electrodes_per_well)
        if "baseline" in windows:
            base, treat = wm[(well, "baseline")], wm[(well, "treatment")]
            wm[(well, "ratio")] = {k: (treat[k] / base[k] if base[k] else float("nan")) for k in base}
    note = ""
    if params.dosing_time is not None and "baseline" not in windows:
        note = (f"no dosing inside this recording (it ends at {t1:g} s, before the protocol's dosing time "
                f"{float(params.dosing_time.rescale(pq.s)):g} s): whole recording analysed (window 'all'), for "
                "between-well comparisons; set dosing_time_s in the manifest if the recording was dosed")
    return FiringMEAResult(elec, wm, windows, tuple(trains), problems, noise, n_art, note)
