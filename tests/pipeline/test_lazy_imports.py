"""The analyze path imports only what a task needs: loading an NWB MEA file and detecting spikes pulls in
neither the figure, NWB-export and statistics libraries nor scipy.signal/stats (each costs 0.3-0.7 s)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np

_CODE = """
import sys
from ephystool.commands import analyze
from ephystool.pipeline import run_analysis
from ephystool.io import load
from ephystool.analysis.registry import get_analyzer, params_class
from ephystool.protocols import load_protocol
rec = load(sys.argv[1])
assert type(rec.mea).__name__ == "NWBH5ElectricalSource", type(rec.mea)
drop = ("dosing_time", "baseline_window", "treatment_window")
mapping = {k: v for k, v in load_protocol("mea_spontaneous").params_mapping().items() if k not in drop}
res = get_analyzer("firing_mea").analyze(rec, params_class("firing_mea").from_protocol(mapping, {}))
assert sum(e.times_s.size for e in res.electrodes) > 0
heavy = ("pynwb", "hdmf", "matplotlib", "statsmodels", "scipy.signal", "scipy.stats", "elephant", "pandas",
         "pyarrow", "dask")
print(",".join(m for m in heavy if m in sys.modules))
"""


def test_mea_analysis_imports_no_heavy_library(tmp_path: Path) -> None:
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.ecephys import ElectricalSeries

    from ephystool.simulate.mea import simulate_mea

    data, truth = simulate_mea(2.0, 4, 20000.0, seed=3, snr=8.0, rate_hz=8.0)
    nwb = NWBFile("t", "t", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    grp = nwb.create_electrode_group("g", "array", "ctx", nwb.create_device("mea"))
    for _ in range(data.shape[1]):
        nwb.add_electrode(x=0.0, y=0.0, z=0.0, imp=np.nan, location="ctx", filtering="none", group=grp)
    nwb.add_acquisition(ElectricalSeries(name="raw", data=data, rate=20000.0, conversion=truth.gain_uv * 1e-6,
                                         electrodes=nwb.create_electrode_table_region(list(range(4)), "all")))
    path = tmp_path / "mea.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    proc = subprocess.run([sys.executable, "-c", _CODE, str(path)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "", f"imported: {proc.stdout.strip()}"
