"""A claim's data is selected and prepared once (ClaimData) and gives the same numbers as the table path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ephystool.compare import claim_data as claim_data_mod
from ephystool.compare._synth import nested_dataset
from ephystool.compare.claim_data import claim_data
from ephystool.compare.claims import parse_claims
from ephystool.compare.engine import compare
from ephystool.compare.verdicts import run_claim_test, run_test

LEVELS = ("animal", "slice", "cell")


def _claim(expected: str, **over: object) -> dict:
    base = {"id": f"T-{expected}", "parameter": "synthetic", "source": "vendor", "statement": "synthetic",
            "condition": "mg_citrate", "analysis": "nmda", "metric": "nmda_peak", "expected": expected}
    return {**base, **over}


def _table(seed: int = 3, paired: bool = False) -> pd.DataFrame:
    d = nested_dataset(4, 2, 3, effect_ratio=0.7, seed=seed, conditions=("control", "mg_citrate"), paired=paired)
    return d.assign(analysis="nmda", metric="nmda_peak", unit="pA")


@pytest.mark.parametrize(("expected", "scales"), [("decrease", [False]), ("no_change", [False, True]),
                                                  ("differs", [False, True])])
def test_each_tested_claim_is_prepared_once(expected: str, scales: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    """The decision, bootstrap, mixed model, TOST and power share one preparation; an equivalence claim with
    a ratio margin on a linear-scale metric adds one, of log |value| (before: 3 to 5 per claim)."""
    calls: list[bool] = []
    real = claim_data_mod.prepare

    def counting(*args: object, **kwargs: object):
        calls.append(bool(args[-1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(claim_data_mod, "prepare", counting)
    v = compare(_table(), parse_claims([_claim(expected)]), n_boot=100).verdicts[0]
    assert v.effect is not None and v.effect["decision"]["method"].startswith("welch_t")
    assert calls == scales  # nmda_peak is analysed on the linear scale


def test_values_at_or_below_zero_switch_a_log_claim_to_the_linear_scale() -> None:
    t = _table()
    t.loc[0, "value"] = -1.0
    cd = claim_data(t, "mg_citrate", "control", LEVELS, "pA", log=True)
    assert not cd.log and "linear scale" in cd.notes[0]
    assert cd.n["mg_citrate"] == {"animal": 4, "slice": 8, "cell": 24, "observations": 24}
    assert cd.present == LEVELS and cd.unit == "pA" and not cd.paired
    assert cd.prepared() is cd.prepared(False)  # prepared once per scale


@pytest.mark.parametrize("paired", [False, True])
def test_the_table_and_the_claim_data_paths_give_the_same_numbers(paired: bool) -> None:
    t = _table(seed=5, paired=paired)
    claim = parse_claims([_claim("no_change", margin={"value": 0.2, "scale": "ratio", "log": False},
                                 log=False)]).claims[0]
    a = run_test(t, claim, "no_change", "mg_citrate", "control", LEVELS, "pA", n_boot=200, seed=2)
    cd = claim_data(t, "mg_citrate", "control", LEVELS, "pA", log=False)
    b = run_claim_test(cd, claim, "no_change", n_boot=200, seed=2)
    assert cd.paired == paired
    assert (a.decision, a.equivalence, a.bounds, a.power) == (b.decision, b.equivalence, b.bounds, b.power)
    assert np.array_equal(a.primary.samples, b.primary.samples) and a.tost == b.tost
