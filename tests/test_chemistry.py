"""Tests of ephystool.chemistry: salts, speciation (SCIENCE.md 1d), designs, Jahr-Stevens, CLI."""

from __future__ import annotations

import json

import pytest
import quantities as pq
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ephystool.chemistry import (
    ACSF,
    SALTS,
    condition_bath,
    free_ions_table,
    hepes_saline,
    mg_block_fraction,
    nmda_ratio_vs_control,
    rectification_index,
    reference_condition,
    solution_plan,
    speciate,
    standard_acsf,
    woodhull_delta,
)
from ephystool.chemistry.constants import REACTIONS
from ephystool.commands.solutions import command
from ephystool.errors import EphysError, ProtocolError

# IUPAC 2021 standard atomic weights, written out here independently of the module.
H, C, N, OXY, MG, S, CL = 1.008, 12.011, 14.007, 15.999, 24.305, 32.06, 35.45
WATER = 2 * H + OXY

# ------------------------------------------------------------------------------------------ salts
HAND_MOLAR_MASS = {
    # Mg(C4H6NO4)2: Mg + 8 C + 12 H + 2 N + 8 O
    "Mg(Asp)2": MG + 8 * C + 12 * H + 2 * N + 8 * OXY,
    "Mg(Asp)2.2H2O": MG + 8 * C + 12 * H + 2 * N + 8 * OXY + 2 * WATER,
    # Mg3(C6H5O7)2: 3 Mg + 12 C + 10 H + 14 O
    "Mg3Cit2": 3 * MG + 12 * C + 10 * H + 14 * OXY,
    "Mg3Cit2.9H2O": 3 * MG + 12 * C + 10 * H + 14 * OXY + 9 * WATER,
    # MgHC6H5O7: Mg + 6 C + 6 H + 7 O
    "MgHCit": MG + 6 * C + 6 * H + 7 * OXY,
    "MgSO4": MG + S + 4 * OXY,
    "MgSO4.7H2O": MG + S + 4 * OXY + 7 * WATER,
    "MgCl2.6H2O": MG + 2 * CL + 6 * WATER,
}
MG_PER_FU = {"Mg(Asp)2": 1, "Mg(Asp)2.2H2O": 1, "Mg3Cit2": 3, "Mg3Cit2.9H2O": 3, "MgHCit": 1,
             "MgSO4": 1, "MgSO4.7H2O": 1, "MgCl2.6H2O": 1}
ANION_PER_MG = {"Mg(Asp)2": 2.0, "Mg3Cit2": 2 / 3, "MgHCit": 1.0, "MgSO4": 1.0, "MgCl2.6H2O": 2.0}


@pytest.mark.parametrize("key", sorted(HAND_MOLAR_MASS))
def test_molar_mass_and_mass_to_weigh_match_hand_calculation(key: str) -> None:
    salt = SALTS[key]
    assert salt.molar_mass == pytest.approx(HAND_MOLAR_MASS[key], rel=5e-3)
    assert salt.mg_per_fu == MG_PER_FU[key]
    # m = c_Mg / (Mg per f.u.) * V * M, for 1.3 mM Mg in 0.75 L
    hand_g = 1.3e-3 / MG_PER_FU[key] * 0.75 * HAND_MOLAR_MASS[key]
    assert salt.mass_g(1.3, 0.75) == pytest.approx(hand_g, rel=5e-3)


def test_known_masses_and_stoichiometry() -> None:
    # 1.3 mM Mg as trimagnesium dicitrate nonahydrate in 1 L: 1.3/3 mmol * 613.25 g/mol = 265.7 mg
    assert SALTS["Mg3Cit2.9H2O"].mass_g(1.3, 1.0) * 1e3 == pytest.approx(265.7, rel=5e-3)
    assert SALTS["MgSO4.7H2O"].mass_g(1.0, 1.0) == pytest.approx(0.24647, rel=5e-3)
    # SCIENCE.md 4: Mg3Cit2.9H2O is about 12 % Mg by weight
    assert SALTS["Mg3Cit2.9H2O"].mg_mass_fraction == pytest.approx(0.119, abs=0.002)
    for key, ratio in ANION_PER_MG.items():
        assert SALTS[key].anion_per_mg == pytest.approx(ratio)


# ------------------------------------------------------------------------------------------ speciation
# SCIENCE.md 1d: (label, condition, design, mg_mM, salt_form, acsf, free Mg, free Ca, free Zn %)
REFERENCE_ROWS = [
    ("control 1.3 MgSO4", "control", "acute_equal_total", 1.3, None, None, 1.10, 1.61, 54),
    ("Mg3Cit2 equal Mg 1.3", "mg_citrate", "acute_equal_total", 1.3, None, None, 0.86, 1.29, 11),
    ("MgHCit equal Mg 1.3", "mg_citrate", "acute_equal_total", 1.3, "MgHCit", None, 0.74, 1.12, 7),
    ("Mg(Asp)2 equal Mg 1.3", "mg_aspartate", "acute_equal_total", 1.3, None, None, 1.10, 1.64, 9),
    ("control 2.0 MgSO4", "control", "acute_equal_total", 2.0, None, None, 1.68, 1.59, 54),
    ("1.3 MgSO4 + 1.0 Mg as Mg3Cit2", "mg_citrate", "acute_added", 1.0, None, None, 1.67, 1.40, 17),
    ("1.3 MgSO4 + 1.0 Mg as Mg(Asp)2", "mg_aspartate", "acute_added", 1.0, None, None, 1.93, 1.61, 12),
    ("1.3 + 1.0 MgSO4 (Mg-matched)", "mg_matched_control", "acute_added", 1.0, None, None, 1.92, 1.58, 54),
    ("HEPES MgCl2 1.0", "control", "acute_equal_total", 1.0, None, "hepes", 1.00, 2.00, 89),
    ("HEPES Mg3Cit2 1.0", "mg_citrate", "acute_equal_total", 1.0, None, "hepes", 0.80, 1.62, 16),
]
#: Free Zn tolerance: +-5 percentage points (absolute), stated for every row.
ZN_TOL_PERCENT_POINTS = 5.0


@pytest.mark.parametrize(
    ("condition", "design", "mg", "form", "bath", "mg_ref", "ca_ref", "zn_ref"),
    [row[1:] for row in REFERENCE_ROWS], ids=[row[0] for row in REFERENCE_ROWS])
def test_reference_table(condition, design, mg, form, bath, mg_ref, ca_ref, zn_ref) -> None:
    acsf = hepes_saline() if bath == "hepes" else None
    s = condition_bath(condition, design, mg_mM=mg, salt_form=form, acsf=acsf)
    assert s.free_mg_mM == pytest.approx(mg_ref, rel=0.05)
    assert s.free_ca_mM == pytest.approx(ca_ref, rel=0.05)
    assert 100 * s.free_zn_fraction == pytest.approx(zn_ref, abs=ZN_TOL_PERCENT_POINTS)
    assert 0.13 < s.ionic_strength_M < 0.19


def test_speciation_mass_balance_and_result_fields() -> None:
    s = speciate(standard_acsf(), {"Mg3Cit2": 1.0 * pq.mmol / pq.L})
    mg_total = sum(v for k, v in s.species.items()
                   if k == "Mg" or (k.startswith("Mg") and not k.startswith("Mg(")))
    assert mg_total == pytest.approx(2.3, rel=1e-6)
    cit_total = sum(v * (2 if k == "Zn(Cit)2-4" else 1) for k, v in s.species.items() if "Cit" in k)
    assert cit_total == pytest.approx(2 / 3, rel=1e-6)
    d = s.as_dict()
    assert d["free_mg_mM"] == s.free_mg_mM and "species_mM" in d and d["total_Cit_mM"] == pytest.approx(2 / 3)
    assert float(s.free_mg.rescale(pq.mmol / pq.L).magnitude) == pytest.approx(s.free_mg_mM)
    assert s.free_zn_nM == pytest.approx(10.0 * s.free_zn_fraction)


def test_speciate_basis_and_units() -> None:
    by_mg = speciate(standard_acsf().without_mg(), {"Mg3Cit2": "1.2 mM"})
    by_fu = speciate(standard_acsf().without_mg(), {"Mg3Cit2": 0.4}, basis="salt")
    assert by_mg.free_mg_mM == pytest.approx(by_fu.free_mg_mM, rel=1e-9)
    micro = speciate(standard_acsf().without_mg(), {"Mg3Cit2": 1200 * pq.umol / pq.L})
    assert micro.free_mg_mM == pytest.approx(by_mg.free_mg_mM, rel=1e-9)
    with pytest.raises(ProtocolError):
        speciate(standard_acsf(), {"unobtainium": 1.0})
    with pytest.raises(ProtocolError):
        speciate(standard_acsf(), {"MgSO4": "1 mV"})
    with pytest.raises(ProtocolError):
        speciate(standard_acsf(), basis="grams")


def test_constants_are_all_cited() -> None:
    assert all(r.source for r in REACTIONS)
    species = {r.species for r in REACTIONS}
    for required in ("MgCit-", "MgHCit", "CaCit-", "CaHCit", "ZnCit-", "Zn(Cit)2-4", "ZnHCit", "MgAsp", "CaAsp",
                     "ZnAsp", "MgSO4", "CaSO4", "ZnSO4", "MgHCO3+", "CaHCO3+", "ZnHCO3+", "MgCO3", "CaCO3",
                     "ZnCO3", "MgHPO4", "CaHPO4"):
        assert required in species


def test_chelators() -> None:
    plain = speciate(standard_acsf())
    edta = speciate(ACSF(**{**standard_acsf().as_dict(), "chelator": "caedta_100uM"}))
    assert edta.free_zn_fraction < 0.01 * plain.free_zn_fraction
    assert edta.free_ca_mM == pytest.approx(plain.free_ca_mM, rel=0.03)
    with pytest.raises(ProtocolError, match="tricine"):
        speciate(ACSF(**{**standard_acsf().as_dict(), "chelator": "tricine_10mM"}))


def test_extreme_totals_converge() -> None:
    for kw in ({"mg_mM": 20.0, "citrate_mM": 0.0}, {"mg_mM": 0.0, "citrate_mM": 20.0},
               {"mg_mM": 20.0, "citrate_mM": 20.0, "aspartate_mM": 20.0, "sulfate_mM": 20.0}):
        s = speciate(ACSF(**{**standard_acsf().as_dict(), **kw, "ca_mM": 0.0 if "aspartate_mM" in kw else 2.0}))
        assert 0 <= s.free_mg_mM <= kw["mg_mM"] + 1e-12
    empty = speciate(ACSF(zn_nM=0.0))
    assert empty.free_mg_mM == 0 and empty.free_zn_nM == 0 and 0.9 < empty.free_zn_fraction <= 1.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mg=st.floats(0.0, 20.0), ca=st.floats(0.0, 20.0), cit=st.floats(0.0, 20.0), asp=st.floats(0.0, 20.0),
       so4=st.floats(0.0, 20.0), d_mg=st.floats(0.01, 5.0))
def test_property_free_le_total_and_monotonic(mg, ca, cit, asp, so4, d_mg) -> None:
    base = ACSF(**{**standard_acsf().as_dict(), "mg_mM": mg, "ca_mM": ca, "citrate_mM": cit,
                   "aspartate_mM": asp, "sulfate_mM": so4})
    s = speciate(base)
    assert 0.0 <= s.free_mg_mM <= mg * (1 + 1e-9) + 1e-15
    assert 0.0 <= s.free_ca_mM <= ca * (1 + 1e-9) + 1e-15
    assert 0.0 <= s.free_zn_fraction <= 1.0
    more = speciate(ACSF(**{**base.as_dict(), "mg_mM": mg + d_mg}))
    assert more.free_mg_mM > s.free_mg_mM


# ------------------------------------------------------------------------------------------ designs
def test_equal_total_citrate_lowers_free_mg_and_ca() -> None:
    ctrl = condition_bath("control", "acute_equal_total")
    cit = condition_bath("mg_citrate", "acute_equal_total")
    assert cit.acsf.mg_mM == pytest.approx(ctrl.acsf.mg_mM) and cit.acsf.sulfate_mM == 0
    assert cit.free_mg_mM < 0.85 * ctrl.free_mg_mM and cit.free_ca_mM < 0.85 * ctrl.free_ca_mM
    assert nmda_ratio_vs_control(-70, cit.free_mg_mM, ctrl.free_mg_mM) == pytest.approx(1.26, abs=0.03)


def test_acute_added_reference_is_mg_matched_control() -> None:
    ctrl = condition_bath("control", "acute_added", mg_mM=1.0)
    cit = condition_bath("mg_citrate", "acute_added", mg_mM=1.0)
    matched = condition_bath("mg_matched_control", "acute_added", mg_mM=1.0)
    assert reference_condition("acute_added") == "mg_matched_control"
    assert cit.free_mg_mM > ctrl.free_mg_mM           # more Mg than plain aCSF ...
    assert cit.free_mg_mM < matched.free_mg_mM        # ... but less than the right control
    rows = free_ions_table("acute_added", mg_mM=1.0)
    assert [r["condition"] for r in rows][-1] == "mg_matched_control"
    assert all(r["reference"] == "mg_matched_control" for r in rows)
    assert rows[-1]["nmda_vs_reference_-70mV"] == pytest.approx(1.0)


def test_chronic_oral_all_conditions_share_the_control_bath() -> None:
    baths = [condition_bath(c, "chronic_oral") for c in ("control", "mg_aspartate", "mg_citrate")]
    assert len({round(b.free_mg_mM, 12) for b in baths}) == 1
    assert baths[0].free_mg_mM == pytest.approx(speciate(standard_acsf()).free_mg_mM)


def test_design_input_errors() -> None:
    with pytest.raises(ProtocolError):
        condition_bath("mg_lactate", "acute_equal_total")
    with pytest.raises(ProtocolError):
        condition_bath("control", "weekly")
    with pytest.raises(ProtocolError):
        condition_bath("mg_citrate", "acute_equal_total", salt_form="Mg(Asp)2")
    with pytest.raises(ProtocolError):
        condition_bath("control", "acute_equal_total", mg_mM=-1.0)


# ------------------------------------------------------------------------------------------ Jahr-Stevens
def test_jahr_stevens_numbers() -> None:
    assert rectification_index(1.0) == pytest.approx(0.080, abs=5e-4)
    assert rectification_index(1.1) == pytest.approx(0.073, abs=5e-4)
    assert rectification_index(2.0) == pytest.approx(0.042, abs=5e-4)
    assert rectification_index(0.0) == pytest.approx(1.75)
    for v, b1, b2 in ((-70, 0.044, 0.023), (-40, 0.230, 0.130), (0, 0.781, 0.641), (40, 0.977, 0.955)):
        assert mg_block_fraction(v, 1.0) == pytest.approx(b1, abs=6e-4)
        assert mg_block_fraction(v, 2.0) == pytest.approx(b2, abs=6e-4)
    assert mg_block_fraction(-70 * pq.mV, 1.0 * pq.mmol / pq.L) == pytest.approx(0.044, abs=6e-4)
    assert woodhull_delta(0.062, 22.0) == pytest.approx(0.79, abs=0.005)
    assert woodhull_delta(0.062, 35.0) == pytest.approx(0.82, abs=0.005)
    assert nmda_ratio_vs_control(40, 0.86, 1.10) == pytest.approx(1.006, abs=1e-3)
    with pytest.raises(ProtocolError):
        mg_block_fraction(-70, -1.0)


# ------------------------------------------------------------------------------------------ ACSF mapping
RECIPE = {"NaCl": "123.5 mM", "KCl": "2.5 mM", "MgSO4": "1.3 mM", "CaCl2": "2.0 mM", "NaHCO3": "26 mM",
          "NaH2PO4": "1.25 mM", "glucose": "10 mM", "pH": 7.4}


def test_acsf_from_mapping_matches_standard() -> None:
    a = ACSF.from_mapping(RECIPE)
    std = standard_acsf()
    for f in ("ca_mM", "mg_mM", "sulfate_mM", "hco3_mM", "phosphate_mM", "cl_mM", "na_mM", "k_mM"):
        assert getattr(a, f) == pytest.approx(getattr(std, f)), f
    assert a.buffer == "bicarbonate" and a.mg_salt == "MgSO4"
    cit = ACSF.from_mapping({**RECIPE, "MgSO4": "0 mM", "Mg3Cit2": "0.4333 mM"})
    assert cit.mg_mM == pytest.approx(1.3, rel=1e-3) and cit.citrate_mM == pytest.approx(0.8667, rel=1e-3)
    assert ACSF.from_mapping({"acsf": {"MgCl2": "1 mM", "HEPES": "10 mM"}}).mg_salt == "MgCl2"


@pytest.mark.parametrize(("bad", "key"), [
    ({"MgSO4": 1.3}, "MgSO4"),                 # bare number, no unit
    ({"MgSO4": "1.3 mV"}, "MgSO4"),            # wrong dimension
    ({"Unobtainium": "1 mM"}, "Unobtainium"),  # unknown reagent
    ({"pH": "neutral"}, "pH"),
    ({"chelator": "bapta"}, "chelator"),
])
def test_acsf_from_mapping_errors_name_the_key(bad, key) -> None:
    with pytest.raises(ProtocolError) as info:
        ACSF.from_mapping({**RECIPE, **bad})
    assert key in str(info.value)


# ------------------------------------------------------------------------------------------ plan + CLI
def test_solution_plan() -> None:
    plan = solution_plan("mg_citrate", 1.3, 1.0)
    masses = {f.key: f.mass_mg for f in plan.forms}
    assert masses["Mg3Cit2.9H2O"] == pytest.approx(1.3 / 3 * HAND_MOLAR_MASS["Mg3Cit2.9H2O"], rel=5e-3)
    assert plan.anion_added_mM == pytest.approx(1.3 * 2 / 3)
    assert plan.final.free_mg_mM < plan.reference.free_mg_mM
    text = plan.to_text()
    assert "Mg3Cit2.9H2O" in text and f"{masses['Mg3Cit2.9H2O']:.2f}" in text
    with pytest.raises(ProtocolError):
        solution_plan("mg_citrate", 1.3, 0.0)


def test_cli_prints_masses() -> None:
    res = CliRunner().invoke(command, ["--salt", "mg_aspartate", "--mg-mM", "1.3", "--volume-L", "2"])
    assert res.exit_code == 0, res.output
    hand_mg = 1.3e-3 / 1 * 2.0 * HAND_MOLAR_MASS["Mg(Asp)2.2H2O"] * 1e3      # c/(Mg per f.u.) * V * M
    line = next(ln for ln in res.output.splitlines() if ln.strip().startswith("Mg(Asp)2.2H2O"))
    assert float(line.split()[-1]) == pytest.approx(hand_mg, rel=5e-3)
    assert "free Mg" in res.output


def test_cli_json_and_acsf_file(tmp_path) -> None:
    p = tmp_path / "acsf.yaml"
    p.write_text("NaCl: 140 mM\nKCl: 2.5 mM\nCaCl2: 2.0 mM\nMgCl2: 1.0 mM\nHEPES: 10 mM\nNaOH: 4.4 mM\npH: 7.4\n")
    res = CliRunner().invoke(command, ["--salt", "mg_citrate", "--mg-mM", "1.0", "--acsf", str(p), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["final"]["free_mg_mM"] == pytest.approx(0.80, rel=0.05)
    assert data["reference"]["free_mg_mM"] == pytest.approx(1.00, rel=0.05)
    assert any(f["key"] == "Mg3Cit2.9H2O" for f in data["forms"])


def test_cli_bad_input_raises_ephys_error(tmp_path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("MgSO4: 1.3\n")
    res = CliRunner().invoke(command, ["--acsf", str(p)])
    assert isinstance(res.exception, EphysError) and "MgSO4" in str(res.exception)
    res = CliRunner().invoke(command, ["--volume-L", "-1"])
    assert isinstance(res.exception, EphysError)
    p2 = tmp_path / "broken.yaml"
    p2.write_text("a: [1, 2\n")
    res = CliRunner().invoke(command, ["--acsf", str(p2)])
    assert isinstance(res.exception, ProtocolError)
