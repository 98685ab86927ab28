"""LTP analyzer: fEPSP slope time course of a slice session, baseline normalisation and LTP magnitude.

A *session* is one file, or an ordered list of files of the same slice. The per-sweep measures
(fEPSP initial slope, amplitude, fibre volley, paired-pulse ratio) come from
:mod:`ephystool.analysis.ltp._fepsp`; this module holds the per-session logic, which only sees a
:class:`SweepSeries` (per-sweep values and times) so that other readers (MEA evoked responses) can
feed it too:

* **Induction time**, in this order: the manifest's ``induction_time_min``; a file tag/comment
  (a tag naming the induction — 'TBS', 'HFS', 'induction', 'tetanus', 'LTP' — else the first tag);
  the protocol's ``induction_time``; a gap in the sweep times longer than 3 sweep intervals (the
  induction is then one interval after the last sweep before the gap). Sweeps that contain the
  induction time, or whose length differs from the others', are induction sweeps and never part of a
  window.
* **Outliers**: sweeps more than ``outlier_mad`` robust SDs (1.4826 MAD of the residuals) from a running
  median of their 8 neighbours (a robust local line, so the post-tetanic decay is followed; computed
  before and after induction separately; scale at least 1 % of the response) are excluded and counted.
* **Normalisation** to the mean slope of the baseline window (%). ``ltp_magnitude`` and
  ``stp_magnitude`` are mean normalised slopes (% of baseline, 100 = no change) in the post and STP
  windows; ``baseline_drift`` is the change over the baseline window of a straight-line fit, in % of
  the baseline mean; ``fibre_volley_change`` is the post-window fibre volley relative to the baseline's
  (% change, 0 = constant input); ``ppr`` is the mean baseline paired-pulse ratio (slope 2 / slope 1).
  A session whose drift exceeds ``drift_limit`` is flagged: every row carries ``flag`` and
  ``excluded_reason``, which the comparison step uses to leave it out.
* **LTD** (``experiment: ltd``, template ``ltd_fepsp``: low-frequency stimulation, e.g. 900 pulses at
  1 Hz; Dudek & Bear, PNAS 89:4363, 1992) uses the same windows and reports the post-window mean as
  ``ltd_magnitude`` (% of baseline; 70 = a 30 % depression). A long induction has an
  ``induction_duration``: the induction time is its start, windows after it count from its end, and
  sweeps recorded during it are induction sweeps.
* **No induction** (no source at all) or ``experiment: baseline`` / ``input_output``: see
  :mod:`ephystool.analysis.ltp._fepsp_runs` (time course, stability, I/O curve; no magnitude invented).

Windows are inclusive at both ends, in minutes relative to the induction. A window the session does
not reach (its far end more than 1.5 sweep intervals beyond the recorded sweeps, or fewer than 3 usable
sweeps in it) raises :class:`~ephystool.errors.AnalysisError` naming the file and the window.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis.ltp._fepsp import evoked_peaks
from ephystool.analysis.ltp._fepsp_runs import FepspRunResult, analyze_run
from ephystool.analysis.ltp._fepsp_train import FepspTrainResult, analyze_train
from ephystool.analysis.ltp._measure import (
    FepspTraces,
    MeasuredSession,
    measure_recordings,
    running_outliers,
    session_clock,
)
from ephystool.analysis.ltp._pathways import check_alternation
from ephystool.analysis.ltp._series import (
    Induction,
    SweepSeries,
    find_induction,
    interval_s,
    no_induction_source,
)
from ephystool.analysis.ltp.figures import plot_ltp
from ephystool.analysis.ltp.metrics import METRICS
from ephystool.analysis.ltp.params import LtpParams
from ephystool.analysis.spec import AnalysisSpec
from ephystool.core.recording import Recording
from ephystool.errors import AnalysisError

__all__ = [
    "SPEC",
    "NAME",
    "LtpParams",
    "LtpResult",
    "FepspRunResult",
    "FepspTrainResult",
    "SweepSeries",
    "Induction",
    "analyze",
    "analyze_session",
    "find_induction",
    "session_time_course",
    "session_clock",
    "evoked_peaks",
]

NAME = "ltp"


@dataclass(frozen=True)
class LtpResult:
    """Outcome of the LTP analysis of one session (quantities; rows for the results tables)."""

    source: str
    ltp_magnitude: pq.Quantity
    stp_magnitude: pq.Quantity
    baseline_slope: pq.Quantity
    baseline_drift: pq.Quantity
    fibre_volley_change: pq.Quantity
    ppr: pq.Quantity
    induction: Induction
    series: SweepSeries
    slope_norm: np.ndarray
    time_min: np.ndarray
    phase: np.ndarray  # per sweep: 'baseline', 'stp', 'post', 'pre', 'after', 'induction'
    outlier: np.ndarray  # bool per sweep (excluded as outlier or not measurable)
    windows_min: dict[str, tuple[float, float]]
    n_sweeps: dict[str, int]
    flag: str = ""
    excluded_reason: str = ""
    traces: FepspTraces | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    experiment: str = "ltp"  # 'ltd': the post-window magnitude is reported as ltd_magnitude
    channel: dict = field(default_factory=dict)  # the field channel read and its unit (stated in every row)

    @property
    def ltd_magnitude(self) -> pq.Quantity:
        """The post-window magnitude under its LTD name (the same number as ``ltp_magnitude``)."""
        return self.ltp_magnitude

    @property
    def n_outliers(self) -> int:
        """Sweeps excluded as outliers or as not measurable (induction sweeps not counted)."""
        return int(np.sum(self.outlier))

    def rows(self) -> list[dict]:
        """Tidy rows for results.csv (one per metric; NaN metrics are left out)."""
        w = self.windows_min
        fmt = "{:g}-{:g} min".format
        spec = [
            (f"{self.experiment}_magnitude", self.ltp_magnitude, "%", fmt(*w["post"]), self.n_sweeps["post"]),
            ("stp_magnitude", self.stp_magnitude, "%", fmt(*w["stp"]), self.n_sweeps["stp"]),
            ("baseline_slope", self.baseline_slope, self.series.slope_unit, fmt(*w["baseline"]),
             self.n_sweeps["baseline"]),
            ("baseline_drift", self.baseline_drift, "%", fmt(*w["baseline"]), self.n_sweeps["baseline"]),
            ("fibre_volley_change", self.fibre_volley_change, "%", f"post {fmt(*w['post'])} vs baseline",
             self.n_sweeps["post"]),
            ("ppr", self.ppr, "1", fmt(*w["baseline"]), self.n_sweeps["baseline"]),
        ]
        rows = []
        for metric, q, unit, window, n in spec:
            value = float(q.magnitude)
            if not np.isfinite(value):
                continue
            rows.append({
                "analysis": NAME, "metric": metric, "value": value, "unit": unit, "window": window,
                "n_sweeps": int(n), "n_outliers": self.n_outliers, "induction_time_s": self.induction.time_s,
                "induction_source": self.induction.source, "flag": self.flag,
                "excluded_reason": self.excluded_reason, **self.channel,
            })
        return rows

    def sweep_rows(self) -> list[dict]:
        """Tidy per-sweep rows for sweeps.csv (NaN values are left out)."""
        s = self.series
        measures = [("fepsp_slope", s.slope, s.slope_unit), ("fepsp_slope_norm", self.slope_norm, "%"),
                    ("fepsp_amplitude", s.amplitude, "mV"), ("fibre_volley", s.fibre_volley, "mV"),
                    ("ppr", s.ppr, "1")]
        rows = []
        for k in range(s.time_s.size):
            common = {"sweep": k, "sweep_time_s": float(s.time_s[k]), "analysis": NAME,
                      "time_min": float(self.time_min[k]), "file": s.files[int(s.file_index[k])],
                      "phase": str(self.phase[k]), "outlier": bool(self.outlier[k])}
            for metric, arr, unit in measures:
                if np.isfinite(arr[k]):
                    rows.append({**common, "metric": metric, "value": float(arr[k]), "unit": unit})
        return rows


# ----------------------------------------------------------------------------- time course
def _window(name: str, window: tuple[float, float], time_min: np.ndarray, usable: np.ndarray,
            interval_min: float, path: str) -> np.ndarray:
    lo, hi = window
    inside = (time_min >= lo - 1e-9) & (time_min <= hi + 1e-9)
    tol = 1.5 * interval_min
    far_ok = time_min.min() <= lo + tol if hi <= 0 else time_min.max() >= hi - tol
    n = int(np.sum(inside & usable))
    if not far_ok or n < 3:
        span = f"{time_min.min():.1f} to {time_min.max():.1f} min"
        raise AnalysisError(
            f"session too short for the {name} window ({lo:g} to {hi:g} min from induction): the sweeps span "
            f"{span} and {n} usable sweeps fall in it (need 3 and coverage to the window's end); record longer "
            f"or set {name}_window in the protocol",
            path,
        )
    return inside & usable


def _drift(time_min: np.ndarray, norm: np.ndarray, window: tuple[float, float]) -> float:
    if time_min.size < 3:
        return float("nan")
    slope = np.polyfit(time_min, norm, 1)[0]
    return float(slope * (window[1] - window[0]))


def session_time_course(series: SweepSeries, params: LtpParams, induction: Induction,
                        path: str = "", traces: FepspTraces | None = None) -> LtpResult:
    """Normalise a session's per-sweep responses to its baseline and compute the LTP metrics.

    Parameters
    ----------
    series : SweepSeries
        Per-sweep measures (any reader: fEPSP sweeps, MEA evoked responses).
    params : LtpParams
        Windows, outlier and drift limits.
    induction : Induction
        From :func:`find_induction`.
    path : str
        File name(s) for messages and the ``source`` field.
    traces : FepspTraces, optional
        Averaged baseline/post traces for the figure.

    Returns
    -------
    LtpResult

    Raises
    ------
    AnalysisError
        If a window is not covered by the session or the baseline slope is zero or not measurable.
    """
    t_min = (series.time_s - induction.time_s) / 60.0
    dur = float(params.induction_duration.rescale("min").magnitude)
    during = (t_min >= 0) & (t_min < dur)  # sweeps recorded during a long induction (1 Hz LFS)
    t_min = np.where(t_min >= dur, t_min - dur, t_min)  # after the induction: minutes from its end
    interval_min = interval_s(series.time_s, float(params.sweep_interval.rescale("s").magnitude)) / 60.0
    is_ind = during.copy()
    is_ind[list(induction.sweeps)] = True
    finite = np.isfinite(series.slope) & ~is_ind
    outlier = running_outliers(series.slope, t_min, finite, (t_min >= 0).astype(int), params.outlier_mad)
    excluded = (~finite & ~is_ind) | outlier
    usable = ~excluded & ~is_ind
    w = params.windows_min()
    masks = {k: _window(k, w[k], t_min, usable, interval_min, path) for k in ("baseline", "stp", "post")}
    base_mean = float(np.mean(series.slope[masks["baseline"]]))
    if not (np.isfinite(base_mean) and base_mean != 0.0):
        raise AnalysisError(f"baseline mean response is {base_mean:g}: nothing to normalise to", path)
    norm = 100.0 * series.slope / base_mean

    def mean_in(arr: np.ndarray, mask: np.ndarray) -> float:
        vals = arr[mask & np.isfinite(arr)]
        return float(np.mean(vals)) if vals.size else float("nan")

    drift = _drift(t_min[masks["baseline"]], norm[masks["baseline"]], w["baseline"])
    fv_base, fv_post = mean_in(series.fibre_volley, masks["baseline"]), mean_in(series.fibre_volley, masks["post"])
    flag, reason = "", ""
    if abs(drift) > 100.0 * params.drift_limit:
        flag = "baseline_drift"
        reason = f"baseline drift {drift:+.1f} % exceeds the {100 * params.drift_limit:g} % limit"
    phase = np.full(t_min.size, "after", dtype=object)
    phase[t_min < 0] = "pre"
    for k in ("post", "stp", "baseline"):
        phase[masks[k]] = k
    phase[is_ind] = "induction"
    return LtpResult(
        source=path,
        experiment=params.experiment,
        ltp_magnitude=mean_in(norm, masks["post"]) * pq.percent,
        stp_magnitude=mean_in(norm, masks["stp"]) * pq.percent,
        baseline_slope=base_mean * pq.dimensionless if series.slope_unit != "mV/ms" else base_mean * pq.mV / pq.ms,
        baseline_drift=drift * pq.percent,
        fibre_volley_change=100.0 * (fv_post / fv_base - 1.0) * pq.percent if fv_base > 0 else np.nan * pq.percent,
        ppr=mean_in(series.ppr, masks["baseline"]) * pq.dimensionless,
        induction=induction, series=series, slope_norm=norm, time_min=t_min, phase=phase.astype(str),
        outlier=excluded, windows_min=w, n_sweeps={k: int(m.sum()) for k, m in masks.items()},
        flag=flag, excluded_reason=reason, traces=traces,
    )


# ----------------------------------------------------------------------------- recordings
def analyze_session(recordings: Sequence[Recording], params: LtpParams) -> LtpResult | FepspRunResult | FepspTrainResult:
    """Analyse an ordered list of files of one slice as one LTP session.

    Sweep times come from each file's recorded episode starts, continued across files (by the files'
    recording dates when all have one, else one sweep interval after the previous file's last sweep);
    a file without usable times gets ``sweep_interval`` spacing.

    Parameters
    ----------
    recordings : sequence of Recording
        Field (or current-clamp) recordings in mV, in acquisition order.
    params : LtpParams
        Analysis parameters.

    Returns
    -------
    LtpResult
        The session's magnitudes (% of baseline), per-sweep series and averaged traces.

    Raises
    ------
    AnalysisError
        If a recording is not a field recording in mV, a sweep has no stimulus, no induction is found
        or the session does not cover its windows.
    """
    if not recordings:
        raise AnalysisError("an LTP session needs at least one recording")
    path = " + ".join(r.path.name for r in recordings)
    if params.experiment == "train":
        return analyze_train(recordings, params)
    stim = params.stim_time
    sign = -1.0 if params.polarity == "positive" else 1.0
    measured = measure_recordings(
        recordings, params.response_windows(), None if stim is None else float(stim.rescale("ms").magnitude),
        None if params.ppi is None else float(params.ppi.rescale("ms").magnitude),
        float(params.sweep_interval.rescale("s").magnitude), sign, params.signal_unit)
    _check_polarity(measured, params, path)
    if params.experiment != "input_output":  # an I/O run may interleave intensities on purpose
        check_alternation(measured.slope, path)
    if params.experiment in ("baseline", "input_output"):
        return analyze_run(measured, params, path, sign=sign)
    series = _series(measured, measured.slope, measured.ppr)
    missing = no_induction_source(series, measured.tags, params)
    if missing:  # a run without an induction: its time course and stability, flagged (no LTP number invented)
        return analyze_run(measured, dataclasses.replace(params, experiment="baseline"), path, reason=missing, sign=sign)
    induction = find_induction(series, measured.tags, params, path)
    first = session_time_course(series, params, induction, path)
    # Both methods fit every sweep over ONE window located on the baseline average (10-90 % of its rising
    # phase): a window located per sweep (or per phase) moves with the noise near the bend before the peak,
    # and a 0.05-0.1 ms shift of its end changes the slope by 2-5 %, more for the smaller baseline responses
    # (a bias of +2 to +3 pp on 150-200 % LTP, see the module docstring). 'fraction' draws the per-sweep
    # fits in that window; 'fixed_window' also draws it on the averaged traces of the figure.
    fit_ms = measured.fixed_window(first.phase == "baseline")
    series = _series(measured, *measured.refit(fit_ms))
    if params.slope_method != "fixed_window":
        fit_ms = None
    first = session_time_course(series, params, induction, path)
    traces = measured.average_traces(first.phase == "baseline", first.phase == "post", fit_ms)
    result = dataclasses.replace(first, traces=traces, channel=measured.channel)
    return result if sign > 0 else _in_own_sign(result)


def _check_polarity(measured: MeasuredSession, params: LtpParams, path: str) -> None:
    """A response going the other way than ``polarity`` (its opposite peak over twice the expected one)
    would be measured on its rebound: refuse it with the setting to change."""
    low, high = measured.extremes(np.ones(measured.slope.size, dtype=bool))  # on the (inverted) measured trace
    if np.isfinite(low) and np.isfinite(high) and high > 2.0 * max(-low, 0.0) and high > 0:
        other = "positive" if params.polarity == "negative" else "negative"
        raise AnalysisError(
            f"the averaged evoked response is {other}-going: its {other} peak ({high:.3g} mV) is more than twice "
            f"its {params.polarity} peak ({max(-low, 0.0):.3g} mV) in the fEPSP window; set polarity: {other} "
            "in the protocol's analysis_params", path)


def _in_own_sign(r: LtpResult) -> LtpResult:
    """A positive-going session measured on the inverted trace, reported in the recording's sign: slopes,
    averaged traces and their fits flip; magnitudes, ratios and normalised values do not."""
    def flip(m: Any) -> Any:
        return dataclasses.replace(m, slope=-m.slope, intercept=-m.intercept)

    tr = r.traces
    if tr is not None:
        tr = dataclasses.replace(tr, baseline=-tr.baseline, post=-tr.post, baseline_fit=flip(tr.baseline_fit),
                                 post_fit=flip(tr.post_fit))
    return dataclasses.replace(r, series=dataclasses.replace(r.series, slope=-r.series.slope),
                               baseline_slope=-r.baseline_slope, traces=tr,
                               notes=(*r.notes, "positive-going fEPSP: measured on the inverted trace"))


def _series(m: MeasuredSession, slope: np.ndarray, ppr: np.ndarray) -> SweepSeries:
    return SweepSeries(m.time_s, slope, m.amplitude, m.fibre_volley, ppr, m.duration_s, m.file_index, m.files)


def analyze(recording: Recording, params: LtpParams) -> LtpResult | FepspRunResult | FepspTrainResult:
    """Analyse one file as an LTP session; see :func:`analyze_session`.

    Parameters
    ----------
    recording : Recording
        A field recording (mV, or ``params.signal_unit``) with one or two stimuli per sweep.
    params : LtpParams
        Windows in min relative to the induction, search windows in ms after the stimulus, slope fractions.

    Returns
    -------
    LtpResult or FepspRunResult or FepspTrainResult
        LTP/LTD: ``ltp_magnitude`` and ``stp_magnitude`` (% of baseline), baseline slope (mV/ms), drift (%),
        paired-pulse ratio; a baseline or input-output run, or a train, by ``params.experiment``.

    Raises
    ------
    AnalysisError
        As :func:`analyze_session`.

    Examples
    --------
    >>> from ephystool.simulate.fepsp import simulate_fepsp_session
    >>> rec, truth = simulate_fepsp_session(9001)
    >>> res = analyze(rec, LtpParams())
    >>> abs(float(res.ltp_magnitude.rescale("percent").magnitude) - truth["ltp_magnitude"]) < 3.0
    True
    """
    return analyze_session([recording], params)


SPEC = AnalysisSpec(NAME, LtpParams, analyze, plot_ltp, METRICS, analyze_session=analyze_session)
