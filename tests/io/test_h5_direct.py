"""Rows of uncompressed HDF5 datasets read from the mapped file (``io._h5_direct``) equal h5py's reads for every
storage the reader accepts, and every storage it cannot compute (compressed, big-endian, unwritten or partial
chunks, chunks narrower than a row) is left to h5py."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from ephystool.io._h5_direct import DirectRows

RNG = np.random.default_rng(7)
DATA = RNG.integers(-2000, 2000, (1003, 5), dtype=np.int16)
RANGES = [(0, 1003), (0, 1), (99, 101), (100, 200), (150, 777), (990, 1003), (1002, 1003), (-5, 10), (995, 2000)]


def _direct(path: Path, **kwargs) -> tuple[DirectRows | None, np.ndarray]:
    with h5py.File(path, "w") as f:
        f.create_dataset("d", data=kwargs.pop("data", DATA), **kwargs)
    f = h5py.File(path, "r")
    return DirectRows.from_dataset(f["d"], str(path)), f["d"][()]


@pytest.mark.parametrize("layout", [{}, {"chunks": (100, 5)}, {"chunks": (1003, 5)}, {"chunks": (7, 5)}])
def test_rows_equal_h5py(tmp_path: Path, layout) -> None:
    direct, ref = _direct(tmp_path / "a.h5", **layout)
    assert direct is not None
    for a, b in RANGES:
        got = direct.rows(a, b)
        np.testing.assert_array_equal(got, ref[max(a, 0):b])
        assert got.dtype == np.int16 and got.shape[1] == 5


def test_appended_chunks_out_of_file_order_are_copied_in_row_order(tmp_path: Path) -> None:
    path = tmp_path / "a.h5"
    with h5py.File(path, "w") as f:
        d = f.create_dataset("d", data=DATA[:300], chunks=(100, 5), maxshape=(None, 5))
        f.flush()  # chunks get their file space at the flush: the gaps land between them
        f.create_dataset("gap", data=np.arange(5000.0))  # bytes between the first chunks and the appended ones
        for k in range(300, 1003, 100):
            d.resize(min(1003, k + 100), axis=0)
            d[k:] = DATA[k : k + 100]
            f.flush()
            f.create_dataset(f"gap{k}", data=np.arange(50.0))
            f.flush()
    f = h5py.File(path, "r")
    direct = DirectRows.from_dataset(f["d"], str(path))
    assert direct is not None and not direct._next.all()  # the case under test: chunks not back to back
    buffer = np.full((2000, 5), 9, dtype=np.int16)
    for a, b in RANGES:
        np.testing.assert_array_equal(direct.rows(a, b, buffer), DATA[max(a, 0):b])
    view = direct.rows(0, 300)  # back to back: a view of the file, which cannot be written
    assert not view.flags.writeable and not view.flags.owndata


@pytest.mark.parametrize("kwargs", [{"chunks": (100, 5), "compression": "gzip"}, {"chunks": (100, 5), "shuffle": True},
                                    {"chunks": (100, 5), "fletcher32": True}, {"chunks": (100, 1)},
                                    {"data": DATA.astype(">i2")}, {"data": DATA.astype("<i2"), "dtype": ">i2"}])
def test_storage_it_cannot_compute_is_left_to_h5py(tmp_path: Path, kwargs) -> None:
    assert _direct(tmp_path / "a.h5", **kwargs)[0] is None


def test_unwritten_chunks_are_left_to_h5py(tmp_path: Path) -> None:
    path = tmp_path / "a.h5"
    with h5py.File(path, "w") as f:
        d = f.create_dataset("d", shape=(1003, 5), dtype=np.int16, chunks=(100, 5), fillvalue=3)
        d[:500] = DATA[:500]  # chunks 5-10 never written: they read as the fill value, which is not in the file
        f.create_dataset("c", shape=(10, 5), dtype=np.int16)  # contiguous, never written
    f = h5py.File(path, "r")
    assert DirectRows.from_dataset(f["d"], str(path)) is None
    assert DirectRows.from_dataset(f["c"], str(path)) is None


def test_nwb_stream_uses_the_file_pages(tmp_path: Path, mea_nwb_writer) -> None:
    """The NWB source's stream reads through the direct reader and gives h5py's counts."""
    from ephystool.io import load

    path, _ = mea_nwb_writer(tmp_path / "m.nwb", 1.0, 4, seed=3, snr=7.0, rate_hz=5.0)
    src = load(path).mea
    counts, _ = src.get_counts_time_major(1000, 9000)
    assert isinstance(src._direct, DirectRows)
    np.testing.assert_array_equal(counts, src._data[1000:9000])


def _mapped_rss_kb(path: Path) -> int:
    """Resident kB of this process's mappings of ``path`` (/proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if "-" in line.split(" ", 1)[0] and len(line.split()) >= 5:  # a mapping's header line
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux /proc needed to see resident pages")
def test_a_stream_keeps_about_one_range_resident(tmp_path: Path) -> None:
    """Read in order, the pages of ranges already read leave the resident set: memory stays flat in file length."""
    path = tmp_path / "big.h5"
    data = np.arange(20_000 * 500, dtype=np.int16).reshape(20_000, 500)  # 20 MB, chunks of 1 MB
    with h5py.File(path, "w") as f:
        f.create_dataset("d", data=data, chunks=(1000, 500))
    f = h5py.File(path, "r")
    direct = DirectRows.from_dataset(f["d"], str(path))
    peak = 0
    for a in range(0, 20_000, 2000):  # 2 MB per range
        rows = direct.rows(a, a + 2000)
        assert int(rows[:, 0].sum()) == int(data[a : a + 2000, 0].sum())  # touch every page of the range
        peak = max(peak, _mapped_rss_kb(path))
    assert 0 < peak < 6_000  # ~2 MB resident at a time, not the 20 MB read


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux /proc needed to see resident pages")
def test_detection_leaves_no_page_of_the_file_resident(tmp_path: Path, mea_nwb_writer) -> None:
    """Once the detector's stream has ended, the last range's pages leave the resident set too (peak memory of the
    outputs that follow does not carry a chunk of the file)."""
    from ephystool.analysis.spikes import DetectionSettings, detect_spikes
    from ephystool.io import load

    path, _ = mea_nwb_writer(tmp_path / "m.nwb", 3.0, 16, seed=3, snr=7.0, rate_hz=5.0)
    src = load(path).mea
    detect_spikes(src, DetectionSettings(chunk_s=1.0), workers=1)
    assert isinstance(src._direct, DirectRows)
    assert _mapped_rss_kb(path) == 0


def test_a_file_that_shrinks_while_read_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """Another program truncating the file under the mapping: a CorruptFileError naming the file (reading the lost
    pages would end the process with SIGBUS)."""
    from ephystool.errors import CorruptFileError

    path = tmp_path / "a.h5"
    direct, ref = _direct(path, chunks=(100, 5))
    np.testing.assert_array_equal(direct.rows(0, 200), ref[:200])
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)
    with pytest.raises(CorruptFileError, match="shrank") as info:
        direct.rows(500, 900)
    assert str(path) in str(info.value)
