"""AP counts per sweep on every real current-clamp file: ephystool vs eFEL (-20 mV and 0 mV) vs IPFX.

Truth: the curated counts of ../shared/realdata/{patchclamp,more}/PROVENANCE.md (every sweep checked by eye).
Every tool counts in the same window: the step window ephystool found (epoch table, wave note, file notes,
current channel), which equals the curated window on every file here; the gap-free file is counted whole.
eFEL: ``Spikecount_stimint`` with ``Threshold`` -20 mV (its default) and 0 mV. IPFX: ``SpikeFeatureExtractor``
with its defaults (start/end = the window) except the Bessel filter: its default 10 kHz cut-off raises below
20 kHz sampling, so min(10 kHz, 0.45 x sampling rate). IPFX 2.1.2 pins old dependencies: run this script with
a separate environment that has ipfx, efel and ephystool's dependencies (PYTHONPATH=repo); without ipfx the
IPFX column reads n/a.

Usage: python benchmarks/bench_ap_detection.py [--write docs/ap_detection.md]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "realdata"
FSI = ([0, 0, 0, 0, 4, 13, 20, 28, 33, 40, 45, 49, 54, 57, 60, 62, 64],
       [0, 0, 0, 0, 0, 5, 11, 15, 20, 25, 31, 33, 37, 42, 45, 52, 53])
# (path, curated counts per analysed step in order (sweep, step), where the truth is written)
CURATED: list[tuple[str, list[int], str]] = [
    ("patchclamp/18711001.abf", [0] * 7 + [2] * 3 + [3] * 2 + [4] * 4 + [5] * 6 + [6] * 4 + [7] * 4, "patchclamp"),
    ("patchclamp/2019_07_24_0055_fsi.abf", [n for pair in zip(*FSI) for n in pair], "patchclamp (2 steps)"),
    ("patchclamp/File_axon_5.abf", [0, 0, 0, 0, 0, 0, 2, 2, 3], "patchclamp"),
    ("patchclamp/PYR2.abf", [0, 0, 1, 2, 3, 4, 7, 7, 8, 8, 10, 8, 9], "patchclamp"),
    ("patchclamp/FergusonEtAl2015_PYR2.nwb", [0, 0, 1, 2, 3, 4, 7, 7, 8, 8, 10, 8, 9], "patchclamp"),
    ("patchclamp/17o05027_ic_ramp.abf", [6, 9], "patchclamp"),
    ("patchclamp/180330_ts_0032-okUnits.abf", [0, 0, 0, 2, 3, 4], "patchclamp"),
    ("patchclamp/18425108.abf", [20], "patchclamp"),
    ("patchclamp/18425108_abf1.abf", [20], "patchclamp"),
    ("patchclamp/19114001.abf", [103], "patchclamp (gap-free, +-2)"),
    ("more/cc_steps/97509008.abf", [0] * 12 + [4, 9, 20, 38], "more"),
    ("more/cc_steps/20303010_rita.abf", [0, 0, 0, 0, 0, 0, 13, 20, 25, 27, 29, 30, 31], "more"),
    ("more/cc_steps/File_axograph.axgd", [0, 0] + [1] * 14 + [2, 2] + [0, 0, 0] + [1] * 15 + [0, 0, 1], "more"),
    ("more/cc_steps/C060109A1-SR-C1_IDthresh/X_IDthresh_ch1_349.ibw", [0, 0, 0, 3, 6, 8, 9, 10, 10], "more"),
    ("more/cc_steps/CA1py_150216_A1_FirePattern/c1_FirePattern_ch2_1054.ibw", [21, 46], "more"),
]


def _efel(t_ms, v, a_ms, b_ms, thr):
    import efel

    efel.reset()
    efel.set_setting("Threshold", float(thr))
    trace = {"T": t_ms, "V": v, "stim_start": [a_ms], "stim_end": [b_ms]}
    val = efel.get_feature_values([trace], ["Spikecount_stimint"], raise_warnings=False)[0]["Spikecount_stimint"]
    return int(val[0]) if val is not None and len(val) else 0


def _ipfx(t_s, v, a_s, b_s):
    try:
        from ipfx.feature_extractor import SpikeFeatureExtractor
    except ImportError:
        return None
    fs_khz = 1.0 / (t_s[1] - t_s[0]) / 1000.0
    cutoff = min(10.0, 0.45 * fs_khz)  # IPFX's 10 kHz Bessel needs > 20 kHz sampling; else 0.45 x fs
    try:
        return int(len(SpikeFeatureExtractor(start=a_s, end=b_s, filter=cutoff).process(t_s, v, np.zeros_like(v))))
    except Exception:  # noqa: BLE001 - a peer tool's failure on a sweep is a result to report, not to hide
        return -1


def synthetic(seed: int) -> tuple[object, list[int]]:
    """Wang-Buzsaki f-I family with glitches, bridge transients, low-overshoot sweeps 3-4, plateau sweep 6."""
    from ephystool.simulate.cc_artefacts import add_artefacts
    from ephystool.simulate.cclamp import simulate_fi_steps

    rec, truth = simulate_fi_steps(currents_pa=[0, 40, 80, 120, 160, 200, 240], seed=seed, sweep_s=0.7)
    rec, truth = add_artefacts(rec, truth, seed=seed, low_overshoot=(3, 4), plateau=(6,))
    return rec, truth["ap_count"]


def run_file(rel: str, rec: object = None) -> dict[str, list[int | None]]:
    from ephystool.analysis import firing_cc as fc
    from ephystool.io import load

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = load(REAL / rel) if rec is None else rec
        res = fc.analyze(rec)
    out: dict[str, list[int | None]] = {"ephystool": [], "efel_-20": [], "efel_0": [], "ipfx": []}
    for s in res.sweeps:
        v, fs = fc._membrane_potential(rec, s.sweep)
        t = np.arange(v.size) / fs
        a, b = s.window_s
        out["ephystool"].append(s.ap_count)
        out["efel_-20"].append(_efel(t * 1e3, v, a * 1e3, b * 1e3, -20.0))
        out["efel_0"].append(_efel(t * 1e3, v, a * 1e3, b * 1e3, 0.0))
        out["ipfx"].append(_ipfx(t, v, a, b))
    return out


def _score(counts: list[int | None], truth: list[int]) -> str:
    if not counts or counts[0] is None:
        return "n/a"
    if len(counts) != len(truth):
        return f"{len(counts)} steps (truth {len(truth)})"
    failed = sum(int(c == -1) for c in counts)
    exact = sum(int(c == t) for c, t in zip(counts, truth))
    err = sum(abs(int(c) - t) for c, t in zip(counts, truth) if c != -1)
    return f"{exact}/{len(truth)} exact, abs err {err}" + (f", raised on {failed}" if failed else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", type=Path, help="write the markdown table into this file")
    args = ap.parse_args(argv)
    lines = ["| file | truth (APs, steps) | ephystool | eFEL -20 mV | eFEL 0 mV | IPFX |", "|---|---|---|---|---|---|"]
    for rel, truth, where in CURATED:
        got = run_file(rel)
        cells = [_score(got[k], truth) for k in ("ephystool", "efel_-20", "efel_0", "ipfx")]
        lines.append(f"| `{Path(rel).name}` | {sum(truth)} in {len(truth)} ({where}) | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    for seed in (11, 29):
        rec, truth = synthetic(seed)
        got = run_file("", rec)
        cells = [_score(got[k], truth) for k in ("ephystool", "efel_-20", "efel_0", "ipfx")]
        lines.append(f"| synthetic traps, seed {seed} | {sum(truth)} in {len(truth)} (simulator truth) | "
                     + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    table = "\n".join(lines) + "\n"
    if args.write:
        text = args.write.read_text() if args.write.exists() else ""
        start, end = "<!-- bench_ap_detection:start -->", "<!-- bench_ap_detection:end -->"
        if start in text and end in text:
            text = text[: text.index(start) + len(start)] + "\n" + table + text[text.index(end) :]
            args.write.write_text(text)
        else:
            args.write.write_text(text + start + "\n" + table + end + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
