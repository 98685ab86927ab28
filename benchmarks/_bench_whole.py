"""Whole-process benchmark (``bench_mea_detection.py --whole-process``): what a user waits for.

Writes simulated 60-electrode, 25 kHz recordings as NWB files (an ``ElectricalSeries`` of int16 counts in
1 s HDF5 chunks, written by pynwb; longer files are the first minute's simulation followed by further
independently seeded minutes), then times whole processes, interleaved in the same run (best of
``--repeat``):

- ``ephystool analyze MANIFEST --out FRESH_DIR --quiet --jobs 1``: every default output (results.csv and
  .parquet, electrodes.csv, provenance, figures, spikes.csv and spikes.nwb, the result cache), with a
  protocol that is the packaged ``mea_spontaneous`` without its dosing time;
- SpikeInterface: ``read_nwb_recording`` + ``bandpass_filter(300-3000 Hz)`` + ``detect_peaks(by_channel,
  5 x MAD, negative, n_jobs=1, chunk 1 s)``: detection only, no outputs written.

Both run on one core (``taskset -c 0`` where available, and OMP/OPENBLAS/MKL threads = 1), with Python's
bytecode cache on (as for installed packages). Peak memory is
the child's peak RSS (``ru_maxrss`` from ``wait4``). Then ``--jobs 2`` vs ``--jobs 1`` on the longest file
(both cores, no taskset) and a check that both wrote the same spikes.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# Bytecode caching on (PYTHONDONTWRITEBYTECODE removed): an installed package has its .pyc compiled at install,
# as SpikeInterface's have here; without it an editable checkout recompiles ephystool's modules every run.
_ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_SI = """
import sys
import spikeinterface.extractors as se
from spikeinterface.preprocessing import bandpass_filter
from spikeinterface.sortingcomponents.peak_detection import detect_peaks
rec = se.read_nwb_recording(sys.argv[1], electrical_series_path="acquisition/raw")
filt = bandpass_filter(rec, freq_min=300.0, freq_max=3000.0)
peaks = detect_peaks(filt, method="by_channel", method_kwargs={"peak_sign": "neg", "detect_threshold": 5,
                     "exclude_sweep_ms": 0.1}, job_kwargs={"n_jobs": 1, "chunk_duration": "1s", "progress_bar": False})
print(len(peaks))
"""


def write_nwb(path: Path, seconds: float, channels: int = 60, rate: float = 25000.0, seed: int = 2024) -> None:
    """A simulated MEA recording as an NWB ElectricalSeries, written one simulated minute at a time."""
    import h5py
    from hdmf.backends.hdf5.h5_utils import H5DataIO
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.ecephys import ElectricalSeries

    from ephystool.simulate.mea import simulate_mea

    piece = min(seconds, 60.0)
    data, truth = simulate_mea(piece, channels, rate, seed=seed, snr=7.0)
    nwb = NWBFile("ephystool benchmark", "bench", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    grp = nwb.create_electrode_group("array", "60-electrode MEA", "culture", nwb.create_device("mea"))
    nwb.add_electrode_column("label", "electrode label")
    for i, lab in enumerate(truth.labels):
        nwb.add_electrode(x=float(i % 8 * 200), y=float(i // 8 * 200), z=0.0, imp=np.nan, location="culture",
                          filtering="none", group=grp, label=lab)
    region = nwb.create_electrode_table_region(list(range(channels)), "all")
    series = H5DataIO(data, chunks=(int(rate), channels), maxshape=(None, channels))
    nwb.add_acquisition(ElectricalSeries(name="raw", data=series, electrodes=region, rate=rate,
                                         conversion=truth.gain_uv * 1e-6))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    done, k = data.shape[0], 1
    total = int(round(seconds * rate))
    with h5py.File(path, "a") as f:
        ds = f["acquisition/raw/data"]
        while done < total:
            more, _ = simulate_mea(min(piece, (total - done) / rate), channels, rate, seed=seed + k, snr=7.0)
            ds.resize(done + more.shape[0], axis=0)
            ds[done:] = more
            done, k = done + more.shape[0], k + 1


def _protocol(folder: Path) -> Path:
    import yaml

    from ephystool.protocols import load_protocol

    p = load_protocol("mea_spontaneous").to_dict()
    for key in ("dosing_time", "baseline_window", "treatment_window"):
        p["analysis_params"].pop(key, None)
    p.pop("inclusion", None)
    p["name"] = "mea_bench"
    out = folder / "mea_bench.yaml"
    out.write_text(yaml.safe_dump(p, sort_keys=False))
    return out


def _timed(cmd: list[str], one_core: bool) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one whole process (GNU time's %M: this
    process's own size, kept across fork and exec, never counts). CPU time is what other load on a shared
    machine disturbs least."""
    if one_core and shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    report = Path(os.environ.get("TMPDIR", "/tmp")) / f"ephystool_bench_{os.getpid()}.time"
    t = time.perf_counter()
    subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", str(report), *cmd], env=_ENV,
                   stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    user, system, rss_kb = (float(x) for x in report.read_text().split()[-3:])
    report.unlink()
    return wall, user + system, rss_kb / 1024.0


def _ephystool(manifest: Path, out: Path, jobs: int, one_core: bool) -> tuple[float, float, float]:
    shutil.rmtree(out, ignore_errors=True)  # a fresh folder: the cache never answers
    exe = str(Path(sys.executable).with_name("ephystool"))
    return _timed([exe, "analyze", str(manifest), "--out", str(out), "--quiet", "--jobs", str(jobs)], one_core)


_FIRST_READ = """
import sys, time
import ephystool.io._nwb_h5 as m
def hook(name):
    read = getattr(m.NWBH5ElectricalSource, name)
    def first(self, *args):
        if not getattr(m, "_seen", False):
            m._seen = True
            print(f"FIRST_READ {time.time():.6f} {time.process_time():.6f}", file=sys.stderr, flush=True)
        return read(self, *args)
    setattr(m.NWBH5ElectricalSource, name, first)
for name in ("get_traces_channel_major", "get_counts_time_major", "get_traces"):
    hook(name)
from ephystool.cli import main
main(sys.argv[1:])
"""


def first_read_s(manifest: Path, out: Path, cache: bool) -> tuple[float, float]:
    """Wall and CPU seconds from starting ``ephystool analyze`` (one core) to its first read of samples:
    interpreter start, imports, manifest and protocol, (with the cache) the file's identity, opening the
    file, the filter design. CPU seconds are the process's own (what other load disturbs least)."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-c", _FIRST_READ, "analyze", str(manifest), "--out", str(out), "--quiet", "--jobs", "1"]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    t = time.time()
    err = subprocess.run(cmd + ([] if cache else ["--no-cache"]), env=_ENV, capture_output=True, text=True,
                         check=True).stderr
    wall, cpu = next(line.split()[1:3] for line in err.splitlines() if line.startswith("FIRST_READ"))
    return float(wall) - t, float(cpu)


def _spikes(out: Path) -> list[tuple[str, str]]:
    with open(next((out / "spikes").glob("*.csv")), newline="") as fh:
        return [(r["electrode"], r["time_s"]) for r in csv.DictReader(fh)]


def run(folder: Path, seconds: list[float], repeat: int) -> int:
    """Write the files, time both tools on each, then ``--jobs 2`` vs ``--jobs 1``; print the figures."""
    proto = _protocol(folder)
    files = {}
    for s in seconds:
        path = folder / f"mea_{s:g}s.nwb"
        if not path.is_file():
            t = time.perf_counter()
            write_nwb(path, s)
            print(f"wrote {path.name} ({path.stat().st_size / 1e6:.0f} MB, {time.perf_counter() - t:.0f} s)", flush=True)
        man = folder / f"manifest_{s:g}s.csv"
        man.write_text(f"path,condition,well,protocol\n{path.name},control,,{proto.name}\n")
        files[s] = (path, man)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; one core per process (taskset)")
    for s, (path, man) in files.items():
        best: dict[str, tuple[float, ...]] = {}
        for _ in range(repeat):  # interleaved: load on a shared machine hits both alike
            for tool, res in (("ephystool", _ephystool(man, folder / "out", 1, True)),
                              ("spikeinterface", _timed([sys.executable, "-c", _SI, str(path)], True))):
                best[tool] = tuple(min(a, b) for a, b in zip(res, best.get(tool, res), strict=True))
        e, si = best["ephystool"], best["spikeinterface"]
        print(f"{s:5g} s: ephystool analyze {e[0]:6.2f} s wall {e[1]:6.2f} s CPU {e[2]:5.0f} MB | SpikeInterface "
              f"detection {si[0]:6.2f} s wall {si[1]:6.2f} s CPU {si[2]:5.0f} MB | speed ratio {si[0] / e[0]:.2f}x "
              f"wall, {si[1] / e[1]:.2f}x CPU; RSS ratio {e[2] / si[2]:.2f} (best of {repeat}, interleaved)",
              flush=True)
    for s, (_, man) in files.items():
        fr = {c: [first_read_s(man, folder / "out_fr", c) for _ in range(repeat)] for c in (False, True)}
        print(f"{s:5g} s: ephystool's first sample read after start: --no-cache {min(w for w, _ in fr[False]):.2f} s "
              f"wall / {min(c for _, c in fr[False]):.2f} s CPU, with the cache {min(w for w, _ in fr[True]):.2f} s "
              f"wall / {min(c for _, c in fr[True]):.2f} s CPU (best of {repeat})", flush=True)
    s = max(files)
    man = files[s][1]
    times: dict[int, float] = {}
    for _ in range(repeat):
        for jobs in (1, 2):
            w, _, _ = _ephystool(man, folder / f"out_j{jobs}", jobs, False)
            times[jobs] = min(w, times.get(jobs, w))
    same = _spikes(folder / "out_j1") == _spikes(folder / "out_j2")
    print(f"{s:5g} s, --jobs 2 vs --jobs 1: {times[1]:.2f} s / {times[2]:.2f} s = {times[1] / times[2]:.2f}x; "
          f"spikes identical: {same}")
    return 0 if same else 1
