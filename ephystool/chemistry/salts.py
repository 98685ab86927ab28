"""Magnesium salts: molar masses from atomic weights, stoichiometry, masses to weigh.

Molar masses are computed from IUPAC 2021 abridged standard atomic weights (conventional values
for H, C, N, O, Mg, S, Cl), never typed in as totals, so hydrates and anhydrous forms stay
consistent. Commercial "magnesium aspartate" is Mg(L-Asp)2 (usually the dihydrate) and
"magnesium citrate" is trimagnesium dicitrate Mg3(C6H5O7)2 (anhydrous or nonahydrate); the 1:1
magnesium hydrogen citrate MgHC6H5O7 is listed separately because its citrate:Mg ratio differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ephystool.core.vocabulary import MG_ASPARTATE, MG_CITRATE
from ephystool.errors import ProtocolError

__all__ = [
    "ATOMIC_WEIGHTS",
    "Salt",
    "SALTS",
    "SALT_FAMILIES",
    "get_salt",
    "molar_mass",
]

#: IUPAC 2021 abridged standard atomic weights (g/mol); conventional values where IUPAC gives an interval.
ATOMIC_WEIGHTS: dict[str, float] = {
    "H": 1.008, "C": 12.011, "N": 14.007, "O": 15.999, "Na": 22.990, "Mg": 24.305,
    "P": 30.974, "S": 32.06, "Cl": 35.45, "K": 39.098, "Ca": 40.078, "Zn": 65.38,
}


def molar_mass(composition: dict[str, int]) -> float:
    """Molar mass (g/mol) of an element -> count mapping."""
    return sum(ATOMIC_WEIGHTS[el] * n for el, n in composition.items())


def _add(*parts: tuple[dict[str, int], int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for comp, mult in parts:
        for el, n in comp.items():
            out[el] = out.get(el, 0) + n * mult
    return out


_WATER = {"H": 2, "O": 1}
_ASP = {"C": 4, "H": 6, "N": 1, "O": 4}      # L-aspartate(1-), C4H6NO4
_CIT = {"C": 6, "H": 5, "O": 7}              # citrate(3-), C6H5O7
_SO4 = {"S": 1, "O": 4}
_MG = {"Mg": 1}


@dataclass(frozen=True)
class Salt:
    """One solid Mg salt.

    Attributes
    ----------
    key : str
        ASCII key used in the API and on the command line, e.g. ``"Mg3Cit2.9H2O"``.
    name : str
        Human-readable name.
    formula : str
        Display formula.
    composition : dict
        Element -> atoms per formula unit (including water of hydration).
    family : str
        ``mg_aspartate``, ``mg_citrate``, ``mg_hydrogen_citrate``, ``mgso4`` or ``mgcl2``.
    mg_per_fu : int
        Mg atoms per formula unit.
    anion : str
        Speciation component of the anion: ``Asp``, ``Cit``, ``SO4`` or ``Cl``.
    anion_per_fu : int
        Anions per formula unit.
    waters : int
        Water of hydration per formula unit.
    """

    key: str
    name: str
    formula: str
    composition: dict[str, int]
    family: str
    mg_per_fu: int
    anion: str
    anion_per_fu: int
    waters: int = 0

    @property
    def molar_mass(self) -> float:
        """Molar mass in g/mol, from :data:`ATOMIC_WEIGHTS`."""
        return molar_mass(self.composition)

    @property
    def anion_per_mg(self) -> float:
        """Anions delivered per Mg (2 for Mg(Asp)2, 2/3 for Mg3Cit2, 1 for MgHCit)."""
        return self.anion_per_fu / self.mg_per_fu

    @property
    def mg_mass_fraction(self) -> float:
        """Mass fraction of Mg in the solid (0-1)."""
        return self.mg_per_fu * ATOMIC_WEIGHTS["Mg"] / self.molar_mass

    def mass_g(self, mg_mM: float, volume_L: float) -> float:
        """Mass (g) to weigh for a target Mg concentration: m = c_Mg / (Mg per f.u.) * V * M.

        Parameters
        ----------
        mg_mM : float
            Target Mg concentration contributed by this salt, mM.
        volume_L : float
            Final volume, L.
        """
        return mg_mM * 1e-3 / self.mg_per_fu * volume_L * self.molar_mass


def _salt(key: str, name: str, formula: str, parts: list[tuple[dict[str, int], int]], family: str,
          mg: int, anion: str, n_anion: int, waters: int = 0) -> Salt:
    comp = _add(*parts, (_WATER, waters))
    comp = {el: n for el, n in comp.items() if n}
    return Salt(key, name, formula, comp, family, mg, anion, n_anion, waters)


#: The salts table, keyed by :attr:`Salt.key`.
SALTS: dict[str, Salt] = {s.key: s for s in (
    _salt("Mg(Asp)2", "magnesium L-aspartate (anhydrous)", "Mg(C4H6NO4)2",
          [(_MG, 1), (_ASP, 2)], MG_ASPARTATE, 1, "Asp", 2),
    _salt("Mg(Asp)2.2H2O", "magnesium L-aspartate dihydrate", "Mg(C4H6NO4)2·2H2O",
          [(_MG, 1), (_ASP, 2)], MG_ASPARTATE, 1, "Asp", 2, waters=2),
    _salt("Mg3Cit2", "trimagnesium dicitrate (anhydrous)", "Mg3(C6H5O7)2",
          [(_MG, 3), (_CIT, 2)], MG_CITRATE, 3, "Cit", 2),
    _salt("Mg3Cit2.9H2O", "trimagnesium dicitrate nonahydrate", "Mg3(C6H5O7)2·9H2O",
          [(_MG, 3), (_CIT, 2)], MG_CITRATE, 3, "Cit", 2, waters=9),
    _salt("MgHCit", "magnesium hydrogen citrate (anhydrous)", "MgHC6H5O7",
          [(_MG, 1), (_CIT, 1), ({"H": 1}, 1)], "mg_hydrogen_citrate", 1, "Cit", 1),
    _salt("MgSO4", "magnesium sulfate (anhydrous)", "MgSO4",
          [(_MG, 1), (_SO4, 1)], "mgso4", 1, "SO4", 1),
    _salt("MgSO4.7H2O", "magnesium sulfate heptahydrate", "MgSO4·7H2O",
          [(_MG, 1), (_SO4, 1)], "mgso4", 1, "SO4", 1, waters=7),
    _salt("MgCl2", "magnesium chloride (anhydrous)", "MgCl2",
          [(_MG, 1), ({"Cl": 2}, 1)], "mgcl2", 1, "Cl", 2),
    _salt("MgCl2.6H2O", "magnesium chloride hexahydrate", "MgCl2·6H2O",
          [(_MG, 1), ({"Cl": 2}, 1)], "mgcl2", 1, "Cl", 2, waters=6),
)}

#: Salt family -> its forms, the form used for speciation (the chemistry is the same for all hydrates) first.
SALT_FAMILIES: dict[str, tuple[str, ...]] = {
    MG_ASPARTATE: ("Mg(Asp)2", "Mg(Asp)2.2H2O"),
    MG_CITRATE: ("Mg3Cit2", "Mg3Cit2.9H2O"),
    "mg_hydrogen_citrate": ("MgHCit",),
    "mgso4": ("MgSO4", "MgSO4.7H2O"),
    "mgcl2": ("MgCl2.6H2O", "MgCl2"),
}

_ALIASES = {k.lower(): k for k in SALTS} | {
    "mg3(c6h5o7)2": "Mg3Cit2", "mghc6h5o7": "MgHCit", "mg(c4h6no4)2": "Mg(Asp)2",
    "mgso4·7h2o": "MgSO4.7H2O", "mgcl2·6h2o": "MgCl2.6H2O", "mg3cit2·9h2o": "Mg3Cit2.9H2O",
    "mg(asp)2·2h2o": "Mg(Asp)2.2H2O",
}


def get_salt(key: str) -> Salt:
    """Look a salt up by key (case-insensitive; ``·`` accepted for ``.``) or by family name.

    A family name (``"mg_citrate"``) returns its first form.

    Raises
    ------
    ProtocolError
        If the name is unknown; the message lists the known keys.
    """
    if key in SALT_FAMILIES:
        return SALTS[SALT_FAMILIES[key][0]]
    canon = _ALIASES.get(key.strip().lower())
    if canon is None:
        raise ProtocolError(
            f"unknown salt '{key}'; expected one of {', '.join(SALTS)} or a family {', '.join(SALT_FAMILIES)}")
    return SALTS[canon]
