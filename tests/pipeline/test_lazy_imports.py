"""The analyze path imports only what a task needs: loading an NWB MEA file and detecting spikes pulls in
neither the figure, NWB-export and statistics libraries nor scipy.signal/stats (each costs 0.3-0.7 s)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
         "pyarrow", "dask", "scipy.ndimage",
         # the protocol schema needs every analysis' Params, never the analyzers a run does not use
         "ephystool.analysis.ltp._analyzer", "ephystool.analysis.events._analyzer")
print(",".join(m for m in heavy if m in sys.modules))
"""


def test_mea_analysis_imports_no_heavy_library(tmp_path: Path, mea_nwb_writer) -> None:
    path, _ = mea_nwb_writer(tmp_path / "mea.nwb", 2.0, 4, seed=3, snr=8.0, rate_hz=8.0)
    proc = subprocess.run([sys.executable, "-c", _CODE, str(path)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "", f"imported: {proc.stdout.strip()}"


_WHOLE = """
import sys
from pathlib import Path
from ephystool.pipeline import run_analysis
res = run_analysis(Path(sys.argv[1]), Path(sys.argv[2]), jobs=1, progress=False)
assert res.exit_code == 0, res.failures
assert list(Path(sys.argv[2]).glob("figures/*/*.png")) and list(Path(sys.argv[2]).glob("spikes/*.nwb"))
print(",".join(m for m in ("pynwb", "hdmf", "matplotlib.pyplot", "scipy.signal", "statsmodels") if m in sys.modules))
"""


def test_whole_mea_analyze_writes_figures_and_nwb_without_pyplot_or_pynwb(tmp_path: Path, mea_nwb_writer) -> None:
    mea_nwb_writer(tmp_path / "mea.nwb", 2.0, 4, seed=3, snr=8.0, rate_hz=8.0)
    # the packaged template: its dosing time lies beyond this short recording, so the whole recording is used
    (tmp_path / "m.csv").write_text("path,condition,well,protocol\nmea.nwb,control,,mea_spontaneous\n")
    proc = subprocess.run([sys.executable, "-c", _WHOLE, str(tmp_path / "m.csv"), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "", f"imported: {proc.stdout.strip()}"


_PROTOCOL = """
import sys
from ephystool.protocols import PARAMS_BY_ANALYSIS, load_protocol
for name in ("nmda_epsc", "mea_spontaneous", "ltp_fepsp", "cc_fi_steps"):
    load_protocol(name).params_mapping()
assert len(PARAMS_BY_ANALYSIS) == 7
print(",".join(sorted(m for m in sys.modules if m.endswith("._analyzer") or m == "scipy" or m.startswith("scipy.")
                      or m in ("neo", "h5py", "matplotlib", "pandas", "numba"))))
"""


def test_protocol_schema_imports_the_params_only() -> None:
    # the schema needs every analysis' Params class, never an analyzer (ltp's scipy.ndimage, the MEA detector's
    # numba): a patch-clamp run imports no MEA detector, an MEA run no fEPSP measures
    proc = subprocess.run([sys.executable, "-c", _PROTOCOL], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "", f"imported: {proc.stdout.strip()}"


_READ = """
import sys
from ephystool.io import load
from ephystool.io.overrides import apply_overrides
rec = apply_overrides(load(sys.argv[1]), {})
assert rec.mea.get_traces_channel_major(0, 100).shape[1] == 100
before = "neo" in sys.modules
assert type(rec.block).__name__ == "Block" and rec.block.name == "mea.nwb" and not rec.block.segments
print(before, "neo" in sys.modules)
"""


def test_mea_samples_are_read_before_neo_is_imported(tmp_path: Path, mea_nwb_writer) -> None:
    # an NWB MEA file read through h5py builds its (empty) neo Block when first asked for (the spike trains)
    path, _ = mea_nwb_writer(tmp_path / "mea.nwb", 1.0, 4, seed=3, snr=8.0, rate_hz=8.0)
    proc = subprocess.run([sys.executable, "-c", _READ, str(path)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["False", "True"]
