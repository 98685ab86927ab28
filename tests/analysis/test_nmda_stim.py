"""Issue 16 item 3: the stimulus from the file or its artefact, never a protocol default taken unchecked;
per-pulse amplitudes, failures, PPR and trains."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import quantities as pq

from ephystool.analysis import nmda
from ephystool.errors import AnalysisError
from ephystool.io.arrays import recording_from_arrays
from ephystool.simulate.vclamp import simulate_epsc_arrays

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is absent (a user's clone)")


def _rec(arr: dict, name: str = "sim.abf") -> object:
    """The sweeps without the file's stimulus table (as a file that does not record its stimulus)."""
    return recording_from_arrays(arr["sweeps"], arr["rate_hz"], ["pA"], "voltage_clamp", name=name,
                                 holding=[v * pq.mV for v in arr["holding_mV"]])


def _params(**kw: object) -> nmda.NmdaParams:
    return nmda.NmdaParams.from_protocol({"stim_time": "100 ms", **kw})


def test_protocol_default_contradicted_by_the_artefact_uses_the_detected_time() -> None:
    arr = simulate_epsc_arrays(seed=1601, stim_time_s=0.164, test_pulse=False, n_sweeps_per_holding=3)
    res = nmda.analyze(_rec(arr), _params())
    truth = arr["truth"]["ampa_peak_pA"][-70.0]
    rows = {(r["metric"], r["holding_mV"]): r for r in res.rows()}
    assert rows[("ampa_peak", -70.0)]["value"] == pytest.approx(truth, rel=0.05)  # was 1.2 pA at the 100 ms default
    assert res.stim_source == "detected" and rows[("ampa_peak", -70.0)]["stim_source"] == "detected"
    assert "contradicted by the stimulus artefact at 164.0 ms" in rows[("ampa_peak", -70.0)]["note"]
    sweep = [r for r in res.sweep_rows() if r["metric"] == "epsc_peak"][0]
    assert sweep["stim_source"] == "detected" and sweep["stim_time_s"] == pytest.approx(0.164, abs=2e-4)


def test_protocol_time_confirmed_by_the_artefact_and_manifest_wins() -> None:
    arr = simulate_epsc_arrays(seed=1602, stim_time_s=0.1, test_pulse=False, n_sweeps_per_holding=2)
    assert nmda.analyze(_rec(arr), _params()).stim_source == "protocol"
    p = nmda.NmdaParams.from_protocol({"stim_time": "100 ms"}, {"stim_time_ms": 100.0})
    assert nmda.analyze(_rec(arr), p).stim_source == "manifest"


def test_protocol_time_without_any_artefact_fails_in_one_line() -> None:
    arr = simulate_epsc_arrays(seed=1603, stim_time_s=0.164, test_pulse=False, artifact_pA=0.0, n_sweeps_per_holding=2)
    with pytest.raises(AnalysisError, match=r"quiet\.abf.*no stimulus found.*100 ms.*not confirmed.*stim_time_ms") as e:
        nmda.analyze(_rec(arr, "quiet.abf"), _params())
    assert "\n" not in str(e.value)


def test_train_of_five_pulses_at_50_hz() -> None:
    """5 pulses at 50 Hz: per-pulse amplitudes, PPR and train ratios against the pre-train baseline."""
    rate, n = 20000.0, 12000
    t_ms = np.arange(n) / rate * 1e3
    from ephystool.simulate.vclamp import _artifact, ampa_conductance, band_limited_noise

    scale = [1.0, 1.6, 1.4, 1.2, 1.0]  # facilitation then depression
    onsets = [150.0 + 20.0 * j for j in range(5)]
    epsc = sum(s * ampa_conductance(t_ms - o, 4.0) * -70.0 for s, o in zip(scale, onsets))
    syn = epsc + sum(_artifact(t_ms - o, 400.0) for o in onsets)
    rng = np.random.default_rng(1604)
    x = syn + band_limited_noise(n, rate, 2.0, 1000.0, rng)
    rec = recording_from_arrays([x], rate, ["pA"], "voltage_clamp", holding=[-70.0 * pq.mV], name="train.abf")
    res = nmda.analyze(rec, nmda.NmdaParams.from_protocol({"stim_time": "100 ms", "holding_potentials": ["-70 mV"]}))
    rows = res.sweep_rows()
    peaks = [r for r in rows if r["metric"] == "epsc_peak"]
    assert [round(r["stim_time_s"], 3) for r in peaks] == [0.15, 0.17, 0.19, 0.21, 0.23]
    assert all(not r["failure"] and r["stim_source"] == "detected" for r in peaks)
    # truth from the noiseless currents: summed peaks against the pre-train baseline (0 pA)
    truth = [float(-epsc[(t_ms >= o) & (t_ms < o + 20.0)].min()) for o in onsets]
    pre = [r["value"] for r in rows if r["metric"] == "epsc_peak_pretrain"]
    assert pre == pytest.approx(truth, rel=0.05)
    ratios = [r["value"] for r in rows if r["metric"] == "train_ratio"]
    assert ratios == pytest.approx([a / truth[0] for a in truth[1:]], rel=0.05)
    # PPR on each pulse's own baseline (the last 1 ms before pulse 2's baseline window ends)
    local2 = truth[1] + float(np.mean(epsc[(t_ms >= onsets[1] - 3.0) & (t_ms < onsets[1] - 2.0)]))
    ppr = [r["value"] for r in rows if r["metric"] == "ppr"]
    assert len(ppr) == 1 and ppr[0] == pytest.approx(local2 / truth[0], rel=0.05)


@pytest.mark.realdata
@needs_realdata
def test_ppr_file_stimulus_only_in_digital_outputs_and_a_failure() -> None:
    from ephystool.io import load

    path = REALDATA / "more" / "vc_evoked" / "patchclampplotteR_sample_abf_PPR_2sweeps.abf"
    ref = json.loads((REALDATA / "more" / "expected_values.json").read_text())[f"vc_evoked/{path.name}"]
    rec = load(path, kind="voltage_clamp")
    rec = rec.replace(holding=(-70.0 * pq.mV,) * rec.n_sweeps, stim_times_s=((),) * rec.n_sweeps)  # Vm_sec: -70 mV
    # the method of the reference: baseline 5 ms before each onset, peak up to 12 ms after it
    params = nmda.NmdaParams.from_protocol({"stim_time": "100 ms", "baseline_window": ["-5 ms", "0 ms"],
                                            "ampa_window": ["0.5 ms", "12 ms"], "holding_potentials": ["-70 mV"]})
    res = nmda.analyze(rec, params)
    rows = res.sweep_rows()
    peaks = {(r["sweep"], r["stimulus"]): r for r in rows if r["metric"] == "epsc_peak"}
    onsets = ref["stim_digital_onsets_s"]
    for (_sw, j), r in peaks.items():
        assert r["stim_source"] == "detected" and r["stim_time_s"] == pytest.approx(onsets[j - 1], abs=0.5e-3)
    assert peaks[(0, 1)]["value"] == pytest.approx(-ref["sweep0"]["EPSC1_pA"], rel=0.05)
    assert peaks[(0, 2)]["value"] == pytest.approx(-ref["sweep0"]["EPSC2_pA"], rel=0.05)
    ppr = {r["sweep"]: r["value"] for r in rows if r["metric"] == "ppr"}
    assert ppr[0] == pytest.approx(ref["sweep0"]["PPR"], rel=0.05)
    assert peaks[(1, 1)]["failure"] and peaks[(1, 1)]["value"] == 0.0 and 1 not in ppr  # PPR undefined
    assert peaks[(1, 2)]["value"] == pytest.approx(-ref["sweep1"]["EPSC2_pA"], rel=0.05)
    # the file's own digital-output table gives the same times (source 'file')
    res_file = nmda.analyze(load(path, kind="voltage_clamp").replace(holding=(-70.0 * pq.mV,) * 2), params)
    assert res_file.stim_source == "file"


@pytest.mark.realdata
@needs_realdata
def test_agonist_application_file_has_no_evoked_stimulus() -> None:
    """File_axon_7 is an NMDA application (no stimulus, no artefact): the 100 ms default is not used."""
    from ephystool.io import load

    rec = load(REALDATA / "patchclamp" / "File_axon_7.abf")
    with pytest.raises(AnalysisError, match=r"File_axon_7\.abf.*no stimulus found.*not confirmed"):
        nmda.analyze(rec, _params())


def test_test_pulse_transients_are_not_stimuli() -> None:
    """A test pulse missing from the file's epochs: its capacitive transients are steep both ways too."""
    arr = simulate_epsc_arrays(seed=1605, stim_time_s=0.1, n_sweeps_per_holding=2)  # test pulse 20-40 ms
    in_window = nmda.NmdaParams.from_protocol({"stim_time": "100 ms", "test_pulse_window": ["20 ms", "60 ms"]})
    res = nmda.analyze(_rec(arr), in_window)
    assert res.stim_source == "protocol"
    assert {r["stim_time_s"] for r in res.sweep_rows() if r["metric"] == "epsc_peak"} == {0.1}
    res = nmda.analyze(_rec(arr), _params())  # no test_pulse_window: the protocol's confirmed time still wins
    assert res.stim_source == "protocol"
    assert {r["stim_time_s"] for r in res.sweep_rows() if r["metric"] == "epsc_peak"} == {0.1}
