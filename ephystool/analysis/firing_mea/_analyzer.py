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

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis.bursts import ElectrodeStats, electrode_stats, well_stats
from ephystool.analysis.firing_mea.figures import plot_firing_mea
from ephystool.analysis.firing_mea.metrics import METRICS
from ephystool.analysis.firing_mea.params import FiringMEAParams
from ephystool.analysis.spec import AnalysisSpec
from ephystool.analysis.spikes import detect_spikes
from ephystool.errors import AnalysisError

__all__ = ["SPEC", "NAME", "FiringMEAParams", "FiringMEAResult", "analyze", "WELL_METRICS", "WELL_UNITS", "ELECTRODE_UNITS"]

NAME = "firing_mea"
#: Units of the well metrics (results.csv) and of the electrode metrics (electrodes.csv), from the catalogue
WELL_UNITS = {m.name: m.unit for m in METRICS if "results" in m.tables}
ELECTRODE_UNITS = {m.name: m.unit for m in METRICS if "electrodes" in m.tables}
#: The metric catalogue of a well: what each metric means (the report and ``ephystool`` docs show it).
WELL_METRICS = {m.name: m.description for m in METRICS if "results" in m.tables}


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
    src = recording.mea
    stim = tuple(recording.stim_times_s[0]) if recording.stim_times_s else ()
    det = detect_spikes(src, params.detection(stim))
    import neo  # for the trains: the samples are read and detected without it

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

    Parameters
    ----------
    recording : Recording
        Raw voltage traces of an array (``recording.mea``, spikes detected chunk by chunk) or spike trains
        annotated with ``electrode`` and ``well``.
    params : FiringMEAParams
        Detection band (Hz), threshold (robust SDs), dead time and burst intervals (ms), activity
        criterion (spikes/min), dosing time and windows (s).

    Returns
    -------
    FiringMEAResult
        Per well (``rows()``, units in :data:`WELL_UNITS`: rates in Hz, burst rates in 1/min) and per
        electrode (``electrode_rows()``, :data:`ELECTRODE_UNITS`).

    Examples
    --------
    >>> from ephystool.simulate.mea import mea_recording, simulate_mea
    >>> data, truth = simulate_mea(4.0, seed=19, snr=7.0)
    >>> res = analyze(mea_recording(data, truth), FiringMEAParams())
    >>> true_rate = sum(s.size for s in truth.spike_samples) / len(truth.spike_samples) / truth.duration_s
    >>> mfr = next(r for r in res.rows() if r["metric"] == "mean_firing_rate")
    >>> abs(mfr["value"] - true_rate) / true_rate < 0.05, mfr["unit"]
    (True, 'Hz')

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


#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, FiringMEAParams, analyze, plot_firing_mea, METRICS)
