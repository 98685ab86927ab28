"""Parameters of the LTP analyzer (template ``ltp_fepsp``, analysis ``ltp``); re-exported by ``ltp.py``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import quantities as pq

from ephystool.analysis import params as _p
from ephystool.analysis.params import param
from ephystool.errors import ProtocolError, UnitsError
from ephystool.units import parse_quantity

if TYPE_CHECKING:  # the protocol schema imports these Params: not the fEPSP measures (scipy.ndimage)
    from ephystool.analysis.ltp._fepsp import ResponseWindows

__all__ = ["LtpParams", "SLOPE_METHODS", "POLARITIES", "EXPERIMENTS"]

SLOPE_METHODS = ("fraction", "fixed_window")
POLARITIES = ("negative", "positive")
EXPERIMENTS = ("ltp", "ltd", "baseline", "input_output", "train")

_MIN = pq.min
_MS = pq.ms


def _win(lo: float, hi: float, unit: str, description: str) -> Any:
    return param((lo * pq.Quantity(1.0, unit), hi * pq.Quantity(1.0, unit)), kind="window", unit=unit, form="pair",
                 template="required", description=description)


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
        ``intensities``) or 'train' (several stimuli per sweep; see :mod:`ephystool.analysis.ltp._fepsp_train`).
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

    slope_fraction: tuple[float, float] = param(
        (0.1, 0.9), kind="fractions", ge=0.0, le=1.0, template="required",
        description="fractions of the rising phase for the slope")
    slope_method: str = param("fraction", kind="choice", choices=SLOPE_METHODS, template="required",
                              description="how the initial slope is measured")
    polarity: str = param(
        "negative", kind="choice", choices=POLARITIES, description="direction of the fEPSP: negative-going "
        "(dendritic layer, the usual) or positive-going (cell-body layer, an inverting amplifier)")
    baseline_window: tuple[pq.Quantity, pq.Quantity] = _win(-20.0, 0.0, "min", "baseline, relative to induction")
    post_window: tuple[pq.Quantity, pq.Quantity] = _win(50.0, 60.0, "min", "LTP window, relative to induction")
    stp_window: tuple[pq.Quantity, pq.Quantity] = _win(0.0, 5.0, "min",
                                                       "short-term potentiation window, relative to induction")
    drift_limit: float = param(0.1, kind="number", ge=0.0, le=1.0, template="required",
                               description="largest allowed baseline drift (fraction of the mean)")
    outlier_mad: float = param(3.0, kind="number", gt=0.0, template="required",
                               description="sweeps further than this many MADs are excluded")
    fibre_volley_window: tuple[pq.Quantity, pq.Quantity] = _win(0.5, 2.5, "ms",
                                                                "fibre volley search, relative to the stimulus")
    fepsp_window: tuple[pq.Quantity, pq.Quantity] = _win(2.0, 15.0, "ms", "fEPSP search, relative to the stimulus")
    artifact_blank: pq.Quantity = param(lambda: 0.5 * _MS, kind="quantity", unit="ms", sign="nonneg", factory=True,
                                        template="required", description="blanked after the stimulus artifact")
    ppi: pq.Quantity | None = param(lambda: 50.0 * _MS, kind="quantity", unit="ms", sign="pos", factory=True,
                                    nullable=True, description="paired-pulse interval")
    stim_time: pq.Quantity | None = param(
        lambda: 10.0 * _MS, kind="quantity", unit="ms", sign="nonneg", factory=True, nullable=True,
        template="required", override=("stim_time_ms",), description="first stimulus from the start of each sweep")
    sweep_interval: pq.Quantity = param(
        lambda: 20.0 * pq.s, kind="quantity", unit="s", sign="pos", factory=True, template="required",
        override=("sweep_interval_s",), description="time between sweeps")
    induction_time: pq.Quantity | None = param(None, kind="quantity", unit="min", sign="nonneg",
                                               description="from the first sweep; default: detected")
    induction_override: pq.Quantity | None = param(None, kind="quantity", unit="min", template="internal",
                                                   override=("induction_time_min",))
    induction_duration: pq.Quantity = param(
        lambda: 0.0 * _MIN, kind="quantity", unit="min", sign="nonneg", factory=True,
        description="length of a long induction (1 Hz LFS: 15 min); windows after it count from its end")
    experiment: str = param(
        "ltp", kind="choice", choices=EXPERIMENTS, description="ltp (an induction, windows relative to it), ltd "
        "(likewise), baseline (stability run, no induction), input_output (stimulus intensities vary), train "
        "(several stimuli per sweep)")
    stim_intensities: tuple[str, ...] | None = param(
        None, kind="texts",
        description="input-output: one stimulus intensity per sweep, or per equal block of sweeps ('50 uA')")
    intensities: tuple[float, ...] = ()
    intensity_unit: str = "uA"
    intensity_source: str = ""
    train_pulses: int | None = param(None, kind="integer", ge=1, description="stimuli per sweep in a train")
    train_interval: pq.Quantity | None = param(None, kind="quantity", unit="ms", sign="pos",
                                               description="interval between the stimuli of a train")
    signal_unit: str | None = param(
        None, kind="choice", choices=("mV", "uV", "V"),
        description="unit of a field channel the file labels with no or a wrong unit (e.g. pA)")

    @classmethod
    def from_protocol(cls, analysis_params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> LtpParams:
        """Build from a template's raw ``analysis_params`` and a manifest row's overrides.

        Parameters
        ----------
        analysis_params : Mapping
            Raw template values (``"50 ms"``, lists of them, numbers); missing keys take the defaults.
        overrides : Mapping, optional
            Manifest columns ``stim_time_ms``, ``sweep_interval_s``, ``induction_time_min`` (floats;
            None/NaN ignored) and ``stim_intensity_uA`` (one per sweep or block; wins over the template's
            ``stim_intensities``).

        Raises
        ------
        ProtocolError
            Naming the key, for a malformed value or an unknown slope method.
        """
        params = _p.from_protocol(cls, analysis_params, overrides)
        manifest = (overrides or {}).get("stim_intensity_uA")
        if manifest:
            return replace(params, intensities=tuple(float(x) for x in manifest), intensity_unit="uA",
                           intensity_source="manifest")
        if params.stim_intensities:
            return replace(params, **_intensities(list(params.stim_intensities)))
        return params

    def windows_min(self) -> dict[str, tuple[float, float]]:
        """Baseline, STP and post windows as floats in minutes."""
        return {k: (float(w[0].rescale("min").magnitude), float(w[1].rescale("min").magnitude))
                for k, w in (("baseline", self.baseline_window), ("stp", self.stp_window), ("post", self.post_window))}

    def response_windows(self) -> ResponseWindows:
        """The per-sweep windows in ms."""
        from ephystool.analysis.ltp._fepsp import ResponseWindows

        def ms(q: pq.Quantity) -> float:
            return float(q.rescale("ms").magnitude)

        return ResponseWindows(
            fibre_volley=(ms(self.fibre_volley_window[0]), ms(self.fibre_volley_window[1])),
            fepsp=(ms(self.fepsp_window[0]), ms(self.fepsp_window[1])),
            artifact_blank=ms(self.artifact_blank),
            fraction=self.slope_fraction,
        )


def _intensities(listed: list[Any]) -> dict[str, Any]:
    """Protocol intensities: all currents (uA) or all voltages (V)."""
    field_name = "analysis_params.stim_intensities"
    for unit in ("uA", "V"):
        try:
            values = tuple(float(parse_quantity(v, unit, name="stim_intensities").magnitude) for v in listed)
        except UnitsError:
            continue
        return {"intensities": values, "intensity_unit": unit, "intensity_source": "protocol"}
    raise ProtocolError(f"expected currents ('50 uA') or voltages ('5 V') of one kind, got {listed!r}", field=field_name)
