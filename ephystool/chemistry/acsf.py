"""Bath recipes: the :class:`ACSF` totals, presets and parsing from a YAML mapping."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import quantities as pq

from ephystool.chemistry.salts import SALTS, get_salt
from ephystool.errors import EphysError, ProtocolError
from ephystool.units import parse_quantity

__all__ = ["ACSF", "BUFFERS", "CHELATORS", "MG_SALTS", "standard_acsf", "hepes_saline", "to_mM"]

BUFFERS = ("bicarbonate", "hepes")
CHELATORS = ("none", "tricine_10mM", "caedta_100uM")
#: The Mg salt of the control bath, removed when a test salt replaces it at equal total Mg.
MG_SALTS = ("MgSO4", "MgCl2")

_TOTAL_FIELDS = ("ca_mM", "mg_mM", "sulfate_mM", "hco3_mM", "phosphate_mM", "cl_mM", "na_mM", "k_mM",
                 "glucose_mM", "hepes_mM", "citrate_mM", "aspartate_mM")


def to_mM(value: Any, name: str = "concentration") -> float:
    """A concentration as a float in mM: a :class:`quantities.Quantity`, a string ``"1.3 mM"``, or a float in mM."""
    if isinstance(value, bool):
        raise ProtocolError(f"{name}: expected a concentration such as '1.3 mM', got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(parse_quantity(value, "mM", name=name).magnitude)
    except EphysError as exc:
        raise ProtocolError(str(exc), field=name) from exc


@dataclass(frozen=True)
class ACSF:
    """Total composition of a bath (all concentrations in mM, Zn in nM).

    Attributes
    ----------
    ca_mM, mg_mM, sulfate_mM, hco3_mM, phosphate_mM, cl_mM, na_mM, k_mM : float
        Totals. ``hco3_mM`` is total inorganic carbon (CO2(aq) + HCO3- + CO3 2-), ``phosphate_mM``
        total orthophosphate.
    glucose_mM, hepes_mM : float
        Non-complexing solutes (HEPES counts towards the ionic strength).
    citrate_mM, aspartate_mM : float
        Organic anions already present (normally 0; test salts add them).
    ph : float
        pH (-log10 of the H+ activity), held fixed.
    temperature_C : float
        Recording temperature; the constants are 25 °C values (see :mod:`.constants`).
    zn_nM : float
        Total Zn (tracer).
    buffer : str
        ``'bicarbonate'`` or ``'hepes'``.
    chelator : str
        ``'none'``, ``'tricine_10mM'`` or ``'caedta_100uM'`` (adds 0.1 mM Ca and 0.1 mM EDTA).
    mg_salt : str
        The control Mg salt (``'MgSO4'`` or ``'MgCl2'``): what a test salt replaces at equal total Mg.
    """

    ca_mM: float = 0.0
    mg_mM: float = 0.0
    sulfate_mM: float = 0.0
    hco3_mM: float = 0.0
    phosphate_mM: float = 0.0
    cl_mM: float = 0.0
    na_mM: float = 0.0
    k_mM: float = 0.0
    glucose_mM: float = 0.0
    hepes_mM: float = 0.0
    citrate_mM: float = 0.0
    aspartate_mM: float = 0.0
    ph: float = 7.4
    temperature_C: float = 25.0
    zn_nM: float = 10.0
    buffer: str = "bicarbonate"
    chelator: str = "none"
    mg_salt: str = "MgSO4"

    def __post_init__(self) -> None:
        for name in (*_TOTAL_FIELDS, "zn_nM"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                raise ProtocolError(f"total must be a finite number >= 0, got {v!r}", field=name)
        if not 4.0 <= self.ph <= 10.0:
            raise ProtocolError(f"pH {self.ph} is outside 4-10; check the recipe", field="pH")
        if not -5.0 <= self.temperature_C <= 60.0:
            raise ProtocolError(f"temperature {self.temperature_C} °C is outside -5..60", field="temperature_C")
        for name, allowed in (("buffer", BUFFERS), ("chelator", CHELATORS), ("mg_salt", MG_SALTS)):
            if getattr(self, name) not in allowed:
                raise ProtocolError(f"expected one of {', '.join(allowed)}, got {getattr(self, name)!r}", field=name)

    # ------------------------------------------------------------------ derived recipes
    def with_salt(self, salt: str, mg_mM: float) -> ACSF:
        """A copy with ``mg_mM`` of Mg added as ``salt`` (its anion comes with it).

        Parameters
        ----------
        salt : str
            A key of :data:`ephystool.chemistry.salts.SALTS` (or a family name).
        mg_mM : float
            Mg added, mM (the salt's formula units are ``mg_mM / mg_per_fu``).
        """
        s = get_salt(salt)
        anion = mg_mM * s.anion_per_mg
        field = {"Asp": "aspartate_mM", "Cit": "citrate_mM", "SO4": "sulfate_mM", "Cl": "cl_mM"}[s.anion]
        return replace(self, mg_mM=self.mg_mM + mg_mM, **{field: getattr(self, field) + anion})

    def without_mg(self) -> ACSF:
        """A copy with the control Mg salt (``mg_salt``) and its anion taken out."""
        if self.mg_salt == "MgSO4":
            return replace(self, mg_mM=0.0, sulfate_mM=max(self.sulfate_mM - self.mg_mM, 0.0))
        return replace(self, mg_mM=0.0, cl_mM=max(self.cl_mM - 2.0 * self.mg_mM, 0.0))

    def with_mg(self, mg_mM: float) -> ACSF:
        """A copy whose control Mg salt is set to ``mg_mM``."""
        return self.without_mg().with_salt(self.mg_salt, mg_mM)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict of the fields."""
        return asdict(self)

    # ------------------------------------------------------------------ parsing
    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> ACSF:
        """Read an aCSF from a YAML (or JSON) mapping file with :func:`yaml.safe_load`; see :meth:`from_mapping`.

        Raises
        ------
        ProtocolError
            The file cannot be read, is not YAML, or holds an invalid composition (the message names
            the file and the key).
        """
        import yaml

        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ProtocolError(f"cannot read the aCSF file: {exc}", path=p) from exc
        except yaml.YAMLError as exc:
            raise ProtocolError(f"not valid YAML: {' '.join(str(exc).split())}", path=p) from exc
        try:
            return cls.from_mapping(data)
        except ProtocolError as exc:
            raise ProtocolError(exc.message, path=p) from exc

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ACSF:
        """Build a recipe from a mapping of reagent -> quantity string (as read from YAML).

        Parameters
        ----------
        mapping : Mapping
            Reagent keys with concentrations of the reagent (formula units), e.g.
            ``{"NaCl": "124 mM", "KCl": "2.5 mM", "MgSO4": "1.3 mM", "CaCl2": "2.0 mM",
            "NaHCO3": "26 mM", "NaH2PO4": "1.25 mM", "glucose": "10 mM", "pH": 7.4}``.
            Reagents: NaCl, KCl, CaCl2, MgSO4, MgCl2 (and their hydrates), NaHCO3, NaH2PO4,
            KH2PO4, Na2HPO4, NaOH, HEPES, glucose, ZnCl2 (or ``Zn``), any Mg salt of the salts
            table (Mg3Cit2, MgHCit, Mg(Asp)2, ...). Settings: ``pH``, ``temperature_C``,
            ``buffer``, ``chelator``, ``mg_salt``. A single top-level key ``acsf`` may wrap the mapping.

        Returns
        -------
        ACSF

        Raises
        ------
        ProtocolError
            Naming the key, for an unknown key, a value without a concentration unit, or a bad setting.
        """
        if not isinstance(mapping, Mapping):
            raise ProtocolError(f"aCSF recipe must be a mapping of reagent: '1.3 mM', got {type(mapping).__name__}")
        if set(mapping) == {"acsf"} and isinstance(mapping["acsf"], Mapping):
            mapping = mapping["acsf"]
        tot = dict.fromkeys(_TOTAL_FIELDS, 0.0)
        settings: dict[str, Any] = {}
        mg_salts_seen: list[str] = []
        for raw_key, value in mapping.items():
            key = str(raw_key).strip()
            if key in _SETTINGS:
                settings[_SETTINGS[key]] = _parse_setting(_SETTINGS[key], key, value)
                continue
            if key in ("Zn", "ZnCl2", "ZnSO4", "zn"):
                settings["zn_nM"] = _conc(key, value) * 1e6
                continue
            if key in _REAGENTS:
                c = _conc(key, value)
                for fld, n in _REAGENTS[key].items():
                    tot[fld] += n * c
                if key.startswith("MgCl2"):
                    mg_salts_seen.append("MgCl2")
                elif key.startswith("MgSO4"):
                    mg_salts_seen.append("MgSO4")
                continue
            try:
                salt = get_salt(key)
            except ProtocolError:
                known = sorted({*_REAGENTS, *SALTS, *_SETTINGS})
                raise ProtocolError(f"unknown reagent or setting; known: {', '.join(known)}", field=key) from None
            c = _conc(key, value) * salt.mg_per_fu      # formula units -> mM Mg
            tot["mg_mM"] += c
            fld = {"Asp": "aspartate_mM", "Cit": "citrate_mM", "SO4": "sulfate_mM", "Cl": "cl_mM"}[salt.anion]
            tot[fld] += c * salt.anion_per_mg
        settings.setdefault("buffer", "bicarbonate" if tot["hco3_mM"] > 0 or tot["hepes_mM"] == 0 else "hepes")
        if "mg_salt" not in settings and mg_salts_seen:
            settings["mg_salt"] = mg_salts_seen[0]
        return cls(**tot, **settings)


_SETTINGS = {"pH": "ph", "ph": "ph", "temperature_C": "temperature_C", "temperature": "temperature_C",
             "buffer": "buffer", "chelator": "chelator", "mg_salt": "mg_salt"}

#: Ions (mM per mM of reagent) of each anhydrous reagent.
_ANHYDROUS: dict[str, dict[str, float]] = {
    "NaCl": {"na_mM": 1, "cl_mM": 1},
    "KCl": {"k_mM": 1, "cl_mM": 1},
    "CaCl2": {"ca_mM": 1, "cl_mM": 2},
    "MgSO4": {"mg_mM": 1, "sulfate_mM": 1},
    "MgCl2": {"mg_mM": 1, "cl_mM": 2},
    "NaHCO3": {"na_mM": 1, "hco3_mM": 1},
    "NaH2PO4": {"na_mM": 1, "phosphate_mM": 1},
    "KH2PO4": {"k_mM": 1, "phosphate_mM": 1},
    "Na2HPO4": {"na_mM": 2, "phosphate_mM": 1},
    "NaOH": {"na_mM": 1},
    "HEPES": {"hepes_mM": 1},
    "glucose": {"glucose_mM": 1},
}
#: Other names of the same reagent (hydrates, stereo-isomer): concentrations are of the formula unit, so the
#: water of crystallisation changes the weighed mass, not the ions.
_SAME_IONS_AS = {"CaCl2.2H2O": "CaCl2", "MgSO4.7H2O": "MgSO4", "MgCl2.6H2O": "MgCl2", "NaH2PO4.H2O": "NaH2PO4",
                 "D-glucose": "glucose"}
_REAGENTS: dict[str, dict[str, float]] = {**_ANHYDROUS, **{k: _ANHYDROUS[v] for k, v in _SAME_IONS_AS.items()}}


def _conc(key: str, value: Any) -> float:
    if isinstance(value, pq.Quantity | str):
        try:
            c = float(parse_quantity(value, "mM", name=key).magnitude)
        except EphysError as exc:
            raise ProtocolError(f"{exc.message}; write e.g. '1.3 mM'", field=key) from exc
    else:
        raise ProtocolError(f"expected a concentration with a unit such as '1.3 mM', got {value!r}", field=key)
    if not math.isfinite(c) or c < 0:
        raise ProtocolError(f"concentration must be >= 0, got {value!r}", field=key)
    return c


def _parse_setting(name: str, key: str, value: Any) -> Any:
    if name in ("ph", "temperature_C"):
        try:
            v = float(str(value).replace("degC", "").replace("°C", "").strip())
        except ValueError:
            raise ProtocolError(f"expected a number, got {value!r}", field=key) from None
        if not math.isfinite(v):
            raise ProtocolError(f"expected a finite number, got {value!r}", field=key)
        return v
    if not isinstance(value, str):
        raise ProtocolError(f"expected a string, got {value!r}", field=key)
    return value


def standard_acsf() -> ACSF:
    """The reference bicarbonate aCSF of SCIENCE.md 1d with 1.3 mM MgSO4.

    NaCl 123.5, KCl 2.5, CaCl2 2.0, MgSO4 1.3, NaHCO3 26, NaH2PO4 1.25, glucose 10 mM
    (Cl- 130 mM), pH 7.4, 25 °C, 10 nM Zn tracer, no chelator.
    """
    return ACSF(ca_mM=2.0, mg_mM=1.3, sulfate_mM=1.3, hco3_mM=26.0, phosphate_mM=1.25, cl_mM=130.0,
                na_mM=123.5 + 26.0 + 1.25, k_mM=2.5, glucose_mM=10.0, ph=7.4, temperature_C=25.0,
                zn_nM=10.0, buffer="bicarbonate", chelator="none", mg_salt="MgSO4")


def hepes_saline() -> ACSF:
    """HEPES-buffered saline (no bicarbonate or phosphate) with 1.0 mM MgCl2.

    NaCl 140, KCl 2.5, CaCl2 2.0, MgCl2 1.0, HEPES 10 (titrated to pH 7.4 with about 4.4 mM NaOH),
    glucose 10 mM, 25 °C, 10 nM Zn tracer.
    """
    return ACSF(ca_mM=2.0, mg_mM=1.0, cl_mM=140.0 + 2.5 + 4.0 + 2.0, na_mM=140.0 + 4.4, k_mM=2.5,
                glucose_mM=10.0, hepes_mM=10.0, ph=7.4, temperature_C=25.0, zn_nM=10.0,
                buffer="hepes", chelator="none", mg_salt="MgCl2")
