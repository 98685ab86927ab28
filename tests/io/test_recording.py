"""The Recording container: building from arrays, access methods, and chunked MEA iteration."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import quantities as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ephystool.errors import AnalysisError, UnitsError
from ephystool.io.arrays import recording_from_arrays
from ephystool.io.recording import Chunk, Electrode, EpochInfo, Recording, Tag, iter_chunks


def _two_channel(seed: int = 0) -> tuple[list[np.ndarray], Recording]:
    rng = np.random.default_rng(seed)
    sweeps = [rng.normal(size=(2, 1000)), rng.normal(size=(2, 600)), rng.normal(size=(2, 1000))]
    rec = recording_from_arrays(
        sweeps, 10000.0, ["pA", "mV"], "voltage_clamp", channel_names=["Im", "Vcmd"],
        sweep_start_times_s=[10.0, 20.0, 30.0], holding=[-70 * pq.mV, -70 * pq.mV, 40 * pq.mV],
        commands=[np.full(1000, -70.0), None, np.full(1000, 40.0)], command_units="mV",
        stim_times_s=[[0.01], [], [0.01, 0.02]], epochs=[[EpochInfo(0.0, 0.05, -70.0, "mV")], [], []],
        tags=[Tag(25.0, "+drug", 1)], name="mem.abf", metadata={"protocol": "test"},
    )
    return sweeps, rec


# ----------------------------------------------------------------------------------------- arrays
def test_recording_from_arrays_round_trip() -> None:
    sweeps, rec = _two_channel()
    assert rec.format == "arrays" and rec.kind == "voltage_clamp"
    assert rec.n_sweeps == 3 and len(rec.channels) == 2
    assert [c.name for c in rec.channels] == ["Im", "Vcmd"] and [c.units for c in rec.channels] == ["pA", "mV"]
    for k, arr in enumerate(sweeps):
        for ch in range(2):
            sig = rec.signal(k, ch)
            np.testing.assert_array_equal(sig.magnitude[:, 0], arr[ch])
            assert str(sig.units.dimensionality) == ["pA", "mV"][ch]
            assert float(sig.sampling_rate.rescale("Hz")) == 10000.0
            assert float(sig.t_start.rescale("s")) == [10.0, 20.0, 30.0][k]
        np.testing.assert_array_equal(rec.signal(k, "Vcmd").magnitude[:, 0], arr[1])
        np.testing.assert_array_equal(rec.signal(k).magnitude[:, 0], arr[0])  # primary
    assert rec.sweep_durations_s == pytest.approx([0.1, 0.06, 0.1])
    assert rec.duration_s == pytest.approx(0.26)
    assert [rec.sweep_time(k) for k in range(3)] == [0.0, 10.0, 20.0]
    assert float(rec.holding_at(2).magnitude) == 40.0
    assert rec.command(1) is None and float(rec.command(2).magnitude[0, 0]) == 40.0
    assert rec.stim_times_s == ((0.01,), (), (0.01, 0.02))
    assert rec.epochs[0][0].level == -70.0 and rec.tags[0].text == "+drug"
    assert rec.sampling_rate_hz == 10000.0


def test_default_start_times_are_back_to_back() -> None:
    rec = recording_from_arrays([np.zeros(100), np.zeros(50), np.zeros(100)], 1000.0, ["mV"], "current_clamp")
    np.testing.assert_allclose(rec.sweep_start_times_s, [0.0, 0.1, 0.15])
    assert rec.holding == (None, None, None) and rec.command(0) is None


def test_hash_depends_on_the_samples() -> None:
    _, a = _two_channel(0)
    _, b = _two_channel(0)
    _, c = _two_channel(1)
    assert a.sha256 == b.sha256 != c.sha256


def test_summary_is_json_serialisable() -> None:
    _, rec = _two_channel()
    s = json.loads(json.dumps(rec.summary()))
    assert s["n_sweeps"] == 3 and s["n_channels"] == 2 and s["primary_channel"] == "Im"
    assert s["holding"] == ["-70 mV", "-70 mV", "40 mV"]
    assert s["tags"][0]["text"] == "+drug" and s["metadata"]["protocol"] == "test"


def test_access_errors_are_analysis_errors() -> None:
    _, rec = _two_channel()
    for call in (lambda: rec.signal(3), lambda: rec.signal(-1), lambda: rec.signal(0, 5),
                 lambda: rec.signal(0, "nope"), lambda: rec.sweep_time(9), lambda: rec.iter_chunks()):
        with pytest.raises(AnalysisError):
            call()


def test_replace_returns_a_modified_copy() -> None:
    _, rec = _two_channel()
    other = rec.replace(kind="current_clamp", primary=1)
    assert (rec.kind, rec.primary) == ("voltage_clamp", 0)
    assert (other.kind, other.primary) == ("current_clamp", 1)
    assert other.channels[other.primary].units == "mV"


def test_invalid_inputs_rejected() -> None:
    with pytest.raises(UnitsError):
        recording_from_arrays([np.zeros(10)], 1000.0, ["pA"], "whole_cell")
    with pytest.raises(UnitsError):
        recording_from_arrays([np.zeros(10)], 1000.0, ["pA"], "voltage_clamp", holding=[-70.0])


# ----------------------------------------------------------------------------------------- MEA chunks
class ArraySource:
    """An in-memory MEASource: samples x channels float32 µV."""

    def __init__(self, data: np.ndarray, rate: float) -> None:
        self.data = data
        self.n_samples, self.n_channels = data.shape
        self.sampling_rate_hz = rate
        self.electrodes = tuple(Electrode(f"E{i}") for i in range(self.n_channels))
        self.calls: list[tuple[int, int]] = []

    def get_traces(self, start: int, stop: int, channels: Sequence[int] | None = None) -> np.ndarray:
        assert 0 <= start <= stop <= self.n_samples
        self.calls.append((start, stop))
        out = self.data[start:stop]
        return out if channels is None else out[:, list(channels)]


def _check_chunks(src: ArraySource, seconds: float, margin_s: float) -> list[Chunk]:
    chunks = list(iter_chunks(src, seconds=seconds, margin_s=margin_s))
    margin = int(round(margin_s * src.sampling_rate_hz))
    cores = [c.core for c in chunks]
    np.testing.assert_array_equal(np.concatenate(cores), src.data)  # every sample once, in order
    expected_start = 0
    for c in chunks:
        assert c.start_sample == expected_start
        n_core = c.core.shape[0]
        assert n_core >= 1
        assert c.margin_before == min(margin, c.start_sample)
        stop = c.start_sample + n_core
        assert c.margin_after == min(margin, src.n_samples - stop)
        lo = c.start_sample - c.margin_before
        np.testing.assert_array_equal(c.data, src.data[lo: stop + c.margin_after])
        assert c.sampling_rate_hz == src.sampling_rate_hz
        expected_start = stop
    assert expected_start == src.n_samples
    step = max(1, int(round(seconds * src.sampling_rate_hz)))
    assert len(chunks) == -(-src.n_samples // step)
    return chunks


def test_iter_chunks_simple() -> None:
    data = np.arange(2500 * 3, dtype=np.float32).reshape(2500, 3)
    src = ArraySource(data, 1000.0)
    chunks = _check_chunks(src, seconds=1.0, margin_s=0.1)
    assert [(c.start_sample, c.margin_before, c.margin_after, c.core.shape[0]) for c in chunks] == [
        (0, 0, 100, 1000), (1000, 100, 100, 1000), (2000, 100, 0, 500)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_samples=st.integers(1, 3000), n_channels=st.integers(1, 4),
       rate=st.sampled_from([100.0, 1000.0, 12345.0, 20000.0]),
       chunk_samples=st.integers(1, 4000), margin_samples=st.integers(0, 500))
def test_iter_chunks_cover_every_sample_once(n_samples: int, n_channels: int, rate: float,
                                             chunk_samples: int, margin_samples: int) -> None:
    data = np.arange(n_samples * n_channels, dtype=np.float32).reshape(n_samples, n_channels)
    src = ArraySource(data, rate)
    _check_chunks(src, seconds=chunk_samples / rate, margin_s=margin_samples / rate)


def test_recording_iter_chunks_delegates_to_mea() -> None:
    data = np.random.default_rng(0).normal(size=(5000, 2)).astype(np.float32)
    src = ArraySource(data, 1000.0)
    import neo

    rec = Recording(path=Path("mem"), sha256="0" * 64, format="arrays", kind="mea",
                    block=neo.Block(), channels=(), mea=src, electrodes=src.electrodes)
    assert rec.n_sweeps == 1 and rec.sampling_rate_hz == 1000.0 and rec.duration_s == 5.0
    got = np.concatenate([c.core for c in rec.iter_chunks(seconds=2.0, margin_s=0.05)])
    np.testing.assert_array_equal(got, data)
    with pytest.raises(AnalysisError):
        rec.signal(0)
