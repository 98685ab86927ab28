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

__all__ = ["LtpParams", "SLOPE_METHODS", "POLARITIES"]

SLOPE_METHODS = ("fraction", "fixed_window")
POLARITIES = ("negative", "positive")

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
