"""Mutation score of the analysis/compare tests (issue 13, "Tests that catch wrong numbers").

Each mutation is a one-line semantic change (a plausible bug that changes numbers), applied one at a time to
a temporary copy of the repository (the real files are never edited). The relevant test files run with
``-x -q`` and a timeout; a mutation is *caught* when they fail. Prints the score and the survivors.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/mutation_score.py [--only NAME ...]``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    """One mutation: file (relative to the repo), exact original text (must occur once), replacement, tests."""

    name: str
    file: str
    original: str
    replacement: str
    description: str
    tests: tuple[str, ...]


_MEA = "ephystool/analysis/firing_mea.py"
_MEA_T = ("tests/analysis/test_firing_mea.py", "tests/analysis/test_mea_rate_names.py",
          "tests/analysis/test_exact_values.py")
MUTATIONS: tuple[Mutation, ...] = (
    Mutation("mea_threshold", _MEA, "threshold_sd: float = 5.0", "threshold_sd: float = 6.5",
             "MEA detection threshold 5 -> 6.5 SD (dataclass default)", _MEA_T),
    Mutation("mea_threshold_yaml", _MEA, '_num(p, "threshold_sd", 5.0)', '_num(p, "threshold_sd", 6.5)',
             "MEA detection threshold 5 -> 6.5 SD (params parser default)", _MEA_T),
    Mutation("mea_active", _MEA, "active_min_spikes_per_min: float = 5.0", "active_min_spikes_per_min: float = 3.0",
             "active-electrode criterion 5 -> 3 spikes/min", _MEA_T),
    Mutation("mea_burst_end", _MEA, "burst_max_isi_end: pq.Quantity = field(default_factory=lambda: 250.0 * pq.ms)",
             "burst_max_isi_end: pq.Quantity = field(default_factory=lambda: 200.0 * pq.ms)",
             "burst end interval 250 -> 200 ms", _MEA_T),
    Mutation("burst_min_count", "ephystool/analysis/bursts.py", "keep = (n_sp >= settings.min_spikes)",
             "keep = (n_sp > settings.min_spikes)", "burst minimum spike count >= -> >",
             ("tests/analysis/test_firing_mea.py", "tests/analysis/test_exact_values.py")),
    Mutation("holm_raw", "ephystool/compare/stats.py",
             "adj = np.minimum(np.maximum.accumulate((m - np.arange(m)) * flat[order]), 1.0)",
             "adj = np.minimum(np.maximum.accumulate(flat[order]), 1.0)", "Holm replaced by raw p",
             ("tests/compare/test_stats.py",)),
    Mutation("holm_factor", "ephystool/compare/stats.py",
             "adj = np.minimum(np.maximum.accumulate((m - np.arange(m)) * flat[order]), 1.0)",
             "adj = np.minimum(np.maximum.accumulate((m - np.arange(m) - 1) * flat[order]), 1.0)",
             "Holm multiplier off by one", ("tests/compare/test_stats.py",)),
    Mutation("welch_df", "ephystool/compare/decision.py", "df = np.where(np.isfinite(df), df, na + nb - 2)",
             "df = np.where(np.isfinite(df), na + nb - 2, na + nb - 2)",
             "decision rule uses pooled df instead of Welch-Satterthwaite", ("tests/compare",)),
    Mutation("welch_se", "ephystool/compare/decision.py", "return a.mean(axis=-1) - b.mean(axis=-1), np.sqrt(se2), df",
             "return a.mean(axis=-1) - b.mean(axis=-1), np.sqrt(va), df", "Welch SE ignores group b",
             ("tests/compare",)),
    Mutation("decision_quantile", "ephystool/compare/decision.py", "q = sps.t.ppf(0.5 + confidence / 2, df)",
             "q = sps.norm.ppf(0.5 + confidence / 2)", "t quantile replaced by normal quantile",
             ("tests/compare",)),
    Mutation("ltp_post_window", "ephystool/analysis/ltp/params.py",
             "post_window: tuple[pq.Quantity, pq.Quantity] = (50.0 * _MIN, 60.0 * _MIN)",
             "post_window: tuple[pq.Quantity, pq.Quantity] = (40.0 * _MIN, 60.0 * _MIN)",
             "LTP post window 50-60 -> 40-60 min (dataclass default)",
             ("tests/analysis/test_ltp.py", "tests/analysis/test_exact_values.py")),
    Mutation("ltp_post_window_yaml", "ephystool/analysis/ltp/params.py",
             '("post_window", "min", ["50 min", "60 min"])', '("post_window", "min", ["40 min", "60 min"])',
             "LTP post window 50-60 -> 40-60 min (parser default)",
             ("tests/analysis/test_ltp.py", "tests/analysis/test_exact_values.py")),
)


def _run(mut: Mutation, timeout: float) -> str:
    """Apply ``mut`` in a temporary copy, run its tests; return 'caught', 'survived' or an error string."""
    src = (REPO / mut.file).read_text()
    if src.count(mut.original) != 1:
        return f"stale ({src.count(mut.original)} matches)"
    with tempfile.TemporaryDirectory(prefix="mut_") as tmp:
        dst = Path(tmp) / "repo"
        shutil.copytree(REPO, dst, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info"))
        (dst / mut.file).write_text(src.replace(mut.original, mut.replacement))
        env = dict(os.environ, PYTHONPATH=str(dst), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mut.tests]
        try:
            r = subprocess.run(cmd, cwd=dst, env=env, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "caught (timeout)"
        return "survived" if r.returncode == 0 else ("caught" if r.returncode == 1 else f"error rc={r.returncode}")


def main(argv: list[str] | None = None) -> int:
    """Run all (or ``--only``) mutations and print the score and the survivors."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    muts = [m for m in MUTATIONS if not args.only or m.name in args.only]
    results = {}
    for m in muts:
        results[m.name] = _run(m, args.timeout)
        print(f"{m.name:20s} {results[m.name]:18s} {m.description}", flush=True)
    scored = [n for n, r in results.items() if r.startswith(("caught", "survived"))]
    caught = [n for n in scored if results[n].startswith("caught")]
    print(f"\nscore: {len(caught)}/{len(scored)} caught")
    print("survivors:", ", ".join(n for n in scored if n not in caught) or "none")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
