"""The data model shared by every layer: io builds it, analysis and pipeline read it.

``core`` imports nothing from the rest of the package except :mod:`ephystool.errors` (and reads no file),
so io may depend on it without reaching upward (``tests/test_import_layers.py``).
"""

from __future__ import annotations

from ephystool.core.recording import (
    KINDS,
    ChannelInfo,
    Chunk,
    Electrode,
    EpochInfo,
    MEASource,
    Recording,
    Tag,
    iter_chunks,
)

__all__ = ["KINDS", "ChannelInfo", "Chunk", "Electrode", "EpochInfo", "MEASource", "Recording", "Tag", "iter_chunks"]
