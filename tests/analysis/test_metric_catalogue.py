"""Every metric an analyzer emits on its synthetic fixture has a catalogue entry whose unit is the row's unit,
and every analysis is reachable through the one registry tuple."""

from __future__ import annotations

import pytest

from ephystool.analysis import registry
from ephystool.analysis.spec import TABLES
from ephystool.simulate.cclamp import simulate_fi_steps
from ephystool.simulate.events import simulate_events
from ephystool.simulate.fepsp import simulate_fepsp_session
from ephystool.simulate.mea import mea_recording, simulate_mea
from ephystool.simulate.vclamp import simulate_epsc_sweeps, simulate_iv_series, simulate_tonic

FIXTURES = {
    "nmda": (lambda: simulate_epsc_sweeps(seed=5108, n_sweeps_per_holding=3)[0], {}),
    "nmda_iv": (lambda: simulate_iv_series(seed=6402, n_sweeps_per_step=2)[0], {"mg_mM": 1.0}),
    "nmda_tonic": (lambda: simulate_tonic(seed=7607, tag_text="+drug", rate_hz=1000.0)[0], {}),
    "firing_cc": (lambda: simulate_fi_steps(currents_pa=[0, 150, 250], seed=3, sweep_s=0.7)[0], {}),
    "firing_mea": (lambda: mea_recording(*simulate_mea(4.0, seed=19, snr=7.0)), {}),
    "ltp": (lambda: simulate_fepsp_session(9001)[0], {}),
    "events": (lambda: simulate_events(seed=77, duration_s=10.0, frequency_hz=6.0, noise_rms_pA=2.5)[0], {}),
}
_METHODS = {"results": "rows", "sweeps": "sweep_rows", "electrodes": "electrode_rows"}


def test_every_analysis_has_a_fixture_here() -> None:
    assert set(FIXTURES) == {spec.name for spec in registry.ANALYSES}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_emitted_metrics_are_in_the_catalogue_with_their_unit(name: str) -> None:
    spec = registry.get_spec(name)
    make, overrides = FIXTURES[name]
    result = spec.analyze(make(), spec.params.from_protocol({}, overrides))
    seen = 0
    for table in TABLES:
        rows = getattr(result, _METHODS[table], lambda: [])()
        for row in rows:
            metric = spec.metric(row["metric"])  # AnalysisError: not in the catalogue
            assert table in metric.tables, f"{name}: {row['metric']} appears in {table}, the catalogue says {metric.tables}"
            want = "1" if row.get("window") == "ratio" else metric.unit
            assert row["unit"] == want, f"{name}.{row['metric']} ({table}): row unit {row['unit']!r}, catalogue {want!r}"
            seen += 1
    assert seen > 0


def test_catalogue_is_consistent_across_the_analyses_sharing_an_output_name() -> None:
    by_key: dict[tuple[str, str], str] = {}
    for spec in registry.ANALYSES:
        names = [m.name for m in spec.metrics]
        assert len(names) == len(set(names)), f"{spec.name}: a metric listed twice"
        for m in spec.metrics:
            assert by_key.setdefault((spec.output_name, m.name), m.unit) == m.unit, (spec.name, m.name)
    assert registry.metric_catalogue()[("nmda", "nmda_conductance")].unit == "nS"
    assert registry.OUTPUT_ANALYSIS == {"nmda_iv": "nmda", "nmda_tonic": "nmda"}


def test_unknown_analysis_names_the_known_ones() -> None:
    from ephystool.errors import ProtocolError

    with pytest.raises(ProtocolError, match="known: nmda, nmda_iv"):
        registry.get_spec("nmdaa")


def test_registry_params_table_names_each_specs_params_class() -> None:
    # the protocol schema reads PARAMS without importing the analyzers: its table must be the SPECs' classes
    assert tuple(registry.PARAMS) == tuple(spec.name for spec in registry.ANALYSES)
    for spec in registry.ANALYSES:
        assert registry.PARAMS[spec.name] is spec.params, spec.name
        assert registry.ANALYZERS[spec.name] == (f"ephystool.analysis.{spec.name}", spec.params.__name__)
        assert registry.get_analyzer(spec.name).SPEC is spec


def test_a_lazy_analysis_package_exports_its_analyzer(monkeypatch: pytest.MonkeyPatch) -> None:
    import ephystool.analysis.firing_cc as pkg
    from ephystool.analysis.firing_cc import _analyzer

    assert set(pkg.__all__) == set(_analyzer.__all__) and set(pkg.__all__) <= set(dir(pkg))
    assert pkg.analyze is _analyzer.analyze and pkg._membrane_potential is _analyzer._membrane_potential
    assert registry.get_analyzer("nmda_iv").nmda is registry.get_analyzer("nmda")
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        pkg.nothing  # noqa: B018
    monkeypatch.setattr(pkg, "analyze", len)  # the pipeline calls through the package: a patch wins
    assert registry.get_analyzer("firing_cc").analyze is len
