"""Assemble task outputs into the tidy tables and provenance, and write them atomically."""

from __future__ import annotations

import datetime as _dt
import platform
from pathlib import Path
from typing import Any

from ephystool._version import __version__
from ephystool.atomic import write_json, write_table

__all__ = ["write_outputs", "tidy", "versions"]

_PKGS = ("neo", "elephant", "quantities", "numpy", "scipy", "pandas", "pyabf", "pynwb", "h5py", "matplotlib",
         "statsmodels", "pydantic")


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
    control pathway's change beside each test pathway (marks the control rows; :mod:`~ephystool.analysis._ltp_pathways`)."""
    from ephystool.analysis._ltp_pathways import pathway_rows
    from ephystool.analysis.combine import combine_units

    return combine_units(results) + pathway_rows(results)


def write_outputs(out: Path, manifest: Any, done: list[Any], started: str) -> dict[str, str]:
    """Write results (CSV + Parquet), sweeps, electrodes, events (when any), failures and provenance; return their paths."""
    import pandas as pd

    from ephystool.pipeline import ELECTRODE_COLUMNS, EVENT_COLUMNS, RESULT_COLUMNS, SWEEP_COLUMNS

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
