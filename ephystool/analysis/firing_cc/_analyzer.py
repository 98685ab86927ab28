"""Current-clamp firing: action potentials per sweep, f-I curve, rheobase, spontaneous rate.

Template ``cc_fi_steps`` (``analysis_params`` keys, defaults in brackets): the AP shape rules
``dvdt_threshold`` ["20 mV/ms"], ``dvdt_sustain`` ["0.1 ms", and >= 3 samples], ``min_ap_amplitude``
["20 mV" above the AP's own onset], ``min_ap_width`` ["0.15 ms"], ``max_repolarisation`` ["150 ms"],
``min_peak`` [none: no absolute rule], ``refractory`` ["2 ms"], ``onset_skip`` ["1 ms" after each command
transition]; ``smooth`` [none; e.g. "1 kHz" for slow, noisy traces], ``feature_lowpass`` ["5 kHz": dV/dt
low-pass for the threshold walk-back, ignored at or above Nyquist]; ``step_window`` [from the recording],
``step_currents`` (list) or ``step_first`` + ``step_increment`` [only where the recording carries no current].
Manifest overrides: ``step_first_pA``, ``step_increment_pA``. The sources of the defaults are in
:class:`ephystool.analysis.firing_cc._ap.DetectorRules`.

The step windows of each sweep (see :mod:`ephystool.analysis.firing_cc._stim`) come from ``step_window``; the
protocol epochs (every epoch whose level varies across sweeps is a step: two steps per sweep are analysed as
two; else ramp epochs; else the largest non-zero epoch), checked against a recorded current channel; the
file's notes (AxoGraph, Igor wave notes); the recorded current or command. A recording with none is
analysed whole as spontaneous firing. The step current is measured, in order, on a recorded current channel
(median in the step minus the holding median before the first step), the command waveform, the epoch level,
the template or the manifest; each sweep's row says which.

Per sweep (``sweep_rows``): ``ap_count``, ``firing_rate`` (Hz, APs in the stimulus window / its
duration), ``first_spike_latency`` (ms, threshold of the first AP minus step onset), ``command_pA``,
``isi_mean`` (ms), ``adaptation_index`` (IPFX's mean normalised ISI difference). Per recording
(``rows``): steps: ``firing_rate_max`` (Hz), ``rheobase`` (pA, smallest step with an AP), ``fi_slope``
(Hz/pA, least-squares line over the steps at and above rheobase), and the first AP at rheobase:
``ap_threshold``, ``ap_amplitude``, ``ap_half_width``, ``ahp_depth``; gap-free: ``firing_rate`` (Hz),
``cv_isi`` and the median AP features over all APs. Rates and ISI CV use Elephant on
``neo.SpikeTrain`` objects (rescaled to Hz).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis.firing_cc import _ap
from ephystool.analysis.firing_cc._stim import SweepStim, infer_stimuli
from ephystool.analysis.firing_cc.figures import plot_firing_cc
from ephystool.analysis.firing_cc.metrics import METRICS
from ephystool.analysis.firing_cc.params import FiringCCParams
from ephystool.analysis.spec import AnalysisSpec
from ephystool.errors import AnalysisError
from ephystool.units import to_float

__all__ = ["SPEC", "NAME", "FiringCCParams", "SweepFiring", "FiringCCResult", "analyze"]

NAME = "firing_cc"


@dataclass(frozen=True)
class SweepFiring:
    """APs of one sweep inside its stimulus window.

    ``spiketrain`` holds AP peak times (s, relative to the sweep's first sample) with the window
    as ``t_start``/``t_stop``; ``features`` the per-AP features; ``command`` the step current (pA,
    NaN where unknown).
    """

    sweep: int
    sweep_time_s: float
    window_s: tuple[float, float]
    command: pq.Quantity
    spiketrain: Any
    features: _ap.APFeatures
    threshold_times_s: np.ndarray
    stimulus_source: str
    step: int = 0
    holding: pq.Quantity = field(default_factory=lambda: np.nan * pq.pA)
    rejected: tuple[tuple[float, str], ...] = ()
    delta_v_mv: float = float("nan")
    family_index: int | None = None
    command_contradicted: bool = False

    @property
    def ap_count(self) -> int:
        """Number of APs in the window."""
        return self.features.count

    @property
    def firing_rate(self) -> pq.Quantity:
        """Mean rate over the window (Elephant ``mean_firing_rate``, in Hz)."""
        from elephant.statistics import mean_firing_rate

        return mean_firing_rate(self.spiketrain).rescale(pq.Hz)

    @property
    def isis_ms(self) -> np.ndarray:
        """Inter-spike intervals in ms."""
        return np.diff(self.spiketrain.rescale(pq.ms).magnitude)

    @property
    def first_spike_latency(self) -> pq.Quantity:
        """Threshold time of the first AP minus the window start (ms); NaN without APs."""
        if not self.threshold_times_s.size:
            return np.nan * pq.ms
        return (self.threshold_times_s[0] - self.window_s[0]) * 1e3 * pq.ms

    @property
    def adaptation_index(self) -> float:
        """Mean of (ISI[n+1] - ISI[n]) / (ISI[n+1] + ISI[n]) (IPFX ``adapt``); NaN with < 3 APs."""
        isi = self.isis_ms
        if isi.size < 2:
            return float("nan")
        return float(np.mean(np.diff(isi) / (isi[1:] + isi[:-1])))


@dataclass(frozen=True)
class FiringCCResult:
    """Result of :func:`analyze` (quantities; NaN where a value is undefined)."""

    mode: str  # "steps" or "spontaneous"
    sweeps: tuple[SweepFiring, ...]
    firing_rate: pq.Quantity
    firing_rate_max: pq.Quantity
    rheobase: pq.Quantity
    fi_slope: pq.Quantity
    cv_isi: float
    ap_threshold: pq.Quantity
    ap_amplitude: pq.Quantity
    ap_half_width: pq.Quantity
    ahp_depth: pq.Quantity
    warnings: tuple[str, ...] = ()
    rheobase_absolute: pq.Quantity = field(default_factory=lambda: np.nan * pq.pA)

    def fi_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(step current in pA, firing rate in Hz) per sweep, sorted by current, NaN currents dropped."""
        cur = np.array([float(s.command.rescale(pq.pA).magnitude) for s in self.sweeps])
        rate = np.array([float(s.firing_rate.magnitude) for s in self.sweeps])
        keep = np.isfinite(cur)
        order = np.argsort(cur[keep], kind="stable")
        return cur[keep][order], rate[keep][order]

    def rows(self) -> list[dict[str, Any]]:
        """Tidy per-recording rows (finite values only), canonical units."""
        window = "step" if self.mode == "steps" else "sweep"
        items: list[tuple[str, Any, str]] = [
            ("firing_rate", self.firing_rate, "Hz"),
            ("firing_rate_max", self.firing_rate_max, "Hz"),
            ("rheobase", self.rheobase, "pA"),
            ("rheobase_absolute", self.rheobase_absolute, "pA"),
            ("fi_slope", self.fi_slope, "Hz/pA"),
            ("cv_isi", self.cv_isi * pq.dimensionless, "1"),
            ("ap_threshold", self.ap_threshold, "mV"),
            ("ap_amplitude", self.ap_amplitude, "mV"),
            ("ap_half_width", self.ap_half_width, "ms"),
            ("ahp_depth", self.ahp_depth, "mV"),
        ]
        out = []
        for metric, q, unit in items:
            value = float(q.magnitude) if unit == "1" else to_float(q, unit, metric)
            if np.isfinite(value):
                ref = {"rheobase": "relative to holding", "rheobase_absolute": "absolute (holding + step)"}
                out.append(dict(analysis=NAME, metric=metric, value=value, unit=unit, window=window,
                                n_sweeps=len(self.sweeps), note=ref.get(metric, "")))
        return out

    def sweep_rows(self) -> list[dict[str, Any]]:
        """Tidy per-sweep rows (finite values only); one set per step; rejected events with their reason."""
        out = []
        for s in self.sweeps:
            isi = s.isis_ms
            vals = [
                ("ap_count", float(s.ap_count), "1", ""),
                ("firing_rate", float(s.firing_rate.magnitude), "Hz", ""),
                ("first_spike_latency", float(s.first_spike_latency.magnitude), "ms", ""),
                ("command_pA", float(s.command.rescale(pq.pA).magnitude), "pA", "relative to holding"),
                ("holding_pA", float(s.holding.rescale(pq.pA).magnitude), "pA", ""),
                ("isi_mean", float(np.mean(isi)) if isi.size else float("nan"), "ms", ""),
                ("adaptation_index", s.adaptation_index, "1", ""),
                ("step_start", s.window_s[0], "s", ""),
                ("step_end", s.window_s[1], "s", ""),
            ]
            if s.ap_count:
                f = s.features
                vals += [("first_ap_threshold", float(f.threshold_mv[0]), "mV", ""),
                         ("first_ap_amplitude", float(f.amplitude_mv[0]), "mV", "from threshold"),
                         ("first_ap_half_width", float(f.half_width_ms[0]), "ms", ""),
                         ("first_ap_ahp_depth", float(f.ahp_depth_mv[0]), "mV", "below threshold")]
            if s.family_index is not None:
                vals.append(("family_step_index", float(s.family_index), "1", "episode index mod family size"))
            if s.command_contradicted:
                vals.append(("command_contradicted", 1.0, "1", "documented command contradicted by the response"))
            vals += [("rejected_event", t, "s", reason) for t, reason in s.rejected]
            for metric, value, unit, note in vals:
                if np.isfinite(value):
                    out.append(dict(sweep=s.sweep, sweep_time_s=s.sweep_time_s, analysis=NAME, metric=metric,
                                    value=value, unit=unit, step=s.step + 1, note=note,
                                    stimulus_source=s.stimulus_source))
        return out


def _membrane_potential(recording: Any, sweep: int) -> tuple[np.ndarray, float]:
    sig = recording.signal(sweep)
    try:
        v = sig.rescale(pq.mV).magnitude.ravel().astype(float)
    except ValueError as exc:
        raise AnalysisError(
            f"sweep {sweep}, channel '{recording.channels[recording.primary].name}': firing_cc needs a membrane "
            f"potential (mV), found units {sig.dimensionality.string}; check the clamp mode or primary channel",
            recording.path,
        ) from exc
    return v, float(sig.sampling_rate.rescale(pq.Hz).magnitude)


def _analyze_sweep(recording: Any, stim: SweepStim, params: FiringCCParams) -> SweepFiring:
    import neo

    sweep = stim.sweep
    v, fs = _membrane_potential(recording, sweep)
    skip = int(round(to_float(params.onset_skip, "s", "onset_skip") * fs))
    # start 2 samples early: central differences see a jump one sample before it happens
    exclude = [(int(round(t * fs)) - 2, int(round(t * fs)) + skip) for t in stim.transitions_s] if skip > 0 else []
    rejected: list[_ap.Rejected] = []
    onsets, peaks = _ap.detect_aps(v, fs, rules=params.rules(), smooth_hz=params.smooth_hz, exclude=exclude,
                                   rejected=rejected)
    i0 = max(0, int(round(stim.start_s * fs)))
    i1 = min(v.size, int(round(stim.end_s * fs)))
    keep = (peaks >= i0) & (peaks < i1)
    lp = params.smooth_hz or (None if params.feature_lowpass is None
                              else to_float(params.feature_lowpass, "Hz", "feature_lowpass"))
    feats = _ap.ap_features(v, fs, onsets[keep], peaks[keep], smooth_hz=lp, end=i1)
    thr_times = _threshold_times(v, fs, feats)
    t0, t1 = i0 / fs, i1 / fs
    st = neo.SpikeTrain(feats.peak / fs * pq.s, t_start=t0 * pq.s, t_stop=t1 * pq.s)
    rej = tuple((r.index / fs, r.reason) for r in rejected if i0 <= r.index < i1)
    return SweepFiring(sweep, recording.sweep_time(sweep), (t0, t1), stim.current_pA * pq.pA, st, feats,
                       thr_times, stim.source, stim.step, stim.holding_pA * pq.pA, rej, _delta_v(v, fs, i0, i1),
                       stim.family_index)


def _delta_v(v: np.ndarray, fs: float, i0: int, i1: int) -> float:
    """Steady-state response: median V over the step's second half minus median V in the 100 ms before it."""
    pre = v[max(0, i0 - int(0.1 * fs)) : i0]
    late = v[(i0 + i1) // 2 : i1]
    return float(np.median(late) - np.median(pre)) if pre.size and late.size else float("nan")


def _threshold_times(v: np.ndarray, fs: float, feats: _ap.APFeatures) -> np.ndarray:
    """Time (s) of each AP's threshold: last sample at or below the threshold voltage before the peak."""
    out = np.empty(feats.count)
    for j in range(feats.count):
        k, thr = int(feats.onset[j]), feats.threshold_mv[j]
        lo = max(0, k - int(0.005 * fs))
        below = np.flatnonzero(v[lo : k + 1] <= thr)
        out[j] = (lo + int(below[-1]) if below.size else k) / fs
    return out


def analyze(recording: Any, params: FiringCCParams | None = None) -> FiringCCResult:
    """Detect APs in every sweep and summarise firing (see the module docstring).

    Parameters
    ----------
    recording : Recording
        A current-clamp recording (membrane potential in the primary channel).
    params : FiringCCParams, optional
        Defaults when omitted.

    Returns
    -------
    FiringCCResult
        Per sweep: AP count, firing rate (Hz), first-spike latency (ms), AP threshold and amplitude (mV),
        half width (ms); per cell: rheobase (pA), f-I slope (Hz/pA), maximal rate (Hz).

    Raises
    ------
    AnalysisError
        Not a current-clamp recording, primary channel not a voltage, or a step window outside a sweep.

    Examples
    --------
    >>> from ephystool.simulate.cclamp import simulate_fi_steps
    >>> rec, truth = simulate_fi_steps(currents_pa=[0, 150, 250], seed=3, sweep_s=0.7)
    >>> rheobase = next(r for r in analyze(rec).rows() if r["metric"] == "rheobase")
    >>> abs(rheobase["value"] - truth["rheobase_pA"]) < 1.0, rheobase["unit"]
    (True, 'pA')
    """
    params = params or FiringCCParams()
    if recording.kind != "current_clamp":
        raise AnalysisError(
            f"firing_cc needs a current-clamp recording, found kind '{recording.kind}'; "
            "set the protocol or the recording kind to current clamp", recording.path)
    stims, mode, warns = infer_stimuli(recording, params)
    from ephystool.analysis.firing_cc._summary import flag_contradicted, summarise

    sweeps = flag_contradicted(tuple(_analyze_sweep(recording, st, params) for st in stims))
    return summarise(sweeps, mode, tuple(warns))


#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, FiringCCParams, analyze, plot_firing_cc, METRICS)
