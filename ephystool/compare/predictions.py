"""Predictions computed by ephystool for a declared design and aCSF (SCIENCE.md sections 0, 1d, 3).

Free Mg2+, Ca2+ and Zn2+ of each condition come from :mod:`ephystool.chemistry` (equilibrium
speciation of the bath the design implies); NMDA current ratios use the Jahr-Stevens block at the free
Mg2+ of the condition and of the reference; the rectification-index ratio is ``RI(cond) / RI(ref)`` with
``RI = |I(-70)| / I(+40)``; the release factor is the illustrative Dodge-Rahamimoff form
``(Ca / (1 + Ca/K_Ca + Mg/K_Mg))^n`` with K_Ca = 1 mM, K_Mg = 3 mM, n = 3-4 (direction only).

**Ranges.** The nominal value uses the module's constants. The range is the span over (a) the
chelation effect, i.e. the condition's free-ion deficit relative to the reference, scaled by 0.7 and
1.3 (stability constants ±0.1 log unit, 25 vs 32-35 °C, protein binding ignored; SCIENCE.md 1d
limitations), (b) two block fits (Jahr-Stevens K0 3.57 mM / 0.062 per mV; Mel 1992 3.0 mM / 0.060 per
mV) and (c) n = 3 and 4 for the release factor. When the two baths have the same free ions (chronic
oral design, aspartate at equal total Mg) the range collapses to the value: the prediction is "no
effect", and it holds when the effect's CI contains it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from itertools import product
from typing import Any

from ephystool.chemistry import CONDITIONS, condition_bath, mg_block_fraction, rectification_index
from ephystool.compare.claims import PredictionSpec
from ephystool.core import vocabulary as voc

__all__ = ["CONTEXT_ONLY", "Ions", "Prediction", "condition_ions", "free_ions_frame", "predict", "release_factor"]

#: Predicted quantities that are context (a ratio of free ions), not a predicted effect size: never compared
#: with the measured CI, powered for or drawn as the expected effect.
CONTEXT_ONLY = frozenset({"free_mg_ratio", "free_ca_ratio", "free_zn_fraction"})

_BLOCK_FITS = ((3.57, 0.062), (3.0, 0.060))
_CHELATION_SCALE = (0.7, 1.0, 1.3)
_RELEASE_N = (3.0, 4.0)


@dataclass(frozen=True)
class Ions:
    """Free ions of one condition's bath (mM; Zn as % of its total)."""

    condition: str
    free_mg_mM: float
    free_ca_mM: float
    free_zn_percent: float
    total_mg_mM: float
    citrate_mM: float
    aspartate_mM: float


@dataclass(frozen=True)
class Prediction:
    """A predicted effect (condition vs reference) with its range.

    ``statistic`` is ``'ratio'`` (condition / reference) or ``'difference'`` (condition - reference,
    metric units); ``value`` is the nominal prediction and ``low``/``high`` its range.
    """

    quantity: str
    statistic: str
    value: float
    low: float
    high: float
    design: str
    condition: str
    reference: str
    text: str
    ions: dict[str, dict[str, float]] = field(default_factory=dict)
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    def holds(self, ci_low: float, ci_high: float, statistic: str) -> bool | None:
        """Whether a measured CI is consistent with the predicted range (they overlap).

        None when the statistics differ (a ratio prediction for a difference metric) or the CI is not
        finite.
        """
        if statistic != self.statistic or not (math.isfinite(ci_low) and math.isfinite(ci_high)):
            return None
        return bool(ci_low <= self.high and ci_high >= self.low)


def condition_ions(condition: str, design: str, mg_mM: float = 1.3, acsf: Any = None,
                   salt_forms: dict[str, str] | None = None) -> Ions | None:
    """Free ions of one condition's bath, or None for a condition the chemistry does not know.

    Parameters
    ----------
    condition : str
        ``control``, ``mg_aspartate``, ``mg_citrate`` or ``mg_matched_control``.
    design : str
        ``acute_equal_total``, ``acute_added`` or ``chronic_oral``.
    mg_mM : float
        Total Mg (acute_equal_total) or Mg added (acute_added), mM.
    acsf : ephystool.chemistry.ACSF, optional
        Background bath (standard aCSF by default).
    salt_forms : dict, optional
        Condition -> salt key overrides (e.g. ``{"mg_citrate": "MgHCit"}``).
    """
    if condition not in CONDITIONS:
        return None
    s = condition_bath(condition, design, mg_mM, (salt_forms or {}).get(condition), acsf)
    return Ions(condition, float(s.free_mg_mM), float(s.free_ca_mM), float(100 * s.free_zn_fraction),
                float(s.acsf.mg_mM), float(s.acsf.citrate_mM), float(s.acsf.aspartate_mM))


def free_ions_frame(design: str, conditions: tuple[str, ...] | list[str] | None = None, mg_mM: float = 1.3,
                    acsf: Any = None, salt_forms: dict[str, str] | None = None):  # -> pandas.DataFrame
    """Table of free ions per condition (one row each) for the report and ``summary.csv``."""
    import pandas as pd

    conds = conditions or list(voc.CONDITIONS) + (
        [voc.MG_MATCHED_CONTROL] if design == voc.ACUTE_ADDED else [])
    rows = [asdict(i) | {"design": design} for c in conds
            if (i := condition_ions(c, design, mg_mM, acsf, salt_forms)) is not None]
    return pd.DataFrame(rows)


def release_factor(ca_mM: float, mg_mM: float, n: float = 4.0, k_ca_mM: float = 1.0, k_mg_mM: float = 3.0) -> float:
    """Illustrative Dodge-Rahamimoff release factor ``(Ca / (1 + Ca/K_Ca + Mg/K_Mg))^n`` (direction only)."""
    return float((ca_mM / (1.0 + ca_mM / k_ca_mM + mg_mM / k_mg_mM)) ** n)


def _scaled(cond: Ions, ref: Ions, scale: float) -> tuple[float, float]:
    """Condition's free Mg, Ca with its deficit vs the reference scaled by ``scale``."""
    mg = ref.free_mg_mM + scale * (cond.free_mg_mM - ref.free_mg_mM)
    ca = ref.free_ca_mM + scale * (cond.free_ca_mM - ref.free_ca_mM)
    return max(mg, 0.0), max(ca, 1e-6)


def _block_ratio(v: float, mg_c: float, mg_r: float, k0: float, slope: float) -> float:
    return float(mg_block_fraction(v, mg_c, k0, slope) / mg_block_fraction(v, mg_r, k0, slope))


def _ri_ratio(mg_c: float, mg_r: float, k0: float, slope: float) -> float:
    return float(rectification_index(mg_c, kd0_mM=k0, slope_per_mV=slope)
                 / rectification_index(mg_r, kd0_mM=k0, slope_per_mV=slope))


def _computed(spec: PredictionSpec, cond: Ions, ref: Ions) -> tuple[float, float, float, str]:
    """(value, low, high, text) of a chemistry-derived ratio."""
    q, v = spec.quantity, spec.v_mV
    vals: list[float] = []
    nominal = float("nan")
    for scale, (k0, slope), n in product(_CHELATION_SCALE, _BLOCK_FITS, _RELEASE_N):
        mg_c, ca_c = _scaled(cond, ref, scale)
        mg_r, ca_r = ref.free_mg_mM, ref.free_ca_mM
        rel = release_factor(ca_c, mg_c, n) / release_factor(ca_r, mg_r, n)
        if q == "nmda_ratio":
            x = _block_ratio(v, mg_c, mg_r, k0, slope)
        elif q == "nmda_synaptic_ratio":
            x = _block_ratio(v, mg_c, mg_r, k0, slope) * rel
        elif q == "rectification_index_ratio":
            x = _ri_ratio(mg_c, mg_r, k0, slope)
        elif q == "release_factor_ratio":
            x = rel
        elif q == "free_mg_ratio":
            x = mg_c / mg_r if mg_r > 0 else float("nan")
        else:  # free_ca_ratio
            x = ca_c / ca_r
        vals.append(x)
        if scale == 1.0 and k0 == 3.57 and n == 4.0:
            nominal = x
    lo, hi = min(vals), max(vals)
    ions = (f"free Mg {cond.free_mg_mM:.2f} vs {ref.free_mg_mM:.2f} mM, free Ca {cond.free_ca_mM:.2f} vs "
            f"{ref.free_ca_mM:.2f} mM")
    at = f"{v:+g} mV" if v is not None else ""
    what = {"nmda_ratio": f"NMDA current at {at} (Jahr-Stevens block)",
            "nmda_synaptic_ratio": f"synaptic NMDA current at {at} (block x release factor)",
            "rectification_index_ratio": "rectification index |I(-70)|/I(+40)",
            "release_factor_ratio": "release factor (illustrative Dodge-Rahamimoff, n = 3-4)",
            "free_mg_ratio": "free Mg2+", "free_ca_ratio": "free Ca2+"}[q]
    return nominal, lo, hi, f"{what}: ratio {nominal:.3f} [{lo:.3f}, {hi:.3f}] ({ions})"


def predict(spec: PredictionSpec | None, condition: str, reference: str, design: str, mg_mM: float = 1.3,
            acsf: Any = None, salt_forms: dict[str, str] | None = None) -> Prediction | None:
    """The prediction of a claim for the declared design, or None when nothing can be predicted.

    Parameters
    ----------
    spec : PredictionSpec or None
        The claim's ``prediction`` entry.
    condition, reference : str
        Condition and (resolved) reference of the claim.
    design : str
        Declared design.
    mg_mM, acsf, salt_forms
        Bath settings, as in :func:`condition_ions`.

    Returns
    -------
    Prediction or None
        None without a spec, or when a condition is unknown to the chemistry module.
    """
    if spec is None:
        return None
    cond = condition_ions(condition, design, mg_mM, acsf, salt_forms)
    ref = condition_ions(reference, design, mg_mM, acsf, salt_forms)
    ions = {i.condition: {"free_mg_mM": i.free_mg_mM, "free_ca_mM": i.free_ca_mM,
                          "free_zn_percent": i.free_zn_percent} for i in (cond, ref) if i is not None}
    src = spec.source or ""
    if spec.quantity == "fixed":
        fixed = spec.by_design.get(design)
        if fixed is None and spec.value is None:
            return None
        value, (lo, hi) = (fixed.value, fixed.range) if fixed else (spec.value, spec.range)
        unit = "ratio" if spec.statistic == "ratio" else "difference"
        text = f"{unit} {value:g} [{lo:g}, {hi:g}] (literature{': ' + src if src else ''})"
        return Prediction("fixed", spec.statistic, float(value), float(lo), float(hi), design, condition,
                          reference, text, ions, src)
    if cond is None or ref is None:
        return None
    if spec.quantity == "free_zn_fraction":
        z = cond.free_zn_percent
        text = (f"free Zn2+ {z:.0f} % of total with {condition} vs {ref.free_zn_percent:.0f} % in {reference} "
                f"({design}; chemistry module)")
        return Prediction("free_zn_fraction", "ratio", z / 100, z / 100 * 0.7, min(z / 100 * 1.3, 1.0), design,
                          condition, reference, text, ions, "ephystool.chemistry speciation")
    value, lo, hi, text = _computed(spec, cond, ref)
    return Prediction(spec.quantity, "ratio", value, lo, hi, design, condition, reference,
                      f"{condition} vs {reference}, {design}: {text}", ions, src or "ephystool.chemistry + Jahr-Stevens")
