"""Rows of an uncompressed HDF5 dataset read straight from the file's pages (``mmap``), for the spike detector's
stream of time-major counts: a range inside a run of chunks stored back to back is a read-only view of the
mapped file (no copy at all), any other range is copied piece by piece from the mapped chunks.

h5py's ``read_direct`` copies every sample once more through the HDF5 library (~0.4 s per GB here). Pages a
reading thread is done with (its previous range) are unmapped again, so the resident memory stays about one
chunk whatever the file's length. This path
is taken only where the bytes of a row range are where this module computes them: no filters (compression,
shuffle, checksums), a native-endian numeric type, contiguous storage, or chunks that span every column with
every chunk written (an unwritten chunk reads as the fill value, which is not in the file). Anything else
(virtual, external or compact storage, partial chunks, big-endian data) returns None and h5py reads it.
"""

from __future__ import annotations

import mmap
import os
import sys
import threading
from typing import Any

import numpy as np

from ephystool.errors import CorruptFileError

__all__ = ["DirectRows"]


class DirectRows:
    """Row ranges ``start:stop`` of a 2-D dataset from the mapped file: :meth:`rows`.

    Attributes
    ----------
    dtype : numpy.dtype
        The stored type (native byte order).
    """

    def __init__(self, mapped: mmap.mmap, dtype: np.dtype, shape: tuple[int, int], chunk_rows: int,
                 offsets: np.ndarray, path: str = "") -> None:
        self._map = mapped
        self._path = path
        self.dtype = dtype
        self.n_rows, self.n_cols = shape
        self._k = chunk_rows
        self._offsets = offsets  # byte offset of each chunk (of _k rows), in row order
        self._row_bytes = self.n_cols * dtype.itemsize
        # consecutive[i]: chunk i + 1 starts where chunk i ends (a run of chunks is one stretch of the file)
        self._next = offsets[1:] == offsets[:-1] + self._k * self._row_bytes
        self._held = threading.local()  # per reading thread: the byte spans of its last view, released next time

    @classmethod
    def from_dataset(cls, ds: Any, path: str) -> DirectRows | None:
        """The direct reader of h5py dataset ``ds`` in file ``path``, or None where h5py must read it."""
        import h5py

        dtype = np.dtype(ds.dtype)
        native = dtype.byteorder in ("=", "|") or (dtype.byteorder == "<") == (sys.byteorder == "little")
        if ds.ndim != 2 or dtype.kind not in "iuf" or not native or ds.shape[0] == 0:
            return None
        plist = ds.id.get_create_plist()
        if plist.get_nfilters() != 0 or ds.external:
            return None
        layout = plist.get_layout()
        if layout == h5py.h5d.CONTIGUOUS:
            offset = ds.id.get_offset()
            if offset is None:  # never written: reads as the fill value
                return None
            k, offsets = int(ds.shape[0]), np.array([offset], dtype=np.int64)
        elif layout == h5py.h5d.CHUNKED and ds.chunks[1] == ds.shape[1]:
            k = int(ds.chunks[0])
            n = -(-int(ds.shape[0]) // k)
            if ds.id.get_num_chunks() != n:  # a chunk never written
                return None
            infos: list[Any] = []
            if hasattr(ds.id, "chunk_iter"):  # one pass over the chunk index (HDF5 >= 1.12.3)
                ds.id.chunk_iter(infos.append)
            else:  # pragma: no cover - older HDF5: each lookup walks the index
                infos = [ds.id.get_chunk_info(i) for i in range(n)]
            row_bytes = int(ds.shape[1]) * dtype.itemsize
            if any(s.filter_mask != 0 or s.size != k * row_bytes for s in infos):
                return None
            offsets = np.full(n, -1, dtype=np.int64)
            for s in infos:
                offsets[s.chunk_offset[0] // k] = s.byte_offset
            if (offsets < 0).any():
                return None
        else:
            return None
        with open(path, "rb") as fh:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        if int(offsets.max()) + k * int(ds.shape[1]) * dtype.itemsize > len(mapped):
            mapped.close()
            return None  # a truncated file: h5py reports it
        return cls(mapped, dtype.newbyteorder("="), (int(ds.shape[0]), int(ds.shape[1])), k, offsets, path)

    def _release(self, spans: list[tuple[int, int]]) -> None:
        """Unmap ``spans`` from this process (``MADV_DONTNEED``): pages a stream has read leave the resident set
        (they stay in the page cache, and a view still looking at them reads them again from there), so the
        peak memory stays one chunk whatever the recording's length, as with reads into a buffer."""
        advise = getattr(self._map, "madvise", None)
        flag = getattr(mmap, "MADV_DONTNEED", None)
        if advise is None or flag is None:  # pragma: no cover - Windows
            return
        page = max(mmap.PAGESIZE, 1 << 16)  # Linux maps up to 64 KiB around a faulting page (fault-around)
        for a, b in spans:
            a = a // page * page
            b = min(len(self._map), -(-b // page) * page)
            if b > a:
                advise(flag, a, b - a)

    def _check_size(self) -> None:
        """A file that shrank since it was mapped (another program rewriting it) is an error here: reading its
        lost pages would end the process (SIGBUS) instead."""
        if self._path:
            try:
                size = os.stat(self._path).st_size
            except OSError as exc:
                raise CorruptFileError(f"the file went away while it was read ({exc.strerror}); rerun once it is "
                                       "complete", self._path) from exc
            if size < len(self._map):
                raise CorruptFileError(f"the file shrank from {len(self._map)} to {size} bytes while it was read "
                                       "(is another program writing it?); rerun once it is complete", self._path)

    def done(self) -> None:
        """This thread's stream is over: its last range leaves the resident set too, with any page the kernel
        mapped around the ranges it read (read-around: a few hundred kB). Another thread still reading finds its
        pages again in the page cache."""
        self._held.spans = []
        self._release([(0, len(self._map))])

    def _view(self, chunk: int, a: int, b: int) -> np.ndarray:
        """Rows ``a:b`` counted from chunk ``chunk``'s first row (``b`` may pass its end where the next chunks
        follow it in the file): a read-only view of the mapped file."""
        start = int(self._offsets[chunk]) + a * self._row_bytes
        return np.frombuffer(self._map, dtype=self.dtype, count=(b - a) * self.n_cols,
                             offset=start).reshape(b - a, self.n_cols)

    def rows(self, start: int, stop: int, buffer: np.ndarray | None = None) -> np.ndarray:
        """Rows ``start:stop`` (clipped to the dataset) as a (n, columns) array: a read-only view where they lie
        in one run of chunks stored back to back, else a copy (into ``buffer``'s first rows if it fits)."""
        start, stop = max(0, start), min(self.n_rows, stop)
        self._check_size()
        self._release(getattr(self._held, "spans", []))  # the thread's previous range: read by now
        self._held.spans = []
        if stop <= start:
            return np.zeros((0, self.n_cols), dtype=self.dtype)
        c0, c1 = start // self._k, (stop - 1) // self._k
        if c1 == c0 or bool(self._next[c0:c1].all()):
            first = int(self._offsets[c0]) + (start - c0 * self._k) * self._row_bytes
            self._held.spans = [(first, first + (stop - start) * self._row_bytes)]
            return self._view(c0, start - c0 * self._k, stop - c0 * self._k)
        n = stop - start
        fits = buffer is not None and buffer.dtype == self.dtype and buffer.ndim == 2 and \
            buffer.shape[0] >= n and buffer.shape[1] == self.n_cols and buffer.flags.c_contiguous
        out = buffer[:n] if fits else np.empty((n, self.n_cols), dtype=self.dtype)
        for c in range(c0, c1 + 1):
            a, b = max(start, c * self._k), min(stop, (c + 1) * self._k)
            out[a - start : b - start] = self._view(c, a - c * self._k, b - c * self._k)
            first = int(self._offsets[c]) + (a - c * self._k) * self._row_bytes
            self._held.spans.append((first, first + (b - a) * self._row_bytes))
        return out
