"""Acceptance experiment (issue 17): true effects found with the right sign; shuffled labels give few verdicts.

1. Simulate a fresh experiment (:func:`ephystool.simulate.experiment.build_experiment`, a seed never used
   while developing; equal total Mg; NMDA I-V (isolated) and EPSC (mixed AMPA+NMDA) cells, tonic current at
   -70 and +40 mV, LTP, MEA with one well per condition in each culture batch, Zn arm, MgSO4 dose series),
   analyse every file (:func:`ephystool.pipeline.run_analysis`) and compare (:func:`ephystool.compare.engine.compare`).
2. Every claim with a true effect in the simulation (:data:`TRUE_EFFECTS`: the sign the mechanism gives)
   must be decided with that sign (supported when the claim's direction is the true one, contradicted when it
   is the opposite).
3. Null replicates: the condition labels of the results are shuffled among the independent units (animals;
   wells within each culture batch; the two recordings of a Zn-arm cell; the doses of the MgSO4 series within
   a batch), ``--nulls`` times; every directional verdict (supported/contradicted of an increase/decrease/differs
   claim) is a false positive. Prints their share of the claim tests with the Clopper-Pearson 95 % upper bound.

Usage: ``python benchmarks/bench_acceptance_experiment.py [--size acceptance] [--seed 917301] [--nulls 20] [--jobs 2]``
(a few minutes: the analysis runs once). Exits 1 when a true effect is missed or the null rate exceeds 5 %.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ephystool.compare.calibration import clopper_pearson_upper

#: Claims with a true effect in the simulated acute_equal_total experiment and the verdict its sign implies.
TRUE_EFFECTS = {
    "CIT-MECH-1": "supported",      # less free Mg with citrate: rectification index up (x1.26)
    "CIT-NMDA-3": "contradicted",   # the same data against the vendor's "more block"
    "SALTS-1": "supported",         # citrate vs aspartate rectification index differ
    "ASP-MECH-2": "supported",      # aspartate agonist current: inward at -70, outward at +40 mV
    "ASP-LTP-1": "supported",       # occlusion of LTP (150 -> 120 %)
    "ASP-NMDA-2": "supported",      # MEA firing x1.8
    "ASP-NP-1": "contradicted",     # recovery after NMDA worse with aspartate (0.35 vs 0.6)
    "CIT-NMDA-4": "supported",      # Zn arm: NMDA at +40 mV x1.17 with citrate (paired)
    "CIT-NP-2": "supported",        # recovery rises with MgSO4
}
DIRECTIONAL = ("increase", "decrease", "differs")


def _analyse(out: Path, size: str, seed: int, jobs: int) -> pd.DataFrame:
    from ephystool.pipeline import run_analysis
    from ephystool.pipeline.validation import read_results
    from ephystool.simulate.experiment import build_experiment

    manifest = build_experiment(out / "data", seed=seed, size=size, design="acute_equal_total")
    batch = run_analysis(manifest, out / "results", jobs=jobs, figures=False, progress=False)
    if batch.n_failed:
        raise SystemExit(f"{batch.n_failed} recordings failed: {batch.failures[:3]}")
    return read_results(out / "results")


def shuffle_labels(res: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Condition labels permuted among independent units (see the module docstring)."""
    out = res.copy()
    blank = lambda c: out[c].isna() | (out[c].astype(str).str.strip() == "")  # noqa: E731
    patch = ~blank("animal") & ~out["animal"].astype(str).str.startswith("zn")
    animals = out.loc[patch, ["animal", "condition"]].drop_duplicates("animal")
    perm = dict(zip(animals["animal"], rng.permutation(animals["condition"].to_numpy()), strict=True))
    out.loc[patch, "condition"] = out.loc[patch, "animal"].map(perm)
    zn = ~blank("animal") & out["animal"].astype(str).str.startswith("zn")
    for _, g in out[zn].groupby(["animal", "cell"]):
        if rng.random() < 0.5:
            conds = sorted(set(g["condition"]))
            swap = {conds[0]: conds[-1], conds[-1]: conds[0]}
            out.loc[g.index, "condition"] = g["condition"].map(swap)
    mea = ~blank("well") & ~blank("batch")
    for col in ("condition", "mg_mM"):
        if col not in out.columns:
            continue
        for _, g in out[mea].groupby(["batch", "protocol"]):
            wells = g[["well", col]].drop_duplicates("well")
            p = dict(zip(wells["well"], rng.permutation(wells[col].to_numpy()), strict=True))
            out.loc[g.index, col] = g["well"].map(p)
    return out


def main(argv: list[str] | None = None) -> int:
    from ephystool.compare.engine import compare

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="acceptance")
    ap.add_argument("--seed", type=int, default=917301)
    ap.add_argument("--nulls", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--n-boot", type=int, default=500)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        res = _analyse(Path(tmp), args.size, args.seed, args.jobs)
    t_an = time.perf_counter() - t0
    truth = compare(res, seed=1, n_boot=args.n_boot)
    ok = True
    print(f"experiment: size {args.size}, seed {args.seed}, {res['recording'].nunique()} recordings ({t_an:.0f} s)")
    for v in truth.verdicts:
        want = TRUE_EFFECTS.get(v.id)
        mark = "" if want is None else ("ok" if v.verdict == want else f"MISSED (want {want})")
        ok &= want is None or v.verdict == want
        pw = (v.power or {}).get("power")
        print(f"  {v.id:<11} {v.expected:<12} {v.verdict:<13} power {'' if pw is None else f'{100 * pw:3.0f} %':<6} {mark}")
    rng = np.random.default_rng(args.seed + 1)
    k = n = 0
    for _ in range(args.nulls):
        null = compare(shuffle_labels(res, rng), seed=2, n_boot=args.n_boot)
        tested = [v for v in null.verdicts if v.expected in DIRECTIONAL and v.verdict not in ("not testable", "no data")]
        n += len(tested)
        k += sum(v.verdict in ("supported", "contradicted") for v in tested)
    upper = clopper_pearson_upper(k, n) if n else float("nan")
    print(f"null replicates: {args.nulls}; directional verdicts in {k} of {n} claim tests = {100 * k / max(n, 1):.1f} % "
          f"(Clopper-Pearson 95 % upper bound {100 * upper:.1f} %); {time.perf_counter() - t0:.0f} s in all")
    ok &= n > 0 and k / n <= 0.05
    print("acceptance:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
