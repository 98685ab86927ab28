"""Open Ephys (legacy folder, binary), 3Brain BRW through neo's rawio as chunked MEA sources (issue 14, item 6).

Loader facts from ``realdata/more/PROVENANCE.md``: channel counts, rates, sample counts, start times,
units (Open Ephys ADC channels labelled µV are volts; BRW offset: raw 2048 = 0 µV).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ephystool.errors import CorruptFileError
from ephystool.io import load

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def mea_raw(realdata_dir: Path) -> Path:
    d = realdata_dir / "more" / "mea_raw"
    if not d.is_dir():
        pytest.skip("realdata/more is absent")
    return d


def test_open_ephys_legacy_folder_is_one_recording(mea_raw: Path) -> None:
    folder = mea_raw / "OpenEphys_SampleData_1"
    rec = load(folder)
    assert rec.format == "openephys_legacy" and rec.kind == "mea"
    assert [e.label for e in rec.electrodes] == ["CH0", "CH1"]
    assert rec.mea.n_samples == 414 * 1024 and rec.sampling_rate_hz == 40_000.0
    assert rec.metadata["t_start_s"] == pytest.approx(1.2992)  # first timestamp 51,968 / 40 kHz
    x = rec.mea.get_traces(0, rec.mea.n_samples)
    assert 100 < np.abs(x).max() < 1000  # µV: a large LFP (about ±200 µV), not volts nor raw counts
    for member in ("101_CH0.continuous", "settings.xml", "Continuous_Data.openephys"):
        assert load(folder / member).path == folder  # a file of the recording opens the recording


def test_open_ephys_truncated_continuous_is_refused(mea_raw: Path, tmp_path: Path) -> None:
    copy = tmp_path / "oe"
    shutil.copytree(mea_raw / "OpenEphys_SampleData_1", copy)
    f = copy / "101_CH0.continuous"
    f.chmod(0o644)
    with open(f, "r+b") as fh:
        fh.truncate(f.stat().st_size - 6)  # the upstream bot's damage: 858,004 -> 857,998 bytes
    with pytest.raises(CorruptFileError, match="not 1024 \\+ n x 2070"):
        load(copy)


def test_open_ephys_binary_neural_stream_and_adc_in_volts(mea_raw: Path) -> None:
    folder = mea_raw / "openephys_binary_neural_and_non_neural_mixed"
    rec = load(folder)
    assert rec.format == "openephys_binary"
    assert [e.label for e in rec.electrodes] == ["CH1", "CH2", "CH3", "CH4"]
    assert rec.mea.n_samples == 30_000 and rec.sampling_rate_hz == 30_000.0
    assert rec.metadata["t_start_s"] == pytest.approx(28_892 / 30_000)
    adc = load(folder, stream=1)
    assert [e.label for e in adc.electrodes] == ["ADC1", "ADC2"]
    v = adc.mea.get_traces(0, adc.mea.n_samples) / 1e6  # µV -> V
    assert v.min() == pytest.approx(-0.16, abs=0.01) and v.max() == pytest.approx(0.83, abs=0.01)
    assert any("read as volts" in w for w in adc.warnings)


def test_brw_scaling_and_layout(mea_raw: Path) -> None:
    rec = load(mea_raw / "biocam_hw3.0_fw1.6.brw")
    assert rec.format == "brw" and len(rec.electrodes) == 36
    assert rec.mea.n_samples == 19_754 and rec.sampling_rate_hz == pytest.approx(19_753.77, abs=0.01)
    x = rec.mea.get_traces(0, rec.mea.n_samples)
    # µV = (raw - 2048) x 8250/4096: raw 2004 ... 2110 = -88.6 ... +124.9 µV (not around -66,000 µV)
    assert x.min() == pytest.approx(-88.6, abs=0.1) and x.max() == pytest.approx(124.9, abs=0.1)
    np.testing.assert_allclose(rec.mea.get_traces(100, 200, [3, 7]), x[100:200][:, [3, 7]])
