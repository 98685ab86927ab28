"""MEA firing: streaming detection against simulator truth, burst/network/STTC metrics, real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ephystool.analysis import firing_mea
from ephystool.analysis.bursts import BurstSettings, max_interval_bursts, network_bursts, sttc
from ephystool.analysis.firing_mea import FiringMEAParams, analyze
from ephystool.analysis.spikes import DetectionSettings, detect_spikes, estimate_noise
from ephystool.errors import AnalysisError, ProtocolError
from ephystool.simulate.mea import ArrayMEASource, mea_recording, simulate_mea

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is absent (a user's clone)")
MEA = REALDATA / "mea"


def _match(found: tuple[np.ndarray, ...], truth: tuple[np.ndarray, ...], tol: int) -> tuple[float, float]:
    """Recall and precision with one-to-one nearest matching within ``tol`` samples."""
    tp = n_true = n_found = 0
    for f, t in zip(found, truth):
        f, t = np.sort(f), np.sort(t)
        n_true, n_found = n_true + t.size, n_found + f.size
        used = np.zeros(t.size, dtype=bool)
        for v in f:
            j = np.searchsorted(t, v)
            cand = [k for k in (j - 1, j) if 0 <= k < t.size and not used[k] and abs(t[k] - v) <= tol]
            if cand:
                used[min(cand, key=lambda k: abs(t[k] - v))] = True
                tp += 1
    return tp / max(n_true, 1), tp / max(n_found, 1)


@pytest.fixture(scope="module")
def sim() -> tuple[np.ndarray, object]:
    return simulate_mea(12.0, n_channels=24, seed=101, snr=6.0, rate_hz=3.0)


# ----- ground truth (seeds not used while developing; tolerances: recall/precision >= 0.95 within +-0.5 ms,
# mean firing rate within 5 %) ---------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [7, 31, 59])
def test_recall_precision_and_rate_against_truth(seed: int) -> None:
    data, truth = simulate_mea(15.0, n_channels=30, seed=seed, snr=6.0)
    rec = mea_recording(data, truth)
    det = detect_spikes(rec.mea, DetectionSettings())
    recall, precision = _match(det.samples, truth.spike_samples, tol=int(0.5e-3 * truth.sampling_rate_hz))
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)
    res = analyze(rec, FiringMEAParams())
    rates = np.array([s.size / truth.duration_s for s in truth.spike_samples])
    true_wmfr = rates[rates * 60 >= 5].mean()  # Axion's Weighted Mean Firing Rate: active electrodes (issue 17)
    got = float(res.metric("weighted_mean_firing_rate").magnitude)
    assert abs(got - true_wmfr) / true_wmfr < 0.05, (got, true_wmfr)
    got_all = float(res.metric("mean_firing_rate").magnitude)  # all electrodes
    assert abs(got_all - rates.mean()) / rates.mean() < 0.05, (got_all, rates.mean())
    assert res.metric("active_electrodes") == (rates * 60 >= 5).sum()


@pytest.mark.parametrize("chunk", [0.7, 2.3, 5.0])
def test_chunk_size_invariance(sim, chunk: float) -> None:
    data, truth = sim
    src = ArrayMEASource(data, truth.sampling_rate_hz, gain_uv=truth.gain_uv)
    ref = detect_spikes(src, DetectionSettings(chunk_s=12.0))
    got = detect_spikes(src, DetectionSettings(chunk_s=chunk))
    for a, b in zip(ref.samples, got.samples):
        np.testing.assert_array_equal(a, b)


def test_parallel_ranges_equal_sequential(sim) -> None:
    from ephystool.analysis.spikes import merge_detections

    data, truth = sim
    src = ArrayMEASource(data, truth.sampling_rate_hz, gain_uv=truth.gain_uv)
    s = DetectionSettings(chunk_s=2.0)
    ref = detect_spikes(src, s)
    noise = estimate_noise(src, s)
    cut = 3 * 50000
    parts = [detect_spikes(src, s, start=0, stop=cut, noise=noise), detect_spikes(src, s, start=cut, noise=noise)]
    merged = merge_detections(parts, s.dead_time_s)
    for a, b in zip(ref.samples, merged.samples):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_threads_give_the_same_spikes_as_one(sim, workers: int) -> None:
    """Ranges searched in threads are joined before the dead time: spikes, amplitudes and artefact counts
    equal one thread's exactly (chunks of 1 s so the cuts fall between many chunks)."""
    from ephystool.parallel import use_threads

    data, truth = sim
    src = ArrayMEASource(data, truth.sampling_rate_hz, gain_uv=truth.gain_uv)
    s = DetectionSettings(chunk_s=1.0)
    ref = detect_spikes(src, s, workers=1)
    with use_threads(workers):  # what the batch runner sets for a task with spare cores
        got = detect_spikes(src, s)
    assert sum(a.size for a in ref.samples) > 100
    for a, b in zip(ref.samples, got.samples, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(ref.amplitudes_uv, got.amplitudes_uv, strict=True):
        np.testing.assert_array_equal(a, b)
    assert got.n_artifacts == ref.n_artifacts


def test_noise_estimate_is_deterministic_and_close_to_full_mad(sim) -> None:
    from scipy import signal

    data, truth = sim
    src = ArrayMEASource(data, truth.sampling_rate_hz, gain_uv=truth.gain_uv)
    a, _ = estimate_noise(src, DetectionSettings())
    b, _ = estimate_noise(src, DetectionSettings())
    np.testing.assert_array_equal(a, b)
    sos = signal.butter(2, [300, 3000], btype="bandpass", fs=truth.sampling_rate_hz, output="sos")
    full = signal.sosfiltfilt(sos, data.astype(float) * truth.gain_uv, axis=0)
    mad = np.median(np.abs(full), axis=0) / 0.6745
    np.testing.assert_allclose(a, mad, rtol=0.05)


def test_causal_mode_latency_corrected() -> None:
    data, truth = simulate_mea(8.0, n_channels=12, seed=77, snr=10.0)
    det = detect_spikes(ArrayMEASource(data, truth.sampling_rate_hz, gain_uv=truth.gain_uv),
                        DetectionSettings(phase="causal"))
    recall, precision = _match(det.samples, truth.spike_samples, tol=int(0.5e-3 * truth.sampling_rate_hz))
    assert recall >= 0.9 and precision >= 0.95


def test_positive_polarity_on_inverted_data() -> None:
    data, truth = simulate_mea(6.0, n_channels=8, seed=5, snr=8.0)
    inv = (-data.astype(np.int32)).clip(-32768, 32767).astype(np.int16)
    det = detect_spikes(ArrayMEASource(inv, truth.sampling_rate_hz, gain_uv=truth.gain_uv),
                        DetectionSettings(polarity="positive"))
    recall, precision = _match(det.samples, truth.spike_samples, tol=13)
    assert recall >= 0.95 and precision >= 0.95
    assert all((a > 0).all() for a in det.amplitudes_uv)


def test_dead_and_saturated_channels_reported_others_analysed(sim) -> None:
    data, truth = sim
    bad = data.copy()
    bad[:, 0] = 0
    bad[:, 1] = np.clip(bad[:, 1].astype(np.int32) * 40, -2000, 2000).astype(np.int16)
    res = analyze(mea_recording(bad, truth), FiringMEAParams())
    assert res.channel_problems == {truth.labels[0]: "dead", truth.labels[1]: "saturated"}
    rows = {(r["electrode"], r["metric"]): r["value"] for r in res.electrode_rows()}
    assert rows[(truth.labels[0], "channel_ok")] == 0 and rows[(truth.labels[0], "spike_count")] == 0
    assert rows[(truth.labels[2], "channel_ok")] == 1
    assert res.metric("active_electrodes") > 10


def test_artifacts_on_all_electrodes_are_rejected(sim) -> None:
    data, truth = sim
    art = data.copy()
    times = np.array([1.234, 5.678, 9.1]) * truth.sampling_rate_hz
    for t in times.astype(int):
        art[t:t + 5] = np.int16(-3000)
    det = detect_spikes(ArrayMEASource(art, truth.sampling_rate_hz, gain_uv=truth.gain_uv), DetectionSettings())
    assert det.n_artifacts >= 3 * 20
    for s in det.samples:
        assert not np.any(np.abs(s[:, None] - times[None, :]) < 10)


def test_no_spikes_gives_zero_rates() -> None:
    data, truth = simulate_mea(5.0, n_channels=10, seed=3, rate_hz=0.0, network_burst_rate_per_min=0.0)
    res = analyze(mea_recording(data, truth), FiringMEAParams())
    assert res.metric("mean_firing_rate") == 0 and res.metric("active_electrodes") == 0
    assert res.metric("network_burst_rate") == 0 and np.isnan(float(res.metric("sttc")))
    flat = np.zeros_like(data)
    res = analyze(mea_recording(flat, truth), FiringMEAParams())
    assert res.metric("mean_firing_rate") == 0 and len(res.channel_problems) == 10


def test_dosing_windows_and_ratio(sim) -> None:
    data, truth = sim
    p = FiringMEAParams.from_protocol({"baseline_window": ["-4 s", "0 s"]}, {"dosing_time_s": 6.0})
    res = analyze(mea_recording(data, truth), p)
    assert res.windows["baseline"] == (2.0, 6.0) and res.windows["treatment"] == (6.0, 12.0)
    rows = {(r["window"], r["metric"]): r for r in res.rows()}
    b, t = rows[("baseline", "mean_firing_rate")]["value"], rows[("treatment", "mean_firing_rate")]["value"]
    assert rows[("ratio", "mean_firing_rate")]["value"] == pytest.approx(t / b)
    assert rows[("ratio", "mean_firing_rate")]["unit"] == "1"
    with pytest.raises(AnalysisError, match="dosing time"):
        analyze(mea_recording(data, truth), FiringMEAParams.from_protocol({}, {"dosing_time_s": 60.0}))


def test_from_protocol_defaults_and_errors() -> None:
    p = FiringMEAParams.from_protocol({})
    assert p.threshold_sd == 5 and float(p.dead_time.rescale("ms")) == 1.0 and p.polarity == "negative"
    p = FiringMEAParams.from_protocol({"band": ["0.3 kHz", "3 kHz"], "dosing_time": "10 min"})
    assert float(p.band[1]) == 3000 and float(p.dosing_time.rescale("s")) == 600
    with pytest.raises(ProtocolError, match="dead_time"):
        FiringMEAParams.from_protocol({"dead_time": "1 mV"})
    with pytest.raises(ProtocolError, match="polarity"):
        FiringMEAParams.from_protocol({"polarity": "down"})
    with pytest.raises(ProtocolError, match="threshold_sd"):
        FiringMEAParams.from_protocol({"threshold_sd": "5"})


def test_spike_table_and_rows_contract(sim) -> None:
    data, truth = sim
    res = analyze(mea_recording(data, truth), FiringMEAParams())
    table = res.spike_table()
    assert list(table.columns) == ["electrode", "well", "time_s", "amplitude_uV"]
    assert len(table) == sum(len(st) for st in res.spiketrains) and (table["amplitude_uV"] < 0).all()
    assert {r["metric"] for r in res.rows()} == set(firing_mea.WELL_UNITS)
    assert all({"analysis", "metric", "value", "unit", "well", "window"} <= set(r) for r in res.rows())
    assert {r["metric"] for r in res.electrode_rows()} == set(firing_mea.ELECTRODE_UNITS)
    assert res.sweep_rows() == []


def test_max_interval_bursts_known_train() -> None:
    burst1 = 1.0 + np.arange(6) * 0.02      # 6 spikes, 0.1 s
    burst2 = 1.5 + np.arange(5) * 0.02      # within 0.8 s of burst1: merged
    burst3 = 5.0 + np.arange(3) * 0.02      # too few spikes
    burst4 = 8.0 + np.arange(8) * 0.05      # 8 spikes
    t = np.sort(np.concatenate([[0.2, 3.0], burst1, burst2, burst3, burst4]))
    b = max_interval_bursts(t, BurstSettings())
    assert b.n == 2
    np.testing.assert_allclose(b.start_s, [1.0, 8.0])
    np.testing.assert_allclose(b.end_s, [1.58, 8.35])
    np.testing.assert_array_equal(b.n_spikes, [11, 8])
    assert max_interval_bursts(np.array([1.0]), BurstSettings()).n == 0


def test_network_bursts_need_fraction_of_electrodes() -> None:
    s = BurstSettings()
    trains = [np.concatenate([k + 0.01 * e + np.arange(6) * 0.02 for k in (2.0, 10.0)]) for e in range(4)]
    trains[3] = trains[3][:6]  # electrode 3 bursts only at 2 s
    bursts = [max_interval_bursts(t, s) for t in trains]
    np.testing.assert_allclose(network_bursts(bursts, 0.9, 0.1), [2.0])
    np.testing.assert_allclose(network_bursts(bursts, 0.5, 0.1), [2.0, 10.0])


def test_sttc_equals_elephant() -> None:
    import neo
    import quantities as pq
    from elephant.spike_train_correlation import spike_time_tiling_coefficient

    rng = np.random.default_rng(12)
    for _ in range(10):
        a = np.sort(rng.uniform(0, 100, rng.integers(1, 200)))
        b = np.sort(np.concatenate([rng.uniform(0, 100, 50), a[::2] + rng.normal(0, 0.01, a[::2].size)]))
        b = b[(b > 0) & (b < 100)]
        ref = spike_time_tiling_coefficient(neo.SpikeTrain(a * pq.s, t_stop=100 * pq.s),
                                            neo.SpikeTrain(b * pq.s, t_stop=100 * pq.s), dt=0.025 * pq.s)
        assert sttc(a, b, 0.0, 100.0, 0.025) == pytest.approx(ref, abs=1e-12)


def test_figures_written(sim, tmp_path: Path) -> None:
    from ephystool.analysis.firing_mea.figures import plot_firing_mea

    data, truth = sim
    rec = mea_recording(data, truth)
    paths = plot_firing_mea(analyze(rec, FiringMEAParams()), rec, tmp_path)
    assert len(paths) == 2 and all(p.stat().st_size > 1000 for p in paths)


def test_mcs_h5_round_trip_equals_in_memory(tmp_path: Path) -> None:
    from ephystool.io.mcs_h5 import read
    from ephystool.simulate.mea import write_mea_h5

    data, truth = simulate_mea(4.0, seed=19, snr=7.0)
    path = write_mea_h5(tmp_path / "sim.h5", data, truth)
    rec = read(path)
    assert rec.mea.n_channels == 60 and rec.mea.n_samples == data.shape[0]
    np.testing.assert_allclose(rec.mea.get_traces(0, 100), data[:100] * truth.gain_uv, rtol=1e-6, atol=1e-6)
    a = detect_spikes(rec.mea, DetectionSettings())
    b = detect_spikes(ArrayMEASource(data, truth.sampling_rate_hz, gain_uv=truth.gain_uv), DetectionSettings())
    for x, y in zip(a.samples, b.samples):
        np.testing.assert_array_equal(x, y)


# ----- real data -------------------------------------------------------------------------------------------------
@pytest.mark.realdata
@needs_realdata
def test_meanap_rates_and_active_count_match_its_output() -> None:
    import scipy.io

    from ephystool.io.spikelists import read_meanap_mat

    path = MEA / "meanap_output" / "NGN2_20230208_P1_DIV14_A2_OutputData.mat"
    m = scipy.io.loadmat(str(path), squeeze_me=True, struct_as_record=False)
    rec = read_meanap_mat(path)
    min_hz = float(m["Params"].minActivityLevel)
    res = analyze(rec, FiringMEAParams.from_protocol({"active_min_spikes_per_min": min_hz * 60}))
    rates = np.array([e.rate_hz for e in res.electrodes])
    np.testing.assert_allclose(rates, np.asarray(m["Ephys"].FR, dtype=float), rtol=1e-12, atol=1e-12)
    assert res.metric("active_electrodes") == int(m["Ephys"].numActiveElec)


@pytest.mark.realdata
@needs_realdata
def test_axion_plate_analysed_per_well() -> None:
    from ephystool.io.spikelists import read_axion_csv

    rec = read_axion_csv(MEA / "axion_spikelist_csv" / "exampleRecording_1012016_plate1_DIV3_spike_list.csv.gz")
    res = analyze(rec, FiringMEAParams())
    assert len(res.wells) == 20
    assert {r["well"] for r in res.rows()} == set(res.wells)
    assert sum(e.times_s.size for e in res.electrodes) == 100957


@pytest.mark.realdata
@needs_realdata
def test_tetrode_raw_gives_spikes_on_three_channels() -> None:
    import neo

    path = MEA / "tetrode_raw" / "locust_trial_01.raw"
    sig = neo.io.RawBinarySignalIO(str(path), dtype="int16", nb_channel=4, sampling_rate=15000).read_block()
    raw = np.asarray(sig.segments[0].analogsignals[0].magnitude)
    det = detect_spikes(ArrayMEASource(raw.astype(np.float32), 15000.0), DetectionSettings())
    counts = sorted(s.size for s in det.samples)
    assert counts[0] < 60 and all(250 <= c <= 700 for c in counts[1:]), counts


def test_sttc_pairs_equal_pairwise_sttc() -> None:
    """The all-pairs STTC equals the pairwise function (itself equal to Elephant's) value for value, with
    empty, identical, unsorted and single-spike trains among them."""
    from ephystool.analysis.bursts import sttc, sttc_pairs

    rng = np.random.default_rng(11)
    base = np.sort(rng.uniform(0, 30, 400))
    trains = [np.sort(rng.uniform(0, 30, n)) for n in (0, 1, 57, 300)]
    trains += [base, base.copy(), rng.permutation(base + rng.normal(0, 0.002, base.size)), np.array([0.0, 30.0])]
    got = sttc_pairs(trains, 0.0, 30.0, 0.005)
    want = [sttc(a, b, 0.0, 30.0, 0.005) for i, a in enumerate(trains) for b in trains[i + 1:]]
    assert got.shape == (len(trains) * (len(trains) - 1) // 2,)
    np.testing.assert_array_equal(got, want)  # NaN where a train is empty, 1 for identical trains
    assert np.isnan(got[:len(trains) - 1]).all() and 1.0 in got
