"""Does a recording match what its protocol asks for?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ephystool.errors import UnitsError
from ephystool.protocols._models import Protocol
from ephystool.protocols._quantity import dimension_of, magnitude_in, parse_text
from ephystool.protocols._sections import MODE_DIMENSION

__all__ = ["check_recording"]

_TOLERANCE = 1e-3  # relative slack on lengths (sample rounding)


def _get(facts: Any, key: str, default: Any = None) -> Any:
    if isinstance(facts, Mapping):
        return facts.get(key, default)
    return getattr(facts, key, default)


def _channel_units(facts: Any) -> str | None:
    channels = list(_get(facts, "channels", None) or ())
    if not channels:
        return _get(facts, "units")
    primary = _get(facts, "primary", 0) or 0
    chan = channels[primary] if 0 <= primary < len(channels) else channels[0]
    return _get(chan, "units")


def _dimension(units: str) -> str:
    try:
        return dimension_of(parse_text(f"1 {units}"))
    except UnitsError:
        return f"unknown unit '{units}'"


def _check_kind_units(spec: Any, facts: Any) -> list[str]:
    out = []
    kind = _get(facts, "kind")
    if kind is not None and kind != spec.mode:
        out.append(f"mode: the protocol needs {spec.mode}, the recording is {kind}")
    units = _channel_units(facts)
    if units is not None and spec.mode == "mea" and _dimension(str(units)) == "time":
        units = None  # a spike list (times, no voltage samples): nothing to check
    if units is not None:
        found, expected = _dimension(str(units)), MODE_DIMENSION[spec.mode]
        if found != expected:
            out.append(f"units: the protocol needs a {expected} in {spec.units}, "
                       f"the primary channel is in {units} ({found})")
    return out


def _check_counts(spec: Any, facts: Any) -> list[str]:
    out = []
    channels = _get(facts, "channels", None)
    n_chan = len(channels) if channels is not None else _get(facts, "n_channels")
    if not n_chan:
        n_chan = len(_get(facts, "electrodes", None) or ()) or n_chan
    if n_chan is not None and n_chan < spec.channels:
        out.append(f"channels: the protocol needs at least {spec.channels}, the recording has {n_chan}")
    rate = _get(facts, "sampling_rate_hz")
    min_rate = magnitude_in(spec.min_sampling_rate, "Hz")
    if rate is not None and float(rate) < min_rate * (1 - _TOLERANCE):
        out.append(f"sampling rate: the protocol needs at least {spec.min_sampling_rate}, "
                   f"the recording has {float(rate):g} Hz")
    n_sweeps = _get(facts, "n_sweeps")
    if n_sweeps is not None and n_sweeps < spec.n_sweeps.min:
        out.append(f"sweeps: the protocol needs at least {spec.n_sweeps.min} "
                   f"(expected {spec.n_sweeps.expected}), the recording has {n_sweeps}")
    return out


def _check_lengths(spec: Any, facts: Any) -> list[str]:
    out = []
    durations = [float(d) for d in (_get(facts, "sweep_durations_s", None) or ())]
    if spec.sweep_length is not None and durations:
        need = magnitude_in(spec.sweep_length, "s")
        short = [i for i, d in enumerate(durations) if d < need * (1 - _TOLERANCE)]
        if short:
            out.append(f"sweep length: the protocol needs at least {spec.sweep_length}; "
                       f"{len(short)} of {len(durations)} sweeps are shorter (shortest {min(durations):g} s, "
                       f"sweep {short[0]})")
    total = _get(facts, "duration_s")
    if total is None and durations:
        total = sum(durations)
    meta = getattr(facts, "metadata", None) or {}
    if meta.get("duration_source") == "last spike":
        total = None  # a spike list without a stated duration: its length is known only up to its last spike
    if spec.duration is not None and total is not None:
        need = magnitude_in(spec.duration, "s")
        if float(total) < need * (1 - _TOLERANCE):
            out.append(f"duration: the protocol needs at least {spec.duration}, the recording lasts {float(total):g} s")
    return out


def check_recording(protocol: Protocol, recording_facts: Any) -> list[str]:
    """Ways in which a recording does not match what ``protocol`` asks for.

    Parameters
    ----------
    protocol : Protocol
        A loaded template.
    recording_facts : Recording or mapping
        An :class:`ephystool.io.recording.Recording` or a mapping with (any of) the keys ``kind``,
        ``channels`` (items with ``units``), ``primary``, ``n_sweeps``, ``sweep_durations_s``,
        ``sampling_rate_hz``, ``duration_s``. Facts that are absent are not checked.

    Returns
    -------
    list of str
        One message per mismatch (mode, units, channels, sampling rate, sweeps, sweep length,
        duration); empty when the recording matches.
    """
    spec = protocol.recording
    return _check_kind_units(spec, recording_facts) + _check_counts(spec, recording_facts) + _check_lengths(
        spec, recording_facts
    )
