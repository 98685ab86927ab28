"""One task = one recording (or one multi-file LTP session): load, resolve protocol, analyse, tidy rows.

Tasks are plain picklable data so that the same function runs in-process, in a process pool or
on a Dask cluster. A task never raises for an expected problem: it returns the failure
(file, stage, one-line message) so that the batch goes on.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ephystool._version import __version__
from ephystool.errors import AnalysisError, EphysError
from ephystool.io.holding import HoldingWarning

__all__ = ["Task", "TaskOutput", "run_task", "task_key"]

UNIT_COLS = ("animal", "slice", "cell", "well", "batch", "plate")
#: Manifest columns copied into every result row of a recording (doses of its bath).
DOSE_COLS = ("mg_mM", "salt_mM")


@dataclass(frozen=True)
class Task:
    """Work for one recording or LTP session: manifest rows (as dicts), protocol, where figures go."""

    index: int
    rows: tuple[dict[str, Any], ...]
    protocol: str
    figures_dir: str = ""
    debug: bool = False
    spikes_dir: str = ""
    threads: int = 1  # cores this task may use as threads (spare cores when tasks are fewer than --jobs)


@dataclass
class TaskOutput:
    """What a task produced: tidy rows, or the failure; plus the input hashes for provenance."""

    index: int
    recording: str
    results: list[dict[str, Any]] = field(default_factory=list)
    sweeps: list[dict[str, Any]] = field(default_factory=list)
    electrodes: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    failure: dict[str, str] | None = None
    sha256: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    cached: bool = False


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of ephystool's own source (every ``.py`` file of the package, by relative path).

    Part of the cache key, so that results computed by an edited analyzer (a development checkout,
    a patched install) are never served from the cache; the version alone does not change on an edit.
    """
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def task_key(task: Task, file_hashes: dict[str, str], params: dict[str, Any]) -> str:
    """Cache key: file hashes + analysis parameters + per-row overrides + ephystool version and source."""
    blob = json.dumps({"h": file_hashes, "p": params, "rows": [_row_key(r) for r in task.rows],
                       "protocol": task.protocol, "v": __version__, "code": code_digest()},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _row_key(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if k not in ("row",)}


def _load(row: dict[str, Any], mode: str | None) -> Any:
    from ephystool.io import load

    kind = row["overrides"].get("kind") or (mode if mode in ("voltage_clamp", "current_clamp", "field") else None)
    opts = {"stream": int(row["overrides"]["stream"])} if "stream" in row["overrides"] else {}
    hold = row.get("holding_mV") or ()
    # the manifest's overrides (layout, holding_mV) through load(): the API applies them the same way
    rec = load(row["path"], kind=kind, layout=row["overrides"].get("layout") or None, holding_mV=hold or None, **opts)
    if "sweeps" in row["overrides"] or "channel" in row["overrides"]:  # the row's part of the file (a pathway)
        from ephystool.io.selection import select_part

        rec = select_part(rec, row["overrides"].get("sweeps"), row["overrides"].get("channel"))
    from ephystool.io.overrides import apply_overrides  # manifest values win; each value's source is named

    return apply_overrides(rec, row["overrides"], kind=kind, holding_given=bool(hold))


def _label(row: dict[str, Any]) -> dict[str, Any]:
    base = {**row.get("labels", {}), "recording": row["recording"], "condition": row["condition"],
            "protocol": row["protocol"]}
    base.update({k: row.get(k, "") for k in UNIT_COLS})
    if row.get("timepoint"):
        base["timepoint"] = row["timepoint"]
    for part in ("sweeps", "channel"):  # the part of the file this row analyses (one pathway)
        if part in row.get("overrides", {}):
            base[part] = row["overrides"][part]
    for dose in DOSE_COLS:  # the bath's Mg / salt per recording: dose-response claims regress on it
        if dose in row.get("overrides", {}):
            base[dose] = row["overrides"][dose]
    return base


def _figures(name: str, result: Any, recording: Any, out: str) -> list[str]:
    from ephystool.analysis.registry import get_spec

    plot = get_spec(name).figures  # nmda_iv and nmda_tonic draw the NMDA family's I-V and time-course figures
    if not out or plot is None:
        return []
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    return [str(p) for p in plot(result, recording, d)]


def _select_well(result: Any, well: str, path: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of one well when the manifest names a well of a multi-well file (one manifest row per well).

    A single-well recording (the analyzer leaves ``well`` empty, or names the file's only well) is labelled
    with the manifest's well, whatever its label: there ``well`` names the experimental unit.
    """
    rows = list(result.rows())
    elec = list(getattr(result, "electrode_rows", list)())
    wells = sorted({str(r.get("well") or "") for r in rows} - {""})
    if not well or not wells:
        return rows, elec
    if len(wells) == 1:
        return rows, [{**r, "well": well} if r.get("well") else r for r in elec]
    if well not in wells:
        shown = ", ".join(wells[:12]) + (f" and {len(wells) - 12} more" if len(wells) > 12 else "")
        raise AnalysisError(f"the manifest names well '{well}' but the file has wells {shown}", path)
    return ([r for r in rows if str(r.get("well") or "") in ("", well)],
            [r for r in elec if str(r.get("well") or "") in ("", well)])


def _spikes(result: Any, out: str, recording: str) -> list[str]:
    """Detected spikes as a tidy table (CSV) and an NWB Units table, for analyses that detect spikes."""
    table = getattr(result, "spike_table", None)
    if not out or table is None:
        return []
    from ephystool.atomic import write_table
    from ephystool.io.export import write_spikes_nwb

    d = Path(out)
    df = table()
    df.insert(0, "recording", recording)
    csv = write_table(d.with_suffix(".csv"), df)
    nwb = write_spikes_nwb(d.with_suffix(".nwb"), getattr(result, "spiketrains", ()), source=recording,
                           identifier=recording)
    return [str(csv), str(nwb)]


class _LastPlate(threading.local):
    """This thread's last multi-well analysis (key, (result, file hashes, figures and spike files written)):
    a plate file listed once per well (one manifest row per well) is read, analysed and drawn once per
    worker rather than once per row; each row then takes its own well's metrics. Per thread, so that tasks
    run concurrently in one process (a Dask worker with several threads) never see each other's entry."""

    key: str | None = None
    value: tuple[Any, dict[str, str], list[str]] | None = None


_PLATE = _LastPlate()


def _plate_key(task: Task, protocol: dict[str, Any]) -> str | None:
    """What a well row's analysis depends on (file identity, protocol content, overrides, output folders),
    except the well and the row's labels; None for a row that names no well."""
    row = task.rows[0]
    if len(task.rows) != 1 or not row.get("well"):
        return None
    try:
        st = os.stat(row["path"])
    except OSError:
        return None
    return json.dumps([row["path"], row.get("overrides"), row.get("holding_mV"), st.st_ino, st.st_size,
                       st.st_mtime_ns, protocol, task.figures_dir, task.spikes_dir], sort_keys=True, default=str)


def _hashes(rows: tuple[dict[str, Any], ...], recs: list[Any], threads: int) -> Callable[[], dict[str, str]]:
    """The files' SHA-256 for provenance, as a call that returns them: hashed in a thread alongside the analysis
    where the task has spare cores (hashlib releases the GIL), else when asked (after the analysis, so the first
    samples are read without waiting for a whole-file hash). With the result cache they are known already."""
    def get() -> dict[str, str]:
        return {r["recording"]: rec.sha256 for r, rec in zip(rows, recs, strict=True)}

    if threads <= 1:
        return get
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="ephystool-hash")
    future = pool.submit(get)
    pool.shutdown(wait=False)  # the thread ends with the hash; result() waits for it
    return future.result


def _warm_imports(task: Task, after: Callable[[], object]) -> Callable[[], None]:
    """With spare cores (``--jobs`` above the number of tasks), import the output libraries (pandas, pyarrow, the
    matplotlib figure and Agg canvas: ~1 s) in a thread while the analysis runs: the detection's filter releases
    the GIL, so the imports no longer wait for the analysis to finish. Nothing changes in the results.

    The imports start once ``after`` returns (the provenance hash, which holds no GIL): imports hold the GIL, and
    started at once they slow the analysis's own Python (the noise estimate's loop) more than they save.

    Returns a call that waits for the imports: the task makes it before writing outputs, so that no module is
    ever imported from two threads at once in opposite orders (an import cycle across threads)."""
    if task.threads <= 1:
        return lambda: None
    import importlib

    names = ["neo", "pandas", "pyarrow.parquet"]
    if task.figures_dir:
        names += ["matplotlib.figure", "matplotlib.backends.backend_agg"]

    def warm() -> None:
        try:
            after()
        except Exception:  # noqa: BLE001 - the task asks for the hashes itself and reports their failure
            pass
        for name in names:
            try:
                importlib.import_module(name)
            except ImportError:  # pragma: no cover - reported where the module is really needed
                return

    thread = threading.Thread(target=warm, name="ephystool-imports")  # not a daemon: never cut mid-import at exit
    thread.start()
    return thread.join


def _analyse(task: Task, out: TaskOutput) -> None:
    from ephystool.analysis.registry import OUTPUT_ANALYSIS, get_analyzer, params_class
    from ephystool.io.overrides import value_sources
    from ephystool.protocols import load_protocol

    proto = load_protocol(task.protocol)
    module = get_analyzer(proto.analysis)
    overrides = {k: v for k, v in task.rows[0]["overrides"].items() if k not in ("kind", "session", "notes", "stream", "order", "layout",
                                                                            "sweeps", "channel")}
    mapping = proto.params_mapping()
    params = params_class(proto.analysis).from_protocol(mapping, overrides)
    out.params = {"protocol": task.protocol, "analysis": proto.analysis, **mapping, **overrides}
    label = {**_label(task.rows[0]), "protocol": proto.name}
    key = _plate_key(task, proto.to_dict())
    file_sweeps: list[int] = []
    last = _PLATE.value if key is not None and _PLATE.key == key else None
    if last is not None:
        result, out.sha256, files = last
    else:
        recs = [_load(r, proto.recording.mode) for r in task.rows]
        hashes = _hashes(task.rows, recs, task.threads)
        imported = _warm_imports(task, after=hashes)
        out.params["value_sources"] = {r["recording"]: value_sources(rec) for r, rec in zip(task.rows, recs, strict=True)}
        if len(recs) == 1:
            file_sweeps = list(recs[0].metadata.get("selection", {}).get("file_sweeps", []))
        try:
            if len(recs) > 1:
                if not hasattr(module, "analyze_session"):
                    raise AnalysisError(f"analysis '{proto.analysis}' takes one file per row; the manifest groups "
                                        f"{len(recs)} files in session '{task.rows[0]['overrides'].get('session')}' "
                                        "(remove the session column for these rows)", task.rows[0]["path"])
                result = module.analyze_session(recs, params)
            else:
                try:
                    result = module.analyze(recs[0], params)
                except AnalysisError as exc:
                    raise _with_kind_hint(exc, recs[0], proto.name) from exc
            imported()
            files = _figures(proto.analysis, result, recs[0], task.figures_dir)
            files += _spikes(result, task.spikes_dir, label["recording"])
        finally:
            out.sha256 = hashes()
        if key is not None:
            # one plate at a time: a worker takes a plate's rows in manifest order
            _PLATE.key, _PLATE.value = key, (result, out.sha256, files)
    family = OUTPUT_ANALYSIS.get(proto.analysis)
    rows, elec = _select_well(result, label.get("well", ""), task.rows[0]["path"])
    # the manifest's identity and units win over the analyzer's; its free label columns never replace an
    # analyzer's own column of the same name (e.g. a 'window' column in the manifest)
    own = ("recording", "condition", "protocol", *UNIT_COLS, "timepoint", *DOSE_COLS)
    fixed = {k: v for k, v in label.items() if k in own and v not in ("", None)}
    out.results = [{**label, **r, **fixed, **({"analysis": family} if family else {})} for r in rows]
    out.sweeps = [{"recording": label["recording"], **r} for r in getattr(result, "sweep_rows", list)()]
    if file_sweeps:  # a row that selects sweeps: each sweep's index in the file beside its index in the row
        out.sweeps = [{**r, "file_sweep": file_sweeps[r["sweep"]]} if isinstance(r.get("sweep"), int)
                      and r["sweep"] < len(file_sweeps) else r for r in out.sweeps]
    out.electrodes = [{"recording": label["recording"], **r} for r in elec]
    out.events = [{"recording": label["recording"], **r} for r in getattr(result, "event_rows", list)()]
    out.figures = list(files)


def _with_kind_hint(exc: AnalysisError, rec: Any, protocol: str) -> AnalysisError:
    """A failed analysis of a file read as another kind than its own header says (the protocol's or the manifest's
    ``kind``): the failure names both, since the likelier fix is the row's protocol (a current-clamp step or ramp
    file listed under a field protocol) rather than the setting the analyzer's message suggests."""
    own = str(rec.metadata.get("file_kind") or "")
    if not own or own == rec.kind:
        return exc
    source = rec.metadata.get("kind_source", "protocol")
    return AnalysisError(f"{exc.message}; note: the file's header says {own}, "
                         f"the {source} ('{protocol}') reads it as {rec.kind}: is this the right protocol for this "
                         "file?", getattr(exc, "path", None))


def _note_warnings(out: TaskOutput, caught: list[Any]) -> None:
    """An analyzer's holding-potential warnings go into its result rows' ``note`` (a batch has no one to
    read a warning on a worker's stderr)."""
    text = "; ".join(dict.fromkeys(str(w.message) for w in caught))
    if text:
        for r in out.results:
            r["note"] = f"{r['note']}; {text}" if r.get("note") else text


def run_task(task: Task) -> TaskOutput:
    """Run one task; expected errors become ``output.failure`` (file, stage, message)."""
    from ephystool.parallel import use_threads

    out = TaskOutput(task.index, task.rows[0]["recording"])
    try:
        with use_threads(task.threads), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", HoldingWarning)
            _analyse(task, out)
        _note_warnings(out, [w for w in caught if issubclass(w.category, HoldingWarning)])
    except EphysError as exc:
        # every failure line names its file: an error raised without one gets the row's file
        named = str(exc) if getattr(exc, "path", None) else f"{task.rows[0]['path']}: {exc}"
        out.failure = {"recording": out.recording, "stage": type(exc).__name__, "error": named}
    except Exception as exc:  # a bug in an analyzer must not stop the batch: recorded with its traceback
        tb = traceback.format_exc() if task.debug else ""
        out.failure = {"recording": out.recording, "stage": "internal error",
                       "error": f"{type(exc).__name__}: {exc} (please report; rerun with --debug for the traceback)"
                       + (f"\n{tb}" if tb else "")}
    if out.failure:
        out.results, out.sweeps, out.electrodes, out.events = [], [], [], []
    return out
