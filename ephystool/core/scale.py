"""How stored integer samples become µV: :class:`InputScale`, shared by the readers that describe a file's
scaling (``ephystool.io._nwb_h5``) and the spike filter that applies it block by block
(``ephystool.analysis._spike_filter``: the scale in its forward pass, the offset cancelling in the band-pass),
so neither layer imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PIECE", "InputScale"]

#: Samples converted and transposed at a time by :class:`InputScale` (a few hundred kB: stays in cache).
PIECE = 2048


@dataclass(frozen=True)
class InputScale:
    """µV of integer samples: ``float32(count) * scale[c] + offset`` per channel ``c`` (float32 operations in
    this order, as an ``ElectricalSeries`` reader computes them), applied by the filter block by block.

    Attributes
    ----------
    scale : numpy.ndarray
        float32 µV per count, one per channel.
    offset : numpy.float32
        µV added after scaling.
    """

    scale: np.ndarray
    offset: np.float32

    def to_uv(self, x: np.ndarray, out: np.ndarray, work: np.ndarray) -> None:
        """Write the µV of ``x`` (channels, n; a view whose transpose is C-contiguous) into ``out`` (channels, n)
        through ``work`` (at least (:data:`PIECE`, channels) float32)."""
        t, scale = x.T, self.scale[None, :]
        for k in range(0, t.shape[0], PIECE):
            piece = t[k : k + PIECE]
            tmp = work[: piece.shape[0]]
            np.multiply(piece, scale, out=tmp, dtype=np.float32)  # int -> float32, then the product
            tmp += self.offset
            out[:, k : k + piece.shape[0]] = tmp.T
