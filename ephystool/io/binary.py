"""Raw interleaved binary MEA/extracellular data described by a small sidecar (JSON or YAML).

Sidecar ``<file>.json`` / ``<file>.yaml`` (or ``<stem>.json``), e.g.::

    {"sampling_rate": 15000, "n_channels": 4, "dtype": "int16",
     "gain_uV": 0.195, "offset": 2048, "units": "uV", "labels": ["ch09", "ch11", "ch13", "ch16"]}

``shape: [-1, n]`` (tridesclous style) is accepted for ``n_channels``. Physical value =
(raw - offset) * gain. Data are memory-mapped read-only and read chunk by chunk.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ephystool.core.recording import ChannelInfo, Electrode, Recording
from ephystool.errors import CorruptFileError, LoadError
from ephystool.io.loader import FormatDoc, Loader
from ephystool.io.recording import deferred_sha256

__all__ = ["find_sidecar", "read", "BinarySource", "NAME", "LOADER"]

NAME = "binary"
_SIDE = (".json", ".yaml", ".yml")


def find_sidecar(path: Path) -> Path | None:
    """The sidecar describing ``path``, if any."""
    cands = [path.with_name(path.name + s) for s in _SIDE] + [path.with_suffix(s) for s in _SIDE]
    cands += [path.parent / f"{path.stem.rsplit('_trial', 1)[0]}_info.json", path.parent / "info.json"]
    return next((c for c in cands if c.is_file() and c != path), None)


def _read_sidecar(side: Path) -> dict[str, Any]:
    import yaml

    text = side.read_text(encoding="utf-8")
    try:
        meta = json.loads(text) if side.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise LoadError(f"sidecar cannot be parsed: {exc}", side) from exc
    if not isinstance(meta, dict):
        raise LoadError("sidecar must be a mapping with sampling_rate, n_channels, dtype", side)
    return meta


class BinarySource:
    """Memory-mapped interleaved samples with gain/offset, in µV (or the sidecar's units)."""

    def __init__(self, path: Path, meta: dict[str, Any]) -> None:
        n_ch = meta.get("n_channels") or (meta.get("shape") or [None, None])[1]
        rate = meta.get("sampling_rate") or meta.get("sample_rate")
        if not n_ch or not rate:
            raise LoadError("sidecar needs 'sampling_rate' and 'n_channels' (or shape [-1, n])", path)
        dtype = np.dtype(meta.get("dtype", "int16"))
        size = path.stat().st_size
        if size % (dtype.itemsize * int(n_ch)):
            raise CorruptFileError(f"size {size} bytes is not a whole number of {n_ch}-channel {dtype} frames", path)
        self._mm = np.memmap(path, dtype=dtype, mode="r", offset=int(meta.get("header_bytes", 0))).reshape(-1, int(n_ch))
        self.n_samples, self.n_channels = self._mm.shape
        self.sampling_rate_hz = float(rate)
        self.gain = float(meta.get("gain_uV", meta.get("gain", 1.0)))
        self.offset = float(meta.get("offset", 0.0))
        labels = meta.get("labels") or [f"ch{i}" for i in range(self.n_channels)]
        self.electrodes = tuple(Electrode(str(lab)) for lab in labels)

    def get_traces(self, start: int, stop: int, channels: Sequence[int] | None = None) -> np.ndarray:
        """Samples ``start:stop`` in physical units as float32."""
        raw = self._mm[start:stop] if channels is None else self._mm[start:stop, list(channels)]
        out = raw.astype(np.float32)  # the one copy; offset and gain applied in place
        out -= np.float32(self.offset)
        out *= np.float32(self.gain)
        return out


def read(path: Path, kind: str | None = None, sidecar: Path | None = None) -> Recording:
    """Open a raw binary file with its sidecar as a chunked :class:`Recording`."""
    side = sidecar or find_sidecar(path)
    if side is None:
        raise LoadError(
            "raw binary file without a sidecar: write <file>.json with sampling_rate, n_channels, dtype, gain_uV, offset",
            path,
        )
    meta = _read_sidecar(side)
    src = BinarySource(path, meta)
    units = str(meta.get("units", "uV" if "gain_uV" in meta else "counts"))
    chans = tuple(ChannelInfo(i, e.label, units, src.sampling_rate_hz) for i, e in enumerate(src.electrodes))
    warn = () if "gain" in meta or "gain_uV" in meta else ("sidecar gives no gain: values are in ADC counts",)
    return Recording(path=path, sha256=deferred_sha256(path), format=NAME, kind=kind or "mea",
                     block=_empty_block(path),
                     channels=chans, electrodes=src.electrodes, mea=src,
                     metadata={"sidecar": str(side), "dtype": str(src._mm.dtype)}, warnings=warn)


def _empty_block(path: Path) -> Any:
    import neo

    blk = neo.Block(name=path.name, file_origin=str(path))
    blk.segments.append(neo.Segment(index=0))
    return blk


def sniff(path: Path) -> bool:
    """Any file with a sidecar describing it (asked last: the sidecar, not the bytes, says what it is)."""
    return find_sidecar(path) is not None


LOADER = Loader(NAME, (".raw", ".dat"), sniff, read,
                doc=FormatDoc("Raw binary", "any + JSON/YAML sidecar", "numpy memmap",
                              "dtype, channels, gain from the sidecar"))
