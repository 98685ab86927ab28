"""Protocol templates: every template validates, errors name the field, CLI round trips, schema is current."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import quantities as pq
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ephystool.commands.protocol import command
from ephystool.errors import EphysError, ProtocolError
from ephystool.protocols import (
    ENV_VAR,
    SCHEMA_PATH,
    check_recording,
    export_json_schema,
    find_protocol,
    list_protocols,
    load_protocol,
    read_yaml,
    validate_protocol,
)
from ephystool.protocols._quantity import parse_text

ANALYSIS = {
    "nmda_epsc": "nmda",
    "nmda_iv": "nmda_iv",
    "nmda_tonic": "nmda_tonic",
    "mea_spontaneous": "firing_mea",
    "mea_excitotoxicity": "firing_mea",
    "ltp_fepsp": "ltp",
    "cc_fi_steps": "firing_cc",
}
NMDA_KEYS = {
    "stim_time", "baseline_window", "artifact_blank", "ampa_window", "nmda_late_window", "nmda_peak_window",
    "charge_window", "decay_fit_window", "holding_potentials", "ampa_holding", "nmda_holding",
    "isolated_nmda", "outlier_mad", "rs_change_limit", "test_pulse_window",
}
MEA_KEYS = {
    "band", "filter_order", "threshold_sd", "polarity", "dead_time", "chunk", "margin", "artifact_fraction",
    "artifact_window", "active_min_spikes_per_min", "burst_max_isi_start", "burst_max_isi_end", "burst_min_ibi",
    "burst_min_spikes", "burst_min_duration", "network_burst_fraction", "network_burst_window", "sttc_dt",
}
#: The analysis_params keys each template sets (the contract with the analyzers).
PARAM_KEYS = {
    "nmda_epsc": NMDA_KEYS,
    "nmda_iv": NMDA_KEYS | {"iv_holding_potentials", "fit_model", "kd0_init", "delta_init", "erev_init"},
    "nmda_tonic": {"baseline_window", "washin_time", "equilibration", "treatment_window", "noise_band", "mode"},
    "mea_spontaneous": MEA_KEYS | {"dosing_time", "baseline_window", "treatment_window"},
    "mea_excitotoxicity": MEA_KEYS,
    "ltp_fepsp": {
        "slope_fraction", "slope_method", "polarity", "baseline_window", "post_window", "stp_window", "drift_limit",
        "outlier_mad", "fibre_volley_window", "fepsp_window", "artifact_blank", "ppi", "stim_time",
        "sweep_interval",
    },
    "cc_fi_steps": {"dvdt_threshold", "dvdt_sustain", "refractory", "onset_skip", "min_ap_amplitude", "min_ap_width",
                    "max_repolarisation"},
}
STANDARD_ACSF = {
    "NaCl": 125, "KCl": 2.5, "NaH2PO4": 1.25, "NaHCO3": 26, "CaCl2": 2.0, "MgSO4": 1.3, "glucose": 25,
}


@pytest.fixture(autouse=True)
def _no_user_template_dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def _raw(name: str = "nmda_epsc") -> dict[str, Any]:
    return read_yaml(find_protocol(name))


def _write(tmp_path: Path, data: dict[str, Any], name: str = "edited.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _error(data: Any, tmp_path: Path) -> ProtocolError:
    path = _write(tmp_path, data)
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return info.value


# ----- templates ------------------------------------------------------------------------------
def test_every_public_template_is_listed() -> None:
    assert set(ANALYSIS) <= set(list_protocols())


@pytest.mark.parametrize("name", sorted(ANALYSIS))
def test_template_validates_with_contract_keys(name: str) -> None:
    proto = load_protocol(name)
    assert proto.name == name == Path(proto.source).stem
    assert proto.analysis == ANALYSIS[name]
    assert proto.claims and all(c.startswith("C") for c in proto.claims)
    assert set(proto.params_mapping()) == PARAM_KEYS[name]
    assert {"control", "mg_aspartate", "mg_citrate", "mg_matched_control"} <= set(proto.solutions.conditions)
    assert {m.key for m in proto.metadata_required} >= {
        "ph_after_addition", "osmolarity", "zn_chelator", "aspartate_enantiomer", "temperature", "design",
        "free_mg_mM", "free_ca_mM",
    }
    assert proto.timeline and proto.inclusion


@pytest.mark.parametrize("name", sorted(ANALYSIS))
def test_template_round_trips_through_yaml(name: str, tmp_path: Path) -> None:
    proto = load_protocol(name)
    path = tmp_path / f"{name}.yaml"
    path.write_text(proto.to_yaml(), encoding="utf-8")
    assert load_protocol(path).to_dict() == proto.to_dict()


def test_shared_solution_sections_are_identical_across_templates() -> None:
    first = load_protocol("nmda_epsc").solutions
    for name in ANALYSIS:
        sol = load_protocol(name).solutions
        assert sol.acsf == first.acsf
        assert sol.designs == first.designs
        for cond in ("control", "mg_aspartate", "mg_citrate", "mg_matched_control"):
            assert sol.conditions[cond] == first.conditions[cond], (name, cond)


def test_acsf_and_salt_stoichiometry() -> None:
    sol = load_protocol("nmda_epsc").solutions
    assert {k: round(float(parse_text(v).rescale(pq.mmol / pq.L).magnitude), 3) for k, v in sol.acsf.items()} == (
        STANDARD_ACSF
    )
    cit, asp = sol.conditions["mg_citrate"], sol.conditions["mg_aspartate"]
    assert (cit.mg_per_formula_unit, cit.anion_per_formula_unit) == (3, 2)
    assert (asp.mg_per_formula_unit, asp.anion_per_formula_unit) == (1, 2)
    assert sol.design == "acute_equal_total"


def test_nmda_iv_covers_minus80_to_plus40() -> None:
    levels = load_protocol("nmda_iv").param("iv_holding_potentials", "mV").magnitude.tolist()
    assert {-80.0, -60.0, -40.0, -20.0, 0.0, 20.0, 40.0} <= set(levels)
    assert -70.0 in levels  # the rectification index |I(-70)|/I(+40)


@pytest.mark.parametrize("name", sorted(ANALYSIS))
def test_analyzer_accepts_the_template_params(name: str) -> None:
    proto = load_protocol(name)
    try:
        from ephystool.analysis.registry import ANALYZERS

        module = importlib.import_module(ANALYZERS[proto.analysis][0])
    except ImportError as exc:
        pytest.skip(f"analyzer for {proto.analysis} not importable yet: {exc}")
    cls = getattr(module, ANALYZERS[proto.analysis][1], None)  # a lazy package (PEP 562): not in vars() yet
    if cls is None or not hasattr(cls, "from_protocol"):
        pytest.skip(f"{module.__name__} has no {ANALYZERS[proto.analysis][1]}.from_protocol yet")
    overrides = {"mg_mM": 1.1} if proto.analysis == "nmda_iv" else {}  # free Mg comes from the bath
    assert cls.from_protocol(proto.params_mapping(), overrides) is not None


def test_param_parses_quantities_and_plain_values() -> None:
    proto = load_protocol("nmda_epsc")
    late = proto.param("nmda_late_window", "ms")
    assert late.magnitude.tolist() == [50.0, 60.0] and late.units == pq.ms
    assert float(proto.param("stim_time", "s").magnitude) == pytest.approx(0.1)
    assert proto.param("holding_potentials", "mV").magnitude.tolist() == [-70.0, 40.0]
    assert proto.param("isolated_nmda") is False
    assert proto.param("mg_mM") is None and "mg_mM" not in proto.params_mapping()
    mea = load_protocol("mea_spontaneous")
    assert mea.param("active_min_spikes_per_min") == 5
    assert float(mea.param("dosing_time", "s").magnitude) == 900.0
    assert mea.param("polarity") == "negative"
    assert load_protocol("ltp_fepsp").param("slope_fraction") == (0.1, 0.9)
    assert set(load_protocol("ltp_fepsp").params_quantities()) == PARAM_KEYS["ltp_fepsp"]


def test_param_errors_name_the_parameter() -> None:
    proto = load_protocol("nmda_epsc")
    with pytest.raises(ProtocolError, match="did you mean 'ampa_window'"):
        proto.param("ampa_windw")
    with pytest.raises(ProtocolError, match=r"analysis_params\.ampa_window"):
        proto.param("ampa_window", "mV")
    with pytest.raises(ProtocolError, match="outlier_mad"):
        proto.param("outlier_mad", "ms")


def test_editing_a_window_in_the_file_changes_param(tmp_path: Path) -> None:
    data = _raw()
    data["analysis_params"]["nmda_late_window"] = ["100 ms", "110 ms"]
    proto = load_protocol(_write(tmp_path, data))
    assert proto.param("nmda_late_window", "ms").magnitude.tolist() == [100.0, 110.0]


def test_with_overrides_names_units_suffixes_and_quantities() -> None:
    proto = load_protocol("nmda_epsc")
    assert float(proto.with_overrides({"stim_time_ms": 20}).param("stim_time", "ms").magnitude) == 20.0
    assert float(proto.with_overrides({"stim_time": 0.2 * pq.s}).param("stim_time", "ms").magnitude) == 200.0
    both = proto.with_overrides({"holding_potentials_mV": "-60;40"})
    assert both.param("holding_potentials", "mV").magnitude.tolist() == [-60.0, 40.0]
    assert proto.with_overrides({"ampa_window": ["2 ms", "30 ms"]}).params_mapping()["ampa_window"] == [
        "2 ms", "30 ms"]
    assert proto.with_overrides({}) is proto
    assert proto.param("stim_time", "ms") == 100 * pq.ms  # the original is unchanged
    tonic = load_protocol("nmda_tonic").with_overrides({"washin_time_s": 120})
    assert float(tonic.param("washin_time", "s").magnitude) == 120.0


def test_with_overrides_rejects_bad_values() -> None:
    proto = load_protocol("nmda_epsc")
    with pytest.raises(ProtocolError, match=r"override: .*analysis_params\.stim_time.*expected a time"):
        proto.with_overrides({"stim_time": "5 mV"})
    with pytest.raises(ProtocolError, match="did you mean 'stim_time'"):
        proto.with_overrides({"stim_tim": "5 ms"})


@settings(max_examples=30, deadline=None)
@given(st.floats(min_value=0.001, max_value=5000, allow_nan=False))
def test_param_is_invariant_to_the_written_unit(value_ms: float) -> None:
    proto = load_protocol("ltp_fepsp")
    in_ms = proto.with_overrides({"stim_time": f"{value_ms!r} ms"}).param("stim_time", "ms")
    in_s = proto.with_overrides({"stim_time": f"{value_ms / 1000!r} s"}).param("stim_time", "ms")
    assert float(in_ms.magnitude) == pytest.approx(float(in_s.magnitude), rel=1e-9)


def test_protocol_is_immutable() -> None:
    proto = load_protocol("nmda_epsc")
    with pytest.raises(ValueError, match="frozen"):
        proto.name = "other"  # type: ignore[misc]


# ----- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("edit", "field", "text"),
    [
        (lambda d: d["analysis_params"].update(ampa_window=["1 ms", "50 mV"]), "analysis_params.ampa_window[1]",
         "expected a time such as '50 ms', got '50 mV' (a voltage)"),
        (lambda d: d["analysis_params"].update(ampa_holding="-70 ms"), "analysis_params.ampa_holding",
         "expected a voltage"),
        (lambda d: d["analysis_params"].update(ampa_window=["1 ms", 20]), "analysis_params.ampa_window[1]",
         "bare number 20 has no unit"),
        (lambda d: d["analysis_params"].pop("nmda_late_window"), "analysis_params.nmda_late_window",
         "required key is missing"),
        (lambda d: d.pop("recording"), "recording", "required key is missing"),
        (lambda d: d["analysis_params"].update(artifact_blank="-1.5 ms"), "analysis_params.artifact_blank",
         "must not be negative"),
        (lambda d: d["timeline"][0].update(duration="-20 min"), "timeline[0].duration", "must not be negative"),
        (lambda d: d["recording"].update(sweep_length="0 s"), "recording.sweep_length", "greater than zero"),
        (lambda d: d["analysis_params"].update(ampa_window=["20 ms", "1 ms"]), "analysis_params.ampa_window",
         "start must be before the end"),
        (lambda d: d["analysis_params"].update(ampa_windw=["1 ms", "20 ms"]), "analysis_params.ampa_windw",
         "unknown key; did you mean 'ampa_window'?"),
        (lambda d: d["recording"].update(sampling_rate="10 kHz"), "recording.sampling_rate",
         "did you mean 'min_sampling_rate'?"),
        (lambda d: d.update(versoin="1.0.0"), "versoin", "did you mean 'version'?"),
        (lambda d: d.update(version="1.0"), "version", "semantic version"),
        (lambda d: d.update(analysis="nmdaa"), "analysis", "did you mean 'nmda'?"),
        (lambda d: d["recording"].update(units="mV"), "recording.units", "voltage_clamp records a current"),
        (lambda d: d["solutions"]["acsf"].update(NaCl="125"), "solutions.acsf.NaCl", "expected a concentration"),
        (lambda d: d["solutions"]["conditions"].pop("mg_citrate"), "solutions.conditions", "mg_citrate"),
        (lambda d: d["inclusion"][0].update(max="25 mV"), "inclusion[0].max", "expected a resistance"),
        (lambda d: d["inclusion"][0].update(name="acess_resistance"), "inclusion[0].name",
         "did you mean 'access_resistance'?"),
        (lambda d: d["solutions"]["pharmacology"][0].update(phase="wash"), "solutions.pharmacology[0].phase",
         "no timeline phase 'wash'"),
        (lambda d: d["recording"]["n_sweeps"].update(expected=1), "recording.n_sweeps.expected",
         "must be at least min"),
    ],
)
def test_invalid_template_gives_one_line_naming_the_field(edit: Any, field: str, text: str, tmp_path: Path) -> None:
    data = _raw()
    edit(data)
    err = _error(data, tmp_path)
    assert err.field == field
    assert text in str(err)


def test_mea_requires_a_layout_and_ltp_checks_slope_fractions(tmp_path: Path) -> None:
    data = _raw("mea_spontaneous")
    del data["recording"]["layout"]
    assert _error(data, tmp_path).field == "recording.layout"
    data = _raw("ltp_fepsp")
    data["analysis_params"]["slope_fraction"] = [0.9, 0.1]
    assert _error(data, tmp_path).field == "analysis_params.slope_fraction"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nrecording: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"broken\.yaml: line \d+, column \d+: invalid YAML"):
        load_protocol(path)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match="expected a mapping"):
        load_protocol(path)
    with pytest.raises(ProtocolError, match="expected a mapping"):
        validate_protocol(None)


def test_unknown_protocol_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError) as info:
        load_protocol("nmda_epcs")
    message = str(info.value)
    assert "did you mean 'nmda_epsc'" in message
    assert all(name in message for name in ANALYSIS)
    with pytest.raises(ProtocolError, match="not found"):
        load_protocol(tmp_path / "missing.yaml")
    assert isinstance(info.value, EphysError) and isinstance(info.value, ValueError)


def test_env_var_folder_is_searched_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _raw()
    data["name"] = "my_epsc"
    data["analysis_params"]["stim_time"] = "250 ms"
    _write(tmp_path, data, "my_epsc.yaml")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert "my_epsc" in list_protocols()
    assert load_protocol("my_epsc").param("stim_time", "ms") == 250 * pq.ms


def test_packaged_templates_are_found_without_a_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from ephystool.protocols import _loading

    site = tmp_path / "site-packages"
    (site / "ephystool" / "_protocols").mkdir(parents=True)
    shutil.copy(find_protocol("ltp_fepsp"), site / "ephystool" / "_protocols" / "ltp_fepsp.yaml")
    monkeypatch.setattr(_loading, "_PACKAGE_DIR", site / "ephystool")  # no <repo>/protocols next to it
    monkeypatch.setattr(_loading.importlib.resources, "files", lambda package: site / package)
    assert list_protocols() == ["ltp_fepsp"]
    assert load_protocol("ltp_fepsp").source == str(site / "ephystool" / "_protocols" / "ltp_fepsp.yaml")


# ----- check_recording -----------------------------------------------------------------------
def _facts(**changes: Any) -> dict[str, Any]:
    facts = {
        "kind": "voltage_clamp",
        "channels": [SimpleNamespace(name="Im", units="pA", sampling_rate_hz=20000.0)],
        "n_sweeps": 40,
        "sweep_durations_s": [1.0] * 40,
        "sampling_rate_hz": 20000.0,
        "duration_s": 40.0,
    }
    facts.update(changes)
    return facts


def test_check_recording_accepts_a_matching_recording() -> None:
    proto = load_protocol("nmda_epsc")
    assert check_recording(proto, _facts()) == []
    assert check_recording(proto, SimpleNamespace(**_facts(), primary=0)) == []
    assert check_recording(proto, _facts(channels=[SimpleNamespace(name="Im", units="nA", sampling_rate_hz=2e4)])) == []


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"kind": "current_clamp"}, "mode: the protocol needs voltage_clamp, the recording is current_clamp"),
        ({"channels": [SimpleNamespace(name="Vm", units="mV", sampling_rate_hz=2e4)]}, "units:"),
        ({"sampling_rate_hz": 5000.0}, "sampling rate: the protocol needs at least 10 kHz"),
        ({"n_sweeps": 3}, "sweeps: the protocol needs at least 20"),
        ({"sweep_durations_s": [1.0] * 39 + [0.5]}, "sweep length: the protocol needs at least 1 s"),
        ({"channels": []}, "channels: the protocol needs at least 1"),
    ],
)
def test_check_recording_names_each_mismatch(changes: dict[str, Any], text: str) -> None:
    problems = check_recording(load_protocol("nmda_epsc"), _facts(**changes))
    assert len(problems) == 1 and text in problems[0], problems


def test_check_recording_reports_all_mismatches_and_duration() -> None:
    facts = _facts(kind="field", sampling_rate_hz=1000.0, n_sweeps=1, sweep_durations_s=[0.1])
    assert len(check_recording(load_protocol("nmda_epsc"), facts)) == 4
    mea = {"kind": "mea", "channels": [SimpleNamespace(name=f"e{i}", units="uV", sampling_rate_hz=2e4)
                                       for i in range(60)],
           "n_sweeps": 1, "sweep_durations_s": [600.0], "sampling_rate_hz": 2e4, "duration_s": 600.0}
    problems = check_recording(load_protocol("mea_spontaneous"), mea)
    assert len(problems) == 1 and problems[0].startswith("duration: the protocol needs at least 30 min")


# ----- JSON Schema ----------------------------------------------------------------------------
def test_committed_json_schema_is_up_to_date() -> None:
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == export_json_schema(), (
        "regenerate: python3 -c 'from ephystool.protocols import write_json_schema; write_json_schema()'"
    )


def test_templates_validate_against_the_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = export_json_schema()
    for name in ANALYSIS:
        jsonschema.validate(read_yaml(find_protocol(name)), schema)


# ----- command line ---------------------------------------------------------------------------
def test_cli_list_and_show() -> None:
    runner = CliRunner()
    result = runner.invoke(command, ["list"])
    assert result.exit_code == 0, result.output
    assert all(name in result.output for name in ANALYSIS)
    from ephystool.analysis.registry import ANALYSES

    block = result.output.split("analyses (")[1].splitlines()[1:]  # one line per registered analysis, in order
    assert [line.split()[0] for line in block] == [spec.name for spec in ANALYSES]
    assert any(line.startswith("ltp ") and "ltd_fepsp, ltp_fepsp" in line for line in block)
    result = runner.invoke(command, ["show", "ltp_fepsp"])
    assert result.exit_code == 0 and "# Protocol template" in result.output
    result = runner.invoke(command, ["show", "--resolved", "ltp_fepsp"])
    assert yaml.safe_load(result.output)["analysis"] == "ltp"


def test_cli_new_then_validate_round_trip(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "mine.yaml"
    result = runner.invoke(command, ["new", "nmda_epsc", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == find_protocol("nmda_epsc").read_text(encoding="utf-8")
    result = runner.invoke(command, ["validate", str(out)])
    assert result.exit_code == 0 and result.output.startswith("ok: ")
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_new_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "mine.yaml"
    out.write_text("keep me", encoding="utf-8")
    result = runner.invoke(command, ["new", "ltp_fepsp", "-o", str(out)])
    assert isinstance(result.exception, ProtocolError) and "--force" in str(result.exception)
    assert out.read_text(encoding="utf-8") == "keep me"
    result = runner.invoke(command, ["new", "ltp_fepsp", "-o", str(out), "--force", "--name", "ltp_weak"])
    assert result.exit_code == 0, result.output
    assert load_protocol(out).name == "ltp_weak"


def test_cli_validate_reports_the_field(tmp_path: Path) -> None:
    data = _raw()
    data["analysis_params"]["ampa_window"] = ["1 ms", "50 mV"]
    result = CliRunner().invoke(command, ["validate", str(_write(tmp_path, data))])
    assert isinstance(result.exception, ProtocolError)
    assert result.exception.field == "analysis_params.ampa_window[1]"


def test_cli_check_uses_the_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        import ephystool.io as io
        from ephystool.io import load  # noqa: F401
    except ImportError:
        pytest.skip("ephystool.io.load is not available yet")
    rec = tmp_path / "cell.abf"
    rec.write_bytes(b"")
    monkeypatch.setattr(io, "load", lambda path: SimpleNamespace(**_facts()))
    result = CliRunner().invoke(command, ["check", "nmda_epsc", str(rec)])
    assert result.exit_code == 0 and "matches protocol nmda_epsc" in result.output
    monkeypatch.setattr(io, "load", lambda path: SimpleNamespace(**_facts(n_sweeps=2)))
    result = CliRunner().invoke(command, ["check", "nmda_epsc", str(rec)])
    assert isinstance(result.exception, ProtocolError) and "sweeps:" in str(result.exception)


def test_a_template_is_validated_once_per_content(tmp_path) -> None:
    # the result cache's key and the analysis load the same template: one validation; an edit is read at once
    # (same size, same second: the bytes, not the file times, say whether it changed)
    path = tmp_path / "t.yaml"
    text = find_protocol("mea_spontaneous").read_text(encoding="utf-8")
    assert "threshold_sd: 5 " in text
    path.write_text(text.replace("threshold_sd: 5 ", "threshold_sd: 6 "), encoding="utf-8")
    first = load_protocol(path)
    assert load_protocol(path) is first
    path.write_text(text.replace("threshold_sd: 5 ", "threshold_sd: 7 "), encoding="utf-8")
    assert load_protocol(path).params_mapping()["threshold_sd"] == 7.0
    assert first.params_mapping()["threshold_sd"] == 6.0


_FIRST_USE = """
import sys
from concurrent.futures import ThreadPoolExecutor
from ephystool.protocols import PROTOCOLS, load_protocol
from ephystool.protocols._models import _adapter
with ThreadPoolExecutor(8) as pool:  # the result cache loads the templates in threads
    protos = list(pool.map(load_protocol, ["mea_spontaneous"] * 16))
assert len({type(p) for p in protos}) == 1 and type(protos[0]) is PROTOCOLS["firing_mea"]
assert _adapter.cache_info().currsize == 0  # a template that names its analysis needs no union
print(sorted(PROTOCOLS._built))
"""


def test_a_run_builds_the_template_model_of_its_own_analysis_once() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _FIRST_USE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "['firing_mea']"
