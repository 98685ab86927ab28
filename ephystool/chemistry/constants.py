"""One cited table of equilibrium constants for aCSF speciation (25 °C).

Every reaction is written as a *formation from the free components*::

    sum(nu_j * X_j) + h * H+ (+ fixed major ions) = complex        log10(beta)

Components solved by mass balance: Mg2+, Ca2+, Zn2+, citrate (Cit3-), L-aspartate (Asp2-),
SO4 2-, CO3 2-, PO4 3-, EDTA (Edta4-). H+ is fixed by the pH (an *activity*); Na+, K+ and Cl-
are major ions whose free concentration is taken equal to their total (they are > 1000x in
excess of every ligand or metal they could bind here, so the error is < 0.1 %).

Sources (tag as in ``/shared/design/SCIENCE.md`` 1c):

* ``minteq.v4`` -- PHREEQC ``database/minteq.v4.dat`` (NIST46.2/46.3/46.4 critical constants, I = 0,
  25 °C); the NIST revision is given per entry as the database records it.
* ``MetaboMgITC / NIST46 (I=0.1)`` and ``MMInter`` -- aspartate constants, measured at I = 0.1; they are
  converted to I = 0 with the Davies equation at I = 0.1 when the table is loaded (see
  :func:`ephystool.chemistry.speciation.thermodynamic_log_k`). The amino-acid constants are
  concentration constants (p[H]); we treat them as such, which is the usual approximation (±0.02).

Choices between alternatives listed in SCIENCE.md 1c (all documented, none tuned to the reference):

* Mg-citrate / Ca-citrate: the I = 0 minteq values (4.89 / 4.87) are used, because every other
  inorganic constant is an I = 0 value and Davies brings them to 3.44 / 3.42 at I = 0.16 -- the same
  as the I = 0.1 literature values (3.43 / 3.45). The apparent K_D 6.0e-4 M (log 3.22) is *not* used.
* Mg-aspartate: 2.43 (upper end of "2.4-2.43"; the difference is < 0.2 % of free Mg).
* Mg-H-aspartate (MgHL, Mg2+ + HAsp- = MgHAsp+): 0.871, measured at 37 °C, I = 0.15 (Berthon); used
  as if at 25 °C, I = 0.15 (it contributes ~1.5 % of total Mg at 2.6 mM Asp).
* Zn-aspartate: 5.84 at 30 °C, I = 0.1 (MMInter), used as if at 25 °C.
* Carbonate: total inorganic carbon C_T = the "HCO3-" total of the recipe (26 mM), with pH fixed
  (a closed system at the stated pH; CO2 exchange only sets that pH).

Omitted on purpose (with the reason):

* Zn-phosphate: minteq.v4 has no ZnHPO4 / ZnPO4- entry and SCIENCE.md cites none.
* CaPO4-, CaH2PO4+, MgPO4-, MgH2PO4+ (minteq): each < 0.5 % of total Ca or Mg at 1.25 mM phosphate,
  pH 7.4; the reference computation (SCIENCE.md 1d) lists only MgHPO4 / CaHPO4.
* Na+ / K+ complexes of sulfate, carbonate and phosphate (NaSO4-, NaHCO3, NaCO3-, NaHPO4-, KSO4-):
  not part of the reference model; they would lower free CO3 2- by ~20 %.
* Mg2+ and Ca2+ chloride complexes: minteq.v4 has none (and HEPES saline, SCIENCE.md 1d, shows
  free Mg = total Mg, free Ca = total Ca). Zn2+ chloride complexes (NIST46.3) are included.
* HEPES and glucose: assumed non-complexing. HEPES only enters the ionic strength.
* Tricine: no cited Zn/Mg/Ca constants, so the 'tricine_10mM' chelator is rejected by speciate().
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "COMPONENTS",
    "FIXED_IONS",
    "CHARGES",
    "Reaction",
    "REACTIONS",
    "DAVIES_A_25C",
    "HEPES_PKA",
]

#: Components solved by mass balance, with the charge of the free form.
COMPONENTS: tuple[str, ...] = ("Mg", "Ca", "Zn", "Cit", "Asp", "SO4", "CO3", "PO4", "Edta")
#: Ions held at a fixed free concentration (H+ as an activity from the pH).
FIXED_IONS: tuple[str, ...] = ("H", "Na", "K", "Cl")
CHARGES: dict[str, int] = {
    "Mg": 2, "Ca": 2, "Zn": 2, "Cit": -3, "Asp": -2, "SO4": -2, "CO3": -2, "PO4": -3, "Edta": -4,
    "H": 1, "Na": 1, "K": 1, "Cl": -1,
}

#: Davies/Debye-Hueckel A parameter in water at 25 °C (log10 units, mol/L).
DAVIES_A_25C = 0.509
#: HEPES pKa at 25 °C (Good et al. 1966) [M]; used only for the ionic strength of HEPES saline.
HEPES_PKA = 7.5


@dataclass(frozen=True)
class Reaction:
    """One formation reaction of a complex from free components.

    Attributes
    ----------
    species : str
        The complex, e.g. ``"MgCit-"``.
    stoich : dict
        Component (or fixed ion other than H) -> stoichiometric coefficient.
    h : int
        Number of H+ consumed (negative: released, e.g. hydrolysis).
    log_k : float
        log10 of the overall formation constant at ``ionic_strength`` (25 °C unless noted).
    ionic_strength : float
        I (mol/L) at which ``log_k`` was measured; 0 for thermodynamic constants.
    source : str
        Citation tag (see the module docstring).
    """

    species: str
    stoich: dict[str, int]
    h: int
    log_k: float
    ionic_strength: float
    source: str
    note: str = field(default="")

    @property
    def charge(self) -> int:
        """Charge of the complex, from the charges of its constituents."""
        return sum(CHARGES[c] * n for c, n in self.stoich.items()) + self.h


def _r(species: str, stoich: dict[str, int], h: int, log_k: float, source: str, ionic_strength: float = 0.0,
       note: str = "") -> Reaction:
    return Reaction(species, stoich, h, log_k, ionic_strength, source, note)


_MQ = "minteq.v4"
#: The constants table. Do not edit a value without editing its source tag.
REACTIONS: tuple[Reaction, ...] = (
    # --- protonation of ligands (cumulative) -----------------------------------------------------
    _r("HCit2-", {"Cit": 1}, 1, 6.396, f"{_MQ} NIST46.2 (pKa3 6.396)"),
    _r("H2Cit-", {"Cit": 1}, 2, 6.396 + 4.761, f"{_MQ} NIST46.2 (pKa2 4.761)"),
    _r("H3Cit", {"Cit": 1}, 3, 6.396 + 4.761 + 3.128, f"{_MQ} NIST46.2 (pKa1 3.128)"),
    _r("HAsp-", {"Asp": 1}, 1, 9.63, "NIST46 via MMInter/MetaboMgITC (pKa 9.63)", 0.1),
    _r("H2Asp", {"Asp": 1}, 2, 9.63 + 3.70, "NIST46 via MMInter/MetaboMgITC (pKa 3.70)", 0.1),
    _r("H3Asp+", {"Asp": 1}, 3, 9.63 + 3.70 + 1.93, "NIST46 via MMInter/MetaboMgITC (pKa 1.93)", 0.1),
    _r("HSO4-", {"SO4": 1}, 1, 1.99, f"{_MQ} NIST46.3"),
    _r("HCO3-", {"CO3": 1}, 1, 10.329, f"{_MQ} NIST46.4"),
    _r("H2CO3", {"CO3": 1}, 2, 16.681, f"{_MQ} NIST46.4 (H2CO3* = CO2(aq) + H2CO3)"),
    _r("HPO4-2", {"PO4": 1}, 1, 12.375, f"{_MQ} NIST46.3"),
    _r("H2PO4-", {"PO4": 1}, 2, 19.573, f"{_MQ} NIST46.3"),
    _r("H3PO4", {"PO4": 1}, 3, 21.721, f"{_MQ} NIST46.3"),
    _r("HEdta3-", {"Edta": 1}, 1, 10.948, f"{_MQ} NIST46.2"),
    _r("H2Edta2-", {"Edta": 1}, 2, 17.221, f"{_MQ} NIST46.2"),
    _r("H3Edta-", {"Edta": 1}, 3, 20.34, f"{_MQ} NIST46.2"),
    _r("H4Edta", {"Edta": 1}, 4, 22.5, f"{_MQ} NIST46.2"),
    # --- citrate ---------------------------------------------------------------------------------
    _r("MgCit-", {"Mg": 1, "Cit": 1}, 0, 4.89, f"{_MQ} (3.43 at I=0.1, MetaboMgITC)"),
    _r("MgHCit", {"Mg": 1, "Cit": 1}, 1, 8.91, _MQ),
    _r("CaCit-", {"Ca": 1, "Cit": 1}, 0, 4.87, f"{_MQ} (alternatives 3.45/3.5 at I=0.1, 3.22 apparent: not used)"),
    _r("CaHCit", {"Ca": 1, "Cit": 1}, 1, 9.26, _MQ),
    _r("ZnCit-", {"Zn": 1, "Cit": 1}, 0, 6.21, _MQ),
    _r("Zn(Cit)2-4", {"Zn": 1, "Cit": 2}, 0, 7.4, f"{_MQ} (beta2)"),
    _r("ZnHCit", {"Zn": 1, "Cit": 1}, 1, 10.2, _MQ),
    # --- L-aspartate (I = 0.1 values, converted on load) ----------------------------------------
    _r("MgAsp", {"Mg": 1, "Asp": 1}, 0, 2.43, "MetaboMgITC / NIST46 (2.4-2.43, I=0.1)", 0.1),
    _r("MgHAsp+", {"Mg": 1, "Asp": 1}, 1, 9.63 + 0.871, "Berthon MgHL 0.871 (37 °C, I=0.15) + pKa 9.63", 0.15,
       note="Mg2+ + HAsp- = MgHAsp+, log K 0.871"),
    _r("CaAsp", {"Ca": 1, "Asp": 1}, 0, 1.6, "MMInter Interaction_coefficients (I=0.1)", 0.1),
    _r("ZnAsp", {"Zn": 1, "Asp": 1}, 0, 5.84, "MMInter Interaction_coefficients (30 °C, I=0.1)", 0.1),
    # --- sulfate ---------------------------------------------------------------------------------
    _r("MgSO4", {"Mg": 1, "SO4": 1}, 0, 2.26, f"{_MQ} NIST46.3"),
    _r("CaSO4", {"Ca": 1, "SO4": 1}, 0, 2.36, f"{_MQ} NIST46.3"),
    _r("ZnSO4", {"Zn": 1, "SO4": 1}, 0, 2.34, f"{_MQ} NIST46.3"),
    # --- carbonate -------------------------------------------------------------------------------
    _r("MgHCO3+", {"Mg": 1, "CO3": 1}, 1, 11.339, f"{_MQ} NIST46.3"),
    _r("CaHCO3+", {"Ca": 1, "CO3": 1}, 1, 11.599, f"{_MQ} NIST46.3"),
    _r("ZnHCO3+", {"Zn": 1, "CO3": 1}, 1, 11.829, f"{_MQ} NIST46.4"),
    _r("MgCO3", {"Mg": 1, "CO3": 1}, 0, 2.92, f"{_MQ} NIST46.3"),
    _r("CaCO3", {"Ca": 1, "CO3": 1}, 0, 3.2, f"{_MQ} NIST46.3"),
    _r("ZnCO3", {"Zn": 1, "CO3": 1}, 0, 4.76, f"{_MQ} NIST46.4"),
    # --- phosphate -------------------------------------------------------------------------------
    _r("MgHPO4", {"Mg": 1, "PO4": 1}, 1, 15.175, f"{_MQ} NIST46.3"),
    _r("CaHPO4", {"Ca": 1, "PO4": 1}, 1, 15.035, f"{_MQ} NIST46.3"),
    # --- hydrolysis ------------------------------------------------------------------------------
    _r("MgOH+", {"Mg": 1}, -1, -11.397, f"{_MQ} NIST46.3"),
    _r("CaOH+", {"Ca": 1}, -1, -12.697, f"{_MQ} NIST46.3"),
    _r("ZnOH+", {"Zn": 1}, -1, -8.997, f"{_MQ} NIST46.3"),
    _r("Zn(OH)2", {"Zn": 1}, -2, -17.794, f"{_MQ} NIST46.3"),
    _r("Zn(OH)3-", {"Zn": 1}, -3, -28.091, f"{_MQ} NIST46.3"),
    # --- chloride (Zn only; no Mg/Ca chloride complexes in minteq.v4) ----------------------------
    _r("ZnCl+", {"Zn": 1, "Cl": 1}, 0, 0.4, f"{_MQ} NIST46.3"),
    _r("ZnCl2", {"Zn": 1, "Cl": 2}, 0, 0.6, f"{_MQ} NIST46.3"),
    _r("ZnCl3-", {"Zn": 1, "Cl": 3}, 0, 0.5, f"{_MQ} MTQ3.11"),
    _r("ZnCl4-2", {"Zn": 1, "Cl": 4}, 0, 0.199, f"{_MQ} MTQ3.11"),
    # --- EDTA (only with chelator='caedta_100uM') ------------------------------------------------
    _r("MgEdta2-", {"Mg": 1, "Edta": 1}, 0, 10.57, f"{_MQ} NIST46.2"),
    _r("MgHEdta-", {"Mg": 1, "Edta": 1}, 1, 14.97, f"{_MQ} NIST46.2"),
    _r("CaEdta2-", {"Ca": 1, "Edta": 1}, 0, 12.42, f"{_MQ} NIST46.2"),
    _r("CaHEdta-", {"Ca": 1, "Edta": 1}, 1, 15.9, f"{_MQ} NIST46.2"),
    _r("ZnEdta2-", {"Zn": 1, "Edta": 1}, 0, 18.0, f"{_MQ} NIST46.2"),
    _r("ZnHEdta-", {"Zn": 1, "Edta": 1}, 1, 21.4, f"{_MQ} NIST46.2"),
    _r("NaEdta3-", {"Na": 1, "Edta": 1}, 0, 2.7, f"{_MQ} NIST46.2"),
    _r("KEdta3-", {"K": 1, "Edta": 1}, 0, 1.7, f"{_MQ} NIST46.2"),
)
