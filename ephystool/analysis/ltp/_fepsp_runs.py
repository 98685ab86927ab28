"""fEPSP runs without an induction: baseline (stability) runs and input-output (I/O) curves.

A **baseline run** (e.g. 10 min of test pulses at 0.4 Hz, before deciding to induce, or a drug wash-in
control) gives the per-sweep time course - initial slope, amplitude, fibre volley, paired-pulse ratio -
and its stability: mean slope, coefficient of variation (%, robust outliers left out), and the drift
over the run (the change of a straight-line fit from the first to the last sweep, % of the mean; the
same definition as the LTP baseline drift). A run whose drift exceeds ``drift_limit`` is flagged.

An **input-output run** steps the stimulus intensity (one intensity per sweep, or per equal block of
consecutive sweeps, from the manifest's ``stim_intensity_uA`` or the protocol's ``stim_intensities``;
the source is in every row). Its curve is the mean fEPSP slope per intensity, and ``io_slope`` the
least-squares slope of the per-sweep fEPSP slope against intensity (mV/ms per uA or per V), which
assumes the intensities span the rising, roughly linear part of the curve (a saturated top level
flattens it: the curve rows let a reader check). ``io_slope_fv`` is the slope of the fEPSP slope against
the fibre-volley amplitude (mV/ms per mV), the standard measure of synaptic strength independent of how
many axons the stimulus recruits (e.g. Sweatt, *Mechanisms of Memory*; Kleschevnikov et al., J Neurosci
24:8153, 2004). Slopes keep the recording's sign (negative for a negative-going fEPSP).

Every sweep's slope is fitted over one window, the 10-90 % rising phase of the average of all sweeps
(as in the LTP analyzer); outliers are sweeps more than ``outlier_mad`` robust SDs from the running
median of their neighbours (baseline runs; within each intensity level for I/O runs).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ephystool.analysis.ltp._measure import MeasuredSession, running_outliers
from ephystool.analysis.ltp._series import SweepSeries
from ephystool.analysis.ltp.params import LtpParams
from ephystool.errors import AnalysisError

__all__ = ["FepspRunResult", "analyze_run"]

NAME = "ltp"


@dataclass(frozen=True)
class FepspRunResult:
    """A baseline or input-output run (no induction): per-sweep series, stability and I/O metrics.

    ``metrics`` maps a metric name to (value, unit); ``intensity`` holds one intensity per sweep (NaN
    without intensities); ``curve`` the I/O curve rows (intensity, mean slope, mean FV, n).
    """

    source: str
    experiment: str
    series: SweepSeries
    time_min: np.ndarray
    outlier: np.ndarray
    metrics: dict[str, tuple[float, str]]
    intensity: np.ndarray
    intensity_unit: str = ""
    intensity_source: str = ""
    curve: tuple[tuple[float, float, float, int], ...] = ()
    flag: str = ""
    excluded_reason: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    traces: Any = None
    channel: dict = field(default_factory=dict)  # the field channel read and its unit

    @property
    def n_outliers(self) -> int:
        """Sweeps excluded as outliers or not measurable."""
        return int(np.sum(self.outlier))

    def rows(self) -> list[dict]:
        """Tidy rows for results.csv (NaN metrics left out)."""
        common = {"analysis": NAME, "experiment": self.experiment, "n_outliers": self.n_outliers, "flag": self.flag,
                  "excluded_reason": self.excluded_reason, "n_sweeps": int(np.sum(~self.outlier)), **self.channel}
        if self.intensity_source:
            common["intensity_source"] = self.intensity_source
        rows = [{**common, "metric": m, "value": float(v), "unit": u, "window": "whole run"}
                for m, (v, u) in self.metrics.items() if np.isfinite(v)]
        for level, slope, fv, n in self.curve:
            rows.append({**common, "metric": "io_fepsp_slope", "value": slope, "unit": self.series.slope_unit,
                         "window": f"{level:g} {self.intensity_unit}", "stim_intensity": level,
                         "stim_intensity_unit": self.intensity_unit, "n_sweeps": n})
            if np.isfinite(fv):
                rows.append({**common, "metric": "io_fibre_volley", "value": fv, "unit": "mV",
                             "window": f"{level:g} {self.intensity_unit}", "stim_intensity": level,
                             "stim_intensity_unit": self.intensity_unit, "n_sweeps": n})
        return rows

    def sweep_rows(self) -> list[dict]:
        """Per-sweep rows for sweeps.csv: fEPSP slope, amplitude, fibre volley, PPR (NaN left out)."""
        s = self.series
        measures = [("fepsp_slope", s.slope, s.slope_unit), ("fepsp_amplitude", s.amplitude, "mV"),
                    ("fibre_volley", s.fibre_volley, "mV"), ("ppr", s.ppr, "1")]
        rows = []
        for k in range(s.time_s.size):
            common = {"sweep": k, "sweep_time_s": float(s.time_s[k]), "analysis": NAME,
                      "time_min": float(self.time_min[k]), "file": s.files[int(s.file_index[k])],
                      "phase": self.experiment, "outlier": bool(self.outlier[k])}
            if np.isfinite(self.intensity[k]):
                common.update(stim_intensity=float(self.intensity[k]), stim_intensity_unit=self.intensity_unit)
            for metric, arr, unit in measures:
                if np.isfinite(arr[k]):
                    rows.append({**common, "metric": metric, "value": float(arr[k]), "unit": unit})
        return rows


def sweep_intensities(params: LtpParams, n_sweeps: int, path: str) -> np.ndarray:
    """One intensity per sweep: the list as given (one per sweep) or each value repeated over an equal
    block of consecutive sweeps.

    Raises
    ------
    AnalysisError
        When the number of intensities neither equals nor divides the number of sweeps.
    """
    values = np.asarray(params.intensities, dtype=float)
    if values.size == 0:
        return np.full(n_sweeps, np.nan)
    if values.size == n_sweeps:
        return values
    if n_sweeps % values.size == 0:
        return np.repeat(values, n_sweeps // values.size)
    raise AnalysisError(f"{values.size} stimulus intensities ({params.intensity_source}) for {n_sweeps} sweeps: give "
                        "one per sweep or one per equal block of sweeps", path)


def _drift(t_min: np.ndarray, y: np.ndarray) -> float:
    """Change of a straight-line fit over the run, % of the mean (NaN for fewer than 3 sweeps)."""
    if t_min.size < 3 or not np.mean(y):
        return float("nan")
    slope = np.polyfit(t_min, y, 1)[0]
    return float(100.0 * slope * (t_min.max() - t_min.min()) / np.mean(y))


def _line(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0:
        return float("nan")
    return float(np.polyfit(x[ok], y[ok], 1)[0])


def analyze_run(measured: MeasuredSession, params: LtpParams, path: str, reason: str = "",
                sign: float = 1.0) -> FepspRunResult:
    """Analyse a run without an induction (baseline/stability or input-output).

    Parameters
    ----------
    measured : MeasuredSession
        Every sweep of the run, measured (sign-corrected: negative-going).
    params : LtpParams
        ``experiment``, intensities, ``outlier_mad`` and ``drift_limit``.
    path : str
        File name(s).
    reason : str
        Non-empty when an LTP/LTD session had no induction: the run is flagged with it.
    sign : float
        -1 when the sweeps were inverted (a positive-going fEPSP): slopes are reported in the recording's sign.

    Raises
    ------
    AnalysisError
        No measurable sweep, or intensities that do not fit the sweeps.
    """
    n = measured.slope.size
    intensity = sweep_intensities(params, n, path)
    io = params.experiment == "input_output"
    if io and not np.isfinite(intensity).any():
        raise AnalysisError("an input-output run needs stimulus intensities: set stim_intensity_uA in the manifest "
                            "(one per sweep or per block, ';'-separated) or stim_intensities in the protocol", path)
    finite = np.isfinite(measured.slope)
    if finite.sum() < 3:
        raise AnalysisError(f"only {int(finite.sum())} of {n} sweeps have a measurable fEPSP", path)
    fit_ms = measured.fixed_window(finite)
    slope, ppr = measured.refit(fit_ms)
    t_min = (measured.time_s - measured.time_s[0]) / 60.0
    groups = np.unique(intensity, return_inverse=True)[1] if io else np.zeros(n, int)
    usable = np.isfinite(slope)
    outlier = running_outliers(slope, t_min, usable, groups, params.outlier_mad) | ~usable
    series = SweepSeries(measured.time_s, sign * slope, measured.amplitude, measured.fibre_volley, ppr,
                         measured.duration_s, measured.file_index, measured.files)
    return dataclasses.replace(_result(series, t_min, outlier, intensity, params, path, reason),
                               channel=measured.channel)


def _result(series: SweepSeries, t_min: np.ndarray, outlier: np.ndarray, intensity: np.ndarray, params: LtpParams,
            path: str, reason: str) -> FepspRunResult:
    ok = ~outlier
    s = series.slope

    def mean(a: np.ndarray) -> float:
        v = a[ok & np.isfinite(a)]
        return float(np.mean(v)) if v.size else float("nan")

    io = params.experiment == "input_output"
    metrics: dict[str, tuple[float, str]] = {}
    curve: list[tuple[float, float, float, int]] = []
    if io:
        for level in np.unique(intensity[np.isfinite(intensity)]):
            m = ok & (intensity == level)
            fv = series.fibre_volley[m & np.isfinite(series.fibre_volley)]
            curve.append((float(level), float(np.mean(s[m])) if m.any() else float("nan"),
                          float(np.mean(fv)) if fv.size else float("nan"), int(m.sum())))
        metrics["io_slope"] = (_line(intensity[ok], s[ok]), f"mV/ms/{params.intensity_unit}")
        metrics["io_slope_fv"] = (_line(series.fibre_volley[ok], s[ok]), "mV/ms/mV")
        metrics["io_max_slope"] = (min((c[1] for c in curve), default=float("nan")), series.slope_unit)
    else:
        sd = float(np.std(s[ok], ddof=1)) if ok.sum() > 1 else float("nan")
        metrics.update({
            "baseline_slope": (mean(s), series.slope_unit),
            "baseline_cv": (100.0 * sd / abs(mean(s)), "%"),
            "baseline_drift": (_drift(t_min[ok], s[ok]), "%"),
            "fepsp_amplitude": (mean(series.amplitude), "mV"),
            "fibre_volley": (mean(series.fibre_volley), "mV"),
            "ppr": (mean(series.ppr), "1"),
            "run_duration": (float(t_min.max() - t_min.min()), "min"),
        })
    flag, excluded = ("no_induction", reason) if reason else ("", "")
    drift = metrics.get("baseline_drift", (float("nan"), ""))[0]
    if not flag and np.isfinite(drift) and abs(drift) > 100.0 * params.drift_limit:
        flag, excluded = "baseline_drift", f"drift {drift:+.1f} % over the run exceeds the {100 * params.drift_limit:g} % limit"
    return FepspRunResult(path, params.experiment, series, t_min, outlier, metrics, intensity, params.intensity_unit,
                          params.intensity_source, tuple(curve), flag, excluded)
