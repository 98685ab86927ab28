"""ephystool: electrophysiology of control vs magnesium aspartate vs magnesium citrate.

Load patch-clamp and MEA recordings through neo, analyse NMDA currents, firing and LTP,
compare conditions with hierarchical statistics and check the documented claims.

Heavy libraries are imported lazily: ``import ephystool`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from ephystool._version import __version__

__all__ = ["__version__", "analyze", "load", "read_manifest"]


def load(path: Any, **kwargs: Any) -> Any:
    """Load one recording; see :func:`ephystool.io.load`."""
    from ephystool.io import load as _load

    return _load(path, **kwargs)


def read_manifest(path: Any, **kwargs: Any) -> Any:
    """Read an experiment manifest; see :func:`ephystool.io.manifest.read_manifest`."""
    from ephystool.io.manifest import read_manifest as _read

    return _read(path, **kwargs)


def analyze(manifest: Any, out_dir: Any, **kwargs: Any) -> Any:
    """Analyse every recording of a manifest into ``out_dir``; see :func:`ephystool.pipeline.run_analysis`
    (returns its :class:`~ephystool.pipeline.BatchResult`). Conditions are compared with
    :func:`ephystool.compare.compare`."""
    from ephystool.pipeline import run_analysis

    return run_analysis(manifest, out_dir, **kwargs)
