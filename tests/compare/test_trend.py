"""Dose-response claims (CIT-NP-2): slope of log recovery on log Mg, cluster bootstrap over batches.

Ground truth: recovery = 0.4 * (mg/1 mM)^b * batch effect * well noise (log-normal), 4 batches x 4 doses
(0.5, 1, 2, 3 mM) x 2 wells; the slope b is recovered within 0.1 and its CI covers it; b = 0 is not
called a trend in at least 90 % of 40 null data sets; a negative b contradicts the claim.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ephystool.compare.claims import load_claims
from ephystool.compare.trend import prepare_trend, run_trend
from ephystool.pipeline.validation import compare

CLAIM = next(c for c in load_claims().claims if c.id == "CIT-NP-2")
DOSES = (0.5, 1.0, 2.0, 3.0)


def _results(slope: float, seed: int, batches: int = 4, wells: int = 2, doses=DOSES, sd_batch: float = 0.15,
             sd_well: float = 0.2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for b in range(batches):
        eb = rng.normal(0, sd_batch)
        for d in doses:
            for w in range(wells):
                value = 0.4 * d ** slope * np.exp(eb + rng.normal(0, sd_well))
                rows.append({"recording": f"b{b}_d{d}_w{w}.h5", "condition": "control", "batch": f"B{b}",
                             "plate": f"P{b}", "well": f"{d:g}mM_{w}", "protocol": "mea_excitotoxicity",
                             "analysis": "firing_mea", "metric": "mean_firing_rate", "window": "ratio",
                             "value": value, "unit": "1", "mg_mM": d})
    return pd.DataFrame(rows)


def _verdict(df: pd.DataFrame, n_boot: int = 2000):
    return compare(df, claims=[CLAIM], n_boot=n_boot).verdicts[0]


def test_trend_recovered_and_supported() -> None:
    v = _verdict(_results(0.3, seed=11))
    assert v.verdict == "supported", v.reason
    assert v.effect["statistic"] == "slope" and abs(v.effect["estimate"] - 0.3) < 0.1
    assert v.ci[0] < 0.3 < v.ci[1] and v.ci[0] > 0
    assert v.effect["doses"] == {"0.5": 8, "1": 8, "2": 8, "3": 8}
    assert "mixed model" in v.p["method"] and v.p["raw"] < 0.05
    assert "a doubling of mg_mM changes the value by +" in v.reason


def test_opposite_trend_contradicts() -> None:
    v = _verdict(_results(-0.4, seed=12))
    assert v.verdict == "contradicted", v.reason


def test_null_trend_rarely_called() -> None:
    calls = sum(_verdict(_results(0.0, seed=100 + k), n_boot=600).verdict != "inconclusive" for k in range(40))
    assert calls <= 4, calls


def test_too_few_doses_or_no_dose_column_is_no_data() -> None:
    v = _verdict(_results(0.3, seed=13, doses=(1.0, 2.0)))
    assert v.verdict == "no data" and "needs 3 mg_mM values" in v.reason and "1, 2" in v.reason
    v = _verdict(_results(0.3, seed=13).drop(columns=["mg_mM"]))
    assert v.verdict == "no data" and "no 'mg_mM' column" in v.reason


def test_units_averaged_per_dose_and_one_batch_resamples_wells() -> None:
    df = _results(0.3, seed=14, batches=1, wells=4)
    df = pd.concat([df, df.assign(recording=df["recording"] + "_rep")])  # two recordings per well
    frame, missing, _ = prepare_trend(df, "mg_mM", ("batch", "plate", "well"), log=True, log_dose=True)
    assert not missing and len(frame) == 16  # 4 doses x 4 wells, the repeats averaged
    t = run_trend(frame, "increase", "mg_mM", ("batch", "plate", "well"), True, True, "1", n_boot=500)
    assert not t.error and any("units resampled" in n for n in t.notes)
    assert t.slope == pytest.approx(np.polyfit(frame["x"], frame["y"], 1)[0])


def test_pipeline_rows_carry_the_manifest_dose() -> None:
    from ephystool.analysis.combine import combine_units

    base = {"condition": "control", "batch": "B1", "plate": "P1", "well": "A1", "protocol": "mea_excitotoxicity",
            "analysis": "firing_mea", "metric": "mean_firing_rate", "window": "all", "unit": "Hz", "mg_mM": 2.0}
    rows = [{**base, "recording": "pre.h5", "timepoint": "baseline", "value": 4.0},
            {**base, "recording": "post.h5", "timepoint": "post", "value": 3.0}]
    ratio = [r for r in combine_units(rows) if r.get("window") == "ratio"]
    assert ratio and ratio[0]["mg_mM"] == 2.0 and ratio[0]["value"] == pytest.approx(0.75)


def test_written_with_a_dose_figure(tmp_path) -> None:
    res = compare(_results(0.3, seed=15), claims=[CLAIM], n_boot=500, out_dir=tmp_path, figures=True)
    assert res.verdicts[0].verdict == "supported"
    assert list(tmp_path.rglob("claim_CIT-NP-2.png"))
    row = pd.read_csv(tmp_path / "verdicts.csv").iloc[0]
    assert row["statistic"] == "slope" and row["ci_low"] > 0
