"""Reliability (issue 9): corrupted files fail with a typed error in bounded time; interrupted batches resume.

Corruption: hypothesis truncates copies of real and simulated recordings at random points and flips
random bytes (anywhere, or in the first 4 KiB where the headers are); :func:`ephystool.io.load` must
return a Recording or raise an :class:`~ephystool.errors.EphysError` within :data:`TIME_LIMIT_S`.
Examples are derandomized (the same ones every run: CI does not flake); set ``EPHYSTOOL_FUZZ=1`` to
draw fresh ones. Loader failures they found are kept as regression cases.

Interruption: ``ephystool analyze`` runs in a subprocess on the 36 recordings of the tiny simulated
experiment; it is stopped by SIGINT or SIGKILL once the first results are cached, then run again.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ephystool.errors import EphysError
from ephystool.io import Recording, load
from ephystool.pipeline import run_analysis
from ephystool.simulate.experiment import build_experiment

TIME_LIMIT_S = 10
FUZZ = settings(
    max_examples=int(os.environ.get("EPHYSTOOL_FUZZ_EXAMPLES", "15")), deadline=None, database=None,
    derandomize=not os.environ.get("EPHYSTOOL_FUZZ"),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failing example is reported as found, quickly
    suppress_health_check=[HealthCheck.too_slow],
)

# ------------------------------------------------------------------------------------------ corruption

#: a fraction of the file length, or (fractions, xor masks) of flipped bytes and whether only the header
TRUNCATE = st.floats(0.0, 1.0, exclude_max=True)
FLIPS = st.tuples(st.lists(st.tuples(st.floats(0.0, 1.0, exclude_max=True), st.integers(1, 255)),
                           min_size=1, max_size=8), st.booleans())


def _truncated(data: bytes, frac: float) -> bytes:
    return data[: int(frac * len(data))]


def _flipped(data: bytes, spec: tuple[list[tuple[float, int]], bool]) -> bytes:
    flips, head_only = spec
    b = bytearray(data)
    span = min(len(b), 4096) if head_only else len(b)
    for frac, mask in flips:
        b[int(frac * span)] ^= mask
    return bytes(b)


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_bound(seconds: int):
    """SIGALRM raises inside Python code; faulthandler kills the run if a C call hangs past 6x the bound."""
    def _alarm(signum, frame):
        raise _Timeout(f"load took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    faulthandler.dump_traceback_later(6 * seconds, exit=True)
    try:
        yield
    finally:
        signal.alarm(0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, old)


def check_load(src: Path, data: bytes, what: str) -> None:
    """Load ``data`` saved under ``src``'s name: a Recording or an EphysError, in bounded time."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / src.name
        p.write_bytes(data)
        t0 = time.monotonic()
        try:
            with _time_bound(TIME_LIMIT_S):
                rec = load(p)
        except EphysError as exc:
            assert str(exc).strip(), "an error without a message"
            return
        except _Timeout:
            pytest.fail(f"{src.name} ({what}): load did not finish within {TIME_LIMIT_S} s")
        except Exception as exc:  # the point of the test: anything else is a loader bug
            pytest.fail(f"{src.name} ({what}, {len(data)} bytes): {type(exc).__name__}: {exc}")
        assert isinstance(rec, Recording)
        assert time.monotonic() - t0 < TIME_LIMIT_S


def _known(rel: str, reason: str) -> Any:
    """A case that once crashed a loader (fixed: every reader failure is now a CorruptFileError)."""
    return pytest.param(rel, id=Path(rel).name)


_H5 = ("loader bug: a damaged HDF5 file raises h5py's {exc} (not an EphysError) from {where}")
_FLOAT = "loader bug: a damaged number raises a bare ValueError 'could not convert string to float' from {where}"
REAL = [
    "patchclamp/2020_06_16_0001.abf", "patchclamp/File_axon_7.abf", "patchclamp/17o05027_ic_ramp.abf",
    "patchclamp/pclamp11_4ch_abf1.abf", "patchclamp/Vers6_060523 004.axgd",
    "patchclamp/LantyerEtAl2018_170328_AL_238_VC.nwb", "mea/mcs_h5/mcs_2014-07-09T10-17-35W8_Standard_all_500Hz.h5",
    "mea/nex/CS056P07R-MEME1.nex", "mea/retina_spikes_h5/Wong1993_P1.h5",
    "mea/text_spiketimes/TC89_DIV15_A.nexTimestamps", "mea/mcs_datatool_txt/mcd_exported_spike.txt",
]
#: loader failures found by these tests, kept as regression cases (fixed in ephystool.io.load and the registry)
KNOWN_FLIP = {
    "patchclamp/pclamp11_4ch_abf1.abf": "loader bug: byte 614 xor 107 turns a channel unit 'pA' into 'pAK'; "
    "quantities' LookupError 'Unable to parse units' escapes from io/recording.py:322 analog (via io/abf.py:164)",
    "patchclamp/LantyerEtAl2018_170328_AL_238_VC.nwb": _H5.format(
        exc="OSError 'filter returned failure during read' (compressed chunk)", where="io/nwb.py:45 _series_array"),
    "mea/mcs_h5/mcs_2014-07-09T10-17-35W8_Standard_all_500Hz.h5": _H5.format(
        exc="RuntimeError/KeyError on damaged object headers", where="io/nwb.py:39 sniff (catches OSError only)"),
    "mea/retina_spikes_h5/Wong1993_P1.h5": _H5.format(
        exc="OSError 'filter returned failure during read' (compressed chunk)", where="io/spikelists.py:236 read_eglen_h5"),
    "mea/text_spiketimes/TC89_DIV15_A.nexTimestamps": _FLOAT.format(where="io/spikelists.py:322 read_nex_timestamps"),
    "mea/mcs_datatool_txt/mcd_exported_spike.txt": _FLOAT.format(where="io/spikelists.py:169 read_mcd_text"),
}
KNOWN_TRUNCATE = {
    "mea/mcs_datatool_txt/mcd_exported_spike.txt": "loader bug: truncated at byte 183 (a lone '-') raises a bare "
    "ValueError from io/spikelists.py:169 read_mcd_text",
}


def _params(known: dict[str, str]) -> list[Any]:
    return [_known(r, known[r]) if r in known else r for r in REAL]


@pytest.mark.realdata
@pytest.mark.parametrize("rel", _params(KNOWN_TRUNCATE))
@FUZZ
@given(frac=TRUNCATE)
def test_truncated_real_file(realdata_dir: Path, rel: str, frac: float) -> None:
    src = realdata_dir / rel
    data = src.read_bytes()
    check_load(src, _truncated(data, frac), f"truncated at byte {int(frac * len(data))}")


@pytest.mark.realdata
@pytest.mark.parametrize("rel", _params(KNOWN_FLIP))
@FUZZ
@given(spec=FLIPS)
def test_flipped_real_file(realdata_dir: Path, rel: str, spec) -> None:
    src = realdata_dir / rel
    data = src.read_bytes()
    span = min(len(data), 4096) if spec[1] else len(data)
    check_load(src, _flipped(data, spec), f"bytes xor-ed at {[(int(f * span), m) for f, m in spec[0]]}")


#: the exact corruptions that made a loader raise something other than an EphysError: (file, truncate at
#: byte or None, [(offset, xor mask)]). Each must become a typed error once the loader is fixed.
KNOWN_CASES = [
    ("patchclamp/pclamp11_4ch_abf1.abf", None, [(614, 107)]),
    ("patchclamp/LantyerEtAl2018_170328_AL_238_VC.nwb", None, [(1106519, 75)]),
    ("mea/mcs_h5/mcs_2014-07-09T10-17-35W8_Standard_all_500Hz.h5", None, [(381, 127), (345, 209), (938, 1)]),
    ("mea/retina_spikes_h5/Wong1993_P1.h5", None, [(30094, 68)]),
    ("mea/text_spiketimes/TC89_DIV15_A.nexTimestamps", None, [(6245, 95)]),
    ("mea/mcs_datatool_txt/mcd_exported_spike.txt", None, [(270, 72)]),
    ("mea/mcs_datatool_txt/mcd_exported_spike.txt", 183, []),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("rel", "cut", "flips"), [
    pytest.param(*c, id=f"{Path(c[0]).name}-{'cut' if c[1] else 'flip'}") for c in KNOWN_CASES])
def test_known_loader_crash_cases(realdata_dir: Path, rel: str, cut: int | None, flips: list[tuple[int, int]]) -> None:
    src = realdata_dir / rel
    b = bytearray(src.read_bytes()[:cut])
    for off, mask in flips:
        b[off] ^= mask
    check_load(src, bytes(b), f"cut at {cut}, xor {flips}")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small simulated recordings: episodic ABF1 (2 channels, a tag), gap-free ABF1, raw MCS HDF5."""
    from ephystool.simulate.abf_writer import write_abf1
    from ephystool.simulate.mea import simulate_mea, write_mea_h5

    d = tmp_path_factory.mktemp("sim")
    rng = np.random.default_rng(7)
    out = {
        "episodic": write_abf1(d / "episodic.abf", rng.normal(size=(3, 2, 2000)), 10000, ["Im", "Vm"], ["pA", "mV"],
                               sweep_interval_s=1.0, comments=[(0.5, "drug")], holding=-70.0),
        "gapfree": write_abf1(d / "gapfree.abf", rng.normal(size=(1, 1, 20000)), 10000, ["Vm"], ["mV"],
                              gap_free=True),
    }
    data, truth = simulate_mea(1.0, 12, 10000.0, seed=3)
    out["mcs"] = write_mea_h5(d / "raw_mcs.h5", data, truth)
    for p in out.values():
        assert isinstance(load(p), Recording)
    return out


@pytest.mark.parametrize("name", ["episodic", "gapfree", "mcs"])
@FUZZ
@given(frac=TRUNCATE)
def test_truncated_simulated_file(simulated: dict[str, Path], name: str, frac: float) -> None:
    src = simulated[name]
    data = src.read_bytes()
    check_load(src, _truncated(data, frac), f"truncated at byte {int(frac * len(data))}")


@pytest.mark.parametrize("name", ["episodic", "gapfree", pytest.param("mcs")])
@FUZZ
@given(frac=TRUNCATE, spec=FLIPS)
def test_flipped_simulated_file(simulated: dict[str, Path], name: str, frac: float, spec) -> None:
    src = simulated[name]
    data = src.read_bytes()
    check_load(src, _flipped(data, spec), "bytes flipped")
    check_load(src, _flipped(_truncated(data, max(frac, 0.5)), spec), "truncated and flipped")


def _info(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ephystool.cli", "info", str(path)], capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("name", ["episodic", "mcs"])
def test_cli_info_no_traceback_on_corrupt_file(simulated: dict[str, Path], name: str, tmp_path: Path) -> None:
    src = simulated[name]
    data = src.read_bytes()
    cases = {"half": data[: len(data) // 2], "header": _flipped(data, ([(0.01, 0xFF), (0.02, 0x55), (0.1, 0x0F)], True)),
             "tiny": data[:100]}
    for label, blob in cases.items():
        p = tmp_path / f"{label}{src.suffix}"
        p.write_bytes(blob)
        proc = _info(p)
        assert proc.returncode in (0, 2), (label, proc.returncode, proc.stderr[-500:])
        assert "Traceback" not in proc.stderr + proc.stdout, (label, proc.stderr[-800:])
        if proc.returncode == 2:
            assert p.name in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.realdata
@pytest.mark.parametrize("rel", ["patchclamp/File_axon_7.abf", _known("mea/text_spiketimes/TC89_DIV15_A.nexTimestamps",
                                                                     KNOWN_FLIP["mea/text_spiketimes/TC89_DIV15_A.nexTimestamps"])])
def test_cli_info_no_traceback_on_corrupt_real_file(realdata_dir: Path, rel: str, tmp_path: Path) -> None:
    src = realdata_dir / rel
    data = src.read_bytes()
    p = tmp_path / src.name
    p.write_bytes(_flipped(data, ([(0.98, 0x07), (0.6, 0x21)], False)))  # a sample / a digit near the end
    proc = _info(p)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-800:]
    assert proc.returncode in (0, 2)


# ---------------------------------------------------------------------------------------- interruption

@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """The tiny simulated experiment (36 small recordings) and its uninterrupted outputs."""
    root = tmp_path_factory.mktemp("batch")
    manifest = build_experiment(root / "exp", size="tiny")
    res = run_analysis(manifest, root / "ref", jobs=1, figures=False, progress=False)
    assert res.n_failed == 0 and res.n_tasks >= 30
    return manifest, {n: (root / "ref" / n).read_bytes() for n in ("results.csv", "sweeps.csv", "electrodes.csv")}


def _live_in_group(pgid: int) -> list[int]:
    """Processes of a process group that are still running (zombies excluded; Linux /proc)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            live.append(int(stat.parent.name))
    return live


def _interrupt(manifest: Path, out: Path, sig: int, jobs: int) -> tuple[subprocess.CompletedProcess[str], int]:
    """Start ``ephystool analyze``; once a result is cached send ``sig``; return the process and cache size."""
    cmd = [sys.executable, "-m", "ephystool.cli", "analyze", str(manifest), "--out", str(out), "--jobs", str(jobs),
           "--no-figures", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not list((out / ".cache").glob("*.json")):
            assert proc.poll() is None, f"finished before it could be interrupted: {proc.communicate()}"
            assert time.monotonic() < deadline, "no result cached after 180 s"
            time.sleep(0.02)
        proc.send_signal(sig)
        so, se = proc.communicate(timeout=60)  # workers hold the pipes: this also waits for them
        if sys.platform.startswith("linux"):
            time.sleep(1.0)
            assert not _live_in_group(proc.pid), "worker processes outlived the batch"
    finally:  # never leave a process of ours behind, whatever failed above
        if proc.poll() is None or (sys.platform.startswith("linux") and _live_in_group(proc.pid)):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    n_cached = len(list((out / ".cache").glob("*.json")))
    return subprocess.CompletedProcess(cmd, proc.returncode, so, se), n_cached


def _check_clean(out: Path) -> None:
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")], "partial files left"
    for p in out.glob("*.csv"):
        pd.read_csv(p)  # every table parses
    pd.read_parquet(out / "results.parquet")


@pytest.mark.parametrize(("sig", "jobs"), [(signal.SIGINT, 2), (signal.SIGKILL, 2)], ids=["SIGINT", "SIGKILL"])
def test_interrupted_batch_resumes_identically(batch, tmp_path: Path, sig: int, jobs: int) -> None:
    manifest, ref = batch
    out = tmp_path / "out"
    proc, n_cached = _interrupt(manifest, out, sig, jobs)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, proc.stderr
        assert "Traceback" not in proc.stderr and "interrupted" in proc.stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    assert not (out / "results.csv").exists(), "the interrupted run wrote results"
    res = run_analysis(manifest, out, jobs=2, figures=False, progress=False)
    assert res.n_failed == 0 and n_cached <= res.n_reused < res.n_tasks
    for name, blob in ref.items():
        assert (out / name).read_bytes() == blob, name
    _check_clean(out)


def test_damaged_cache_entry_is_recomputed(batch, tmp_path: Path) -> None:
    manifest, ref = batch
    out = tmp_path / "out"
    run_analysis(manifest, out, jobs=1, figures=False, progress=False)
    entries = sorted((out / ".cache").glob("*.json"))
    entries[0].write_text(entries[0].read_text()[:50])  # what a disk-full or foreign write leaves
    (out / ".cache" / ".abc.json.x1.tmp").write_text("{")  # and a temporary file of a killed run
    (out / ".results.csv.x2.tmp").write_text("recording,")
    res = run_analysis(manifest, out, jobs=1, figures=False, progress=False)
    assert res.n_reused == res.n_tasks - 1
    for name, blob in ref.items():
        assert (out / name).read_bytes() == blob, name
    _check_clean(out)
    shutil.rmtree(out)
