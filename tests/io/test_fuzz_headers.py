"""Hypothesis fuzzing of the headers of real ABF1/ABF2/NWB/WCP/HEKA files (issue 14, acceptance).

A few bytes changed in a file's first 6 KB (unit fields, counts, section pointers) must never hang a reader
nor escape as anything but an :class:`~ephystool.errors.EphysError`: every load returns or raises one within
10 s. ``benchmarks/bench_fuzz_headers.py`` runs the same check with many more examples.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from ephystool.errors import EphysError
from ephystool.io import load

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

#: (folder under realdata, file): one small real file per format
FILES = (
    ("patchclamp", "18425108_abf1.abf"), ("patchclamp", "17o05027_ic_ramp.abf"),
    ("patchclamp", "LantyerEtAl2018_170328_AL_238_VC.nwb"), ("more/fepsp", "example2_002.wcp"),
    ("patchclamp", "1.dat"),
)
LIMIT_S = 10.0
HEAD = 6144


class _Hang(Exception):
    """Raised by the alarm: the load ran past ``LIMIT_S``."""


def _alarm(signum: int, frame: object) -> None:
    raise _Hang


def load_within(path: Path, limit_s: float = LIMIT_S) -> str:
    """Load ``path``; 'ok' or 'EphysError', else raise AssertionError naming the escape or the hang."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit_s)
    t0 = time.perf_counter()
    try:
        load(path)
        return "ok"
    except EphysError as exc:
        assert "\n" not in str(exc), f"multi-line error: {exc!r}"
        return "EphysError"
    except _Hang:
        raise AssertionError(f"load ran for more than {limit_s} s") from None
    except Exception as exc:  # noqa: BLE001 - the point of the test: report the escape
        raise AssertionError(f"{type(exc).__name__} escaped after {time.perf_counter() - t0:.1f} s: {exc}") from exc
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def flipped(data: bytes, changes: list[tuple[int, int]]) -> bytes:
    """``data`` with byte ``offset % HEAD`` set to ``value`` for each change."""
    out = bytearray(data)
    for offset, value in changes:
        out[offset % min(HEAD, len(out))] = value
    return bytes(out)


#: offsets anywhere in the first 6 KB, or in the first 512 bytes where the counts and section pointers are
CHANGES = st.lists(st.tuples(st.one_of(st.integers(0, 511), st.integers(0, HEAD - 1)), st.integers(0, 255)),
                   min_size=1, max_size=6)


@pytest.mark.realdata
@pytest.mark.parametrize(("folder", "name"), FILES, ids=[n for _, n in FILES])
def test_damaged_header_loads_or_fails_cleanly(realdata_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                                               folder: str, name: str) -> None:
    source = realdata_dir / folder / name
    if not source.exists():
        pytest.skip(f"{source} is absent")
    data = source.read_bytes()
    out = tmp_path_factory.mktemp("fuzz") / name

    @hypothesis.settings(max_examples=8, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(CHANGES)
    def one(changes: list[tuple[int, int]]) -> None:
        out.write_bytes(flipped(data, changes))
        load_within(out)

    one()


@pytest.mark.realdata
def test_epoch_count_byte_136_is_refused_quickly(realdata_dir: Path, tmp_path: Path) -> None:
    """The hang measured for the issue: one byte at offset 136 of an ABF2 header (the epoch section's count)."""
    out = tmp_path / "count.abf"
    out.write_bytes(flipped((realdata_dir / "patchclamp" / "17o05027_ic_ramp.abf").read_bytes(), [(136, 0x40)]))
    t0 = time.perf_counter()
    with pytest.raises(EphysError, match="Epoch section"):
        load(out)
    assert time.perf_counter() - t0 < 1.0


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["17o05027_ic_ramp.abf", "18425108_abf1.abf"])
def test_truncated_abf_is_refused_with_one_line(realdata_dir: Path, tmp_path: Path, name: str) -> None:
    data = (realdata_dir / "patchclamp" / name).read_bytes()
    out = tmp_path / name
    out.write_bytes(data[: len(data) - 10_000])
    with pytest.raises(EphysError, match="truncated ABF: the header promises") as err:
        load(out)
    assert "\n" not in str(err.value)
