"""The simulator's effects follow the declared design (issue 17 item 4)."""

from __future__ import annotations

import pytest

from ephystool.chemistry import mg_block_fraction
from ephystool.compare.claims import load_claims
from ephystool.simulate.design_effects import (
    ASP_EC50_UM,
    conditions_for,
    design_effects,
    occupancy,
    tonic_current_pA,
)


def test_chronic_oral_has_no_bath_effects() -> None:
    eff = design_effects("chronic_oral")
    for c, e in eff.items():
        assert e["tonic_m70_pA"] == 0 and e["ltp_percent"] == 150 and e["mea_rate_ratio"] == pytest.approx(1), c
        assert e["fi_bias_pA"] == pytest.approx(0) and e["synaptic_nmda_factor"] == 1


def test_acute_added_has_its_mg_matched_control_and_a_smaller_tonic_current() -> None:
    assert conditions_for("acute_added")[0] == "mg_matched_control"
    added, equal = design_effects("acute_added"), design_effects("acute_equal_total")
    assert added["mg_matched_control"]["free_mg_mM"] == pytest.approx(added["mg_aspartate"]["free_mg_mM"], rel=0.01)
    # more free Mg in the added bath: more block of the aspartate current at -70 mV (Jahr-Stevens)
    ratio = added["mg_aspartate"]["tonic_m70_pA"] / equal["mg_aspartate"]["tonic_m70_pA"]
    js = float(mg_block_fraction(-70, added["mg_aspartate"]["free_mg_mM"]) / mg_block_fraction(-70, 1.113))
    assert ratio == pytest.approx(js * occupancy(added["mg_aspartate"]["aspartate_mM"])
                                  / occupancy(equal["mg_aspartate"]["aspartate_mM"]), rel=0.01)
    assert 0.3 < ratio < 0.7


def test_tonic_current_sign_follows_the_driving_force_and_occupancy() -> None:
    assert tonic_current_pA(2.6, 1.113, -70) == pytest.approx(-150, rel=0.01)
    assert tonic_current_pA(2.6, 1.113, 40) > 1000  # outward, hardly blocked at +40 mV
    assert occupancy(ASP_EC50_UM / 1000) == pytest.approx(0.5)
    assert tonic_current_pA(0.0, 1.113, -70) == 0


def test_bdnf_ltp_claim_is_chronic_only() -> None:
    assert load_claims().get("CIT-LTP-2").designs == ("chronic_oral",)
