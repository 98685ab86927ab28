"""Assemble task outputs into the tidy tables and provenance, and write them atomically."""

from __future__ import annotations

import datetime as _dt
import platform
from pathlib import Path
from typing import Any

from ephystool._version import __version__
from ephystool.atomic import write_json, write_table

__all__ = ["COMPARE_OUTPUTS", "clear_compare_outputs", "is_output_folder", "prune_stale", "write_outputs", "tidy", "versions"]

#: What ``compare`` (and ``validate``/``demo``) write into an output folder; a new analysis makes them stale.
COMPARE_OUTPUTS = ("verdicts.json", "verdicts.csv", "summary.csv", "design.json", "report.html")

_PKGS = ("neo", "elephant", "quantities", "numpy", "scipy", "numba", "pandas", "pyabf", "pynwb", "h5py",
         "matplotlib", "statsmodels", "pydantic")


def versions() -> dict[str, str]:
    """ephystool's and its dependencies' versions."""
    from importlib import metadata  # ~10-30 ms: only when provenance is written

    out = {"ephystool": __version__, "python": platform.python_version()}
    for p in _PKGS:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "absent"
    return out


def tidy(rows: list[dict[str, Any]], lead: list[str]) -> Any:
    """A DataFrame with the contract's leading columns first, then selector columns sorted by name."""
    import pandas as pd

    df = pd.DataFrame(rows)
    for c in lead:
        if c not in df.columns:
            df[c] = pd.Series(dtype="object")
    rest = sorted(c for c in df.columns if c not in lead)
    df = df[lead + rest]
    for c in df.columns:
        if df[c].dtype == object and c not in ("value",):
            df[c] = df[c].map(lambda v: "" if v is None else v)
    return df


def _combined(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows that need several rows of one recording or cell (see :mod:`ephystool.analysis.combine`), and the
    control pathway's change beside each test pathway (marks the control rows; :mod:`~ephystool.analysis.ltp._pathways`)."""
    from ephystool.analysis.combine import combine_units
    from ephystool.analysis.ltp._pathways import pathway_rows

    return combine_units(results) + pathway_rows(results)


def is_output_folder(out: Path) -> bool:
    """Whether ``out`` holds a previous ephystool run (its provenance, verdicts or design file)."""
    return any((out / n).is_file() for n in ("provenance.json", "verdicts.json", "design.json"))


def clear_compare_outputs(out: Path) -> list[Path]:
    """Remove a previous comparison's files (:data:`COMPARE_OUTPUTS`) and its ``claims/`` figures from ``out``,
    so a folder never shows verdicts of one run beside results of another. Returns what was removed."""
    gone = [out / n for n in COMPARE_OUTPUTS if (out / n).is_file()]
    claims = out / "claims"
    gone += sorted(claims.glob("*.png")) if claims.is_dir() else []
    for f in gone:
        f.unlink()
    if claims.is_dir() and not any(claims.iterdir()):
        claims.rmdir()
    return gone


def prune_stale(out: Path, keep: set[str]) -> list[Path]:
    """Remove files under ``out/figures`` and ``out/spikes`` that this run did not write or reuse (``keep``:
    their paths): a previous run's recordings, no longer in the manifest, must not appear as this run's."""
    keep_resolved = {str(Path(k).resolve()) for k in keep}
    gone = []
    for sub in ("figures", "spikes"):
        root = out / sub
        if not root.is_dir():
            continue
        for f in sorted(root.rglob("*")):
            if f.is_file() and str(f.resolve()) not in keep_resolved:
                f.unlink()
                gone.append(f)
        for d in sorted((d for d in root.rglob("*") if d.is_dir()), key=lambda d: -len(d.parts)):
            if not any(d.iterdir()):
                d.rmdir()
    return gone


def write_outputs(out: Path, manifest: Any, done: list[Any], started: str) -> dict[str, str]:
    """Write results (CSV + Parquet), sweeps, electrodes, events (when any), failures and provenance; return their paths.

    A previous run's outputs in ``out`` are removed first (:func:`clear_compare_outputs`, :func:`prune_stale`):
    the folder then holds this run only.
    """
    import pandas as pd

    if is_output_folder(out):  # never delete in a folder ephystool did not write (a user's own figures/)
        clear_compare_outputs(out)
        prune_stale(out, {f for o in done for f in o.figures})

    from ephystool.pipeline import (
        ELECTRODE_COLUMNS,
        EVENT_COLUMNS,
        RECORDING_COLUMNS,
        RESULT_COLUMNS,
        SWEEP_COLUMNS,
    )

    results = [r for o in done for r in o.results]
    results += _combined(results)
    res = tidy(results, RESULT_COLUMNS)
    paths = {
        "results_csv": write_table(out / "results.csv", res),
        "results_parquet": write_table(out / "results.parquet", res.astype({c: "string" for c in res.columns
                                                                            if res[c].dtype == object})),
        "sweeps": write_table(out / "sweeps.csv", tidy([r for o in done for r in o.sweeps], SWEEP_COLUMNS)),
        "electrodes": write_table(out / "electrodes.csv", tidy([r for o in done for r in o.electrodes], ELECTRODE_COLUMNS)),
        "failures": write_table(out / "failures.csv", pd.DataFrame([o.failure for o in done if o.failure],
                                                                    columns=["recording", "stage", "error"])),
    }
    paths["recordings"] = write_table(out / "recordings.csv", tidy(recording_rows(done), RECORDING_COLUMNS))
    events = [r for o in done for r in o.events]
    if events:  # one row per detected synaptic event (analysis 'events')
        paths["events"] = write_table(out / "events.csv", tidy(events, EVENT_COLUMNS))
    prov = {
        "ephystool": __version__, "versions": versions(), "manifest": str(manifest.path),
        "conditions": list(manifest.conditions), "design": manifest.design,
        "started": started, "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "inputs": {k: v for o in done for k, v in o.sha256.items()},
        "parameters": {o.recording: o.params for o in done if o.params},
        "reused_from_cache": sum(o.cached for o in done), "n_failed": sum(1 for o in done if o.failure),
    }
    paths["provenance"] = write_json(out / "provenance.json", prov)
    return {k: str(v) for k, v in paths.items()}


def recording_rows(done: list[Any]) -> list[dict[str, Any]]:
    """One row per recording file of each task: its protocol and analysis, whether it was analysed, reused from the
    cache or failed, its SHA-256, and the source of each value the reader inferred (clamp mode, sweep and stimulus
    times, holding potential, command, sweep order: ``file``, ``manifest``, ``protocol`` or ``detected ...``), as in
    ``provenance.json`` but as a table to read beside results.csv (joined on ``recording``)."""
    rows = []
    for o in done:
        sources = o.params.get("value_sources", {})
        status = "failed" if o.failure else "reused from cache" if o.cached else "analysed"
        for rec in dict.fromkeys([*sources, *o.sha256]) or [o.recording]:
            rows.append({"recording": rec, "protocol": o.params.get("protocol", ""),
                         "analysis": o.params.get("analysis", ""), "status": status,
                         "sha256": o.sha256.get(rec, ""),
                         **{f"{k}_source": v for k, v in sources.get(rec, {}).items()}})
    return rows
