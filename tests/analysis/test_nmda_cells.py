"""Issue 16 item 2: one cell recorded in two files (-70 and +40 mV) gives the same cell-level metrics as one file."""

from __future__ import annotations

import pytest

from ephystool.analysis import nmda
from ephystool.analysis.combine import combine_units
from ephystool.simulate.vclamp import simulate_epsc_sweeps

LABEL = {"condition": "control", "animal": "a1", "slice": "s1", "cell": "c1", "protocol": "nmda_epsc"}


def _label(rows: list[dict], rec: str, **extra: object) -> list[dict]:
    return [{**LABEL, **r, "recording": rec, **extra} for r in rows]


def _metrics(rows: list[dict]) -> dict[tuple[str, str], float]:
    return {(r["metric"], r["component"]): r["value"] for r in rows
            if r["metric"] in ("nmda_ampa_ratio", "nmda_rectification_index")}


@pytest.mark.parametrize("seed", [1651, 1652])
def test_cell_in_two_files_equals_cell_in_one_file(seed: int) -> None:
    kw = {"noise_pA": 3.0, "n_sweeps_per_holding": 10}
    rec_neg, truth = simulate_epsc_sweeps(seed=seed, holding_mV=(-70.0,), **kw)
    rec_pos, truth_pos = simulate_epsc_sweeps(seed=seed + 100, holding_mV=(40.0,), **kw)
    late_pos = truth_pos["nmda_late_pA"][40.0]
    p = nmda.NmdaParams()
    rows = _label(nmda.analyze(rec_neg, p).rows(), "neg.abf") + _label(nmda.analyze(rec_pos, p).rows(), "pos.abf")
    assert not _metrics(rows)  # neither file alone has both potentials
    late_neg = [r for r in rows if r["metric"] == "nmda_late" and r["holding_mV"] == -70.0]
    assert late_neg[0]["value"] == pytest.approx(truth["nmda_late_pA"][-70.0], rel=0.10)
    assert 0 <= [r for r in rows if r["metric"] == "ampa_residual_fraction"][0]["value"] < 0.1
    cell = _metrics(combine_units(rows))
    ri_truth = truth["nmda_late_pA"][-70.0] / late_pos
    assert cell[("nmda_ampa_ratio", "mixed")] == pytest.approx(late_pos / truth["ampa_peak_pA"][-70.0], rel=0.10)
    assert cell[("nmda_rectification_index", "late")] == pytest.approx(ri_truth, rel=0.10)
    # the same cell with both potentials in one file: the analyzer's own rows, nothing added by combine
    both, _ = simulate_epsc_sweeps(seed=seed + 200, holding_mV=(-70.0, 40.0), **kw)
    one = _label(nmda.analyze(both, p).rows(), "both.abf")
    assert not _metrics(combine_units(one))
    single = _metrics(one)
    for key, val in cell.items():
        assert single[key] == pytest.approx(val, rel=0.10), key


def test_excluded_recording_is_not_combined() -> None:
    rec_neg, _ = simulate_epsc_sweeps(seed=1661, holding_mV=(-70.0,), n_sweeps_per_holding=4)
    rec_pos, _ = simulate_epsc_sweeps(seed=1662, holding_mV=(40.0,), n_sweeps_per_holding=4)
    p = nmda.NmdaParams()
    rows = (_label(nmda.analyze(rec_neg, p).rows(), "neg.abf", excluded_reason="access resistance 31 MOhm > 25 MOhm")
            + _label(nmda.analyze(rec_pos, p).rows(), "pos.abf"))
    assert not _metrics(combine_units(rows))
