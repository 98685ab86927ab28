"""Tests of the claims file (schema, packaged file, seed coverage) and of the predictions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ephystool.compare.claims import ClaimsFile, default_claims_path, load_claims, parse_claims, seed_coverage
from ephystool.compare.predictions import condition_ions, free_ions_frame, predict, release_factor
from ephystool.errors import EphysError, ProtocolError

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "mg-aspartate-vs-mg-citrate-claims.txt"
PARAMETERS = ("primary_mechanism", "nmda_activity", "neuroprotection", "synaptic_plasticity", "cognition")


def _claim(**over):
    base = {"id": "X-1", "parameter": "nmda_activity", "seed_column": "mg_citrate", "source": "vendor",
            "statement": "a test claim", "condition": "mg_citrate", "analysis": "nmda", "metric": "nmda_peak",
            "selectors": {"holding_mV": -70}, "expected": "decrease"}
    base.update(over)
    return base


# ----------------------------------------------------------------------------------- packaged file
def test_packaged_file_loads_and_covers_every_seed_cell() -> None:
    cf = load_claims()
    assert default_claims_path().name == "mg_salts.yaml" and default_claims_path().is_file()
    assert isinstance(cf, ClaimsFile) and len(cf) >= 20
    assert tuple(cf.parameters) == PARAMETERS
    assert seed_coverage(cf) == []  # 5 parameters x 2 salts, every cell has a claim
    for p in PARAMETERS:
        for salt in ("mg_aspartate", "mg_citrate"):
            assert any(c.parameter == p and c.seed_column == salt for c in cf), (p, salt)


def test_packaged_vendor_quotes_come_from_the_seed_table() -> None:
    if not SEED.is_file():
        pytest.skip("../shared/seed is absent (a user's clone)")
    text = " ".join(SEED.read_text(encoding="utf-8").split()).lower().replace("- ", "-")  # pdf line breaks
    for c in load_claims():
        if c.source == "vendor" and c.quote:
            for part in c.quote.split("..."):
                part = " ".join(part.split()).strip(" .").lower()
                if len(part) > 12:
                    assert part in text, (c.id, part)


def test_non_ephys_claims_are_not_testable_with_reasons() -> None:
    cf = load_claims()
    for cid, word in (("CIT-LTP-1", "biochemistry"), ("ASP-COG-1", "behaviour"), ("CIT-COG-1", "behavioural"),
                      ("ASP-NP-2", "viability")):
        c = cf.get(cid)
        assert not c.testable and word in c.reason.lower()
    for c in cf:
        assert c.testable == bool(c.analysis and c.metric) or not c.testable


def test_design_dependent_expectations_and_references() -> None:
    c = load_claims().get("CIT-MECH-1")
    assert c.expected_for("acute_equal_total") == "increase"
    assert c.expected_for("chronic_oral") == "no_change"
    assert c.reference_for("acute_added") == "mg_matched_control"
    assert c.reference_for("acute_equal_total") == "control"
    assert load_claims().get("SALTS-1").reference_for("acute_added") == "mg_aspartate"


# ----------------------------------------------------------------------------------- schema errors
@pytest.mark.parametrize("over, field", [
    ({"expected": "bigger"}, "expected"),
    ({"colour": "red"}, "colour"),
    ({"testable": False, "analysis": None, "metric": None}, "reason"),
    ({"margin": {"value": 1.5, "scale": "ratio"}}, "margin"),
    ({"prediction": {"quantity": "nmda_ratio"}}, "prediction"),
    ({"unit_of_inference": "cell"}, "unit_of_inference"),
])
def test_schema_errors_name_claim_id_and_field(over: dict, field: str) -> None:
    raw = {"claims": [_claim(id="OK-1"), _claim(id="BAD-7", **over)]}
    with pytest.raises(ProtocolError) as info:
        parse_claims(raw, path="my_claims.yaml")
    msg = str(info.value)
    assert "claim 'BAD-7'" in msg and field in msg and "my_claims.yaml" in msg
    assert isinstance(info.value, EphysError)


def test_schema_error_without_id_names_the_position() -> None:
    c = _claim()
    del c["id"]
    with pytest.raises(ProtocolError, match=r"claim #1 \(no id\), field 'id'"):
        parse_claims([c])


def test_duplicate_ids_and_unknown_parameters_are_errors() -> None:
    with pytest.raises(ProtocolError, match="duplicate claim id 'X-1'"):
        parse_claims({"claims": [_claim(), _claim()]})
    with pytest.raises(ProtocolError, match="parameter 'mood'"):
        parse_claims({"parameters": {"nmda_activity": "NMDA"}, "claims": [_claim(parameter="mood")]})


def test_load_claims_from_a_user_file(tmp_path: Path) -> None:
    f = tmp_path / "claims.yaml"
    f.write_text(yaml.safe_dump([_claim()]), encoding="utf-8")
    cf = load_claims(f)
    assert [c.id for c in cf] == ["X-1"] and cf.get("X-1").selectors == {"holding_mV": -70}
    f.write_text("claims: [unclosed", encoding="utf-8")
    with pytest.raises(ProtocolError, match="not valid YAML"):
        load_claims(f)
    with pytest.raises(ProtocolError, match="cannot read"):
        load_claims(tmp_path / "absent.yaml")


# ----------------------------------------------------------------------------------- predictions
def test_equal_total_citrate_predictions_match_science_table() -> None:
    cf = load_claims()
    ions = condition_ions("mg_citrate", "acute_equal_total")
    ctrl = condition_ions("control", "acute_equal_total")
    assert ions.free_mg_mM == pytest.approx(0.86, abs=0.03) and ctrl.free_mg_mM == pytest.approx(1.10, abs=0.03)
    assert ions.free_ca_mM == pytest.approx(1.29, abs=0.04)
    ri = predict(cf.get("CIT-MECH-1").prediction, "mg_citrate", "control", "acute_equal_total")
    assert ri.value == pytest.approx(1.26, abs=0.02) and ri.low < ri.value < ri.high
    assert 1.1 < ri.low and ri.high < 1.5
    syn = predict(cf.get("CIT-NMDA-1").prediction, "mg_citrate", "control", "acute_equal_total")
    assert 0.85 < syn.value < 1.05  # block x release: about 0.9-1.0 (SCIENCE.md C4)
    assert release_factor(1.29, 0.86, 4) / release_factor(1.61, 1.10, 4) == pytest.approx(0.74, abs=0.03)


def test_predictions_depend_on_design() -> None:
    spec = load_claims().get("CIT-MECH-1").prediction
    added = predict(spec, "mg_citrate", "mg_matched_control", "acute_added")
    assert added.reference == "mg_matched_control" and 1.05 < added.value < 1.3
    chronic = predict(spec, "mg_citrate", "control", "chronic_oral")
    assert chronic.value == pytest.approx(1.0) and chronic.low == pytest.approx(1.0)
    assert chronic.holds(0.9, 1.1, "ratio") is True and chronic.holds(1.1, 1.3, "ratio") is False
    assert chronic.holds(0.9, 1.1, "difference") is None
    tonic = predict(load_claims().get("ASP-MECH-2").prediction, "mg_aspartate", "control", "chronic_oral")
    assert tonic.value == 0 and tonic.statistic == "difference"
    assert predict(spec, "mystery_salt", "control", "acute_equal_total") is None
    table = free_ions_frame("acute_added")
    assert set(table["condition"]) == {"control", "mg_aspartate", "mg_citrate", "mg_matched_control"}
