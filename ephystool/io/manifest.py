"""The experiment manifest: one row per recording file with its condition and experimental units.

CSV or YAML. Columns (ARCHITECTURE.md, public contract): ``path`` (relative to the manifest),
``condition``, ``animal``, ``slice``, ``cell`` (or ``well`` for MEA; ``batch``/``plate`` optional),
``protocol`` and optional per-recording overrides ``holding_mV`` (one value, or one per sweep
separated by ``;``), ``stim_time_ms``, ``sweep_interval_s``, ``induction_time_min``, ``washin_time_s``,
``salt_mM``, ``mg_mM``, ``dosing_time_s``, ``kind`` (clamp-mode override), ``stream``, ``session``
(files of one LTP session share it; ``order`` sorts them), ``stim_intensity_uA`` (input-output runs: one intensity per
sweep or per equal block of sweeps, separated by ``;``), ``sweeps`` and ``channel`` (the part of the
file the row analyses, e.g. one of two pathways stimulated on alternate sweeps; see
:mod:`ephystool.io.selection`), ``pathway`` (a label: the rows of one file's pathways are kept apart), ``timepoint`` (``baseline`` / ``post``: the
two recordings of one well around an injury, e.g. ``mea_excitotoxicity``), ``layout`` (an MEA electrode
layout: probeinterface JSON or CSV ``electrode,x_um,y_um``, relative to the manifest; see
:mod:`ephystool.io.layout`) and ``notes``. Other columns (``zn_condition``, ``genotype``, ``drug``, ...)
are kept and label every result row of the recording, so that claims can select on them.

A YAML manifest is either a list of rows or a mapping with ``recordings:`` and optionally
``conditions:`` (the vocabulary) and ``design:``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ephystool.core.vocabulary import CONDITIONS, normalise_condition
from ephystool.errors import ManifestError
from ephystool.io.selection import parse_channel, parse_sweeps

__all__ = [
    "DEFAULT_CONDITIONS", "REQUIRED", "NUMERIC", "RowOverrides", "ManifestRow", "Manifest", "normalise_condition", "read_manifest",
]

DEFAULT_CONDITIONS = CONDITIONS
REQUIRED = ("path", "condition", "protocol")
UNIT_COLUMNS = ("animal", "slice", "cell", "well", "batch", "plate")
NUMERIC = ("stim_time_ms", "sweep_interval_s", "induction_time_min", "washin_time_s", "salt_mM", "mg_mM",
           "dosing_time_s", "order", "stream")
#: Results-table columns written by the analyzers: a manifest label column may not take these names.
RESERVED = frozenset({"analysis", "metric", "value", "unit", "window", "holding_mV", "sweep", "electrode",
                      "excluded_reason", "flag", "n_sweeps", "n_outliers", "direction", "recording"})


@dataclass(frozen=True)
class RowOverrides(Mapping[str, Any]):
    """The values a manifest row sets for its recording, each None (or empty) where the row leaves it blank.

    A typed record (``row.overrides.stim_time_ms``) that also reads as a mapping of the values the row sets,
    in field order (``"stim_time_ms" in row.overrides``, ``row.overrides.get("layout")``, ``dict(...)``).
    Numbers are parsed (the unit is in the name); ``stim_intensity_uA`` is one value per sweep.
    """

    #: stimulus time in every sweep, ms from the sweep start (wins over the file's)
    stim_time_ms: float | None = None
    #: sweep start-to-start interval, s (wins over the file's sweep times)
    sweep_interval_s: float | None = None
    #: LTP induction time, min (wins over a tag and the protocol)
    induction_time_min: float | None = None
    #: wash-in time of the drug or salt, s
    washin_time_s: float | None = None
    #: concentration of the test salt, mM
    salt_mM: float | None = None
    #: Mg concentration of the bath, mM (also a results column: dose series)
    mg_mM: float | None = None
    #: MEA dosing time, s
    dosing_time_s: float | None = None
    #: position of the file in its session
    order: float | None = None
    #: stream index of a multi-stream file (Multi Channel Systems)
    stream: float | None = None
    #: recording kind forced by the manifest: voltage_clamp, current_clamp, field or mea
    kind: str | None = None
    #: several files of one LTP session share it (ordered by ``order``)
    session: str | None = None
    #: free text
    notes: str | None = None
    #: the row's experimental design (a vocabulary design name)
    design: str | None = None
    #: stimulus intensity per sweep or per equal block of sweeps, µA (input-output runs)
    stim_intensity_uA: tuple[float, ...] = ()
    #: the sweeps this row analyses (io.selection syntax: "even", "0-9", ...)
    sweeps: str | None = None
    #: the measured channel: index or name
    channel: int | str | None = None
    #: electrode layout file (absolute path)
    layout: str | None = None

    def __getitem__(self, key: str) -> Any:
        value = getattr(self, key, None) if key in _OVERRIDE_FIELDS else None
        if value is None or value == ():
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (f for f in _OVERRIDE_FIELDS if getattr(self, f) not in (None, ()))

    def __len__(self) -> int:
        return sum(1 for _ in self)


_OVERRIDE_FIELDS = tuple(f.name for f in fields(RowOverrides))


@dataclass(frozen=True)
class ManifestRow:
    """One recording of the experiment (row numbers are 1-based data rows, header excluded)."""

    row: int
    path: Path
    condition: str
    protocol: str
    animal: str = ""
    slice: str = ""
    cell: str = ""
    well: str = ""
    batch: str = ""
    plate: str = ""
    holding_mV: tuple[float, ...] = ()
    timepoint: str = ""
    overrides: RowOverrides = field(default_factory=RowOverrides)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def recording_id(self) -> str:
        """A stable, readable id: the path as written in the manifest, then the row's part of the file
        (``pathway``, else its ``sweeps``/``channel``) in brackets, so two pathways of one file stay apart."""
        text = str(self.extra.get("_path_text", self.path.name))
        part = str(self.extra.get("pathway", "")).strip()
        if not part:
            bits = [f"{c} {self.overrides[c]}" for c in ("sweeps", "channel") if c in self.overrides]
            part = ", ".join(bits)
        return f"{text} [{part}]" if part else text

    def units(self) -> dict[str, str]:
        """The experimental-unit columns of this row."""
        return {k: getattr(self, k) for k in UNIT_COLUMNS}


@dataclass(frozen=True)
class Manifest:
    """A validated manifest: its rows, the condition vocabulary and the declared design."""

    path: Path
    rows: tuple[ManifestRow, ...]
    conditions: tuple[str, ...] = DEFAULT_CONDITIONS
    design: str | None = None

    def missing_files(self) -> list[ManifestRow]:
        """Rows whose file (or electrode layout file) does not exist."""
        return [r for r in self.rows
                if not r.path.exists() or ("layout" in r.overrides and not Path(r.overrides["layout"]).is_file())]


_MAKE_ONE = "make one with 'ephystool manifest init FOLDER -o manifest.csv' and fill in condition and units"


def _check_is_manifest(path: Path) -> None:
    """One line for the usual mistakes: a folder or a recording given where the manifest goes."""
    if path.is_dir():
        raise ManifestError(f"is a folder, not a manifest: {_MAKE_ONE}", path)
    if not path.is_file():
        raise ManifestError("manifest file does not exist", path)
    if path.suffix.lower() not in (".csv", ".tsv", ".txt", ".yaml", ".yml"):
        from ephystool.io.registry import KNOWN_EXTENSIONS

        if path.suffix.lower() in KNOWN_EXTENSIONS:
            raise ManifestError(f"is a recording, not a manifest (a CSV or YAML table of recordings): {_MAKE_ONE}; "
                                "'ephystool info FILE' shows what the file holds", path)


def _read_table(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ManifestError(f"not valid YAML: {str(exc).splitlines()[0]}", path) from exc
        except UnicodeDecodeError:
            raise ManifestError("is not a text table (binary content): save the manifest as UTF-8 YAML or CSV",
                                path) from None
        if isinstance(doc, dict):
            rows = doc.get("recordings")
            if not isinstance(rows, list):
                raise ManifestError("a YAML manifest mapping needs a 'recordings:' list", path)
            return rows, {k: v for k, v in doc.items() if k != "recordings"}
        if isinstance(doc, list):
            return doc, {}
        raise ManifestError("a YAML manifest must be a list of rows or a mapping with 'recordings:'", path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            lines = [ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    except UnicodeDecodeError:
        raise ManifestError(f"is not a text table (binary content): save the manifest as UTF-8 CSV, or {_MAKE_ONE}",
                            path) from None
    return list(csv.DictReader(lines)), {}


def _float(value: Any, path: Path, row: int, col: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ManifestError(f"'{value}' is not a number (write e.g. 100 for {col})", path, row, col) from None


def _holding(value: Any, path: Path, row: int, col: str = "holding_mV") -> tuple[float, ...]:
    if value is None or str(value).strip() == "":
        return ()
    parts = value if isinstance(value, list) else str(value).replace(",", ";").split(";")
    return tuple(_float(p, path, row, col) for p in parts if str(p).strip() != "")


def _spans(rows: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``'1-3, 7'``."""
    out, start = [], rows[0]
    for a, b in zip(rows, [*rows[1:], None], strict=True):
        if b != a + 1:
            out.append(f"{start}-{a}" if a > start else f"{a}")
            start = b
    return ", ".join(out)


def _check_empty_required(rows: list[Any], path: Path) -> None:
    """Empty required values in several rows: one message naming them all (a new manifest from ``manifest init``
    has every condition empty: one run lists them instead of one rerun a row). One row: the per-row message."""
    empty: dict[str, list[int]] = {}
    for i, raw in enumerate(rows, start=1):
        if isinstance(raw, dict):
            for col in _empty_required(_cells(raw)):
                empty.setdefault(col, []).append(i)
    if len({i for r in empty.values() for i in r}) > 1:
        where = "; ".join(f"'{c}' in row(s) {_spans(r)}" for c, r in empty.items())
        raise ManifestError(f"required values are empty: {where} (fill them in; rows count from 1 below the header)",
                            path)


def _cells(raw: dict[str, Any]) -> dict[str, Any]:
    """A row's values by stripped column name (a missing value as ``""``)."""
    return {str(k).strip(): ("" if v is None else v) for k, v in raw.items() if k is not None}


def _empty_required(data: dict[str, Any]) -> list[str]:
    """The required columns a row leaves empty, in :data:`REQUIRED` order."""
    return [col for col in REQUIRED if str(data.get(col, "")).strip() == ""]


def _row(raw: dict[str, Any], i: int, path: Path, vocab: Sequence[str]) -> ManifestRow:
    data = _cells(raw)
    empty = _empty_required(data)
    if empty:
        raise ManifestError(f"required value '{empty[0]}' is empty", path, i, empty[0])
    cond = normalise_condition(str(data["condition"]), vocab)
    if cond is None:
        raise ManifestError(
            f"unknown condition '{data['condition']}'; valid: {', '.join(vocab)} (aliases like 'Mg-Asp', 'MgCit' work)",
            path, i, "condition")
    text = str(data["path"]).strip()
    p = Path(text).expanduser()
    p = p if p.is_absolute() else (path.parent / p)
    overrides = {c: _float(data[c], path, i, c) for c in NUMERIC if str(data.get(c, "")).strip() != ""}
    for c in ("kind", "session", "notes", "design"):
        if str(data.get(c, "")).strip():
            overrides[c] = str(data[c]).strip()
    intensity = _holding(data.get("stim_intensity_uA"), path, i, "stim_intensity_uA")
    if intensity:
        overrides["stim_intensity_uA"] = intensity
    sweeps = parse_sweeps(data.get("sweeps"), path, i)
    if sweeps is not None:
        overrides["sweeps"] = sweeps.text
    channel = parse_channel(data.get("channel"), path, i)
    if channel is not None:
        overrides["channel"] = channel
    if str(data.get("layout", "")).strip():
        lay = Path(str(data["layout"]).strip()).expanduser()
        overrides["layout"] = str((lay if lay.is_absolute() else path.parent / lay).resolve())
    known = set(REQUIRED) | set(UNIT_COLUMNS) | set(NUMERIC) | {"holding_mV", "kind", "session", "notes", "design",
                                                               "timepoint", "layout", "sweeps", "channel",
                                                               "stim_intensity_uA"}
    extra = {k: str(v) for k, v in data.items() if k not in known}
    clash = sorted(k for k in extra if k in RESERVED and str(extra[k]).strip())
    if clash:
        raise ManifestError(f"column '{clash[0]}' is a results-table column the analyzers write; rename it "
                            f"(e.g. '{clash[0]}_label')", path, i, clash[0])
    extra["_path_text"] = text
    return ManifestRow(
        row=i, path=p.resolve(), condition=cond, protocol=str(data["protocol"]).strip(),
        **{c: str(data.get(c, "")).strip() for c in UNIT_COLUMNS},
        holding_mV=_holding(data.get("holding_mV"), path, i), timepoint=str(data.get("timepoint", "")).strip(),
        overrides=RowOverrides(**overrides), extra=extra,
    )


def read_manifest(
    path: str | Path, conditions: Iterable[str] | None = None, check_files: bool = False
) -> Manifest:
    """Read and validate an experiment manifest (CSV or YAML).

    Parameters
    ----------
    path : str or Path
        The manifest file.
    conditions : iterable of str, optional
        The condition vocabulary (default: the manifest's own ``conditions:`` or control,
        mg_aspartate, mg_citrate).
    check_files : bool
        Also require every row's file to exist.

    Raises
    ------
    ManifestError
        Missing file, missing required column, empty required value, unknown condition,
        duplicate row, or (with ``check_files``) a row pointing to no file; the message names
        the manifest, the row and the column.
    """
    mpath = Path(path)
    _check_is_manifest(mpath)
    rows, meta = _read_table(mpath)
    if not rows:
        raise ManifestError("manifest has no rows", mpath)
    header = set().union(*(r.keys() for r in rows if isinstance(r, dict)))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ManifestError(f"missing required column(s) {', '.join(missing)}; columns found: {', '.join(sorted(map(str, header)))}", mpath)
    _check_empty_required(rows, mpath)
    vocab = tuple(conditions or meta.get("conditions") or DEFAULT_CONDITIONS)
    parsed, seen = [], {}
    for i, raw in enumerate(rows, start=1):
        if not isinstance(raw, dict):
            raise ManifestError("each row must be a mapping of column to value", mpath, i)
        r = _row(raw, i, mpath, vocab)
        key = (r.path, r.condition, r.protocol, r.holding_mV, r.overrides.get("stream"), r.well, r.timepoint,
               r.overrides.get("sweeps"), r.overrides.get("channel"))
        if key in seen:
            first = parsed[seen[key] - 1]
            if first.extra.get("pathway", "").strip() != r.extra.get("pathway", "").strip():
                raise ManifestError(f"rows {seen[key]} and {i} label two pathways of one file but select the same "
                                    "sweeps and channel; set sweeps (e.g. even / odd) or channel", mpath, i, "sweeps")
            raise ManifestError(f"duplicate of row {seen[key]} (same file, condition, protocol, well, sweeps and "
                                "channel)", mpath, i)
        seen[key] = i
        parsed.append(r)
    man = Manifest(mpath, tuple(parsed), vocab, meta.get("design"))
    if check_files:
        for r in man.missing_files():
            if r.path.exists():
                raise ManifestError(f"layout file '{r.overrides['layout']}' does not exist (paths are relative to the "
                                    "manifest)", mpath, r.row, "layout")
            raise ManifestError(f"file '{r.recording_id}' does not exist (paths are relative to the manifest)", mpath, r.row, "path")
    return man
