"""Manifest rows are typed: a frozen ManifestRow whose overrides are a frozen, typed RowOverrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ephystool.io.manifest import NUMERIC, ManifestRow, RowOverrides, read_manifest


def _manifest(tmp_path: Path, extra_cols: str, extra_vals: str) -> Path:
    p = tmp_path / "manifest.csv"
    p.write_text(f"path,condition,protocol,animal{extra_cols}\na.abf,control,nmda_epsc,A1{extra_vals}\n")
    return p


def test_overrides_are_typed_values_in_field_order(tmp_path: Path) -> None:
    man = read_manifest(_manifest(tmp_path, ",notes,stim_time_ms,channel,stream,sweeps",
                                  ",good cell,100,Im,1,even"))
    o = man.rows[0].overrides
    assert isinstance(o, RowOverrides)
    assert o.stim_time_ms == 100.0 and o.stream == 1.0 and o.channel == "Im" and o.notes == "good cell"
    assert o.sweep_interval_s is None and o.stim_intensity_uA == ()
    # the mapping view: only what the row sets, in field order (the cache key and provenance use it)
    assert list(o) == ["stim_time_ms", "stream", "notes", "sweeps", "channel"]
    assert dict(o) == {"stim_time_ms": 100.0, "stream": 1.0, "notes": "good cell", "sweeps": "even", "channel": "Im"}
    assert "layout" not in o and o.get("layout") is None and len(o) == 5
    with pytest.raises(KeyError):
        o["sweep_interval_s"]


def test_channel_zero_is_set_not_blank(tmp_path: Path) -> None:
    o = read_manifest(_manifest(tmp_path, ",channel", ",0")).rows[0].overrides
    assert o.channel == 0 and dict(o) == {"channel": 0}


def test_rows_and_overrides_are_frozen(tmp_path: Path) -> None:
    row = read_manifest(_manifest(tmp_path, "", "")).rows[0]
    assert isinstance(row, ManifestRow) and dict(row.overrides) == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.overrides.stim_time_ms = 5.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.condition = "mg_citrate"  # type: ignore[misc]


def test_every_numeric_column_is_a_float_field() -> None:
    types = {f.name: f.type for f in dataclasses.fields(RowOverrides)}
    assert all(types[c] == "float | None" for c in NUMERIC)


def test_empty_required_values_in_several_rows_are_listed_in_one_message(tmp_path: Path) -> None:
    """A manifest fresh from 'manifest init' has every condition empty: one message lists all rows (not one rerun a row)."""
    from ephystool.errors import ManifestError
    from ephystool.io.manifest import read_manifest

    m = tmp_path / "m.csv"
    m.write_text("path,condition,animal,slice,cell,protocol\n" + "".join(
        f"f{i}.abf,{'control' if i == 4 else ''},a{i},s1,c1,{'' if i in (2, 3) else 'nmda_epsc'}\n" for i in range(1, 6)))
    with pytest.raises(ManifestError) as ex:
        read_manifest(m)
    msg = str(ex.value)
    assert "'condition' in row(s) 1-3, 5" in msg and "'protocol' in row(s) 2-3" in msg and len(msg.splitlines()) == 1
    m.write_text("path,condition,animal,slice,cell,protocol\nf1.abf,control,a1,s1,c1,nmda_epsc\nf2.abf,,a2,s1,c1,nmda_epsc\n")
    with pytest.raises(ManifestError, match="row 2, column 'condition': required value 'condition' is empty"):
        read_manifest(m)  # one row: the per-row message, as before
