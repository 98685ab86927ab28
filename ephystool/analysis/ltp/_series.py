"""The input of the LTP session logic and its induction time: :class:`SweepSeries` (per-sweep values and
times of one session, from any reader) and :func:`find_induction` (manifest, tag, protocol or gap; see
:mod:`ephystool.analysis.ltp`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ephystool.analysis.ltp.params import LtpParams
from ephystool.core.recording import Tag
from ephystool.errors import AnalysisError

__all__ = ["SweepSeries", "Induction", "find_induction", "interval_s", "no_induction_source"]

_INDUCTION_WORDS = re.compile(r"induc|\btbs\b|theta|\bhfs\b|tetan|\bltp\b|100 ?hz|pairing", re.IGNORECASE)


@dataclass(frozen=True)
class SweepSeries:
    """Per-sweep measurements of one session in acquisition order: the input of the session logic.

    Attributes
    ----------
    time_s : numpy.ndarray
        Sweep start times on the session clock (s).
    slope : numpy.ndarray
        The response that is normalised (fEPSP slope in mV/ms; any per-sweep response for other readers).
    amplitude, fibre_volley, ppr : numpy.ndarray
        fEPSP amplitude (mV), fibre-volley amplitude (mV) and paired-pulse ratio; NaN where not measured.
    duration_s : numpy.ndarray
        Sweep durations (s); used to find sweeps containing the induction and non-test sweeps.
    file_index : numpy.ndarray
        Index into ``files`` of each sweep's file.
    files : tuple of str
        The session's files (names used in rows and messages).
    slope_unit : str
        Unit of ``slope``.
    """

    time_s: np.ndarray
    slope: np.ndarray
    amplitude: np.ndarray
    fibre_volley: np.ndarray
    ppr: np.ndarray
    duration_s: np.ndarray
    file_index: np.ndarray
    files: tuple[str, ...] = ("session",)
    slope_unit: str = "mV/ms"

    @classmethod
    def from_values(cls, time_s: Sequence[float], slope: Sequence[float], name: str = "session", **kw: object):
        """A series from times and one response per sweep; the other measures default to NaN."""
        t = np.asarray(time_s, dtype=float)
        nan = np.full(t.size, np.nan)
        return cls(
            time_s=t,
            slope=np.asarray(slope, dtype=float),
            amplitude=np.asarray(kw.pop("amplitude", nan), dtype=float),
            fibre_volley=np.asarray(kw.pop("fibre_volley", nan), dtype=float),
            ppr=np.asarray(kw.pop("ppr", nan), dtype=float),
            duration_s=np.asarray(kw.pop("duration_s", np.zeros(t.size)), dtype=float),
            file_index=np.zeros(t.size, dtype=int),
            files=(name,),
            **kw,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Induction:
    """Induction time on the session clock (s) and where it came from.

    ``sweeps`` are the sweeps it occupies (excluded from every window); ``sweep`` is the last sweep that
    started at or before it (-1 when none), the sweep a tag is attached to.
    """

    time_s: float
    source: str  # 'manifest', 'tag', 'protocol' or 'gap'
    sweeps: tuple[int, ...] = ()
    text: str = ""
    sweep: int = -1


# ----------------------------------------------------------------------------- induction
def interval_s(time_s: np.ndarray, fallback_s: float) -> float:
    d = np.diff(np.sort(time_s))
    d = d[d > 0]
    return float(np.median(d)) if d.size else float(fallback_s)


def no_induction_source(series: SweepSeries, tags: Sequence[Tag], params: LtpParams) -> str:
    """Why a session has no induction (no manifest time, tag, protocol time or gap), or '' when it has one."""
    if params.induction_override is not None or tags or params.induction_time is not None:
        return ""
    t = series.time_s
    interval = interval_s(t, float(params.sweep_interval.rescale("s").magnitude))
    if np.any(np.diff(t) > 3.0 * interval):
        return ""
    return (f"no induction found (no tag, no induction_time_min in the manifest, no induction_time in the protocol, no "
            f"gap over 3 sweep intervals): analysed as a baseline run, no {params.experiment}_magnitude; set "
            "induction_time_min if there was one")


def find_induction(series: SweepSeries, tags: Sequence[Tag], params: LtpParams, path: str = "") -> Induction:
    """Find the induction time of a session (see the module docstring for the order of sources).

    Parameters
    ----------
    series : SweepSeries
        The session's sweeps (times on the session clock).
    tags : sequence of Tag
        Comment tags with times on the session clock.
    params : LtpParams
        ``induction_override`` (manifest), ``induction_time`` (protocol) and ``sweep_interval``.
    path : str
        File name for messages.

    Returns
    -------
    Induction

    Raises
    ------
    AnalysisError
        If no source gives an induction time.
    """
    t = series.time_s
    interval = interval_s(t, float(params.sweep_interval.rescale("s").magnitude))
    if params.induction_override is not None:
        when, source, text = float(params.induction_override.rescale("s").magnitude), "manifest", ""
    elif tags:
        tag = next((g for g in tags if _INDUCTION_WORDS.search(g.text)), tags[0])
        when, source, text = float(tag.time_s), "tag", tag.text
    elif params.induction_time is not None:
        when, source, text = float(params.induction_time.rescale("s").magnitude), "protocol", ""
    else:
        gaps = np.flatnonzero(np.diff(t) > 3.0 * interval)
        if gaps.size == 0:
            raise AnalysisError(
                f"no induction found: no tag, no induction_time_min in the manifest, no induction_time in the "
                f"protocol and no gap longer than 3 sweep intervals ({interval:g} s) between the {t.size} sweeps; "
                "set induction_time_min in the manifest",
                path,
            )
        when, source, text = float(t[gaps[0]] + interval), "gap", ""
    dur = series.duration_s
    typical = float(np.median(dur)) if dur.size else 0.0
    inside = (t <= when) & (when < t + np.maximum(dur, 1e-9))
    odd = np.abs(dur - typical) > 0.1 * typical if typical > 0 else np.zeros(t.size, bool)
    last = int(np.searchsorted(t, when, side="right")) - 1
    return Induction(when, source, tuple(int(k) for k in np.flatnonzero(inside | odd)), text, last)
