"""Experimental designs, the bath of each condition, free-ion tables and weighing plans.

Designs (SCIENCE.md 0 and 1d):

``acute_equal_total``
    The test salt *replaces* the control Mg salt at equal total Mg (``mg_mM`` is that total).
    The reference is the control bath.
``acute_added``
    The test salt is added *on top of* the normal aCSF (``mg_mM`` is the Mg added). The reference is
    the Mg-matched control (the same Mg added as the control salt), not the plain aCSF.
``chronic_oral``
    Animals receive the salt; slices are recorded in standard aCSF, so every condition gets the
    control bath (``mg_mM`` does not enter the bath).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ephystool.chemistry.acsf import ACSF, standard_acsf, to_mM
from ephystool.chemistry.block import nmda_ratio_vs_control
from ephystool.chemistry.salts import SALT_FAMILIES, SALTS, get_salt
from ephystool.chemistry.speciation import Speciation, speciate
from ephystool.core.vocabulary import (
    ACUTE_ADDED,
    ACUTE_EQUAL_TOTAL,
    ALL_CONDITIONS,
    CHRONIC_ORAL,
    CONTROL,
    MG_ASPARTATE,
    MG_CITRATE,
    MG_MATCHED_CONTROL,
    REFERENCE_CONDITION,
)
from ephystool.errors import ProtocolError

__all__ = [
    "DESIGNS",
    "CONDITIONS",
    "DEFAULT_SALT_FORMS",
    "acute_equal_total",
    "acute_added",
    "chronic_oral",
    "condition_acsf",
    "condition_bath",
    "free_ions_table",
    "reference_condition",
]

#: Design names (public constants, so callers can avoid typos; the names come from the vocabulary).
acute_equal_total = ACUTE_EQUAL_TOTAL
acute_added = ACUTE_ADDED
chronic_oral = CHRONIC_ORAL
DESIGNS: tuple[str, ...] = (acute_equal_total, acute_added, chronic_oral)
CONDITIONS: tuple[str, ...] = ALL_CONDITIONS
#: The salt each test condition uses unless ``salt_form`` says otherwise.
DEFAULT_SALT_FORMS: dict[str, str] = {MG_ASPARTATE: "Mg(Asp)2", MG_CITRATE: "Mg3Cit2"}
#: Salt families that may stand for each condition (a test condition is named after its salt family).
_ALLOWED_FAMILIES = {
    MG_ASPARTATE: (MG_ASPARTATE,),
    MG_CITRATE: (MG_CITRATE, "mg_hydrogen_citrate"),
    CONTROL: ("mgso4", "mgcl2"),
    MG_MATCHED_CONTROL: ("mgso4", "mgcl2"),
}


def _check_design(design: str) -> str:
    if design not in DESIGNS:
        raise ProtocolError(f"unknown design {design!r}; expected one of {', '.join(DESIGNS)}", field="design")
    return design


def _check_mg(mg_mM: Any) -> float:
    mg = to_mM(mg_mM, name="mg_mM")
    if not math.isfinite(mg) or mg < 0 or mg > 100:
        raise ProtocolError(f"Mg concentration must be between 0 and 100 mM, got {mg_mM!r}", field="mg_mM")
    return mg


def _salt_for(condition: str, salt_form: str | None, acsf: ACSF) -> str:
    if condition not in CONDITIONS:
        raise ProtocolError(f"unknown condition {condition!r}; expected one of {', '.join(CONDITIONS)}",
                            field="condition")
    if salt_form is None:
        return DEFAULT_SALT_FORMS.get(condition, acsf.mg_salt)
    salt = get_salt(salt_form)
    if salt.family not in _ALLOWED_FAMILIES[condition]:
        raise ProtocolError(f"salt {salt.key} ({salt.family}) cannot stand for condition {condition!r}; "
                            f"use a salt of {', '.join(_ALLOWED_FAMILIES[condition])}", field="salt_form")
    return salt.key


def reference_condition(design: str) -> str:
    """The condition a test bath is compared with: ``mg_matched_control`` for acute_added, else ``control``."""
    return REFERENCE_CONDITION[_check_design(design)]


def condition_acsf(condition: str, design: str, mg_mM: Any = 1.3, salt_form: str | None = None,
                   acsf: ACSF | None = None) -> ACSF:
    """The bath recipe (totals) of one condition under one design; see :func:`condition_bath`."""
    _check_design(design)
    mg = _check_mg(mg_mM)
    base = acsf if acsf is not None else standard_acsf()
    salt = _salt_for(condition, salt_form, base)
    if design == chronic_oral:
        return base
    if design == acute_equal_total:
        return base.without_mg().with_salt(salt, mg)
    if condition == CONTROL:
        return base
    return base.with_salt(salt, mg)


def condition_bath(condition: str, design: str, mg_mM: Any = 1.3, salt_form: str | None = None,
                   acsf: ACSF | None = None) -> Speciation:
    """Speciation of the bath a condition is recorded in.

    Parameters
    ----------
    condition : {'control', 'mg_aspartate', 'mg_citrate', 'mg_matched_control'}
        ``mg_matched_control`` is the control salt at the same added Mg (acute_added); under the other
        designs it is the same bath as ``control``.
    design : {'acute_equal_total', 'acute_added', 'chronic_oral'}
        See the module docstring.
    mg_mM : float or Quantity
        acute_equal_total: total Mg of every bath; acute_added: Mg added by the test salt; chronic_oral:
        not used.
    salt_form : str, optional
        Salt key overriding the default (``Mg(Asp)2``, ``Mg3Cit2``; e.g. ``"MgHCit"`` for the 1:1 citrate,
        or ``"MgCl2"`` for a chloride control).
    acsf : ACSF, optional
        Background bath; :func:`standard_acsf` by default.

    Returns
    -------
    Speciation
    """
    return speciate(condition_acsf(condition, design, mg_mM, salt_form, acsf))


def free_ions_table(design: str, mg_mM: Any = 1.3, acsf: ACSF | None = None,
                    salt_forms: dict[str, str] | None = None, v_mV: float = -70.0) -> list[dict[str, Any]]:
    """One row per condition: totals, free Mg/Ca/Zn and the predicted NMDA current vs the reference.

    Parameters
    ----------
    design : str
        A design of :data:`DESIGNS`.
    mg_mM : float or Quantity
        As in :func:`condition_bath`.
    acsf : ACSF, optional
        Background bath.
    salt_forms : dict, optional
        Condition -> salt key overrides.
    v_mV : float
        Voltage of the NMDA prediction (mV); +40 mV is always reported too.

    Returns
    -------
    list of dict
        Keys: condition, design, salt, reference, total_mg_mM, citrate_mM, aspartate_mM, free_mg_mM,
        free_ca_mM, free_zn_percent, ionic_strength_M, nmda_vs_reference_<v>mV, nmda_vs_reference_+40mV.
    """
    _check_design(design)
    forms = salt_forms or {}
    conds = [CONTROL, MG_ASPARTATE, MG_CITRATE] + ([MG_MATCHED_CONTROL] if design == acute_added else [])
    baths = {c: condition_bath(c, design, mg_mM, forms.get(c), acsf) for c in conds}
    ref_name = reference_condition(design)
    ref = baths[ref_name]
    base = acsf if acsf is not None else standard_acsf()
    rows = []
    for c in conds:
        s = baths[c]
        rows.append({
            "condition": c, "design": design,
            "salt": "(none)" if design == chronic_oral or (design == acute_added and c == CONTROL)
            else _salt_for(c, forms.get(c), base),
            "reference": ref_name,
            "total_mg_mM": s.acsf.mg_mM, "citrate_mM": s.acsf.citrate_mM, "aspartate_mM": s.acsf.aspartate_mM,
            "free_mg_mM": s.free_mg_mM, "free_ca_mM": s.free_ca_mM,
            "free_zn_percent": 100.0 * s.free_zn_fraction, "ionic_strength_M": s.ionic_strength_M,
            f"nmda_vs_reference_{v_mV:+g}mV": nmda_ratio_vs_control(v_mV, s.free_mg_mM, ref.free_mg_mM),
            "nmda_vs_reference_+40mV": nmda_ratio_vs_control(40.0, s.free_mg_mM, ref.free_mg_mM),
        })
    return rows


# ---------------------------------------------------------------------------------------------- plans
@dataclass(frozen=True)
class FormMass:
    """Mass of one salt form to weigh."""

    key: str
    name: str
    formula: str
    molar_mass_g_per_mol: float
    mg_percent: float
    mass_g: float

    @property
    def mass_mg(self) -> float:
        """Mass in mg."""
        return self.mass_g * 1e3


@dataclass(frozen=True)
class SolutionPlan:
    """What to weigh for a Mg salt solution, and what the final bath will contain.

    Attributes
    ----------
    family, design : str
        Salt family and design.
    mg_mM, volume_L : float
        Mg delivered by the salt (mM) and final volume (L).
    forms : list of FormMass
        Every form of the family (anhydrous and hydrates) with its mass.
    anion, anion_added_mM : str, float
        Anion component and how much of it the salt adds (mM).
    final, reference : Speciation
        The final solution and the bath it is compared with (control, or Mg-matched control).
    notes : list of str
        Caveats (aspartate agonist load, chelation of Ca, acidification, chronic design).
    """

    family: str
    design: str
    mg_mM: float
    volume_L: float
    forms: list[FormMass]
    anion: str
    anion_added_mM: float
    final: Speciation
    reference: Speciation
    reference_label: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "family": self.family, "design": self.design, "mg_mM": self.mg_mM, "volume_L": self.volume_L,
            "forms": [{"key": f.key, "name": f.name, "formula": f.formula,
                       "molar_mass_g_per_mol": f.molar_mass_g_per_mol, "mg_percent": f.mg_percent,
                       "mass_g": f.mass_g, "mass_mg": f.mass_mg} for f in self.forms],
            "anion": self.anion, "anion_added_mM": self.anion_added_mM,
            "final": _brief(self.final), "reference": _brief(self.reference),
            "reference_label": self.reference_label,
            "nmda_vs_reference_-70mV": nmda_ratio_vs_control(-70.0, self.final.free_mg_mM, self.reference.free_mg_mM),
            "nmda_vs_reference_+40mV": nmda_ratio_vs_control(40.0, self.final.free_mg_mM, self.reference.free_mg_mM),
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        """A readable table of masses and free ions."""
        lines = [f"Solution plan: {self.family}, {self.mg_mM:g} mM Mg in {self.volume_L:g} L ({self.design})", "",
                 f"  {'form':<16} {'formula':<22} {'M (g/mol)':>10} {'% Mg':>6} {'mass (g)':>10} {'mass (mg)':>11}"]
        for f in self.forms:
            lines.append(f"  {f.key:<16} {f.formula:<22} {f.molar_mass_g_per_mol:>10.3f} {f.mg_percent:>6.2f} "
                         f"{f.mass_g:>10.4f} {f.mass_mg:>11.2f}")
        lines += ["", f"  anion added: {self.anion_added_mM:.3f} mM {self.anion}", "",
                  f"  {'bath':<40} {'free Mg (mM)':>12} {'free Ca (mM)':>12} {'free Zn (%)':>11} {'I (M)':>7}"]
        for label, s in (("final solution", self.final), (self.reference_label, self.reference)):
            lines.append(f"  {label:<40} {s.free_mg_mM:>12.3f} {s.free_ca_mM:>12.3f} "
                         f"{100 * s.free_zn_fraction:>11.1f} {s.ionic_strength_M:>7.3f}")
        d = self.as_dict()
        lines += ["", f"  NMDA current vs {self.reference_label} (Jahr-Stevens, free Mg): "
                      f"{d['nmda_vs_reference_-70mV']:.3f} at -70 mV, {d['nmda_vs_reference_+40mV']:.3f} at +40 mV"]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _brief(s: Speciation) -> dict[str, float]:
    return {"free_mg_mM": s.free_mg_mM, "free_ca_mM": s.free_ca_mM, "free_zn_nM": s.free_zn_nM,
            "free_zn_percent": 100 * s.free_zn_fraction, "ionic_strength_M": s.ionic_strength_M,
            "total_mg_mM": s.acsf.mg_mM, "citrate_mM": s.acsf.citrate_mM, "aspartate_mM": s.acsf.aspartate_mM}


def _notes(family: str, design: str, anion_mM: float) -> list[str]:
    notes = []
    if family == MG_ASPARTATE:
        notes.append(f"{anion_mM:.2g} mM L-aspartate is a saturating NMDA-receptor agonist load "
                     "(EC50 ~10-20 uM): expect an AP5-sensitive tonic current.")
    if family in (MG_CITRATE, "mg_hydrogen_citrate"):
        notes.append("citrate chelates Ca2+ as well as Mg2+ and Zn2+: compare free, not total, ions.")
    if family == "mg_hydrogen_citrate":
        notes.append("MgHC6H5O7 releases one H+ per formula unit: re-check and readjust the pH.")
    if design == chronic_oral:
        notes.append("chronic_oral: the salt is given to the animals; slices are recorded in the control "
                     "bath, so the final solution above is the control aCSF.")
    if design == acute_added:
        notes.append("acute_added: compare with the Mg-matched control, not with the plain aCSF.")
    return notes


def solution_plan(salt: str, mg_mM: Any, volume_L: float, design: str = acute_equal_total,
                  acsf: ACSF | None = None) -> SolutionPlan:
    """Masses to weigh for ``mg_mM`` of Mg in ``volume_L`` from each form of a salt family.

    Parameters
    ----------
    salt : str
        Family (``mg_aspartate``, ``mg_citrate``, ``mg_hydrogen_citrate``, ``mgso4``, ``mgcl2``) or a
        salt key (its family is used; the key's form is speciated).
    mg_mM : float or Quantity
        Mg the salt delivers (mM).
    volume_L : float
        Final volume (L), > 0.
    design : str
        One of :data:`DESIGNS`; decides the final bath and its reference (see :func:`condition_bath`).
    acsf : ACSF, optional
        Background bath (standard aCSF by default).

    Returns
    -------
    SolutionPlan

    Raises
    ------
    ProtocolError
        Unknown salt or design, negative Mg, or a non-positive volume.
    """
    _check_design(design)
    mg = _check_mg(mg_mM)
    if isinstance(volume_L, bool) or not isinstance(volume_L, int | float) or not math.isfinite(volume_L) \
            or volume_L <= 0:
        raise ProtocolError(f"volume must be a number of litres > 0, got {volume_L!r}", field="volume_L")
    family = salt if salt in SALT_FAMILIES else get_salt(salt).family
    chem_key = SALT_FAMILIES[family][0] if salt in SALT_FAMILIES else get_salt(salt).key
    forms = [SALTS[k] for k in SALT_FAMILIES[family]]
    form_masses = [FormMass(s.key, s.name, s.formula, s.molar_mass, 100 * s.mg_mass_fraction,
                            s.mass_g(mg, volume_L)) for s in forms]
    chem = SALTS[chem_key]
    base = acsf if acsf is not None else standard_acsf()
    if design == chronic_oral:
        final_acsf, ref_acsf, label = base, base, "control bath"
    elif design == acute_equal_total:
        final_acsf, ref_acsf, label = (base.without_mg().with_salt(chem.key, mg), base.with_mg(mg),
                                       f"control ({base.mg_salt} {mg:g} mM)")
    else:
        final_acsf, ref_acsf, label = (base.with_salt(chem.key, mg), base.with_salt(base.mg_salt, mg),
                                       f"Mg-matched control (+{mg:g} mM {base.mg_salt})")
    return SolutionPlan(family=family, design=design, mg_mM=mg, volume_L=float(volume_L), forms=form_masses,
                        anion=chem.anion, anion_added_mM=mg * chem.anion_per_mg,
                        final=speciate(final_acsf), reference=speciate(ref_acsf), reference_label=label,
                        notes=_notes(family, design, mg * chem.anion_per_mg))
