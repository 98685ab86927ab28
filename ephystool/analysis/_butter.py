"""Butterworth band-pass design in NumPy: the second-order sections ``scipy.signal.butter`` returns.

``import scipy.signal`` costs ~0.6 s (it imports scipy.stats, interpolate, optimize, spatial, ndimage),
which is more than a third of a whole ``ephystool analyze`` of a one-minute MEA file; the detector needs
only the band-pass's coefficients. This module follows SciPy's own steps (``buttap`` analog prototype,
``lp2bp_zpk``, bilinear transform with pre-warping, ``zpk2sos`` with ``pairing='nearest'``; Oppenheim &
Schafer, *Discrete-Time Signal Processing*, 3rd ed., sections 7.1-7.2) operation for operation, so the
sections are equal to SciPy's (``tests/analysis/test_butter.py`` checks a grid of orders, bands and rates
against ``scipy.signal.butter``). Port of SciPy 1.17 ``scipy/signal/_filter_design.py`` (BSD-3-Clause).
"""

from __future__ import annotations

import numpy as np

__all__ = ["butter_bandpass_sos"]


def butter_bandpass_sos(order: int, band_hz: tuple[float, float], fs: float) -> np.ndarray:
    """Digital Butterworth band-pass as float64 second-order sections, shape (order, 6).

    Parameters
    ----------
    order : int
        Order of the analog low-pass prototype (the band-pass has ``2 * order`` poles).
    band_hz : (float, float)
        Pass band edges (Hz), ``0 < low < high < fs / 2`` (checked by the caller).
    fs : float
        Sampling rate (Hz).
    """
    n = int(order)
    m = np.arange(-n + 1, n, 2, dtype=np.float64)
    p = -np.exp(1j * np.pi * m / (2 * n))  # buttap: the analog prototype's poles; no zeros, gain 1
    wn = np.asarray(band_hz, dtype=np.float64) / (fs / 2)
    warped = 2 * 2.0 * np.tan(np.pi * wn / 2.0)  # pre-warping (digital fs normalised to 2)
    bw, wo = warped[1] - warped[0], np.sqrt(warped[0] * warped[1])
    p_lp = (p * bw / 2).astype(np.complex128)  # lp2bp_zpk: relative degree n
    p_bp = np.concatenate((p_lp + np.sqrt(p_lp**2 - wo**2), p_lp - np.sqrt(p_lp**2 - wo**2)))
    z_bp = np.zeros(n)
    k_bp = 1.0 * bw**n
    fs2 = 2.0 * 2.0  # bilinear_zpk: zeros at the origin -> +1, zeros at infinity -> Nyquist (-1)
    z_z = np.concatenate(((fs2 + z_bp) / (fs2 - z_bp), -np.ones(n)))
    p_z = (fs2 + p_bp) / (fs2 - p_bp)
    k_z = k_bp * np.real(np.prod(fs2 - z_bp) / np.prod(fs2 - p_bp))
    return _zpk2sos(z_z, p_z, float(k_z))


def _cplxreal(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complex values (one of each conjugate pair, averaged) and real values, as SciPy's ``_cplxreal``."""
    if z.size == 0:
        return z, z
    tol = 100 * np.finfo((1.0 * z).dtype).eps
    z = z[np.lexsort((abs(z.imag), z.real))]
    real = abs(z.imag) <= tol * abs(z)
    zr = z[real].real
    if len(zr) == len(z):
        return np.array([]), zr
    z = z[~real]
    zp, zn = z[z.imag > 0], z[z.imag < 0]
    if len(zp) != len(zn):
        raise ValueError("complex value without its conjugate")
    same = np.diff(zp.real) <= tol * abs(zp[:-1])
    diffs = np.diff(np.concatenate(([0], same, [0])))
    for start, stop in zip(np.nonzero(diffs > 0)[0], np.nonzero(diffs < 0)[0] + 1, strict=True):
        for chunk in (zp[start:stop], zn[start:stop]):
            chunk[...] = chunk[np.lexsort([abs(chunk.imag)])]
    return (zp + zn.conj()) / 2, zr


def _nearest(fro: np.ndarray, to: complex, which: str) -> int:
    order = np.argsort(np.abs(fro - to))
    if which == "any":
        return int(order[0])
    mask = np.isreal(fro[order])
    return int(order[np.nonzero(mask if which == "real" else ~mask)[0][0]])


def _poly(roots: list[complex]) -> np.ndarray:
    """SciPy's ``_polyutils.poly`` (np.poly): coefficients by successive convolution, real for conjugates."""
    seq = np.atleast_1d(np.asarray(roots))
    if seq.shape[0] == 0:
        return np.asarray(1.0, dtype=np.real(seq).dtype)
    a = np.ones((1,), dtype=seq.dtype)
    one = np.ones_like(seq[0])
    for zero in seq:
        a = np.convolve(a, np.stack((one, -zero)), mode="full")
    if np.iscomplexobj(a):
        r = np.asarray(seq, dtype=np.complex128)
        if np.all(np.sort(np.imag(r)) == np.sort(np.imag(np.conj(r)))):
            a = np.asarray(np.real(a), copy=True)
    return a


def _section(z: list[complex], p: list[complex]) -> np.ndarray:
    sos = np.zeros(6)
    b, a = np.atleast_1d(_poly(z)), np.atleast_1d(_poly(p))
    sos[3 - len(b):3] = b
    sos[6 - len(a):6] = a
    return sos


def _zpk2sos(z: np.ndarray, p: np.ndarray, k: float) -> np.ndarray:
    """SciPy's ``zpk2sos`` for a digital filter with ``pairing='nearest'`` (worst poles in the last section)."""
    p = np.concatenate((p, np.zeros(max(len(z) - len(p), 0))))
    z = np.concatenate((z, np.zeros(max(len(p) - len(z), 0))))
    n_sections = (max(len(p), len(z)) + 1) // 2
    if len(p) % 2 == 1:
        p, z = np.concatenate((p, [0.0])), np.concatenate((z, [0.0]))
    z, p = np.concatenate(_cplxreal(z)), np.concatenate(_cplxreal(p))
    sos = np.zeros((n_sections, 6))
    worst = lambda q: int(np.argmin(np.abs(1 - np.abs(q))))  # noqa: E731  closest to the unit circle
    for si in range(n_sections - 1, -1, -1):
        i = worst(p)
        p1, p = p[i], np.delete(p, i)
        if np.isreal(p1) and np.isreal(p).sum() == 0:  # the last real pole
            j = _nearest(z, p1, "real")
            sos[si], z = _section([z[j], 0], [p1, 0]), np.delete(z, j)
            continue
        if len(p) + 1 == len(z) and not np.isreal(p1) and np.isreal(p).sum() == 1 and np.isreal(z).sum() == 1:
            j = _nearest(z, p1, "complex")  # one real pole and one real zero left: pair with a complex zero
            sos[si], z = _section([z[j], z[j].conj()], [p1, p1.conj()]), np.delete(z, j)
            continue
        if np.isreal(p1):
            real = np.flatnonzero(np.isreal(p))
            i2 = int(real[worst(p[real])])
            p2, p = p[i2], np.delete(p, i2)
        else:
            p2 = p1.conj()
        if len(z) == 0:
            sos[si] = _section([], [p1, p2])
            continue
        j = _nearest(z, p1, "any")
        z1, z = z[j], np.delete(z, j)
        if not np.isreal(z1):
            sos[si] = _section([z1, z1.conj()], [p1, p2])
        elif len(z) > 0:
            j = _nearest(z, p1, "real")
            sos[si], z = _section([z1, z[j]], [p1, p2]), np.delete(z, j)
        else:
            sos[si] = _section([z1], [p1, p2])
    sos[0][:3] *= k
    return sos


def sos_response(sos: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Complex response of a cascade at normalised angular frequencies ``w`` (rad/sample), as
    ``scipy.signal.sosfreqz(sos, worN=w)[1]``: per section, Horner evaluation of b and a in ``exp(-jw)``."""
    w = 2 * np.pi * np.atleast_1d(np.asarray(w, dtype=np.float64)) / (2 * np.pi)  # SciPy's fs = 2 pi scaling
    zm1 = np.exp(-1j * w)
    h: np.ndarray | float = 1.0
    for row in np.asarray(sos, dtype=np.float64):
        num, den = row[2] + 0 * zm1, row[5] + 0 * zm1
        for i in (1, 0):
            num = row[i] + num * zm1
            den = row[3 + i] + den * zm1
        h = h * (num / den)
    return np.asarray(h)


def sos_poles(sos: np.ndarray) -> np.ndarray:
    """Poles of every section (roots of its denominator)."""
    return np.concatenate([np.roots(row[3:]) for row in np.asarray(sos, dtype=np.float64)] or [np.zeros(0)])
