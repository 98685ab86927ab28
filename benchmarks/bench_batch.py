"""Benchmark: ``ephystool analyze`` on a lab-sized batch, serial, in a process pool and on a Dask LocalCluster.

Builds in a temporary folder (not timed):

- patch-clamp recordings (at least ``--patch``): several simulated experiments (:func:`ephystool.simulate.experiment.build_experiment`,
  one seed each: NMDA I-V series, NMDA/AMPA EPSCs, tonic NMDA current, F-I steps, LTP field sessions, all
  ABF1) merged into one manifest; their MEA spike-list cultures come along;
- raw MEA recordings: 60-electrode Multi Channel Systems HDF5 files (:func:`ephystool.simulate.mea.simulate_mea`,
  10 kHz, a few seconds each) with a lab copy of ``mea_spontaneous`` whose timeline fits them.

Then times :func:`ephystool.pipeline.run_analysis` (no figures unless ``--figures``), each into a fresh output
folder: ``jobs=1``, ``jobs=N`` (process pool) and ``scheduler='local'`` (Dask LocalCluster with N workers),
then a warm-cache rerun of the ``jobs=1`` folder. Prints recordings, wall time, recordings/s, the speed-up
against ``jobs=1``, the warm run as a fraction of the cold one, and whether every ``results.csv`` is
byte-identical.

Usage: ``python benchmarks/bench_batch.py [--quick] [--jobs 2] [--patch 200] [--mea 10] [--figures] [--keep DIR]``
(``--quick``: one tiny experiment, 2 raw MEA files). Timings depend on the other load of the machine;
rerun on an idle one for figures to quote.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

RAW_MEA_PROTOCOL = {"dosing_time": "3 s", "baseline_window": ["-3 s", "0 s"], "treatment_window": ["0 s", "3 s"]}
RAW_MEA_SECONDS = 6.0


def _experiment(args: tuple[Path, int, str]) -> Path:
    from ephystool.simulate.experiment import build_experiment

    out, seed, size = args
    return build_experiment(out, seed=seed, size=size)


def _raw_mea(args: tuple[Path, int]) -> Path:
    from ephystool.simulate.mea import simulate_mea, write_mea_h5

    path, seed = args
    data, truth = simulate_mea(RAW_MEA_SECONDS, 60, 10000.0, seed=seed, rate_hz=2.0)
    return write_mea_h5(path, data, truth)


def _n_abf(manifest: Path) -> int:
    with open(manifest, newline="", encoding="utf-8") as fh:
        return sum(r["path"].endswith(".abf") for r in csv.DictReader(fh))


def build(root: Path, n_patch: int, size: str, n_mea: int, workers: int) -> tuple[Path, dict[str, int]]:
    """Write the batch under ``root`` (at least ``n_patch`` ABF files); return the manifest and counts by kind."""
    from ephystool.protocols import load_protocol, validate_protocol

    root.mkdir(parents=True, exist_ok=True)
    jobs = [(root / "exp0", 20261125, size)]
    per_seed = max(1, _n_abf(_experiment(jobs[0])))
    jobs += [(root / f"exp{k}", 20261125 + 7919 * k, size) for k in range(1, -(-n_patch // per_seed))]
    meas = [(root / "raw_mea" / f"culture{k + 1:02d}.h5", 1000 + k) for k in range(n_mea)]
    (root / "raw_mea").mkdir(exist_ok=True)
    with ProcessPoolExecutor(max_workers=workers) as ex:
        list(ex.map(_experiment, jobs[1:]))
        list(ex.map(_raw_mea, meas))
    proto = load_protocol("mea_spontaneous").with_overrides(RAW_MEA_PROTOCOL).to_dict()
    (root / "raw_mea" / "mea_raw_short.yaml").write_text(validate_protocol(proto).to_yaml(), encoding="utf-8")
    rows: list[dict[str, str]] = []
    header: list[str] = []
    for out, _, _ in jobs:
        with open(out / "manifest.csv", newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            for r in reader:
                r["path"] = f"{out.name}/{r['path']}"
                if r["protocol"].endswith(".yaml"):
                    r["protocol"] = f"{out.name}/{r['protocol']}"
                rows.append(r)
    conds = ("control", "mg_aspartate", "mg_citrate")
    for k, (p, _) in enumerate(meas):
        rows.append({"path": f"raw_mea/{p.name}", "condition": conds[k % 3], "well": f"R{k + 1}",
                     "batch": f"raw{k // 3 + 1}", "protocol": "raw_mea/mea_raw_short.yaml"})
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in header})
    manifest = root / "manifest.csv"
    manifest.write_text(buf.getvalue(), encoding="utf-8")
    n_patch = sum(r["path"].endswith(".abf") for r in rows)
    counts = {"patch-clamp (ABF)": n_patch, "MEA spike lists": len(rows) - n_patch - n_mea, "raw MEA (MCS HDF5)": n_mea}
    return manifest, counts


def timed(manifest: Path, out: Path, **kw: object) -> tuple[float, object]:
    """Wall time of one run_analysis call (seconds) and its BatchResult."""
    from ephystool.pipeline import run_analysis

    t0 = time.perf_counter()
    res = run_analysis(manifest, out, progress=False, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - t0, res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one tiny experiment and 2 raw MEA files")
    ap.add_argument("--jobs", type=int, default=2, help="workers of the pool and of the Dask cluster")
    ap.add_argument("--patch", type=int, default=200, help="at least this many patch-clamp files (whole experiments)")
    ap.add_argument("--mea", type=int, default=10, help="raw MEA recordings")
    ap.add_argument("--figures", action="store_true", help="draw the per-recording figures too")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster run")
    ap.add_argument("--keep", type=Path, default=None, help="build and write here (kept) instead of a temp dir")
    a = ap.parse_args(argv)
    n_patch, size, n_mea = (1, "tiny", 2) if a.quick else (a.patch, "small", a.mea)

    tmp = None if a.keep else tempfile.mkdtemp(prefix="ephystool_bench_batch_")
    root = a.keep or Path(tmp)  # type: ignore[arg-type]
    try:
        t0 = time.perf_counter()
        manifest, counts = build(root / "data", n_patch, size, n_mea, max(1, a.jobs))
        n = sum(counts.values())
        print(f"built {n} recordings in {time.perf_counter() - t0:.1f} s: "
              + ", ".join(f"{v} {k}" for k, v in counts.items()))
        print(f"machine: {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f} before the runs")
        runs: list[tuple[str, float, object, Path]] = []
        modes: list[tuple[str, dict[str, object]]] = [("jobs=1", {"jobs": 1}), (f"jobs={a.jobs}", {"jobs": a.jobs})]
        if not a.no_dask:
            modes.append((f"dask local ({a.jobs} workers)", {"scheduler": "local", "jobs": a.jobs}))
        for k, (label, kw) in enumerate(modes):
            out = root / f"out{k}"
            shutil.rmtree(out, ignore_errors=True)
            dt, res = timed(manifest, out, figures=a.figures, **kw)
            runs.append((label, dt, res, out))
        tables = [(out / "results.csv").read_bytes() for _, _, _, out in runs]
        dt, res = timed(manifest, runs[0][3], figures=a.figures, jobs=1)
        runs.append(("warm cache (jobs=1)", dt, res, runs[0][3]))
        tables.append((runs[0][3] / "results.csv").read_bytes())
        base = runs[0][1]
        print(f"\n{'run':<28}{'recordings':>11}{'failed':>8}{'reused':>8}{'wall s':>9}{'rec/s':>8}{'speed-up':>10}")
        for label, dt, res, _ in runs:
            print(f"{label:<28}{res.n_tasks:>11}{res.n_failed:>8}{res.n_reused:>8}{dt:>9.2f}"  # type: ignore[attr-defined]
                  f"{res.n_tasks / dt:>8.1f}{base / dt:>9.2f}x")  # type: ignore[attr-defined]
        print(f"\nwarm-cache rerun: {runs[-1][1] / base:.1%} of the cold jobs=1 run")
        same = all(t == tables[0] for t in tables)
        print(f"results.csv byte-identical across all runs: {'yes' if same else 'NO'}")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
