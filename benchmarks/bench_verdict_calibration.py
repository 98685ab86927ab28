"""Benchmark: is the claims engine's decision rule calibrated at lab sample sizes?

Null lognormal data with animal ICC 0.29 (total log-SD 0.5, and 0.15 where TOST has power), 3/4/6/10 animals per condition, one cell
per animal and 2 slices x 3 cells per animal; the engine's rule (Welch-Satterthwaite t on animal means,
TOST with the t interval: :mod:`ephystool.compare.decision`) on every simulated experiment
(:func:`ephystool.compare.calibration.calibrate`, fixed seed). Prints, per design and n:

- FPR dir: directional verdicts in null experiments, with the Clopper-Pearson 95 % upper bound;
- FPR TOST: equivalence declared when the true ratio sits exactly on the margin (+20 %);
- power dir at a true ratio of 1.5; power TOST (±20 %) at a true ratio of 1.

The acceptance bar (issue 17): every FPR <= 5 % with its upper bound <= 7 %. Exits 1 when it fails.

Usage: ``python benchmarks/bench_verdict_calibration.py [--reps 200000] [--seed 20260117]`` (about 25 s)
"""

from __future__ import annotations

import argparse
import sys
import time

from ephystool.compare.calibration import calibrate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=20260117)
    ap.add_argument("--effect", type=float, default=1.5)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = [r for sd in (0.5, 0.15) for r in calibrate(reps=args.reps, seed=args.seed, effect=args.effect,
                                                         total_sd=sd)]
    print(f"{'design':<20} {'logSD':>5} {'n':>3} {'FPR dir':>8} {'(upper)':>8} {'FPR TOST':>9} {'(upper)':>8} "
          f"{'power dir':>9} {'power TOST':>10}")
    ok = True
    for r in rows:
        print(f"{r.design:<20} {r.total_sd:>5.2f} {r.n_animals:>3} {100 * r.fpr_directional:>7.2f}% {100 * r.fpr_directional_upper:>7.2f}% "
              f"{100 * r.fpr_tost:>8.2f}% {100 * r.fpr_tost_upper:>7.2f}% {100 * r.power_directional:>8.1f}% "
              f"{100 * r.power_tost:>9.1f}%")
        ok &= max(r.fpr_directional, r.fpr_tost) <= 0.05 and max(r.fpr_directional_upper, r.fpr_tost_upper) <= 0.07
    print(f"{args.reps} experiments per cell, seed {args.seed}, power at ratio {args.effect:g}; "
          f"{time.perf_counter() - t0:.1f} s; calibrated: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
