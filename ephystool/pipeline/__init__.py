"""Batch analysis: manifest -> tasks -> (cache | pool | Dask) -> tidy tables, figures, provenance.

Outputs (all written atomically) in ``out_dir``: ``results.csv`` and ``results.parquet``,
``sweeps.csv``, ``electrodes.csv``, ``events.csv`` (synaptic events, when any), ``failures.csv``, ``provenance.json`` and ``figures/``.
Rows are ordered by manifest row, so the same inputs give byte-identical tables whatever the
number of workers or the executor.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ephystool.atomic import safe_filename
from ephystool.pipeline.tasks import Task, TaskOutput

__all__ = ["BatchResult", "build_tasks", "run_analysis", "RESULT_COLUMNS"]

RESULT_COLUMNS = ["recording", "condition", "animal", "slice", "cell", "well", "batch", "plate", "protocol",
                  "analysis", "metric", "value", "unit"]
SWEEP_COLUMNS = ["recording", "sweep", "sweep_time_s", "analysis", "metric", "value", "unit"]
ELECTRODE_COLUMNS = ["recording", "well", "electrode", "metric", "value", "unit"]
EVENT_COLUMNS = ["recording", "time_s", "amplitude", "rise_ms", "decay_ms", "charge"]
#: recordings.csv: one row per recording file of each manifest row, where each inferred value came from
RECORDING_COLUMNS = ["recording", "protocol", "analysis", "status", "sha256", "kind_source", "sweep_times_source",
                     "stim_times_source", "holding_source", "command_source", "sweep_order_source"]


@dataclass
class BatchResult:
    """Summary of a batch: counts, failures and where the outputs are."""

    out_dir: Path
    n_tasks: int
    n_ok: int
    n_failed: int
    n_reused: int
    failures: list[dict[str, str]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every recording succeeded, 1 when some failed (the rest are written)."""
        return 0 if self.n_failed == 0 else 1


def _row_dict(r: Any) -> dict[str, Any]:
    d = dataclasses.asdict(r)
    d["path"], d["overrides"] = str(r.path), dict(r.overrides)  # the values the row sets, not every field
    d["recording"] = r.recording_id
    # the manifest's own columns (zn_condition, genotype, drug, ...) label every result row: claims and
    # comparisons can select on them
    d["labels"] = {k: v for k, v in d.pop("extra", {}).items() if not k.startswith("_") and str(v).strip()}
    return d


def resolve_protocol(protocol: str, base: Path) -> str:
    """A manifest's protocol: a template name as given, a lab's own ``.yaml`` relative to the manifest's
    folder ``base`` (``analyze`` and ``manifest check`` resolve it the same way)."""
    if protocol.endswith((".yaml", ".yml")) and not Path(protocol).is_absolute():
        return str((base / protocol).resolve())
    return protocol


def build_tasks(manifest: Any, figures_dir: Path | None = None, debug: bool = False,
                spikes_dir: Path | None = None) -> list[Task]:
    """One task per manifest row; rows sharing a ``session``, protocol and ``pathway`` form one ordered task
    (two pathways of one slice are two sessions)."""
    groups: dict[tuple[str, str, str], list[Any]] = {}
    order: list[tuple[str, str, str]] = []
    for r in manifest.rows:
        key = (r.protocol, str(r.overrides.get("session") or f"\0row{r.row}"), str(r.extra.get("pathway", "")).strip())
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(r)
    tasks = []
    base = Path(manifest.path).parent
    for i, key in enumerate(order):
        rows = sorted(groups[key], key=lambda r: (r.overrides.get("order", 0), r.row))
        fig = str(figures_dir / safe_filename(rows[0].recording_id)) if figures_dir else ""
        proto = resolve_protocol(key[0], base)
        tasks.append(Task(i, tuple(_row_dict(r) for r in rows), proto, fig, debug,
                          str(spikes_dir / safe_filename(rows[0].recording_id)) if spikes_dir else ""))
    return tasks



def run_analysis(
    manifest_path: str | Path,
    out_dir: str | Path,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    use_cache: bool = True,
    figures: bool = True,
    progress: bool = True,
    debug: bool = False,
    conditions: list[str] | None = None,
    on_event: Callable[[str], None] | None = None,
) -> BatchResult:
    """Analyse every recording of a manifest and write the output tables.

    Parameters
    ----------
    manifest_path : str or Path
        The manifest (CSV): ``path, condition, animal, slice, cell`` (or ``well``), ``protocol``, optional
        overrides with their unit in the name (``holding_mV`` in mV, ``stim_time_ms`` in ms ...).
    out_dir : str or Path
        Output folder: ``results.csv``/``.parquet`` (one row per value, in its ``unit``: pA, mV, ms, Hz, % ...),
        ``sweeps.csv``, ``electrodes.csv``, ``events.csv``, ``failures.csv``, ``provenance.json``, ``figures/``;
        a previous run's outputs are replaced, unchanged recordings reused from ``out_dir/.cache``.
    jobs, scheduler : int, str, optional
        Worker processes (default all cores; spare ones run as threads within a recording); a Dask
        scheduler address or ``'local'`` (None: a local process pool).
    use_cache, figures, progress, debug : bool
        Reuse cached results; draw the per-recording figures; show a progress bar; keep tracebacks.
    conditions : list of str, optional
        The condition vocabulary (default: control, mg_aspartate, mg_citrate and their aliases).
    on_event : callable, optional
        Accepted and ignored.

    Returns
    -------
    BatchResult
        Counts (``n_tasks``, ``n_ok``, ``n_failed``, ``n_reused``), failures and the paths written;
        ``exit_code`` 0 when every recording succeeded, 1 when some failed (the rest are written).

    Raises
    ------
    ManifestError
        The manifest itself is invalid (missing column, unknown condition, duplicate row): nothing
        is analysed. A row whose file is missing or unreadable only fails that row.

    Examples
    --------
    One simulated current-clamp cell (f–I steps 0-200 pA, true rheobase 60 pA) written as an ABF file:

    >>> import tempfile; from pathlib import Path; import numpy as np, pandas as pd
    >>> from ephystool.simulate.abf_writer import write_abf1
    >>> from ephystool.simulate.cclamp import simulate_fi_steps
    >>> rec, truth = simulate_fi_steps(tuple(range(0, 220, 20)), seed=1)
    >>> tmp = tempfile.TemporaryDirectory(); folder = Path(tmp.name)
    >>> sweeps = np.array([[sig.magnitude.ravel() for sig in seg.analogsignals] for seg in rec.block.segments])
    >>> _ = write_abf1(folder / "cell1.abf", sweeps, 20000.0, ["Vm", "Im"], ["mV", "pA"], sweep_interval_s=1.0)
    >>> _ = (folder / "manifest.csv").write_text("path,condition,animal,cell,protocol\\n"
    ...                                          "cell1.abf,control,A1,c1,cc_fi_steps\\n")
    >>> batch = run_analysis(folder / "manifest.csv", folder / "out", jobs=1, figures=False, progress=False)
    >>> batch.n_ok, batch.n_failed
    (1, 0)
    >>> rows = pd.read_csv(folder / "out" / "results.csv").set_index("metric")
    >>> round(float(rows.loc["rheobase", "value"])), rows.loc["rheobase", "unit"]
    (60, 'pA')
    >>> tmp.cleanup()
    """
    return _run_batch(manifest_path, Path(out_dir), jobs, scheduler, use_cache, figures, progress, debug,
                      conditions)


def _run_batch(manifest_path: str | Path, out: Path, jobs: int | None, scheduler: str | None, use_cache: bool,
               figures: bool, progress: bool, debug: bool, conditions: list[str] | None) -> BatchResult:
    """:func:`run_analysis`'s work: manifest -> tasks -> cache or executor -> tables, figures, provenance."""
    from ephystool.atomic import remove_stale_temporaries
    from ephystool.io.manifest import read_manifest
    from ephystool.pipeline.execute import default_jobs

    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    manifest = read_manifest(manifest_path, conditions=conditions)
    out.mkdir(parents=True, exist_ok=True)
    for d in (out, out / ".cache", out / "spikes"):  # a run killed while writing (SIGKILL) leaves its temporary files
        remove_stale_temporaries(d)
    tasks = build_tasks(manifest, out / "figures" if figures else None, debug, out / "spikes")
    from ephystool.io.prehash import start_hashes, stop_hashes

    if scheduler is None and len(tasks) == 1 and (jobs or default_jobs()) >= 2:
        # one task runs in this process with a spare core: its provenance hash starts now, beside the cache
        # lookup and the imports, not after them (stopped below if the cache answers)
        start_hashes([Path(r["path"]) for r in tasks[0].rows])
    try:
        return _run_tasks(manifest, tasks, out, jobs, scheduler, use_cache, figures, progress, started)
    finally:
        stop_hashes()


def _run_tasks(manifest: Any, tasks: list[Task], out: Path, jobs: int | None, scheduler: str | None,
               use_cache: bool, figures: bool, progress: bool, started: str) -> BatchResult:
    """The tasks through the cache and the executor, then tables, figures across recordings, provenance."""
    from ephystool.pipeline.cache import ResultCache
    from ephystool.pipeline.execute import default_jobs, execute
    from ephystool.pipeline.outputs import write_outputs
    from ephystool.pipeline.progress import progress_bar

    cache = ResultCache(out, use_cache)
    done: list[TaskOutput] = []
    todo: list[Task] = []
    # the cache keys hash every file: in threads (hashlib releases the GIL), so a plate is hashed on every core
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max(1, min(jobs or default_jobs(), len(tasks) or 1))) as pool:
        hits = list(pool.map(cache.get, tasks))
    for t, hit in zip(tasks, hits, strict=True):
        (done.append(hit) if hit is not None else todo.append(t))
    if not todo:  # all from the cache: a provenance hash started early is not needed
        from ephystool.io.prehash import stop_hashes

        stop_hashes()
    by_index = {t.index: t for t in tasks}
    with progress_bar(len(tasks), enabled=progress, reused=len(done)) as advance:
        def _finish(o: TaskOutput) -> None:
            cache.put(by_index[o.index], o)
            advance(o)
        done += execute(todo, jobs=jobs, scheduler=scheduler, on_done=_finish)
    done.sort(key=lambda o: o.index)
    outputs = write_outputs(out, manifest, done, started)
    if figures:  # figures across recordings (e.g. event distributions per condition; display only)
        from ephystool.analysis.registry import PARAMS, get_spec

        ran = {o.params.get("analysis") for o in done}  # only these wrote rows: no other analyzer is imported
        for spec in (get_spec(name) for name in PARAMS if name in ran):
            if spec.batch_figures is not None:
                spec.batch_figures(outputs, out / "figures")
    failures = [o.failure for o in done if o.failure]
    return BatchResult(out, len(tasks), len(tasks) - len(failures), len(failures),
                       sum(o.cached for o in done), failures, outputs)
