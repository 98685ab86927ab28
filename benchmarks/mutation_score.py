"""Mutation score of the analysis/compare/io tests (issue 13, "Tests that catch wrong numbers").

Each mutation is a one-line semantic change (a plausible bug that changes numbers: a constant, a comparison,
a sign, a unit, an orientation), applied one at a time to a temporary copy of the repository (the real files
are never edited). A mutation names its exact original text, not a file: the harness finds the one file under
``ephystool/`` that contains it (an error when no file or more than one occurrence holds it), so modules can
move (``analysis/x.py`` -> ``analysis/x/``) without the list going stale. The mutation's test files,
directories or node ids run with ``pytest -x -q -p no:cacheprovider`` and a timeout; it is *caught* when they fail.
The copy sees ``../shared`` (real data) and ``sample_data`` through symlinks, as the worktree does.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/mutation_score.py [--only NAME ...] [--jobs 1]
[--baseline]`` (``--baseline`` first runs each distinct test list unmutated: it must pass).

Score measured 2026-12-03 (branch s4-mutation, 2 shared cores, ``--jobs 1``): 50/50 caught (100 %) in 341 s.
Of these, 8 were added blind after the tests of the first 42 (MEA MAD factor, weighted rate, absolute rheobase,
STP window, tonic mean, events threshold, Hedges correction, sweep-time origin): 6/8 were caught before tests
were written for the two survivors (absolute rheobase sign, STP window default), a truer estimate of how
the tests catch a new wrong number. The issue's 28-mutation run (before these tests) caught 12 (43 %).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "ephystool"


@dataclass(frozen=True)
class Mutation:
    """One mutation: exact original text (must occur once under ``ephystool/``), replacement, tests."""

    name: str
    original: str
    replacement: str
    description: str
    tests: tuple[str, ...]


class StaleMutation(Exception):
    """The original text occurs in no file, or more than once."""


def locate(original: str) -> Path:
    """The one ``.py`` file under ``ephystool/`` holding ``original`` exactly once (relative to the repo)."""
    hits = [(p, p.read_text(encoding="utf-8").count(original)) for p in sorted(PACKAGE.rglob("*.py"))]
    hits = [(p, n) for p, n in hits if n]
    total = sum(n for _, n in hits)
    if total != 1:
        where = ", ".join(f"{p.relative_to(REPO)} ({n}x)" for p, n in hits) or "no file"
        raise StaleMutation(f"{total} occurrences of the original text: {where}")
    return hits[0][0].relative_to(REPO)


# ----------------------------------------------------------------------------------------- test lists
_T = "tests/analysis/"
_MEA_T = (_T + "test_exact_values.py", _T + "test_firing_mea.py", _T + "test_mea_rate_names.py")
_CC_T = (_T + "test_exact_firing_cc.py", _T + "test_firing_cc_synthetic.py", _T + "test_firing_cc.py")
_LTP_T = (_T + "test_exact_values.py", _T + "test_exact_ltp.py", _T + "test_ltp.py", _T + "test_ltp_ltd.py",
          _T + "test_ltp_runs.py")
_NMDA_T = (_T + "test_exact_nmda.py", _T + "test_nmda.py", _T + "test_nmda_stim.py", _T + "test_nmda_cells.py")
_EV_T = (_T + "test_exact_events.py", _T + "test_events.py")
_STATS_T = ("tests/compare/test_exact_stats.py", "tests/compare/test_stats.py")
_VERD_T = ("tests/compare/test_exact_stats.py", "tests/compare/test_verdicts.py")
_UNIT_T = ("tests/io/test_exact_io.py", "tests/io/test_unit_traps.py", "tests/test_units.py")
_ABF_T = ("tests/io/test_exact_io.py", "tests/io/test_recording.py", "tests/simulate/test_writers.py")


def _m(name: str, original: str, replacement: str, description: str, tests: tuple[str, ...]) -> Mutation:
    return Mutation(name, original, replacement, description, tests)


MUTATIONS: tuple[Mutation, ...] = (
    # --- MEA firing and bursts
    _m("mea_threshold", "filter_order: int = 2\n    threshold_sd: float = 5.0",
       "filter_order: int = 2\n    threshold_sd: float = 6.5",
       "MEA detection threshold 5 -> 6.5 SD (dataclass default)", _MEA_T),
    _m("mea_threshold_yaml", '_num(p, "threshold_sd", 5.0)', '_num(p, "threshold_sd", 6.5)',
       "MEA detection threshold 5 -> 6.5 SD (params parser default)", _MEA_T),
    _m("mea_active", "active_min_spikes_per_min: float = 5.0", "active_min_spikes_per_min: float = 3.0",
       "active-electrode criterion 5 -> 3 spikes/min", _MEA_T),
    _m("mea_active_ge", "t.size * 60.0 / (t1 - t0) >= active_min_per_min",
       "t.size * 60.0 / (t1 - t0) > active_min_per_min", "active electrode: rate >= criterion -> >", _MEA_T),
    _m("mea_burst_end", "burst_max_isi_end: pq.Quantity = field(default_factory=lambda: 250.0 * pq.ms)",
       "burst_max_isi_end: pq.Quantity = field(default_factory=lambda: 200.0 * pq.ms)",
       "burst end interval 250 -> 200 ms", _MEA_T),
    _m("burst_min_count", "keep = (n_sp >= settings.min_spikes)", "keep = (n_sp > settings.min_spikes)",
       "burst minimum spike count >= -> >", _MEA_T),
    _m("mea_mad_constant", "_MAD_TO_SD = 0.6745", "_MAD_TO_SD = 1.4826",
       "MEA noise: median/1.4826 (the MAD-to-SD factor inverted) instead of median/0.6745", _MEA_T),
    _m("mea_weighted_rate", "wmfr = float(np.mean([s.rate_hz for s in act])) if act else 0.0",
       "wmfr = float(np.mean([s.rate_hz for s in stats])) if act else 0.0",
       "weighted mean firing rate over all electrodes, not the active ones", _MEA_T),
    # --- current-clamp APs and f-I
    _m("ap_threshold_fraction", "threshold_fraction: float = 0.05,", "threshold_fraction: float = 0.06,",
       "AP threshold: 5 % -> 6 % of the mean maximum upstroke", _CC_T),
    _m("ap_dvdt_onset", '"dvdt_threshold": ("20 mV/ms", "mV/ms"),', '"dvdt_threshold": ("10 mV/ms", "mV/ms"),',
       "dV/dt onset 20 -> 10 mV/ms (template parser default)", _CC_T),
    _m("ap_dvdt_onset_dc", "dvdt_threshold: pq.Quantity = field(default_factory=lambda: 20.0 * pq.mV / pq.ms)",
       "dvdt_threshold: pq.Quantity = field(default_factory=lambda: 10.0 * pq.mV / pq.ms)",
       "dV/dt onset 20 -> 10 mV/ms (dataclass default)", _CC_T),
    _m("ahp_sign", 'out["ahp"][j] = thr - trough', 'out["ahp"][j] = trough - thr', "AHP depth sign flipped", _CC_T),
    _m("ap_amplitude_abs", 'amplitude_mv=out["pk"] - out["thr"],', 'amplitude_mv=out["pk"],',
       "AP amplitude from 0 mV instead of from threshold", _CC_T),
    _m("latency_from_sweep", "return (self.threshold_times_s[0] - self.window_s[0]) * 1e3 * pq.ms",
       "return self.threshold_times_s[0] * 1e3 * pq.ms", "first-spike latency from the sweep start, not the step",
       _CC_T),
    _m("fi_from_above_rheobase", "supra = np.isfinite(cur) & (cur >= rheo)", "supra = np.isfinite(cur) & (cur > rheo)",
       "f-I fit from steps > rheobase (drops the rheobase step)", _CC_T),
    _m("fi_all_steps", "supra = np.isfinite(cur) & (cur >= rheo)", "supra = np.isfinite(cur)",
       "f-I fit over all steps, including those below rheobase", _CC_T),
    _m("rheobase_absolute_sign", "rheo_abs = rheo + float(sweeps[k0].holding.rescale(pq.pA).magnitude)",
       "rheo_abs = rheo - float(sweeps[k0].holding.rescale(pq.pA).magnitude)",
       "absolute rheobase: holding current subtracted instead of added", _CC_T),
    # --- LTP / fEPSP
    _m("ltp_post_window", "post_window: tuple[pq.Quantity, pq.Quantity] = (50.0 * _MIN, 60.0 * _MIN)",
       "post_window: tuple[pq.Quantity, pq.Quantity] = (40.0 * _MIN, 60.0 * _MIN)",
       "LTP post window 50-60 -> 40-60 min (dataclass default)", _LTP_T),
    _m("ltp_post_window_yaml", '("post_window", "min", ["50 min", "60 min"])', '("post_window", "min", ["40 min", "60 min"])',
       "LTP post window 50-60 -> 40-60 min (parser default)", _LTP_T),
    _m("ltp_baseline_median", 'base_mean = float(np.mean(series.slope[masks["baseline"]]))',
       'base_mean = float(np.median(series.slope[masks["baseline"]]))', "baseline normalised by median, not mean",
       _LTP_T),
    _m("fepsp_baseline", "y = np.asarray(v, dtype=float) - base", "y = np.asarray(v, dtype=float)",
       "fEPSP pre-stimulus baseline not subtracted", _LTP_T),
    _m("fepsp_ppr_orientation", "ppr[k] = slope_in_window(v, fs, s2, win)[0] / slope[k]",
       "ppr[k] = slope[k] / slope_in_window(v, fs, s2, win)[0]", "fEPSP paired-pulse ratio P1/P2 instead of P2/P1",
       _LTP_T),
    _m("ltp_stp_window", "stp_window: tuple[pq.Quantity, pq.Quantity] = (0.0 * _MIN, 5.0 * _MIN)",
       "stp_window: tuple[pq.Quantity, pq.Quantity] = (0.0 * _MIN, 10.0 * _MIN)",
       "short-term potentiation window 0-5 -> 0-10 min (dataclass default)", _LTP_T),
    # --- NMDA
    _m("nmda_holding_cycle", "out.append(float(plist[k % len(plist)]))", "out.append(float(plist[(k + 1) % len(plist)]))",
       "protocol holding potentials cycled off by one sweep", _NMDA_T),
    _m("nmda_peak_polarity", "for sgn in ((-1, 1) if direction == 0 else (direction,)):",
       "for sgn in ((-1, 1) if direction == 0 else (-direction,)):", "EPSC peak after the stimulus: polarity flipped",
       _NMDA_T),
    _m("nmda_ratio_orientation", "return (n.nmda_late / a.ampa_peak).simplified if float(a.ampa_peak) > 0 else None",
       "return (a.ampa_peak / n.nmda_late).simplified if float(n.nmda_late) > 0 else None",
       "NMDA/AMPA ratio inverted (AMPA/NMDA)", _NMDA_T),
    _m("nmda_ppr_orientation", "return float(p[1] / p[0]) if p[0] > 0 else None",
       "return float(p[0] / p[1]) if p[1] > 0 else None", "EPSC paired-pulse ratio P1/P2 instead of P2/P1", _NMDA_T),
    _m("charge_units", "return _trapz(seg, 1.0 / rate_hz) if seg.size > 1 else 0.0",
       "return _trapz(seg, 1e3 / rate_hz) if seg.size > 1 else 0.0", "charge integral in pA x ms labelled pC",
       _NMDA_T),
    _m("tonic_window_median", 'return (float(np.mean(v)) if v.size else float("nan"), sig.rms(f)',
       'return (float(np.median(v)) if v.size else float("nan"), sig.rms(f)',
       "tonic holding current: window median instead of mean", (_T + "test_nmda_tonic.py",)),
    # --- events
    _m("events_baseline_window", '"local_baseline": "2 ms"', '"local_baseline": "8 ms"',
       "events local baseline window 2 -> 8 ms before the onset", _EV_T),
    _m("events_charge_units", "dt_ms = 1e3 / g.rate_hz", "dt_ms = 1.0 / g.rate_hz",
       "event charge integrated with a step in s, labelled ms", _EV_T),
    _m("events_threshold", '_NUMBERS = {"threshold": 4.0,', '_NUMBERS = {"threshold": 3.0,',
       "events detection threshold 4 -> 3 noise SDs (parser default)", _EV_T),
    # --- compare: statistics and decisions
    _m("holm_raw", "adj = np.minimum(np.maximum.accumulate((m - np.arange(m)) * flat[order]), 1.0)",
       "adj = np.minimum(np.maximum.accumulate(flat[order]), 1.0)", "Holm replaced by raw p", _STATS_T),
    _m("holm_factor", "adj = np.minimum(np.maximum.accumulate((m - np.arange(m)) * flat[order]), 1.0)",
       "adj = np.minimum(np.maximum.accumulate((m - np.arange(m) - 1) * flat[order]), 1.0)",
       "Holm multiplier off by one", _STATS_T),
    _m("welch_df", "df = np.where(np.isfinite(df), df, na + nb - 2)", "df = np.where(np.isfinite(df), na + nb - 2, na + nb - 2)",
       "decision rule uses pooled df instead of Welch-Satterthwaite", _VERD_T),
    _m("welch_se", "return a.mean(axis=-1) - b.mean(axis=-1), np.sqrt(se2), df",
       "return a.mean(axis=-1) - b.mean(axis=-1), np.sqrt(va), df", "Welch SE ignores group b", _VERD_T),
    _m("paired_se_ddof", "d.std(axis=-1, ddof=1) / np.sqrt(n)", "d.std(axis=-1, ddof=0) / np.sqrt(n)",
       "paired t SE with the population SD (ddof 0)", _VERD_T),
    _m("decision_quantile", "q = sps.t.ppf(0.5 + confidence / 2, df)", "q = sps.norm.ppf(0.5 + confidence / 2)",
       "t quantile replaced by normal quantile", _VERD_T),
    _m("tost_ci_level", "lo, hi = self.ci(1 - 2 * alpha)", "lo, hi = self.ci(1 - alpha)",
       "TOST with the 95 % instead of the 90 % interval", _VERD_T),
    _m("min_units", "MIN_UNITS = 3", "MIN_UNITS = 2", "decision rule calibrated from 2 units instead of 3", _VERD_T),
    _m("ltp_tost_margin", '"ltp_magnitude": Margin(value=15, scale="difference")',
       '"ltp_magnitude": Margin(value=20, scale="difference")', "LTP TOST margin 15 -> 20 pp", _VERD_T),
    _m("ratio_margin_log", "t.bounds = (math.log1p(-m.value), math.log1p(m.value))", "t.bounds = (-m.value, m.value)",
       "ratio margin not moved to the log scale", _VERD_T),
    _m("bootstrap_percentile", "a = (1 - confidence) / 2", "a = 1 - confidence",
       "bootstrap percentile interval at 90 % for a requested 95 %", _STATS_T),
    _m("hedges_no_correction", "return diff / sd * _correction(dof)", "return diff / sd",
       "Hedges' g without the small-sample correction (Cohen's d)", _STATS_T),
    # --- io: units, holding, sweep times
    _m("sweep_time_origin", "return float(t[sweep] - t[0]) if len(t) else 0.0",
       "return float(t[sweep]) if len(t) else 0.0", "sweep time not relative to the first sweep", _ABF_T),
    _m("abf_holding_nA", "(_holding_levels(abf)[0] * unit).rescale(canonical)",
       "_holding_levels(abf)[0] * canonical", "DAC holding level in nA read as pA", _ABF_T),
    _m("unit_nA", '"na": "nA"', '"na": "pA"', "unit table: 'nA' read as pA", _UNIT_T),
    _m("unit_uV", '"mv": "mV", "uv": "uV"', '"mv": "mV", "uv": "mV"', "unit table: 'uV' read as mV", _UNIT_T),
    _m("abf_sweep_interval", "interval = interval if interval >= per / rate else per / rate", "interval = per / rate",
       "ABF sweep times from the sweep length, not the header's start-to-start interval",
       ("tests/io/test_contract_realdata.py::test_trap_unsynched_abf1_sweep_spacing_from_header",) + _ABF_T),
    # --- chemistry
    _m("woodhull_kelvin", "rt_f_mV = _R * (temperature_C + 273.15) / _F * 1e3", "rt_f_mV = _R * temperature_C / _F * 1e3",
       "Woodhull delta with RT/F at the Celsius temperature", ("tests/test_chemistry.py",)),
)


# ----------------------------------------------------------------------------------------- running
def _copy(tmp: Path) -> Path:
    """A copy of the repository in ``tmp/repo`` (sample_data and ../shared as symlinks)."""
    dst = tmp / "repo"
    shutil.copytree(REPO, dst, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info",
                                                            "sample_data", ".ruff_cache", ".pytest_cache"))
    if (REPO / "sample_data").exists():
        (dst / "sample_data").symlink_to(REPO / "sample_data")
    if (REPO.parent / "shared").exists():
        (tmp / "shared").symlink_to(REPO.parent / "shared")
    return dst


def _pytest(dst: Path, tests: tuple[str, ...], timeout: float) -> tuple[int | None, str]:
    env = dict(os.environ, PYTHONPATH=str(dst), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        r = subprocess.run(cmd, cwd=dst, env=env, capture_output=True, timeout=timeout, text=True)
    except subprocess.TimeoutExpired:
        return None, ""
    return r.returncode, r.stdout[-2000:] + r.stderr[-1000:]


def _check_tests(tests: tuple[str, ...]) -> None:
    missing = [t for t in tests if not (REPO / t.split("::")[0]).exists()]
    if missing:
        raise StaleMutation(f"test path(s) not found: {', '.join(missing)}")


def run_one(mut: Mutation, timeout: float) -> tuple[str, str]:
    """Apply ``mut`` in a temporary copy and run its tests: ('caught'|'survived'|'error ...', detail)."""
    try:
        rel = locate(mut.original)
        _check_tests(mut.tests)
    except StaleMutation as exc:
        return "error: stale", str(exc)
    with tempfile.TemporaryDirectory(prefix="mut_") as tmp:
        dst = _copy(Path(tmp))
        target = dst / rel
        target.write_text(target.read_text(encoding="utf-8").replace(mut.original, mut.replacement), encoding="utf-8")
        rc, out = _pytest(dst, mut.tests, timeout)
    if rc is None:
        return "caught (timeout)", str(rel)
    if rc == 0:
        return "survived", str(rel)
    if rc in (1, 2):  # 1: a test failed; 2: collection/import failed under the mutation
        failed = [ln for ln in out.splitlines() if ln.startswith(("FAILED", "ERROR"))]
        return "caught", f"{rel}: {failed[0] if failed else 'rc=' + str(rc)}"
    return f"error: rc={rc}", out[-400:]


def baseline(muts: list[Mutation], timeout: float) -> bool:
    """Run each distinct test list on the unmutated copy; True when all pass."""
    ok = True
    with tempfile.TemporaryDirectory(prefix="mut_base_") as tmp:
        dst = _copy(Path(tmp))
        for tests in dict.fromkeys(m.tests for m in muts):
            t0 = time.perf_counter()
            rc, out = _pytest(dst, tests, timeout)
            print(f"baseline {'pass' if rc == 0 else 'FAIL'} {time.perf_counter() - t0:5.1f} s  {' '.join(tests)}",
                  flush=True)
            if rc != 0:
                ok = False
                print(out[-1500:])
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run all (or ``--only``) mutations and print the score and the survivors; 2 when a mutation is stale."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=None, help="mutation names")
    ap.add_argument("--jobs", type=int, default=1, help="mutations run at once (default 1: the machine is shared)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per mutation's test run")
    ap.add_argument("--baseline", action="store_true", help="first check that the test lists pass unmutated")
    ap.add_argument("--list", action="store_true", help="list the mutations and where their text is found")
    args = ap.parse_args(argv)
    unknown = set(args.only or ()) - {m.name for m in MUTATIONS}
    if unknown:
        ap.error(f"unknown mutation(s): {', '.join(sorted(unknown))}")
    muts = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if args.list:
        for m in muts:
            try:
                where = str(locate(m.original))
            except StaleMutation as exc:
                where = f"STALE: {exc}"
            print(f"{m.name:24s} {where}")
        return 0
    if args.baseline and not baseline(muts, args.timeout):
        print("baseline failed: fix the tests before scoring")
        return 2
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {m.name: pool.submit(run_one, m, args.timeout) for m in muts}
        results = {}
        for m in muts:
            results[m.name] = futures[m.name].result()
            print(f"{m.name:24s} {results[m.name][0]:16s} {m.description}  [{results[m.name][1]}]", flush=True)
    scored = [n for n, (r, _) in results.items() if r.startswith(("caught", "survived"))]
    caught = [n for n in scored if results[n][0].startswith("caught")]
    errors = [n for n in results if n not in scored]
    pct = 100.0 * len(caught) / len(scored) if scored else float("nan")
    print(f"\nscore: {len(caught)}/{len(scored)} caught ({pct:.0f} %) in {time.perf_counter() - t0:.0f} s")
    print("survivors:", ", ".join(n for n in scored if n not in caught) or "none")
    if errors:
        print("errors (not scored):", ", ".join(errors))
    return 2 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
