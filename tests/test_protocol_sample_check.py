"""``protocol check`` on the bundled sample recordings: each passes the protocol its manifest names,
and a recording given the wrong protocol gets the mismatch named."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ephystool.commands.protocol import command as protocol_cmd
from ephystool.io import load
from ephystool.io.manifest import read_manifest
from ephystool.protocols import check_recording, load_protocol

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
pytestmark = pytest.mark.skipif(not (SAMPLE / "manifest.csv").is_file(), reason="sample_data/ is absent")


def _rows() -> list:
    return list(read_manifest(SAMPLE / "manifest.csv").rows) if (SAMPLE / "manifest.csv").is_file() else []


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r.recording_id)
def test_every_sample_recording_matches_its_protocol(row) -> None:
    proto = row.protocol if not row.protocol.endswith(".yaml") else str(SAMPLE / row.protocol)
    rec = load(row.path, kind=row.overrides.get("kind"))
    assert check_recording(load_protocol(proto), rec) == []


def test_packaged_templates_used_for_patch_and_ltp() -> None:
    used = {r.protocol for r in _rows()}
    assert {"nmda_epsc", "nmda_iv", "cc_fi_steps", "ltp_fepsp"} <= used


def test_wrong_recording_names_the_mismatch() -> None:
    epsc = sorted(SAMPLE.glob("patch/control/*_nmda_epsc.abf"))[0]
    problems = check_recording(load_protocol("cc_fi_steps"), load(epsc))
    assert any(p.startswith("mode") for p in problems)
    res = CliRunner().invoke(protocol_cmd, ["check", "cc_fi_steps", str(epsc)])
    assert res.exit_code != 0
    assert "mode" in str(res.exception) + res.output
