"""Equilibrium speciation of an aCSF: free Mg2+, Ca2+ and Zn2+ with Davies activity corrections.

Model
-----
For each complex s, ``c_s = beta0_s * prod_j (gamma_j c_j)^nu_sj * a_H^h_s / gamma_s`` with the
constants of :mod:`ephystool.chemistry.constants` (I = 0, 25 °C). The free concentrations c_j of the
components solve the mass balances ``sum_s nu_sj c_s = T_j``. In log variables this is the
minimisation of the convex function ``f(x) = sum_s c_s(x) - T . x`` (x = ln c), so a damped Newton
iteration with a line search converges from any start, for any positive totals (0 to 20 mM and more).
The ionic strength I = 1/2 sum c z^2 (all species, plus Na+, K+, Cl- and HEPES-) is iterated to
self-consistency around the solve. Activity coefficients: Davies, log gamma = -A z^2 (sqrt(I)/(1 +
sqrt(I)) - 0.3 I), A = 0.509 (25 °C); reliable to I of about 0.3-0.5 M.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import quantities as pq

from ephystool.chemistry.acsf import ACSF, to_mM
from ephystool.chemistry.constants import CHARGES, COMPONENTS, DAVIES_A_25C, HEPES_PKA, REACTIONS, Reaction
from ephystool.chemistry.salts import get_salt
from ephystool.errors import AnalysisError, ProtocolError

__all__ = ["Speciation", "speciate", "davies_log_gamma", "thermodynamic_log_k"]

_LN10 = math.log(10.0)
_ZN_TRACER_M = 1e-15          # used when zn_nM == 0, so that the free fraction is still defined


def davies_log_gamma(z: int | np.ndarray, ionic_strength: float, a: float = DAVIES_A_25C) -> Any:
    """log10 activity coefficient from the Davies equation.

    Parameters
    ----------
    z : int or ndarray
        Charge(s).
    ionic_strength : float
        I in mol/L.
    a : float
        Debye-Hueckel A (0.509 at 25 °C).
    """
    s = math.sqrt(max(ionic_strength, 0.0))
    return -a * np.square(z) * (s / (1.0 + s) - 0.3 * ionic_strength)


def thermodynamic_log_k(r: Reaction) -> float:
    """log10 beta at I = 0 of a reaction, converting I > 0 values with Davies at that I."""
    if r.ionic_strength == 0:
        return r.log_k
    lg = lambda z: float(davies_log_gamma(z, r.ionic_strength))  # noqa: E731
    reactants = sum(n * lg(CHARGES[c]) for c, n in r.stoich.items()) + r.h * lg(1)
    return r.log_k + lg(r.charge) - reactants


@dataclass(frozen=True)
class Speciation:
    """Result of :func:`speciate`.

    Attributes
    ----------
    free_mg_mM, free_ca_mM : float
        Free (uncomplexed) Mg2+ and Ca2+ concentrations, mM.
    free_zn_nM : float
        Free Zn2+, nM.
    free_zn_fraction : float
        Free / total Zn (0-1); defined even for a zero Zn total (trace limit).
    ionic_strength_M : float
        Self-consistent ionic strength, mol/L.
    species : dict
        Every species (free components, complexes, fixed ions) -> concentration in mM.
    totals : dict
        Component totals in mM (Zn in mM too).
    acsf : ACSF
        The bath that was speciated.
    """

    free_mg_mM: float
    free_ca_mM: float
    free_zn_nM: float
    free_zn_fraction: float
    ionic_strength_M: float
    species: dict[str, float] = field(repr=False)
    totals: dict[str, float] = field(repr=False)
    acsf: ACSF = field(repr=False)

    @property
    def free_mg(self) -> pq.Quantity:
        """Free Mg2+ as a quantity in mM."""
        return self.free_mg_mM * pq.mmol / pq.L

    @property
    def free_ca(self) -> pq.Quantity:
        """Free Ca2+ as a quantity in mM."""
        return self.free_ca_mM * pq.mmol / pq.L

    @property
    def free_zn(self) -> pq.Quantity:
        """Free Zn2+ as a quantity in nM."""
        return self.free_zn_nM * pq.nmol / pq.L

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict: free ions, ionic strength, totals (``total_<X>_mM``) and species (``species``)."""
        out: dict[str, Any] = {
            "free_mg_mM": self.free_mg_mM,
            "free_ca_mM": self.free_ca_mM,
            "free_zn_nM": self.free_zn_nM,
            "free_zn_percent": 100.0 * self.free_zn_fraction,
            "ionic_strength_M": self.ionic_strength_M,
            "pH": self.acsf.ph,
        }
        out.update({f"total_{k}_mM": v for k, v in self.totals.items()})
        out["species_mM"] = dict(self.species)
        return out


# ---------------------------------------------------------------------------------------------- model
@dataclass(frozen=True)
class _Model:
    names: tuple[str, ...]          # species names; the first len(COMPONENTS) are the free components
    nu: np.ndarray                  # (n_species, n_comp) stoichiometry over solved components
    h: np.ndarray                   # (n_species,) H+ count
    fixed: dict[str, np.ndarray]    # fixed ion -> (n_species,) count
    z: np.ndarray                   # (n_species,) charge
    log_beta0: np.ndarray           # (n_species,) log10 beta at I = 0


def _build_model() -> _Model:
    n = len(COMPONENTS)
    names = [f"{c}" for c in COMPONENTS]
    rows = [np.eye(n)[i] for i in range(n)]
    h = [0] * n
    fixed = {f: [0] * n for f in ("Na", "K", "Cl")}
    z = [CHARGES[c] for c in COMPONENTS]
    lb = [0.0] * n
    for r in REACTIONS:
        names.append(r.species)
        rows.append(np.array([r.stoich.get(c, 0) for c in COMPONENTS], dtype=float))
        h.append(r.h)
        for f in fixed:
            fixed[f].append(r.stoich.get(f, 0))
        z.append(r.charge)
        lb.append(thermodynamic_log_k(r))
    return _Model(tuple(names), np.array(rows), np.array(h, float), {k: np.array(v, float) for k, v in fixed.items()},
                  np.array(z, float), np.array(lb))


_MODEL = _build_model()


def _solve_fixed_i(ln_k: np.ndarray, nu: np.ndarray, totals: np.ndarray, x0: np.ndarray,
                   tol: float = 1e-10, max_iter: int = 300) -> np.ndarray:
    """Minimise sum(exp(ln_k + nu x)) - totals . x by damped Newton; return x = ln(free)."""
    x = x0.copy()

    def conc(xv: np.ndarray) -> np.ndarray:
        return np.exp(np.minimum(ln_k + nu @ xv, 60.0))

    c = conc(x)
    for _ in range(max_iter):
        g = nu.T @ c - totals
        rel = np.abs(g) / totals
        if rel.max() < tol:
            return x
        hess = (nu.T * c) @ nu
        d = np.sqrt(np.diag(hess))
        step = -np.linalg.solve(hess / np.outer(d, d), g / d) / d
        big = np.abs(step).max()
        if big > 8.0:
            step *= 8.0 / big
        f0 = c.sum() - totals @ x
        slope = g @ step
        t = 1.0
        while True:
            xn = x + t * step
            cn = conc(xn)
            fn = cn.sum() - totals @ xn
            if fn <= f0 + 1e-4 * t * slope or t < 1e-10:
                break
            rel_n = np.abs(nu.T @ cn - totals) / totals
            if rel_n.max() < rel.max() and fn <= f0 + 1e-12 * abs(f0):   # round-off near the optimum
                break
            t *= 0.5
        x, c = xn, cn
    rel = np.abs(nu.T @ c - totals) / totals
    if rel.max() < 1e-7:  # stalled at round-off (seen at 4e-10): mass balance holds far below any real precision
        return x
    raise AnalysisError(f"speciation did not converge (worst relative mass-balance error {rel.max():.2e})")


def _component_totals_M(acsf: ACSF) -> dict[str, float]:
    edta = 1e-4 if acsf.chelator == "caedta_100uM" else 0.0
    return {
        "Mg": acsf.mg_mM * 1e-3, "Ca": acsf.ca_mM * 1e-3 + edta, "Zn": acsf.zn_nM * 1e-9,
        "Cit": acsf.citrate_mM * 1e-3, "Asp": acsf.aspartate_mM * 1e-3, "SO4": acsf.sulfate_mM * 1e-3,
        "CO3": acsf.hco3_mM * 1e-3, "PO4": acsf.phosphate_mM * 1e-3, "Edta": edta,
    }


def _speciate_acsf(acsf: ACSF) -> Speciation:
    if acsf.chelator == "tricine_10mM":
        raise ProtocolError("tricine is not modelled: no cited Zn/Mg/Ca-tricine constants in the table; "
                            "use chelator 'caedta_100uM' or 'none'", field="chelator")
    m = _MODEL
    tot_m = _component_totals_M(acsf)
    zn_given = tot_m["Zn"] > 0
    if not zn_given:
        tot_m["Zn"] = _ZN_TRACER_M
    totals = np.array([tot_m[c] for c in COMPONENTS])
    active = totals > 0
    keep = ~np.any(m.nu[:, ~active] > 0, axis=1)            # species made only of present components
    nu = m.nu[keep][:, active]
    fixed_c = {"Na": acsf.na_mM * 1e-3, "K": acsf.k_mM * 1e-3, "Cl": acsf.cl_mM * 1e-3}
    hepes_minus = acsf.hepes_mM * 1e-3 / (1.0 + 10.0 ** (HEPES_PKA - acsf.ph))
    i_fixed = 0.5 * (sum(fixed_c.values()) + hepes_minus)
    ionic = i_fixed + 0.5 * float(np.sum(totals * np.square([CHARGES[c] for c in COMPONENTS])))
    x = np.log(totals[active])
    log_ah = -acsf.ph
    for _ in range(100):
        lg = davies_log_gamma(m.z, ionic)
        lg1 = float(davies_log_gamma(1, ionic))
        log_k = m.log_beta0 + m.nu @ lg[: len(COMPONENTS)] + m.h * log_ah - lg
        for f, cf in fixed_c.items():
            if cf > 0:
                log_k = log_k + m.fixed[f] * (math.log10(cf) + lg1)
            else:                                   # a complex of an absent major ion cannot form
                log_k = np.where(m.fixed[f] > 0, -np.inf, log_k)
        ln_k = log_k[keep] * _LN10
        ok = np.isfinite(ln_k)
        x = _solve_fixed_i(ln_k[ok], nu[ok], totals[active], x)
        conc = np.zeros(len(m.names))
        idx = np.flatnonzero(keep)[ok]
        conc[idx] = np.exp(ln_k[ok] + nu[ok] @ x)
        new_i = i_fixed + 0.5 * float(conc @ np.square(m.z))
        if abs(new_i - ionic) < 1e-10:
            ionic = new_i
            break
        ionic = new_i
    else:  # pragma: no cover - Davies fixed point converges in < 10 iterations for any aCSF
        raise AnalysisError("ionic strength iteration did not converge")
    return _result(acsf, conc, tot_m, zn_given, ionic, fixed_c)


def _result(acsf: ACSF, conc: np.ndarray, tot_m: dict[str, float], zn_given: bool, ionic: float,
            fixed_c: dict[str, float]) -> Speciation:
    names = _MODEL.names
    species = {n: float(c) * 1e3 for n, c in zip(names, conc)}
    species.update({f"{k}(fixed)": v * 1e3 for k, v in fixed_c.items()})
    zn_frac = species["Zn"] * 1e-3 / tot_m["Zn"]
    totals = {k: v * 1e3 for k, v in tot_m.items()}
    if not zn_given:
        totals["Zn"] = 0.0
    return Speciation(
        free_mg_mM=species["Mg"], free_ca_mM=species["Ca"],
        free_zn_nM=zn_frac * acsf.zn_nM, free_zn_fraction=zn_frac,
        ionic_strength_M=ionic, species=species, totals=totals, acsf=acsf,
    )


def speciate(acsf: ACSF, additions: Mapping[str, Any] | None = None, *, basis: str = "mg") -> Speciation:
    """Free Mg2+, Ca2+ and Zn2+ of a bath, optionally with Mg salts added.

    Parameters
    ----------
    acsf : ACSF
        The bath recipe (totals).
    additions : Mapping[str, Quantity | str | float], optional
        Salt key (see :data:`ephystool.chemistry.salts.SALTS`, e.g. ``"Mg3Cit2"``) -> amount added on top
        of ``acsf``: a concentration quantity (``1.0 * pq.mM``, ``"1.0 mM"``) or a float in mM.
    basis : {'mg', 'salt'}
        Whether the amounts are mM of Mg delivered (default) or mM of salt formula units.

    Returns
    -------
    Speciation

    Raises
    ------
    ProtocolError
        Unknown salt, bad amount or basis, or an unsupported chelator.

    Examples
    --------
    >>> round(speciate(standard_acsf()).free_mg_mM, 2)   # doctest: +SKIP
    1.1
    """
    if basis not in ("mg", "salt"):
        raise ProtocolError(f"basis must be 'mg' or 'salt', got {basis!r}", field="basis")
    for key, amount in (additions or {}).items():
        salt = get_salt(key)
        c = to_mM(amount, name=key)
        if c < 0 or not math.isfinite(c):
            raise ProtocolError(f"amount must be >= 0 mM, got {amount!r}", field=key)
        acsf = acsf.with_salt(salt.key, c * salt.mg_per_fu if basis == "salt" else c)
    return _speciate_acsf(acsf)
