"""Effect sizes of the simulated experiment, derived from the declared design's baths.

Nothing here is a fixed per-condition number: each effect follows from the bath of a condition under
the design (:func:`ephystool.chemistry.condition_bath`: free Mg2+, free Ca2+, L-aspartate) relative to
the design's reference (the Mg-matched control under ``acute_added``, else the control):

* **aspartate tonic current** ``I = G * occ([Asp]) * B(V, free Mg) * (V - E_rev)``: receptor occupancy
  ``occ = c^h / (c^h + EC50^h)`` with the L-aspartate EC50 at NMDA receptors (:data:`ASP_EC50_UM`),
  Jahr-Stevens block at the holding potential, E_rev 0 mV; ``G`` is set so that a saturating aspartate
  bath in 1.11 mM free Mg gives -150 pA at -70 mV (SCIENCE.md C2: -50 to -300 pA [M]). Inward at -70 mV,
  outward (and larger: little block) at +40 mV. No aspartate in the bath (``chronic_oral``): none.
* **synaptic NMDA factor** ``1 - 0.2 occ`` (occupancy/desensitisation by bath aspartate, SCIENCE.md C3 [M]);
* **f-I bias current**: the aspartate tonic current at -60 mV scaled to +25 pA at the reference anchor, plus
  ``8 pA x ln(Mg_ref / Mg) / ln(1.11 / 0.87)`` for a bath with less free Mg (surface charge, less block [M]);
* **LTP** (% of baseline): ``150 - 30 occ + 8 ln(Mg_ref / Mg) / ln(1.11 / 0.87)`` (C9 occlusion by Asp;
  lower induction threshold at lower free Mg [M]); the same bath for all under ``chronic_oral``: 150 %;
* **MEA post/pre rate ratio** ``(Mg_ref / Mg)^0.8 (1 + 0.8 occ)`` (C14/C3 [M]); 1 without a bath change;
* **MEA recovery 24 h after NMDA** ``0.6 (Mg / Mg_ref)^0.4 (1 - 0.42 occ)`` (C6-C8 [M]).

Under ``chronic_oral`` every slice is recorded in the same standard aCSF: the chemistry gives equal baths,
so every effect is null (only lasting changes could show, and oral Mg salts do not raise brain Mg).
"""

from __future__ import annotations

import math
from typing import Any

from ephystool.core.vocabulary import TEST_SALTS

__all__ = ["ASP_EC50_UM", "ASP_HILL", "conditions_for", "design_effects", "occupancy", "tonic_current_pA"]

#: L-aspartate EC50 at NMDA receptors (uM) and Hill slope: hippocampal neurons, Patneau & Mayer 1990
#: J Neurosci 10:2385 (L-aspartate about 17 uM vs L-glutamate 2.3 uM); GluN1/GluN2 subtypes 10-50 uM
#: (Traynelis et al. 2010 Pharmacol Rev 62:405, Table 8) [M].
ASP_EC50_UM = 17.0
ASP_HILL = 1.4
_E_REV_MV = 0.0
_ANCHOR = (-150.0, -70.0, 1.113)  # pA at mV in mM free Mg, saturating aspartate (SCIENCE.md C2)
_CIT_MG_LOG = math.log(1.113 / 0.870)  # the equal-total citrate bath's free-Mg step (chemistry)


def occupancy(asp_mM: float) -> float:
    """Fraction of NMDA receptors' glutamate sites occupied by L-aspartate at ``asp_mM`` (Hill equation)."""
    if asp_mM <= 0:
        return 0.0
    c = asp_mM * 1000.0
    return c ** ASP_HILL / (c ** ASP_HILL + ASP_EC50_UM ** ASP_HILL)


def _g_tonic_nS() -> float:
    from ephystool.chemistry import mg_block_fraction

    i, v, mg = _ANCHOR
    return i / (float(mg_block_fraction(v, mg)) * (v - _E_REV_MV))  # pA / mV = nS


def tonic_current_pA(asp_mM: float, free_mg_mM: float, v_mV: float) -> float:
    """Aspartate tonic current (pA; inward negative) at holding potential ``v_mV`` (see the module docstring)."""
    from ephystool.chemistry import mg_block_fraction

    return _g_tonic_nS() * occupancy(asp_mM) * float(mg_block_fraction(v_mV, free_mg_mM)) * (v_mV - _E_REV_MV)


def conditions_for(design: str) -> tuple[str, ...]:
    """Simulated conditions: the design's reference first (Mg-matched control under acute_added)."""
    from ephystool.chemistry import reference_condition

    return (reference_condition(design), *TEST_SALTS)


def design_effects(design: str) -> dict[str, dict[str, Any]]:
    """Per-condition baths and effects under ``design`` (keys: the conditions of :func:`conditions_for`)."""
    from ephystool.chemistry import condition_bath

    conds = conditions_for(design)
    baths = {c: condition_bath(c, design) for c in conds}
    ref = baths[conds[0]]
    out: dict[str, dict[str, Any]] = {}
    for c, s in baths.items():
        asp = float(s.acsf.aspartate_mM)
        occ = occupancy(asp)
        mg_step = math.log(ref.free_mg_mM / s.free_mg_mM) / _CIT_MG_LOG
        tonic = {v: tonic_current_pA(asp, s.free_mg_mM, v) for v in (-70.0, -60.0, 40.0)}
        anchor60 = tonic_current_pA(100.0, _ANCHOR[2], -60.0)
        out[c] = {
            "free_mg_mM": s.free_mg_mM, "free_ca_mM": s.free_ca_mM, "free_zn_fraction": s.free_zn_fraction,
            "aspartate_mM": asp, "occupancy": occ,
            "tonic_m70_pA": tonic[-70.0], "tonic_p40_pA": tonic[40.0],
            "synaptic_nmda_factor": 1.0 - 0.2 * occ,
            "fi_bias_pA": 25.0 * tonic[-60.0] / anchor60 + 8.0 * mg_step,
            "ltp_percent": 150.0 - 30.0 * occ + 8.0 * mg_step,
            "mea_rate_ratio": (ref.free_mg_mM / s.free_mg_mM) ** 0.8 * (1.0 + 0.8 * occ),
            "mea_recovery_24h": 0.6 * (s.free_mg_mM / ref.free_mg_mM) ** 0.4 * (1.0 - 0.42 * occ),
        }
    return out
