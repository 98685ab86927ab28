"""The power part of a verdict's reason: minimal detectable effect and the n needed at 80 % power,
from the between-unit SD of the top-level unit means (SCIENCE.md 5)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ephystool.compare.claims import Margin
from ephystool.compare.power import minimal_detectable_effect, n_for_power, power_t, tost_n, tost_power
from ephystool.compare.predictions import CONTEXT_ONLY, Prediction
from ephystool.errors import EphysError

if TYPE_CHECKING:
    from ephystool.compare.claim_data import ClaimData
    from ephystool.compare.verdicts import ClaimTest

__all__ = ["POWER", "DEFAULT_RATIO_MARGIN", "fmt_effect", "power_text"]

#: Default margin where a claim and its metric give none: a 20 % ratio.
DEFAULT_RATIO_MARGIN = Margin(value=0.2, scale="ratio")
POWER = 0.8


def _y_scale(data: pd.DataFrame, reference: str, statistic: str, log: bool) -> pd.Series:
    y = pd.to_numeric(data["value"], errors="coerce").astype(float)
    if log:
        return np.log(y)
    if statistic == "ratio":
        ref = y[data["condition"] == reference].mean()
        return y / ref if ref else y * np.nan
    return y


def fmt_effect(y: float, statistic: str, log: bool, unit: str) -> str:
    if log:
        return f"{100 * (math.exp(y) - 1):+.0f} %"
    if statistic == "ratio":
        return f"{100 * y:+.0f} %"
    return f"{y:+.3g} {unit}".rstrip()


def power_text(cd: ClaimData, t: ClaimTest, prediction: Prediction | None, alpha: float) -> tuple[str, dict]:
    """Minimal detectable effect, power at the present n and n needed at 80 % power.

    From the SD of the independent units' means (the decision's unit; the top level otherwise), for
    the two-sided t test (directional claims) or TOST (``no_change``) at ``alpha``. Returns the text
    of the verdict's reason and a dict (``power``, ``effect``, ``basis``, ``n_per_condition``,
    ``unit``, ``n_for_80``) for the report.
    """
    present, data = cd.present, cd.frame
    unit = t.decision.unit if t.decision is not None else None
    top = unit if unit in present else (present[0] if present else None)
    y = _y_scale(data, cd.reference, t.statistic, t.log)
    frame = data.assign(_y=y)
    frame = frame[np.isfinite(frame["_y"])]
    keys = ["condition", top] if top else ["condition"]
    means = frame.groupby(keys)["_y"].mean().reset_index() if top else frame[["condition", "_y"]]
    var = means.groupby("condition")["_y"].var(ddof=1).dropna()
    per = means.groupby("condition").size()
    unit_name = f"{top}s" if top else "observations"
    d = t.decision
    if d is not None and d.method.startswith("paired") and d.se > 0 and min(d.n_units) >= 2:
        # paired/blocked: the SD of the differences / sqrt(2) gives the two-group formulas the paired
        # noncentrality (their df, 2n - 2 instead of n - 1, makes the power slightly optimistic)
        scale = abs(d.reference_mean) if t.statistic == "ratio" and not t.log and d.reference_mean else 1.0
        var = pd.Series([(d.se * np.sqrt(d.n_units[0]) / scale) ** 2 / 2])
        per = pd.Series([d.n_units[0]])
        unit_name, top = f"{d.unit}s (paired)", d.unit
    if var.empty or per.min() < 2:
        return (f"power: cannot estimate the between-{top or 'unit'} SD with fewer than 2 {unit_name} per "
                f"condition; record more {unit_name}"), {}
    sd, n = float(np.sqrt(var.mean())), int(per.min())
    if not sd > 0:
        return "power: no variation between units", {}
    info: dict = {"n_per_condition": n, "unit": top or "observation", "sd_between_units": sd, "alpha": alpha}
    mde = minimal_detectable_effect(sd, n, alpha=alpha, power=POWER)
    text = (f"minimal detectable effect at 80 % power with {n} {unit_name} per condition: "
            f"±{fmt_effect(mde, t.statistic, t.log, t.unit).lstrip('+')}")
    try:
        if t.expected == "no_change" and t.margin is not None:
            m = t.margin
            my = math.log1p(m.value) if (m.scale == "ratio" and t.log) else m.value
            need = tost_n(my, sd, alpha=alpha, power=POWER)
            pw = tost_power(my, sd, n, alpha=alpha)
            info.update(power=pw, effect=0.0, basis=f"equivalence within ±{m.value:g} ({m.scale})", n_for_80=need)
            text += (f"; equivalence within ±{m.value:g} ({m.scale}) needs about {need} {unit_name} per condition "
                     f"for 80 % power (power with {n}: {100 * pw:.0f} %)")
        else:
            target, label = _target(t, prediction)
            need = n_for_power(target, sd, alpha=alpha, power=POWER)
            pw = power_t(target, sd, n, alpha=alpha)
            if not math.isfinite(pw) and target / sd * math.sqrt(n / 2) > 8:  # scipy's nct fails far out
                pw = 1.0
            eff = fmt_effect(target, t.statistic, t.log, t.unit).lstrip('+')
            info.update(power=pw, effect=eff, basis=label, n_for_80=need)
            text += (f"; detecting {eff} ({label}) needs about {need} {unit_name} per condition for 80 % power "
                     f"(power with {n}: {100 * pw:.0f} %)")
    except EphysError as exc:
        text += f"; n needed not computed ({exc})"
    return text, info


def _target(t: ClaimTest, prediction: Prediction | None) -> tuple[float, str]:
    """Effect size to power for, on the analysis scale: the prediction, else the margin."""
    if prediction is not None and prediction.statistic == t.statistic and prediction.quantity not in CONTEXT_ONLY:
        v = prediction.value
        y = (math.log(v) if t.log else v - 1) if t.statistic == "ratio" and v > 0 else v
        if abs(y) > 1e-3:
            return abs(y), "the predicted size"
    m = t.margin or DEFAULT_RATIO_MARGIN
    if m.scale == "ratio":
        return (math.log1p(m.value) if t.log else m.value), "smallest effect of interest"
    return m.value, "smallest effect of interest"
