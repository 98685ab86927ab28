"""The report's HTML from a small output folder: claims in words and numbers, counts, escaping."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ephystool.report.html import render_report


def _verdict(**kw: object) -> dict:
    v = {"id": "X-1", "parameter": "p", "source": "vendor", "condition": "mg_citrate", "reference": "control",
         "analysis": "nmda", "metric": "nmda_rectification_index", "selectors": {"holding_mV": -70},
         "expected": "no_change", "verdict": "supported", "reason": "equivalent <b>", "design": "acute_equal_total",
         "effect": {"statistic": "ratio", "estimate": 0.9795661496302508, "unit": "1"},
         "ci": [0.9387120403192492, 1.0224623981151224],
         "p": {"raw": 0.44951895104875134, "holm": None, "bootstrap_holm": 0.013993003498250875, "tost": 0.0005},
         "n": {"mg_citrate": {"animal": 4, "slice": 4, "cell": 4, "observations": 4},
               "control": {"animal": 1, "slice": 1, "cell": 2, "observations": 2}},
         "prediction": {"statistic": "ratio", "value": 0.99996, "low": 0.9, "high": 1.1}, "prediction_holds": True,
         "statement": "Citrate <i>binds</i> Mg.", "quote": None}
    v.update(kw)
    return v


def _rows(rec: str, cond: str, animal: str) -> dict:
    return {"recording": rec, "condition": cond, "animal": animal, "slice": "s1", "cell": "c1", "well": "",
            "protocol": "p", "analysis": "nmda", "metric": "nmda_peak", "value": 1.0, "unit": "pA"}


def test_claims_table_in_words_and_numbers(tmp_path: Path) -> None:
    vs = [_verdict(), _verdict(id="X-2", power={"achieved": 0.42, "n_needed": 12}, verdict="inconclusive")]
    (tmp_path / "verdicts.json").write_text(json.dumps(vs))
    html = render_report(tmp_path)
    assert "{'" not in html and "0.9795661" not in html
    assert "ratio 0.980 [0.939, 1.02]" in html            # estimate [95 % CI] to 3 significant digits
    assert "0.014" in html                                  # the deciding p after Holm
    assert "mg_citrate: 4 animals, 4 cells; control: 1 animal, 2 cells" in html
    assert "ratio 1.00 (0.900 to 1.10); holds" in html
    assert "42 %; n for 80 %: 12" in html                   # power where the verdict carries it
    assert "no change" in html and "<i>binds</i>" not in html and "&lt;i&gt;binds" in html
    assert "equivalent &lt;b&gt;" in html
    assert all(w in html for w in ("supported", "contradicted", "inconclusive", "not testable", "no data"))


def test_counts_recordings_not_combined_rows(tmp_path: Path) -> None:
    rows = [_rows("a.abf", "control", "A1"), _rows("b.abf", "control", "A2"), _rows("c.abf", "mg_citrate", "B1"),
            _rows("a.abf;b.abf", "control", "A1")]  # a row combined from two recordings is not a recording
    pd.DataFrame(rows).to_csv(tmp_path / "results.csv", index=False)
    pd.DataFrame([{"recording": "d.abf", "stage": "LoadError", "error": "d.abf: truncated"}]).to_csv(
        tmp_path / "failures.csv", index=False)
    html = render_report(tmp_path)
    assert "<td>control</td><td>2</td><td>2</td>" in html  # 2 recordings, 2 animals
    assert "d.abf" in html and "truncated" in html          # what was excluded and why
    assert "<script" not in html.lower()
