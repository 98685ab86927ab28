"""Jahr-Stevens NMDA-receptor Mg2+ block: the predictions shared by the simulator and the claims engine.

B(V) = 1 / (1 + [Mg]o / Kd0 * exp(-slope * V)), Kd0 = 3.57 mM, slope = 0.062 /mV
(Jahr & Stevens 1990 J Neurosci 10:3178; SCIENCE.md 1a). Use the **free** Mg concentration.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import quantities as pq

from ephystool.errors import ProtocolError

__all__ = [
    "JS_KD0_MM",
    "JS_SLOPE_PER_MV",
    "mg_block_fraction",
    "woodhull_delta",
    "rectification_index",
    "nmda_ratio_vs_control",
]

JS_KD0_MM = 3.57
JS_SLOPE_PER_MV = 0.062
_R = 8.314462618      # J/(mol K)
_F = 96485.33212      # C/mol


def _mag(x: Any, unit: str, name: str) -> np.ndarray:
    if isinstance(x, pq.Quantity):
        target = pq.mV if unit == "mV" else pq.mmol / pq.L
        try:
            x = x.rescale(target).magnitude
        except ValueError as exc:
            raise ProtocolError(f"{name}: expected units compatible with {unit}, got {x.dimensionality}") from exc
    arr = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ProtocolError(f"{name}: values must be finite")
    return arr


def _out(arr: np.ndarray) -> Any:
    return float(arr) if arr.ndim == 0 else arr


def mg_block_fraction(v_mV: Any, mg_mM: Any, kd0_mM: float = JS_KD0_MM,
                      slope_per_mV: float = JS_SLOPE_PER_MV) -> Any:
    """Fraction of NMDA receptors *not* blocked by extracellular Mg2+ (Jahr-Stevens).

    Parameters
    ----------
    v_mV : float, array or Quantity
        Membrane potential (mV).
    mg_mM : float, array or Quantity
        Free extracellular Mg2+ (mM), >= 0.
    kd0_mM : float
        Apparent dissociation constant at 0 mV (mM).
    slope_per_mV : float
        Voltage dependence (1/mV).

    Returns
    -------
    float or ndarray
        B(V) in [0, 1]; 1 means no block.

    Examples
    --------
    >>> round(mg_block_fraction(-70, 1.0), 3)
    0.044
    """
    v = _mag(v_mV, "mV", "v_mV")
    mg = _mag(mg_mM, "mM", "mg_mM")
    if np.any(mg < 0):
        raise ProtocolError("mg_mM: Mg concentration must be >= 0")
    if kd0_mM <= 0:
        raise ProtocolError(f"kd0_mM must be > 0, got {kd0_mM}")
    expo = np.exp(np.clip(-slope_per_mV * v, -700.0, 700.0))
    return _out(1.0 / (1.0 + mg / kd0_mM * expo))


def woodhull_delta(slope_per_mV: float = JS_SLOPE_PER_MV, temperature_C: float = 25.0, z: int = 2) -> float:
    """Electrical distance of the Mg site implied by a Woodhull slope: delta = slope * RT / (z F).

    Parameters
    ----------
    slope_per_mV : float
        The e-fold voltage dependence of block (1/mV); 0.062 for Jahr-Stevens.
    temperature_C : float
        Temperature (°C).
    z : int
        Valence of the blocker (2 for Mg2+).

    Examples
    --------
    >>> round(woodhull_delta(0.062, 22.0), 2)
    0.79
    """
    rt_f_mV = _R * (temperature_C + 273.15) / _F * 1e3
    return slope_per_mV * rt_f_mV / z


def rectification_index(mg_mM: Any, v_neg_mV: float = -70.0, v_pos_mV: float = 40.0, e_rev_mV: float = 0.0,
                        kd0_mM: float = JS_KD0_MM, slope_per_mV: float = JS_SLOPE_PER_MV) -> Any:
    """|I(v_neg)| / |I(v_pos)| of an NMDA current with a linear driving force and Jahr-Stevens block.

    0.080 at 1 mM free Mg, 0.073 at 1.1 mM, 0.042 at 2 mM and 1.75 (= 70/40) without Mg.
    """
    b_neg = mg_block_fraction(v_neg_mV, mg_mM, kd0_mM, slope_per_mV)
    b_pos = mg_block_fraction(v_pos_mV, mg_mM, kd0_mM, slope_per_mV)
    if v_pos_mV == e_rev_mV:
        raise ProtocolError("v_pos_mV equals the reversal potential: the index is undefined")
    return _out(np.abs(np.asarray(b_neg) * (v_neg_mV - e_rev_mV)) / np.abs(np.asarray(b_pos) * (v_pos_mV - e_rev_mV)))


def nmda_ratio_vs_control(v_mV: Any, mg_test: Any, mg_control: Any, kd0_mM: float = JS_KD0_MM,
                          slope_per_mV: float = JS_SLOPE_PER_MV) -> Any:
    """NMDA current in the test bath relative to the control bath at the same voltage and conductance.

    Parameters
    ----------
    v_mV : float, array or Quantity
        Membrane potential (mV).
    mg_test, mg_control : float or Quantity
        Free Mg2+ (mM) of the test and control baths.

    Returns
    -------
    float or ndarray
        B(V, test) / B(V, control); e.g. 1.26 at -70 mV for free Mg 0.86 vs 1.10 mM.
    """
    return _out(np.asarray(mg_block_fraction(v_mV, mg_test, kd0_mM, slope_per_mV))
                / np.asarray(mg_block_fraction(v_mV, mg_control, kd0_mM, slope_per_mV)))
