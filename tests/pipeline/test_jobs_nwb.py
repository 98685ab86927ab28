"""``analyze --jobs 2`` on one NWB MEA file cuts its detection into time ranges searched in parallel: the
spikes and every table equal the serial run's."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from ephystool.pipeline import run_analysis
from ephystool.protocols import load_protocol


def test_jobs_2_writes_the_serial_spikes(tmp_path: Path, mea_nwb_writer) -> None:
    mea_nwb_writer(tmp_path / "mea.nwb", 6.0, 8, seed=21, snr=7.0, rate_hz=6.0)
    proto = load_protocol("mea_spontaneous").to_dict()
    for key in ("dosing_time", "baseline_window", "treatment_window"):
        proto["analysis_params"].pop(key)
    proto.pop("inclusion", None)
    proto["analysis_params"]["chunk"] = "1 s"  # six chunks: the two ranges cut between them
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(proto, sort_keys=False))
    (tmp_path / "m.csv").write_text("path,condition,well,protocol\nmea.nwb,control,,p.yaml\n")
    tables = {}
    for jobs in (1, 2):
        res = run_analysis(tmp_path / "m.csv", tmp_path / f"out{jobs}", jobs=jobs, figures=False, progress=False,
                           use_cache=False)  # the task hashes the file itself
        assert res.exit_code == 0, res.failures
        out = tmp_path / f"out{jobs}"
        tables[jobs] = [(out / name).read_text() for name in ("spikes/mea.csv", "electrodes.csv", "results.csv")]
    assert tables[1][0].count("\n") > 50
    assert tables[1] == tables[2]
    digest = hashlib.sha256((tmp_path / "mea.nwb").read_bytes()).hexdigest()  # hashed alongside with 2 threads
    for jobs in (1, 2):
        assert json.loads((tmp_path / f"out{jobs}" / "provenance.json").read_text())["inputs"] == {"mea.nwb": digest}
