"""A complete simulated experiment (control, Mg aspartate, Mg citrate) in real file formats.

Effects come from documented mechanisms, never from the claims file (SCIENCE.md section 2):

* free Mg2+ and Ca2+ of each bath from :mod:`ephystool.chemistry` for the declared design
  (equal total Mg 1.3 mM by default: citrate complexes part of both ions); the conditions are the
  design's reference (the Mg-matched control under ``acute_added``) and the two salts, and every
  effect size follows from the baths (:mod:`ephystool.simulate.design_effects`: no aspartate and equal
  baths under ``chronic_oral``, so no bath effect there);
* NMDA current through the Jahr-Stevens block at the bath's free Mg2+ (simulator
  :mod:`ephystool.simulate.vclamp`);
* release probability scaled by an illustrative Dodge-Rahamimoff factor of free Ca2+ and Mg2+
  (K_Ca 1 mM, K_Mg 3 mM, n 3: direction only, SCIENCE.md 1d);
* L-aspartate (2 mM per mM Mg) as an NMDA agonist: receptor occupancy from its EC50, a tonic current
  through the Mg block at the holding potential (inward at -70 mV, outward at +40 mV; tonic cells are
  recorded at both), a smaller synaptic NMDA EPSC (occupancy/desensitisation), occluded LTP, more firing;
* no Zn2+ added and no chelator: the Zn-relief mechanism of citrate has nothing to act on.

Every assumed constant is in :data:`EFFECTS` with its source tag, and the per-condition sizes of the
design in ``ground_truth.json`` (``design_effects``).
Patch-clamp files are ABF1 (written by :func:`~ephystool.simulate.abf_writer.write_abf1`); MEA
cultures are NeuroExplorer timestamp exports (spike lists: raw 60-channel MEA files are far over
the sample-data size budget; ``raw_mea=True`` adds one raw Multi Channel Systems HDF5 file).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ephystool.atomic import write_text
from ephystool.core.vocabulary import CONDITIONS, CONTROL, DEFAULT_DESIGN, MG_CITRATE
from ephystool.simulate.experiment_mea import mea_cultures, mea_dose_series, mea_injury, mea_raw

__all__ = ["EFFECTS", "Size", "SIZES", "build_experiment"]


#: Assumed constants that chemistry cannot give ([M] = background assumption, SCIENCE.md); the
#: per-condition effects are computed from them for the declared design (design_effects).
EFFECTS: dict[str, dict[str, Any]] = {
    "asp_tonic": {"anchor_pA_at_m70_in_1.11mM_free_mg": -150.0, "ec50_uM": 17.0, "hill": 1.4,
                  "source": "[M] SCIENCE.md C2 (-50 to -300 pA in 1.1 mM free Mg); L-aspartate EC50 Patneau & "
                            "Mayer 1990; occupancy x Jahr-Stevens block at the holding potential x (V - 0 mV)"},
    "asp_synaptic_nmda_factor": {"per_occupancy": -0.2, "source": "[M] SCIENCE.md C3: occupancy/desensitisation"},
    "fi_bias_pA": {"mg_aspartate_at_anchor": 25.0, "per_citrate_mg_step": 8.0,
                   "source": "[M] tonic NMDA current (Asp); surface-charge screening by lower free Ca/Mg (citrate)"},
    "ltp_percent": {"reference": 150.0, "per_occupancy": -30.0, "per_citrate_mg_step": 8.0,
                    "source": "[M] SCIENCE.md C9 occlusion by Asp; lower induction threshold at lower free Mg"},
    "mea_rate_ratio": {"free_mg_exponent": -0.8, "per_occupancy": 0.8, "source": "[M] SCIENCE.md C14/C3"},
    "mea_recovery_24h": {"reference": 0.6, "free_mg_exponent": 0.4, "per_occupancy": -0.42,
                         "source": "[M] SCIENCE.md C6/C7: firing 24 h after 30 uM NMDA relative to baseline; "
                                   "Asp adds agonist load, less free Mg protects less"},
    "zn_arm": {"zn_added_nM": 300.0, "glun2a_fraction": 0.5, "ic50_nM": 10.0,
               "source": "[M] SCIENCE.md 1g/C5 and design step 5: GluN2A high-affinity Zn inhibition "
                         "1/(1 + free Zn / IC50), IC50 10 nM, on half of the NMDA conductance; 300 nM ZnCl2 added; "
                         "Ca/Mg-matched baths (only free Zn differs); citrate washed in on the same cell"},
    "mea_recovery_mg_exponent": {CONTROL: 0.4, "doses_mM": [0.5, 1.0, 2.0, 3.0],
                                 "source": "[M] SCIENCE.md C8: NMDA injury falls monotonically with Mg (in vivo "
                                           "29/52/62 % protection at 2/3/4 mmol/kg, McDonald 1990); recovery = "
                                           "control recovery x (MgSO4 / 1.3 mM)^exponent, the exponent assumed"},
}


@dataclass(frozen=True)
class Size:
    """How many units per condition: animals, cells per animal (NMDA EPSC and I-V), current-clamp cells,
    LTP slices and tonic-current cells (one per animal, the first ones), MEA cultures; durations."""

    animals: int
    cells_per_animal: int
    fi_cells: int
    ltp_slices: int
    tonic_cells: int
    cultures: int
    mea_minutes: float
    ltp_post_min: float


#: Recordings follow the packaged templates' requirements (rates, sweep counts and lengths), so that
#: ``ephystool protocol check`` accepts them; 'small' is the committed sample (about 42 MB): 5 animals per
#: condition, 4 LTP slices and 4 tonic-current animals (each at -70 and +40 mV), 5 culture batches with one
#: well per condition: the smallest design where the calibrated rule (>= 3 units, Holm across about ten
#: questions) can decide the large effects; one f-I cell per condition (no claim reads it).
SIZES = {
    "tiny": Size(2, 1, 1, 2, 2, 2, 4.0, 60.0),
    "small": Size(5, 1, 1, 4, 4, 5, 4.0, 60.0),
    "large": Size(6, 3, 6, 6, 6, 6, 20.0, 60.0),
    # benchmarks/bench_acceptance_experiment.py: enough units for the calibrated rule to find the simulated
    # LTP occlusion (30 pp, slice SD 15 pp) and the aspartate MEA recovery (x0.58) after Holm
    "acceptance": Size(8, 1, 1, 8, 6, 8, 4.0, 60.0),
}


def _release(ca: float, mg: float, ca0: float, mg0: float) -> float:
    f = lambda c, m: (c / (1 + c / 1.0 + m / 3.0)) ** 3  # noqa: E731 - illustrative Dodge-Rahamimoff
    return f(ca, mg) / f(ca0, mg0)


def _baths(design: str) -> dict[str, dict[str, float]]:
    """Each condition's bath and effects under the design (reference first), with the release factor."""
    from ephystool.simulate.design_effects import design_effects

    out = design_effects(design)
    c0 = next(iter(out.values()))
    for c in out:
        out[c]["release_factor"] = _release(out[c]["free_ca_mM"], out[c]["free_mg_mM"], c0["free_ca_mM"], c0["free_mg_mM"])
    return out


def _write_abf(path: Path, rec: Any, channels: list[int] | None = None, interval: float | None = None,
               extra: np.ndarray | None = None, extra_name: str = "Im", extra_unit: str = "pA") -> None:
    from ephystool.simulate.abf_writer import write_abf1

    idx = channels if channels is not None else list(range(len(rec.channels)))
    data = [[seg.analogsignals[i].magnitude.ravel() for i in idx] for seg in rec.block.segments]
    names = [rec.channels[i].name for i in idx]
    units = [rec.channels[i].units for i in idx]
    if extra is not None:
        data = [d + [extra[k]] for k, d in enumerate(data)]
        names, units = names + [extra_name], units + [extra_unit]
    arr = np.asarray(data, dtype=float)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_abf1(path, arr, rec.sampling_rate_hz, names, units, sweep_interval_s=interval,
               comments=[(t.time_s, t.text) for t in rec.tags], gap_free=arr.shape[0] == 1 and interval is None)


class _Builder:
    def __init__(self, out: Path, seed: int, size: Size, design: str) -> None:
        self.out, self.size, self.design = out, size, design
        self.rng = np.random.default_rng(seed)
        self.rows: list[dict[str, Any]] = []
        self.truth: dict[str, Any] = {"recordings": {}}
        self.baths = _baths(design)
        self.conditions = tuple(self.baths)
        self.reference = self.conditions[0]

    def seed(self) -> int:
        return int(self.rng.integers(0, 2**31 - 1))

    def add(self, rel: str, condition: str, protocol: str, units: dict[str, str], truth: dict[str, Any],
            **overrides: Any) -> None:
        self.rows.append({"path": rel, "condition": condition, "protocol": protocol, **units, **overrides})
        self.truth["recordings"][rel] = {"condition": condition, "protocol": protocol, **units, **truth}

    def cells(self, fn: Callable[..., None]) -> None:
        for ci, cond in enumerate(self.conditions):
            for a in range(self.size.animals):
                animal = f"{cond[:3]}{'ABC'[ci]}{a + 1}"
                a_eff = float(np.exp(self.rng.normal(0, 0.15)))  # animal-level random effect (log SD 0.15)
                for c in range(self.size.cells_per_animal):
                    fn(cond, {"animal": animal, "slice": f"s{c // 2 + 1}", "cell": f"c{c + 1}"}, a_eff)


def _nmda_iv(b: _Builder, cond: str, units: dict[str, str], a_eff: float) -> None:
    from ephystool.simulate.vclamp import simulate_iv_series

    bath = b.baths[cond]
    g = 8.0 * a_eff * float(np.exp(b.rng.normal(0, 0.25))) * bath["release_factor"]
    steps = (-80.0, -70.0, -60.0, -40.0, -20.0, 0.0, 20.0, 40.0)  # the nmda_iv template's potentials
    rec, truth = simulate_iv_series(steps, n_sweeps_per_step=2, mg_mM=bath["free_mg_mM"], g_nmda_nS=g,
                                    seed=b.seed(), duration_s=1.0, rate_hz=10000.0, noise_pA=3.0)
    rel = f"patch/{cond}/{units['animal']}_{units['cell']}_nmda_iv.abf"
    _write_abf(b.out / rel, rec, interval=10.0)
    hold = ";".join(f"{h.magnitude:g}" for h in rec.holding)
    keep = {k: truth[k] for k in ("rectification_index", "kd0_mM", "slope_per_mV", "mg_mM") if k in truth}
    b.add(rel, cond, "nmda_iv", units, {**keep, "g_nmda_nS": g}, holding_mV=hold, stim_time_ms=100, mg_mM=round(bath["free_mg_mM"], 4))


def _nmda_epsc(b: _Builder, cond: str, units: dict[str, str], a_eff: float) -> None:
    from ephystool.simulate.vclamp import _to_recording, simulate_epsc_arrays

    bath = b.baths[cond]
    rel_f = bath["release_factor"] * a_eff * float(np.exp(b.rng.normal(0, 0.25)))
    g_n = 4.0 * rel_f * bath["synaptic_nmda_factor"]
    arr = simulate_epsc_arrays((-70.0, 40.0), n_sweeps_per_holding=10, mg_mM=bath["free_mg_mM"],
                               ampa={"g_nS": 6.0 * rel_f}, nmda={"g_nS": g_n}, duration_s=1.0, rate_hz=10000.0,
                               amplitude_cv=0.15, seed=b.seed())
    rec = _to_recording(arr, "epsc")
    rel = f"patch/{cond}/{units['animal']}_{units['cell']}_nmda_epsc.abf"
    _write_abf(b.out / rel, rec, interval=10.0)
    t = arr["truth"]
    b.add(rel, cond, "nmda_epsc", units,
          {"nmda_ampa_ratio": t.get("nmda_ampa_ratio"), "nmda_late_40_pA": t["nmda_late_pA"][40.0],
           "nmda_peak_m70_pA": t["nmda_peak_pA"][-70.0], "ampa_peak_m70_pA": t["ampa_peak_pA"][-70.0]},
          holding_mV=";".join(f"{v:g}" for v in arr["holding_mV"]), stim_time_ms=100)


def _zn_arm(b: _Builder) -> None:
    """Claim CIT-NMDA-4: NMDA EPSCs with 300 nM Zn added, control bath then citrate washed in on the same cell.

    Ca/Mg-matched baths (SCIENCE.md C5): release and Mg block are the control's in both, so only the free
    Zn differs (chemistry: 55 % of the Zn free in control aCSF, 11 % with citrate). Recorded under a lab
    copy of nmda_epsc named ``zn_nmda_epsc`` with the manifest column ``zn_condition = zn_added``, so these
    cells stay out of the two-group NMDA claims at ambient Zn.
    """
    import dataclasses

    from ephystool.chemistry import condition_bath
    from ephystool.chemistry.acsf import standard_acsf
    from ephystool.simulate.vclamp import _to_recording, simulate_epsc_arrays

    spec = EFFECTS["zn_arm"]
    acsf = dataclasses.replace(standard_acsf(), zn_nM=spec["zn_added_nM"])
    mg = b.baths[b.reference]["free_mg_mM"]
    for a in range(b.size.animals):
        animal, a_eff = f"znA{a + 1}", float(np.exp(b.rng.normal(0, 0.15)))
        g = 4.0 * a_eff * float(np.exp(b.rng.normal(0, 0.25)))
        for cond in (b.reference, MG_CITRATE):
            free_zn = condition_bath(cond, b.design, acsf=acsf).free_zn_nM
            zn = spec["glun2a_fraction"] / (1.0 + free_zn / spec["ic50_nM"]) + 1.0 - spec["glun2a_fraction"]
            arr = simulate_epsc_arrays((-70.0, 40.0), n_sweeps_per_holding=10, mg_mM=mg, ampa={"g_nS": 6.0 * a_eff},
                                       nmda={"g_nS": g * zn}, duration_s=1.0, rate_hz=10000.0, amplitude_cv=0.15,
                                       seed=b.seed())
            rel = f"patch_zn/{animal}_c1_{cond}_zn.abf"
            _write_abf(b.out / rel, _to_recording(arr, "epsc"), interval=10.0)
            t = arr["truth"]
            b.add(rel, cond, "protocols/zn_nmda_epsc.yaml", {"animal": animal, "slice": "s1", "cell": "c1"},
                  {"free_zn_nM": free_zn, "zn_factor": zn, "nmda_peak_40_pA": t["nmda_peak_pA"][40.0]},
                  holding_mV=";".join(f"{v:g}" for v in arr["holding_mV"]), stim_time_ms=100,
                  zn_condition="zn_added")


def _nmda_tonic(b: _Builder, cond: str, units: dict[str, str], a_eff: float) -> None:
    """Tonic (agonist) current at -70 mV (cell c1) and at +40 mV (cell t40) of the first animals."""
    from ephystool.simulate.vclamp import simulate_tonic

    if units["cell"] != "c1" or int(units["animal"][-1]) > b.size.tonic_cells:
        return
    for v, cell, key in ((-70.0, "c1", "tonic_m70_pA"), (40.0, "t40", "tonic_p40_pA")):
        u = {**units, "cell": cell}
        shift = b.baths[cond][key] * a_eff * float(np.exp(b.rng.normal(0, 0.25)))
        rec, truth = simulate_tonic(seed=b.seed(), duration_s=330.0, rate_hz=250.0, washin_time_s=120.0,
                                    shift_pA=shift, tag_text=f"+{cond} wash-in", noise_cutoff_hz=50.0,
                                    baseline_window_s=(60.0, 120.0), treatment_window_s=(90.0, 210.0),
                                    holding_mV=v)
        rel = f"patch/{cond}/{u['animal']}_{cell}_nmda_tonic.abf"
        _write_abf(b.out / rel, rec)
        b.add(rel, cond, "protocols/nmda_tonic_short.yaml", u,
              {"holding_current_shift_pA": truth["holding_current_shift_pA"]}, holding_mV=f"{v:g}", washin_time_s=120)


def _fi(b: _Builder, cond: str, units: dict[str, str], a_eff: float) -> None:
    from ephystool.simulate.cclamp import simulate_fi_steps

    if units["cell"] != "c1" or int(units["animal"][-1]) > b.size.fi_cells:
        return
    bias = b.baths[cond]["fi_bias_pA"] + float(b.rng.normal(0, 8.0))
    nominal = np.arange(0.0, 220.0, 20.0)  # 11 steps: the cc_fi_steps minimum
    rec, truth = simulate_fi_steps(tuple(nominal + bias), seed=b.seed(), record_current=False, sweep_s=1.5,
                                   step_s=(0.2, 1.2), sampling_rate_hz=20000.0)
    n = rec.block.segments[0].analogsignals[0].shape[0]
    i0, i1 = (int(round(x * rec.sampling_rate_hz)) for x in truth["step_window_s"])
    im = np.zeros((nominal.size, n))
    im[:, i0:i1] = nominal[:, None]
    im += b.rng.normal(0, 2.0, im.shape)
    rel = f"patch/{cond}/{units['animal']}_{units['cell']}_fi.abf"
    _write_abf(b.out / rel, rec, channels=[rec.primary], interval=5.0, extra=im)
    b.add(rel, cond, "cc_fi_steps", units, {"rheobase_pA_true": float(truth["rheobase_pA"]) - bias if truth.get("rheobase_pA") is not None else None,
                                             "bias_pA": bias, "fi_slope_true": truth.get("fi_slope_hz_per_pA")})


def _ltp(b: _Builder, cond: str, units: dict[str, str], a_eff: float) -> None:
    from ephystool.simulate.fepsp import simulate_fepsp_session

    if units["cell"] != "c1" or int(units["animal"][-1]) > b.size.ltp_slices:
        return
    ltp = b.baths[cond]["ltp_percent"] + float(b.rng.normal(0, 15.0))  # slice SD 15 pp (SCIENCE.md 2.8)
    rec, truth = simulate_fepsp_session(b.seed(), ltp_percent=ltp, post_min=b.size.ltp_post_min + 2.0, fs_hz=10000.0,
                                        sweep_ms=200.0)
    rel = f"ltp/{cond}/{units['animal']}_{units['slice']}_ltp.abf"
    _write_abf(b.out / rel, rec, interval=20.0)
    u = {"animal": units["animal"], "slice": units["slice"], "cell": ""}
    b.add(rel, cond, "ltp_fepsp", u, {"ltp_magnitude_true": truth.get("ltp_magnitude", ltp),
                                      "induction_time_s": truth.get("induction_time_s")}, kind="field")


#: Lab copies of two templates with a shorter timeline (what ``ephystool protocol new`` + editing gives):
#: the sample data must stay small, and the full timelines would need 13 min gap-free patch recordings
#: and 40 min of MEA spikes per culture.
SHORT_PROTOCOLS = {
    "nmda_tonic_short": ("nmda_tonic", {"baseline_window": ["60 s", "120 s"], "washin_time": "120 s",
                                        "equilibration": "90 s", "treatment_window": ["90 s", "210 s"]},
                         {"min_sampling_rate": "250 Hz", "duration": "5 min",
                          "holding_potentials": ["-70 mV", "40 mV"]}),
    "mea_spontaneous_short": ("mea_spontaneous", {"dosing_time": "2 min", "baseline_window": ["-2 min", "0 min"],
                                                  "treatment_window": ["0.5 min", "2 min"]},
                              {"duration": "4 min"}),
    "mea_excitotoxicity_short": ("mea_excitotoxicity", {}, {"duration": "90 s"}),
    "mgso4_dose_series_short": ("mea_excitotoxicity", {}, {"duration": "90 s"}),
    "zn_nmda_epsc": ("nmda_epsc", {}, {}),
}
#: Lab copies that are a different experiment get their own name (results and claims refer to it).
_RENAMED = {"mgso4_dose_series_short": "mgso4_dose_series", "zn_nmda_epsc": "zn_nmda_epsc"}
_TITLES = {"mgso4_dose_series_short": "MgSO4 dose series (0.5-3 mM) under the NMDA challenge of mea_excitotoxicity",
           "zn_nmda_epsc": "NMDA EPSCs with 300 nM ZnCl2 added, Ca/Mg-matched baths (Zn arm of claim CIT-NMDA-4)"}


def _write_protocols(out: Path) -> None:
    from ephystool.protocols import load_protocol, validate_protocol

    for name, (base, params, recording) in SHORT_PROTOCOLS.items():
        data = load_protocol(base).with_overrides(params).to_dict()
        data["recording"].update(recording)
        data["name"] = _RENAMED.get(name, base)  # a lab copy keeps the template's name: results and claims use it
        data["title"] = f"{data['title']} (short timeline for the sample data)"
        data["title"] = _TITLES.get(name, data["title"])
        text = validate_protocol(data).to_yaml()
        write_text(out / "protocols" / f"{name}.yaml", f"# ephystool protocol new {base}, "
                   f"{'renamed: a separate experiment' if name in _RENAMED else 'timeline shortened'}\n{text}")


def _manifest_text(rows: list[dict[str, Any]]) -> str:
    cols = ["path", "condition", "animal", "slice", "cell", "well", "batch", "plate", "protocol", "timepoint", "holding_mV",
            "stim_time_ms", "washin_time_s", "dosing_time_s", "mg_mM", "zn_condition", "kind", "notes"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in cols})
    return buf.getvalue()


def build_experiment(out_dir: str | Path, seed: int = 20261125, size: str = "small",
                     design: str = DEFAULT_DESIGN, raw_mea: bool = False) -> Path:
    """Write a simulated experiment (recordings, ``manifest.csv``, ``ground_truth.json``) to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Destination folder (created).
    seed : int
        Seed of the whole experiment (reproducible byte for byte).
    size : {'tiny', 'small', 'large'}
        Number of animals/cells/cultures and MEA duration (:data:`SIZES`).
    design : str
        Experimental design for the chemistry (``acute_equal_total``, ``acute_added``, ``chronic_oral``).
    raw_mea : bool
        Also write one raw 60-electrode MCS HDF5 recording (10 s, 10 kHz).

    Returns
    -------
    Path
        The manifest.
    """
    from ephystool.errors import ProtocolError

    if size not in SIZES:
        raise ProtocolError(f"unknown size '{size}'; choose one of {', '.join(SIZES)}")
    out = Path(out_dir)
    b = _Builder(out, seed, SIZES[size], design)
    _write_protocols(out)
    for fn in (_nmda_iv, _nmda_epsc, _nmda_tonic, _fi, _ltp):
        b.cells(lambda cond, units, a, _fn=fn: _fn(b, cond, units, a))
    mea_cultures(b)
    mea_injury(b)
    dose = EFFECTS["mea_recovery_mg_exponent"]
    mea_dose_series(b, dose["doses_mM"], EFFECTS["mea_recovery_24h"]["reference"], dose[CONTROL])
    _zn_arm(b)
    if raw_mea:
        mea_raw(b)
    b.truth.update(seed=seed, size=size, design=design, baths=b.baths, design_effects=b.baths, effects=EFFECTS)
    write_text(out / "ground_truth.json", json.dumps(b.truth, indent=2, sort_keys=True, default=float) + "\n")
    if set(b.conditions) <= set(CONDITIONS):
        return write_text(out / "manifest.csv", _manifest_text(b.rows))
    import yaml  # acute_added: the Mg-matched control is outside the CSV manifest's default vocabulary

    rows = list(csv.DictReader(io.StringIO(_manifest_text(b.rows))))
    recs = [{k: v for k, v in r.items() if v != ""} for r in rows]
    vocab = sorted({*CONDITIONS, *b.conditions})
    return write_text(out / "manifest.yaml", yaml.safe_dump({"design": design, "conditions": vocab,
                                                             "recordings": recs}, sort_keys=False))
