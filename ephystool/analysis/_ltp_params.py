"""Parameters of the LTP analyzer (template ``ltp_fepsp``, analysis ``ltp``); re-exported by ``ltp.py``."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import quantities as pq

from ephystool.analysis._fepsp import ResponseWindows
from ephystool.analysis._signal import param_quantity, param_window
from ephystool.errors import ProtocolError

__all__ = ["LtpParams", "SLOPE_METHODS", "POLARITIES", "EXPERIMENTS"]

SLOPE_METHODS = ("fraction", "fixed_window")
POLARITIES = ("negative", "positive")
EXPERIMENTS = ("ltp", "ltd", "baseline", "input_output", "train")

_MIN = pq.min
_MS = pq.ms


@dataclass(frozen=True)
class LtpParams:
    """Parameters of the LTP analysis (quantities; fractions and limits dimensionless).

    Attributes
    ----------
    slope_fraction : tuple of float
        Part of the onset-to-peak excursion the slope is fitted over (0.1, 0.9) or (0.2, 0.8).
    slope_method : str
        'fraction' or 'fixed_window'. Both fit each sweep over the 10-90 % (``slope_fraction``) window of
        the baseline average, kept for the session (a per-sweep window biases LTP by +2-3 pp at low SNR);
        'fixed_window' also uses that window on the figure's averaged traces.
    polarity : str
        'negative' (a negative-going fEPSP, dendritic layer: the default) or 'positive' (positive-going:
        cell-body layer, an inverting amplifier). A positive-going session is measured on the inverted trace
        and reported in its own sign (positive slopes); normalised measures are the same either way.
    baseline_window, post_window, stp_window : tuple of Quantity
        Windows in minutes relative to the induction (inclusive).
    drift_limit : float
        Sessions whose baseline drift exceeds this fraction (0.1 = 10 %) are flagged.
    outlier_mad : float
        Sweeps beyond this many robust SDs from the running median are excluded.
    fibre_volley_window, fepsp_window : tuple of Quantity
        Search windows after the stimulus (ms).
    artifact_blank : Quantity
        Blanked span after the stimulus (ms).
    ppi : Quantity or None
        Paired-pulse interval; None when sweeps hold one stimulus.
    stim_time : Quantity or None
        Stimulus time from the sweep start (ms); None: find the artifact. The file's stimulus times win.
    sweep_interval : Quantity
        Sweep spacing used where a file has no usable sweep times (s).
    induction_time : Quantity or None
        Protocol induction time from the first sweep (min); a tag in the file wins over it.
    induction_override : Quantity or None
        The manifest's ``induction_time_min``: wins over every other source.
    induction_duration : Quantity
        Length of the induction (min; e.g. 15 min of 1 Hz LFS): windows after it count from its end.
    experiment : str
        'ltp' or 'ltd' (an induction; ``ltp_magnitude`` or ``ltd_magnitude``), 'baseline' (a stability
        run: time course and stability metrics, no induction), 'input_output' (an I/O curve over
        ``intensities``) or 'train' (several stimuli per sweep; see :mod:`ephystool.analysis._fepsp_train`).
    intensities : tuple of float
        Stimulus intensity per sweep, or per equal block of consecutive sweeps (``intensity_unit``).
    intensity_unit, intensity_source : str
        'uA' or 'V'; where the intensities came from ('manifest' or 'protocol'; '' when none).
    train_pulses : int or None
        Stimuli per sweep of a train (None: the file's stimulus times, else one).
    train_interval : Quantity or None
        Interval between a train's stimuli (ms).
    signal_unit : str or None
        Unit of a field channel the file labels with no or a wrong unit ('mV', 'uV', 'V').
    """

    slope_fraction: tuple[float, float] = (0.1, 0.9)
    slope_method: str = "fraction"
    polarity: str = "negative"
    baseline_window: tuple[pq.Quantity, pq.Quantity] = (-20.0 * _MIN, 0.0 * _MIN)
    post_window: tuple[pq.Quantity, pq.Quantity] = (50.0 * _MIN, 60.0 * _MIN)
    stp_window: tuple[pq.Quantity, pq.Quantity] = (0.0 * _MIN, 5.0 * _MIN)
    drift_limit: float = 0.1
    outlier_mad: float = 3.0
    fibre_volley_window: tuple[pq.Quantity, pq.Quantity] = (0.5 * _MS, 2.5 * _MS)
    fepsp_window: tuple[pq.Quantity, pq.Quantity] = (2.0 * _MS, 15.0 * _MS)
    artifact_blank: pq.Quantity = field(default_factory=lambda: 0.5 * _MS)
    ppi: pq.Quantity | None = field(default_factory=lambda: 50.0 * _MS)
    stim_time: pq.Quantity | None = field(default_factory=lambda: 10.0 * _MS)
    sweep_interval: pq.Quantity = field(default_factory=lambda: 20.0 * pq.s)
    induction_time: pq.Quantity | None = None
    induction_override: pq.Quantity | None = None
    induction_duration: pq.Quantity = field(default_factory=lambda: 0.0 * _MIN)
    experiment: str = "ltp"
    intensities: tuple[float, ...] = ()
    intensity_unit: str = "uA"
    intensity_source: str = ""
    train_pulses: int | None = None
    train_interval: pq.Quantity | None = None
    signal_unit: str | None = None

    @classmethod
    def from_protocol(cls, analysis_params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> LtpParams:
        """Build from a template's raw ``analysis_params`` and a manifest row's overrides.

        Parameters
        ----------
        analysis_params : Mapping
            Raw template values (``"50 ms"``, lists of them, numbers); missing keys take the defaults.
        overrides : Mapping, optional
            Manifest columns ``stim_time_ms``, ``sweep_interval_s``, ``induction_time_min`` (floats;
            None/NaN ignored).

        Raises
        ------
        ProtocolError
            Naming the key, for a malformed value or an unknown slope method.
        """
        p = analysis_params
        d = cls()
        frac = p.get("slope_fraction", list(d.slope_fraction))
        if not isinstance(frac, list | tuple) or len(frac) != 2 or not all(isinstance(x, int | float) for x in frac) \
                or not 0.0 <= frac[0] < frac[1] <= 1.0:
            raise ProtocolError(f"expected two fractions 0 <= lo < hi <= 1 such as [0.1, 0.9], got {frac!r}",
                                field="analysis_params.slope_fraction")
        method = str(p.get("slope_method", d.slope_method))
        if method not in SLOPE_METHODS:
            hint = difflib.get_close_matches(method, SLOPE_METHODS, n=1)
            raise ProtocolError(f"unknown slope method '{method}' (expected one of {', '.join(SLOPE_METHODS)})"
                                + (f"; did you mean '{hint[0]}'?" if hint else ""), field="analysis_params.slope_method")
        polarity = str(p.get("polarity", d.polarity))
        if polarity not in POLARITIES:
            raise ProtocolError(f"unknown polarity '{polarity}' (expected negative or positive)",
                                field="analysis_params.polarity")
        kw: dict[str, Any] = {"slope_fraction": (float(frac[0]), float(frac[1])), "slope_method": method,
                              "polarity": polarity}
        for key, unit, default in (("baseline_window", "min", ["-20 min", "0 min"]),
                                   ("post_window", "min", ["50 min", "60 min"]),
                                   ("stp_window", "min", ["0 min", "5 min"]),
                                   ("fibre_volley_window", "ms", ["0.5 ms", "2.5 ms"]),
                                   ("fepsp_window", "ms", ["2 ms", "15 ms"])):
            lo, hi = param_window(p, key, default, unit)
            kw[key] = (lo * pq.Quantity(1.0, unit), hi * pq.Quantity(1.0, unit))
        for key in ("drift_limit", "outlier_mad"):
            value = p.get(key, getattr(d, key))
            if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
                raise ProtocolError(f"expected a positive number, got {value!r}", field=f"analysis_params.{key}")
            kw[key] = float(value)
        kw["artifact_blank"] = param_quantity(p, "artifact_blank", "0.5 ms", "ms")
        if kw["artifact_blank"] is None:
            kw["artifact_blank"] = 0.0 * _MS
        kw["ppi"] = param_quantity(p, "ppi", "50 ms", "ms")
        kw["stim_time"] = param_quantity(p, "stim_time", "10 ms", "ms")
        kw["sweep_interval"] = param_quantity(p, "sweep_interval", "20 s", "s") or 20.0 * pq.s
        kw["induction_time"] = param_quantity(p, "induction_time", None, "min")
        kw["induction_duration"] = param_quantity(p, "induction_duration", "0 min", "min") or 0.0 * _MIN
        if kw["induction_duration"] < 0:
            raise ProtocolError("the induction duration cannot be negative", field="analysis_params.induction_duration")
        for key, name, unit in (("stim_time_ms", "stim_time", _MS), ("sweep_interval_s", "sweep_interval", pq.s),
                                 ("induction_time_min", "induction_override", _MIN)):
            value = (overrides or {}).get(key)
            if isinstance(value, str):
                try:
                    value = float(value) if value.strip() else None
                except ValueError as exc:
                    raise ProtocolError(f"expected a number, got {value!r}", field=key) from exc
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) \
                    or (key != "induction_time_min" and value <= 0):
                raise ProtocolError(f"expected a finite number, got {value!r}", field=key)
            kw[name] = float(value) * unit
        kw.update(_run_design(p, overrides or {}))
        if not kw["sweep_interval"] > 0:
            raise ProtocolError("the sweep interval must be positive", field="analysis_params.sweep_interval")
        return cls(**kw)

    def windows_min(self) -> dict[str, tuple[float, float]]:
        """Baseline, STP and post windows as floats in minutes."""
        return {k: (float(w[0].rescale("min").magnitude), float(w[1].rescale("min").magnitude))
                for k, w in (("baseline", self.baseline_window), ("stp", self.stp_window), ("post", self.post_window))}

    def response_windows(self) -> ResponseWindows:
        """The per-sweep windows in ms."""
        def ms(q: pq.Quantity) -> float:
            return float(q.rescale("ms").magnitude)

        return ResponseWindows(
            fibre_volley=(ms(self.fibre_volley_window[0]), ms(self.fibre_volley_window[1])),
            fepsp=(ms(self.fepsp_window[0]), ms(self.fepsp_window[1])),
            artifact_blank=ms(self.artifact_blank),
            fraction=self.slope_fraction,
        )


def _run_design(p: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``experiment``, stimulus intensities (manifest ``stim_intensity_uA`` wins over the protocol's
    ``stim_intensities``), train and signal-unit settings."""
    kw: dict[str, Any] = {}
    experiment = str(p.get("experiment", "ltp"))
    if experiment not in EXPERIMENTS:
        hint = difflib.get_close_matches(experiment, EXPERIMENTS, n=1)
        raise ProtocolError(f"unknown experiment '{experiment}' (expected one of {', '.join(EXPERIMENTS)})"
                            + (f"; did you mean '{hint[0]}'?" if hint else ""), field="analysis_params.experiment")
    kw["experiment"] = experiment
    manifest = overrides.get("stim_intensity_uA")
    listed = p.get("stim_intensities")
    if manifest:
        kw.update(intensities=tuple(float(x) for x in manifest), intensity_unit="uA", intensity_source="manifest")
    elif listed:
        if not isinstance(listed, list | tuple):
            raise ProtocolError(f"expected a list such as ['20 uA', '40 uA'], got {listed!r}",
                                field="analysis_params.stim_intensities")
        kw.update(_intensities(listed))
    pulses = p.get("train_pulses")
    if pulses is not None:
        if not isinstance(pulses, int) or isinstance(pulses, bool) or pulses < 1:
            raise ProtocolError(f"expected a positive whole number, got {pulses!r}", field="analysis_params.train_pulses")
        kw["train_pulses"] = pulses
    kw["train_interval"] = param_quantity(p, "train_interval", None, "ms")
    unit = p.get("signal_unit")
    if unit is not None:
        if unit not in ("mV", "uV", "V"):
            raise ProtocolError(f"expected mV, uV or V, got {unit!r}", field="analysis_params.signal_unit")
        kw["signal_unit"] = str(unit)
    return kw


def _intensities(listed: list[Any]) -> dict[str, Any]:
    """Protocol intensities: all currents (uA) or all voltages (V)."""
    field_name = "analysis_params.stim_intensities"
    for unit in ("uA", "V"):
        try:
            values = tuple(float(param_quantity({"x": v}, "x", None, unit).magnitude) for v in listed)
        except ProtocolError:
            continue
        return {"intensities": values, "intensity_unit": unit, "intensity_source": "protocol"}
    raise ProtocolError(f"expected currents ('50 uA') or voltages ('5 V') of one kind, got {listed!r}", field=field_name)
