"""NMDA I-V curve and Mg2+-block (Woodhull) fit.

The isolated NMDA EPSC is measured at every holding potential (sweeps grouped by holding, see
:mod:`ephystool.analysis.nmda`) at one latency found on the highest-SNR potentials, the same way at
every potential, by a whole-trace template fit (default) or a window mean centred on that latency
(:mod:`ephystool.analysis.nmda_iv._points`; a peak search is biased near the reversal potential where
it picks noise). The Woodhull model

    I(V) = g (V - E_rev) / (1 + [Mg2+] / Kd(0) * exp(-z delta F V / (R T)))      (z = 2)

is fitted by least squares with [Mg2+] fixed, giving ``nmda_conductance`` (nS), ``reversal_potential``
(mV), ``mg_block_kd0`` (mM), ``mg_block_delta`` with 95 % confidence intervals, and
``fraction_unblocked_m70`` = B(-70 mV). Reference: Jahr & Stevens (1990) J Neurosci 10:3178,
Kd(0) = 3.57 mM, slope 0.062 /mV, i.e. delta = 0.062 RT / (2F) = 0.79 at 22 °C; a fit to the model's own
noiseless curve returns these constants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq

from ephystool.analysis import nmda
from ephystool.analysis.nmda.figures import plot_nmda_iv
from ephystool.analysis.nmda_iv._points import iv_points
from ephystool.analysis.nmda_iv.metrics import METRICS
from ephystool.analysis.nmda_iv.params import NmdaIvParams
from ephystool.analysis.spec import AnalysisSpec
from ephystool.errors import AnalysisError

__all__ = ["SPEC", "NAME", "NmdaIvParams", "NmdaIvResult", "WoodhullFit", "analyze", "fit_woodhull", "iv_from_rows"]

NAME = "nmda_iv"
_R, _F = 8.314462618, 96485.33212


def _rt_over_zf_mV(temperature_C: float, z: int = 2) -> float:
    return _R * (temperature_C + 273.15) / (z * _F) * 1e3


@dataclass(frozen=True)
class WoodhullFit:
    """Fitted Woodhull parameters with 95 % confidence intervals (``*_ci`` = (low, high))."""

    g_nS: float
    e_rev_mV: float
    kd0_mM: float
    delta: float
    g_ci: tuple[float, float]
    e_rev_ci: tuple[float, float]
    kd0_ci: tuple[float, float]
    delta_ci: tuple[float, float]
    mg_mM: float
    temperature_C: float
    r2: float

    def block(self, v_mV: Any) -> Any:
        """Fraction unblocked B(V) with the fitted Kd(0) and delta."""
        k = 1.0 / _rt_over_zf_mV(self.temperature_C)
        return 1.0 / (1.0 + self.mg_mM / self.kd0_mM * np.exp(-self.delta * k * np.asarray(v_mV, dtype=float)))

    def current(self, v_mV: Any) -> Any:
        """Model current (pA) at ``v_mV``."""
        return self.g_nS * (np.asarray(v_mV, dtype=float) - self.e_rev_mV) * self.block(v_mV)


def fit_woodhull(
    v_mV: Sequence[float], i_pA: Sequence[float], mg_mM: float, kd0_init: float = 3.57, delta_init: float = 0.8,
    erev_init: float = 0.0, temperature_C: float = 22.0, path: Any = None,
) -> WoodhullFit:
    """Least-squares fit of the Woodhull Mg2+-block model to an I-V curve.

    Parameters
    ----------
    v_mV, i_pA : sequence of float
        Holding potentials (mV) and signed currents (pA).
    mg_mM : float
        Free extracellular Mg2+ (mM), fixed in the fit.

    Returns
    -------
    WoodhullFit

    Raises
    ------
    AnalysisError
        Fewer than five potentials, no potential on each side of the reversal, or no convergence.
    """
    from scipy.optimize import curve_fit
    from scipy.stats import t as t_dist

    v, i = np.asarray(v_mV, dtype=float), np.asarray(i_pA, dtype=float)
    if v.size < 5 or np.unique(v).size < 5:
        raise AnalysisError(f"the Woodhull fit needs at least 5 holding potentials, found {np.unique(v).size}; "
                            "record more potentials (e.g. -80 to +40 mV in 20 mV steps)", path)
    if mg_mM <= 0:
        raise AnalysisError("the Woodhull fit needs [Mg2+] > 0 (without Mg there is no block to fit)", path)
    k = 1.0 / _rt_over_zf_mV(temperature_C)

    def model(vv: np.ndarray, g: float, e: float, log_kd: float, delta: float) -> np.ndarray:
        return g * (vv - e) / (1.0 + mg_mM / np.exp(log_kd) * np.exp(-delta * k * vv))

    pos = v > erev_init
    g0 = float(np.median(i[pos] / (v[pos] - erev_init) * (1 + mg_mM / kd0_init * np.exp(-delta_init * k * v[pos])))) \
        if np.any(pos) else 1.0
    p0 = [g0, erev_init, np.log(kd0_init), delta_init]
    try:
        p, cov = curve_fit(model, v, i, p0=p0, bounds=([-np.inf, -60, np.log(1e-3), 0.0], [np.inf, 60, np.log(1e3), 2.0]),
                           maxfev=20000)
    except (RuntimeError, ValueError) as exc:
        raise AnalysisError(f"the Woodhull fit did not converge ({exc}); check the I-V points", path) from exc
    dof = max(v.size - 4, 1)
    se = np.sqrt(np.clip(np.diag(cov), 0, None)) if np.all(np.isfinite(cov)) else np.full(4, np.nan)
    tq = float(t_dist.ppf(0.975, dof))
    ci = [(p[j] - tq * se[j], p[j] + tq * se[j]) for j in range(4)]
    resid = i - model(v, *p)
    ss = float(np.sum((i - i.mean()) ** 2))
    return WoodhullFit(
        g_nS=float(p[0]), e_rev_mV=float(p[1]), kd0_mM=float(np.exp(p[2])), delta=float(p[3]),
        g_ci=(float(ci[0][0]), float(ci[0][1])), e_rev_ci=(float(ci[1][0]), float(ci[1][1])),
        kd0_ci=(float(np.exp(ci[2][0])), float(np.exp(ci[2][1]))), delta_ci=(float(ci[3][0]), float(ci[3][1])),
        mg_mM=float(mg_mM), temperature_C=temperature_C, r2=1.0 - float(np.sum(resid**2)) / ss if ss > 0 else float("nan"),
    )


@dataclass(frozen=True)
class NmdaIvResult:
    """I-V points (signed pA per holding potential), the Woodhull fit and the per-potential EPSC analysis."""

    path: str
    v_mV: np.ndarray
    i_pA: np.ndarray
    n_sweeps: tuple[int, ...]
    latency_ms: float
    fit: WoodhullFit
    epsc: nmda.NmdaResult | None
    method: str = ""

    def rows(self) -> list[dict[str, Any]]:
        """Tidy rows: fit parameters with ``ci_low``/``ci_high`` and the I-V points (``nmda_iv_current``, signed)."""
        f = self.fit
        n = int(sum(self.n_sweeps))
        common = {"analysis": NAME, "holding_mV": None, "n_sweeps": n, "mg_mM": f.mg_mM, "component": "isolated",
                  "excluded_reason": self.epsc.excluded_reason if self.epsc is not None else ""}
        out = [
            dict(common, metric="mg_block_kd0", value=f.kd0_mM, unit="mM", ci_low=f.kd0_ci[0], ci_high=f.kd0_ci[1]),
            dict(common, metric="mg_block_delta", value=f.delta, unit="1", ci_low=f.delta_ci[0], ci_high=f.delta_ci[1]),
            dict(common, metric="reversal_potential", value=f.e_rev_mV, unit="mV", ci_low=f.e_rev_ci[0],
                 ci_high=f.e_rev_ci[1]),
            dict(common, metric="nmda_conductance", value=f.g_nS, unit="nS", ci_low=f.g_ci[0], ci_high=f.g_ci[1]),
            dict(common, metric="fraction_unblocked_m70", value=float(f.block(-70.0)), unit="1"),
            dict(common, metric="mg_block_fit_r2", value=f.r2, unit="1"),
        ]
        for v, i, k in zip(self.v_mV, self.i_pA, self.n_sweeps):
            out.append(dict(common, metric="nmda_iv_current", value=float(i), unit="pA", holding_mV=float(v),
                            n_sweeps=int(k), direction="inward" if i < 0 else "outward",
                            note=self.method or f"signed current at {self.latency_ms:.1f} ms after the stimulus"))
        return out

    def sweep_rows(self) -> list[dict[str, Any]]:
        """Per-sweep rows of the underlying EPSC analysis."""
        return [dict(r, analysis=NAME) for r in (self.epsc.sweep_rows() if self.epsc is not None else [])]


def analyze(recording: Any, params: NmdaIvParams) -> NmdaIvResult:
    """I-V of the isolated NMDA EPSC of one recording and its Woodhull fit.

    Parameters
    ----------
    recording : Recording
        Voltage clamp, sweeps at three or more holding levels (mV) with the NMDA EPSC isolated.
    params : NmdaIvParams
        The EPSC windows (ms), the bath's free Mg2+ (mM) and the fit's starting values (Kd(0) mM, delta,
        E_rev mV, temperature degC).

    Returns
    -------
    NmdaIvResult
        The I-V points (mV, pA) and the Woodhull fit: conductance (nS), reversal potential (mV), Kd(0) (mM),
        delta and the unblocked fraction at -70 mV (dimensionless), with 95 % confidence intervals.

    Raises
    ------
    AnalysisError
        As :func:`ephystool.analysis.nmda.analyze`, or too few potentials for the fit.

    Examples
    --------
    >>> from ephystool.simulate.vclamp import simulate_iv_series
    >>> rec, truth = simulate_iv_series(seed=6402, n_sweeps_per_step=2)
    >>> res = analyze(rec, NmdaIvParams.from_protocol({}, {"mg_mM": truth["mg_mM"]}))
    >>> g = next(r for r in res.rows() if r["metric"] == "nmda_conductance")
    >>> abs(g["value"] - truth["g_nS"]) < 1.0, g["unit"]
    (True, 'nS')
    """
    res = nmda.analyze(recording, params.epsc)
    if not any(g.nmda_peak is not None and float(g.nmda_peak) > 0 for g in res.groups):
        raise AnalysisError("no NMDA peak found at any holding potential; check isolated_nmda and the windows",
                            recording.path)
    v = np.array([g.holding_mV for g in res.groups])
    i, lat, how = iv_points(res.groups, params)
    fit = _fit(v, i, params, recording.path)
    return NmdaIvResult(str(recording.path), v, i, tuple(g.n_sweeps for g in res.groups), lat, fit, res, how)


def _fit(v: np.ndarray, i: np.ndarray, params: NmdaIvParams, path: Any) -> WoodhullFit:
    return fit_woodhull(v, i, float(params.mg_mM.rescale(pq.mmol / pq.L).magnitude),
                        float(params.kd0_init.rescale(pq.mmol / pq.L).magnitude), params.delta_init,
                        float(params.erev_init.rescale(pq.mV).magnitude), params.temperature_C, path)


def iv_from_rows(rows: Sequence[Mapping[str, Any]], params: NmdaIvParams) -> NmdaIvResult:
    """Fit the I-V of one cell recorded as separate files (one per potential).

    ``rows`` are ``nmda_iv_current`` rows (signed pA, ``holding_mV``) of the cell's recordings; points at
    the same potential are averaged weighted by ``n_sweeps``.
    """
    pts: dict[float, list[tuple[float, int]]] = {}
    for r in rows:
        if r.get("metric") == "nmda_iv_current" and r.get("holding_mV") is not None:
            pts.setdefault(round(float(r["holding_mV"]), 1), []).append((float(r["value"]), int(r.get("n_sweeps") or 1)))
    v = np.array(sorted(pts))
    i = np.array([np.average([a for a, _ in pts[x]], weights=[w for _, w in pts[x]]) for x in v])
    n = tuple(sum(w for _, w in pts[x]) for x in v)
    return NmdaIvResult("combined", v, i, n, float("nan"), _fit(v, i, params, None), None)


#: this analysis, for :data:`ephystool.analysis.registry.ANALYSES`
SPEC = AnalysisSpec(NAME, NmdaIvParams, analyze, plot_nmda_iv, METRICS, output_name='nmda')
