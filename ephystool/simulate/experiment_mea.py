"""The MEA part of the simulated experiment (:mod:`ephystool.simulate.experiment`): cultured networks.

Cultures are written as NeuroExplorer timestamp exports (spike lists; raw 60-channel files are far over
the sample-data size budget), one well per culture batch and condition: spontaneous firing with a
dosing step, the NMDA-challenge (excitotoxicity) pairs recorded before and 24 h after, the MgSO4 dose
series, and optionally one raw Multi Channel Systems HDF5 recording.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ephystool.atomic import write_text
from ephystool.core.vocabulary import CONTROL

if TYPE_CHECKING:
    from ephystool.simulate.experiment import _Builder

__all__ = ["mea_cultures", "mea_dose_series", "mea_injury", "mea_raw", "mea_trains", "write_nex_timestamps"]


def mea_trains(rng: np.random.Generator, n_el: int, duration: float, dosing: float, base: float,
               ratio: float) -> list[np.ndarray]:
    """Poisson firing (log-normal rates per electrode, 10 % silent) with shared network bursts.

    Both the background rate and the spikes per network burst are multiplied by ``ratio`` after ``dosing``,
    so the expected whole-culture rate scales by ``ratio``.
    """
    rates = base * np.exp(rng.normal(0, 0.5, n_el))
    rates[rng.random(n_el) < 0.1] = 0.0
    # network bursts every ~10 s (jittered): a fixed count per minute, so rate ratios are not dominated by
    # the chance number of bursts in a short recording
    nb = np.arange(rng.uniform(0.0, 10.0), duration, 10.0)
    nb = np.sort(np.clip(nb + rng.normal(0.0, 1.5, nb.size), 0.0, duration - 0.5))
    trains = []
    for r in rates:
        if r == 0:
            trains.append(np.zeros(0))
            continue
        t = []
        for a, b, f in ((0.0, dosing, 1.0), (dosing, duration, ratio)):
            n = rng.poisson(r * f * (b - a))
            t.append(rng.uniform(a, b, n))
            for t0 in nb[(nb >= a) & (nb < b)]:
                if rng.random() < 0.8:
                    t.append(t0 + np.cumsum(rng.exponential(0.01, rng.poisson(10 * f))))  # scales with f too
        s = np.sort(np.concatenate(t))
        s = s[s < duration]
        trains.append(s[np.concatenate([[True], np.diff(s) > 0.0025])] if s.size else s)
    return trains


def _labels() -> list[str]:
    from ephystool.simulate.mcs_writer import mcs60_layout

    return [lab for lab, _, _ in mcs60_layout()]


def _well_units(well: str, k: int) -> dict[str, str]:
    return {"well": well, "batch": f"batch{k + 1}", "plate": f"P{k + 1}"}


def mea_cultures(b: _Builder) -> None:
    """Spontaneous firing of each culture, dosed half-way (protocol mea_spontaneous, short timeline)."""
    labels = _labels()
    duration = b.size.mea_minutes * 60.0
    dosing = duration / 2
    for ci, cond in enumerate(b.conditions):
        for k in range(b.size.cultures):
            base = 1.0 * float(np.exp(b.rng.normal(0, 0.3)))
            ratio = b.baths[cond]["mea_rate_ratio"] * float(np.exp(b.rng.normal(0, 0.1)))
            trains = mea_trains(b.rng, len(labels), duration, dosing, base, ratio)
            rel = f"mea/{cond}/batch{k + 1}_mea{ci + 1}{k + 1}.nexTimestamps"
            write_nex_timestamps(b.out / rel, labels, trains)
            b.add(rel, cond, "protocols/mea_spontaneous_short.yaml", _well_units(f"W{ci + 1}{k + 1}", k),
                  {"rate_ratio_true": ratio, "baseline_rate_hz": base, "duration_s": duration},
                  dosing_time_s=dosing)


def _before_after(b: _Builder, labels: list[str], rel: str, cond: str, protocol: str, units: dict[str, str],
                  base: float, recovery: float, truth: dict[str, Any], **overrides: Any) -> None:
    """One culture recorded before (``baseline``) and 24 h after (``post``) the NMDA challenge (90 s each);
    ``rel`` holds ``{tp}`` for the time point; the truth goes with the ``post`` row."""
    for tp, factor in (("baseline", 1.0), ("post", recovery)):
        trains = mea_trains(b.rng, len(labels), 90.0, 0.0, base, factor)
        path = rel.format(tp=tp)
        write_nex_timestamps(b.out / path, labels, trains)
        b.add(path, cond, protocol, units,
              {"recovery_ratio_true": recovery, "baseline_rate_hz": base, **truth} if tp == "post" else {},
              timepoint=tp, **overrides)


def mea_injury(b: _Builder) -> None:
    """Each culture recorded before and 24 h after an NMDA challenge (protocol mea_excitotoxicity)."""
    labels = _labels()
    for ci, cond in enumerate(b.conditions):
        for k in range(b.size.cultures):
            well = f"X{ci + 1}{k + 1}"
            base = 1.0 * float(np.exp(b.rng.normal(0, 0.3)))
            rec = b.baths[cond]["mea_recovery_24h"] * float(np.exp(b.rng.normal(0, 0.15)))
            _before_after(b, labels, f"mea_injury/{cond}/batch{k + 1}_{well}_{{tp}}.nexTimestamps", cond,
                          "protocols/mea_excitotoxicity_short.yaml", _well_units(well, k), base, rec, {})


def mea_dose_series(b: _Builder, doses_mM: list[float], reference_recovery: float, mg_exponent: float) -> None:
    """Control cultures in 0.5-3 mM MgSO4, before and 24 h after the NMDA challenge (claim CIT-NP-2).

    Recovery = ``reference_recovery`` x (dose / 1.3 mM) ** ``mg_exponent`` (EFFECTS
    ``mea_recovery_mg_exponent`` in :mod:`ephystool.simulate.experiment`). Recorded under a lab copy of
    mea_excitotoxicity named ``mgso4_dose_series`` so that these wells stay out of the two-group claims at
    the standard Mg; the manifest's ``mg_mM`` gives each well's dose.
    """
    labels = _labels()
    for k in range(b.size.cultures):
        for di, dose in enumerate(doses_mM):
            well = f"D{di + 1}{k + 1}"
            base = 1.0 * float(np.exp(b.rng.normal(0, 0.3)))
            rec = reference_recovery * (dose / 1.3) ** mg_exponent * float(np.exp(b.rng.normal(0, 0.15)))
            _before_after(b, labels, f"mea_dose_series/batch{k + 1}_{well}_{dose:g}mM_{{tp}}.nexTimestamps",
                          CONTROL, "protocols/mgso4_dose_series_short.yaml", _well_units(well, k),
                          base, rec, {"mg_mM": dose}, mg_mM=dose)


def write_nex_timestamps(path: Path, labels: list[str], trains: list[np.ndarray]) -> None:
    """NeuroExplorer timestamp text export: header of channel names, ragged tab-separated columns (s)."""
    n = max((t.size for t in trains), default=0)
    lines = ["\t".join(f"ch_{lab}A_unit_0" for lab in labels)]
    for i in range(n):
        lines.append("\t".join(f"{t[i]:.4f}" if i < t.size else "" for t in trains))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, "\n".join(lines) + "\n")


def mea_raw(b: _Builder) -> None:
    """One raw 60-electrode MCS HDF5 recording (10 s, 10 kHz) of a control culture."""
    from ephystool.simulate.mea import simulate_mea, write_mea_h5

    data, truth = simulate_mea(10.0, 60, 10000.0, seed=b.seed(), rate_hz=2.0, snr=8.0)
    rel = "mea/raw/control_raw_mcs.h5"
    (b.out / rel).parent.mkdir(parents=True, exist_ok=True)
    write_mea_h5(b.out / rel, data, truth)
    b.truth["raw_mea"] = {"path": rel, "rates_hz": [float(x) for x in truth.rates_hz]}
