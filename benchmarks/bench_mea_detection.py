"""Benchmark: ephystool's streaming MEA spike detection against SpikeInterface, end to end from the file.

Writes a synthetic 60-electrode, 25 kHz MCS HDF5 recording (ephystool's simulator: known spikes,
bursts, band-limited noise, int16 counts) to a temporary folder, then times, each in a fresh process:

- ephystool: ``ephystool.io.load`` (content detection, lazy chunks) + ``analysis.spikes.detect_spikes``
  (zero-phase 2nd-order 300-3000 Hz band-pass, numba-compiled sections, on 10 s chunks with 50 ms margins,
  5 x MAD, 1 ms dead time); with ``--jobs N`` the recording is cut into N sample ranges (at chunk multiples) detected
  in N threads after one shared noise estimate (what ``ephystool analyze --jobs N`` does for one file);
- SpikeInterface: ``read_mcsh5`` + ``bandpass_filter(300-3000 Hz)`` + ``detect_peaks(method="by_channel",
  5 x MAD, negative)`` with ``n_jobs`` = ``--jobs``.

Prints both throughputs (channel-samples per second), their ratio, peak memory (the worker process's peak RSS,
``VmHWM``, SpikeInterface's pool processes not included when ``--jobs`` > 1), and recall/precision of both against the simulator's truth (+-0.5 ms).

Each tool runs ``--repeat`` times (interleaved) and the fastest run is kept; CPU time (user + system) is
printed too, as it is less sensitive to other load on a shared machine.

Usage: ``python benchmarks/bench_mea_detection.py --seconds 60 [--jobs 2] [--repeat 3] [--keep DIR]``

``--busy-thread``: each tool detects beside a thread of the same process running pure Python (what a Dask
worker's other tasks, a notebook's threads or the command's own background imports are): a thread coming
back from compiled code or a NumPy call waits for the GIL up to a switch interval (5 ms) each time, so the
figures show how often each detector gives the GIL up. Timed as without it, from opening the file: for
ephystool that includes loading numba's compiled kernels (~0.5 s alone, several seconds beside a busy thread,
as every import reading a file gives the GIL up); its chunk loop itself returns to Python once per chunk
(60 s of MCS: 0.80 s alone, 0.93 s beside the busy thread).

``--whole-process [--lengths 60 300]``: ``ephystool analyze`` (every default output) against SpikeInterface's
detection on the same NWB files, as whole processes on one core, and ``--jobs 2`` vs ``--jobs 1``
(:mod:`_bench_whole`).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _rss_mb() -> float:
    """Peak resident memory of this process (MB): VmHWM (reset at exec, unlike ru_maxrss), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def worker_ephystool(path: str, jobs: int) -> dict:
    """Open the file and detect spikes (with ``jobs`` threads); return samples per channel and timing."""
    from ephystool.analysis.spikes import DetectionSettings, detect_spikes
    from ephystool.io import load

    t, cpu0 = time.perf_counter(), _cpu_s()
    src = load(Path(path)).mea
    samples = [s.tolist() for s in detect_spikes(src, DetectionSettings(), workers=jobs).samples]
    return {"elapsed_s": time.perf_counter() - t, "cpu_s": _cpu_s() - cpu0, "samples": samples,
            "n_samples": src.n_samples, "n_channels": src.n_channels}


def worker_spikeinterface(path: str, jobs: int) -> dict:
    """SpikeInterface's reader, band-pass and by-channel peak detection on the same file."""
    import spikeinterface.extractors as se
    from spikeinterface.preprocessing import bandpass_filter
    from spikeinterface.sortingcomponents.peak_detection import detect_peaks

    t, cpu0 = time.perf_counter(), _cpu_s()
    rec = se.read_mcsh5(path, stream_id=0)
    filt = bandpass_filter(rec, freq_min=300.0, freq_max=3000.0)
    peaks = detect_peaks(filt, method="by_channel",
                         method_kwargs={"peak_sign": "neg", "detect_threshold": 5, "exclude_sweep_ms": 0.1},
                         job_kwargs={"n_jobs": jobs, "chunk_duration": "1s", "progress_bar": False})
    elapsed, cpu = time.perf_counter() - t, _cpu_s() - cpu0
    n_ch = rec.get_num_channels()
    samples = [peaks["sample_index"][peaks["channel_index"] == c].tolist() for c in range(n_ch)]
    return {"elapsed_s": elapsed, "cpu_s": cpu, "samples": samples, "n_samples": rec.get_num_samples(), "n_channels": n_ch}


def _match(found: list[np.ndarray], truth: tuple[np.ndarray, ...], tol: int) -> tuple[float, float]:
    tp = n_true = n_found = 0
    for f, t in zip(found, truth):
        f, t = np.sort(np.asarray(f, dtype=np.int64)), np.sort(t)
        n_true, n_found = n_true + t.size, n_found + f.size
        if f.size and t.size:
            j = np.clip(np.searchsorted(f, t), 1, max(f.size - 1, 1))
            d = np.minimum(np.abs(f[j - 1] - t), np.abs(f[np.minimum(j, f.size - 1)] - t))
            tp += int((d <= tol).sum())
    return tp / max(n_true, 1), tp / max(n_found, 1)


def _run_worker(tool: str, path: Path, jobs: int, out: Path, busy: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--worker", tool, "--path", str(path), "--jobs", str(jobs), "--out", str(out)]
    subprocess.run(cmd + (["--busy-thread"] if busy else []), check=True)
    return json.loads(out.read_text())


def _start_busy_thread() -> None:
    """A daemon thread running Python bytecode until the process ends (it holds the GIL whenever it can)."""
    import threading

    def spin() -> None:
        x = 0
        while True:
            x += 1

    threading.Thread(target=spin, daemon=True, name="busy").start()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--channels", type=int, default=60)
    ap.add_argument("--rate", type=float, default=25000.0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs per tool; the fastest is kept")
    ap.add_argument("--keep", type=Path, default=None, help="write the file here instead of a temp folder")
    ap.add_argument("--whole-process", action="store_true", help="whole ephystool analyze vs SpikeInterface (NWB)")
    ap.add_argument("--lengths", type=float, nargs="+", default=[60.0, 300.0], help="--whole-process file lengths (s)")
    ap.add_argument("--busy-thread", action="store_true", help="detect beside a thread running pure Python")
    ap.add_argument("--worker", choices=["ephystool", "spikeinterface"], help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        base = _rss_mb()
        if a.busy_thread:
            _start_busy_thread()
        res = (worker_ephystool if a.worker == "ephystool" else worker_spikeinterface)(a.path, a.jobs)
        res.update(peak_rss_mb=_rss_mb(), import_rss_mb=base)
        Path(a.out).write_text(json.dumps(res))
        return 0
    if a.whole_process:
        from _bench_whole import run

        if a.keep:
            a.keep.mkdir(parents=True, exist_ok=True)
            return run(a.keep, a.lengths, max(1, a.repeat))
        with tempfile.TemporaryDirectory() as tmp:
            return run(Path(tmp), a.lengths, max(1, a.repeat))
    from ephystool.simulate.mea import simulate_mea, write_mea_h5

    with tempfile.TemporaryDirectory() as tmp:
        folder = a.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "bench_mea.h5"
        t = time.perf_counter()
        data, truth = simulate_mea(a.seconds, a.channels, a.rate, seed=a.seed, snr=7.0)
        write_mea_h5(path, data, truth)
        del data
        print(f"wrote {path.name}: {a.channels} ch x {a.seconds:g} s at {a.rate:g} Hz, "
              f"{sum(s.size for s in truth.spike_samples)} true spikes ({time.perf_counter() - t:.1f} s)")
        runs: dict[str, list[dict]] = {"ephystool": [], "spikeinterface": []}
        for _ in range(max(1, a.repeat)):  # interleaved, so that load on a shared machine hits both alike
            for tool in runs:
                runs[tool].append(_run_worker(tool, path, a.jobs, folder / f"{tool}.json", a.busy_thread))
        results = {tool: min(rs, key=lambda r: r["elapsed_s"]) for tool, rs in runs.items()}
    tol = int(round(0.5e-3 * a.rate))
    for tool, r in results.items():
        r["throughput"] = r["n_samples"] * r["n_channels"] / r["elapsed_s"]
        r["cpu_throughput"] = r["n_samples"] * r["n_channels"] / r["cpu_s"]
        r["recall"], r["precision"] = _match(r["samples"], truth.spike_samples, tol)
        print(f"{tool:15s} {r['elapsed_s']:7.2f} s  {r['throughput'] / 1e6:7.1f} M channel-samples/s  "
              f"(per CPU-second {r['cpu_throughput'] / 1e6:6.1f} M)  peak RSS {r['peak_rss_mb']:5.0f} MB (after imports {r['import_rss_mb']:.0f} MB)  "
              f"recall {r['recall']:.3f} precision {r['precision']:.3f}")
    ratio = results["ephystool"]["throughput"] / results["spikeinterface"]["throughput"]
    cpu_ratio = results["ephystool"]["cpu_throughput"] / results["spikeinterface"]["cpu_throughput"]
    print(f"ratio ephystool / SpikeInterface: {ratio:.2f}x wall, {cpu_ratio:.2f}x per CPU-second "
          f"(jobs={a.jobs}{', beside a busy Python thread' if a.busy_thread else ''}, best of {max(1, a.repeat)} "
          "interleaved runs; goal >= 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
