"""One Params class per analysis: its fields give the defaults, the converter and the template schema."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import quantities as pq

from ephystool.analysis import params as P
from ephystool.analysis.registry import PARAMS
from ephystool.errors import ProtocolError
from ephystool.protocols import PARAMS_BY_ANALYSIS, load_protocol, validate_protocol
from ephystool.protocols._loading import find_protocol, read_yaml

TEMPLATES = {"nmda": "nmda_epsc", "nmda_iv": "nmda_iv", "nmda_tonic": "nmda_tonic", "firing_mea": "mea_spontaneous",
             "firing_cc": "cc_fi_steps", "ltp": "ltp_fepsp", "events": "sepsc_gapfree"}


def _same(a: object, b: object) -> bool:
    if isinstance(a, pq.Quantity) or isinstance(b, pq.Quantity):
        return a.units == b.units and np.array_equal(np.asarray(a.magnitude), np.asarray(b.magnitude))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_defaults_are_in_the_declared_unit_and_within_bounds(name: str) -> None:
    cls = PARAMS[name]
    for key, value in P.defaults(cls).items():
        spec = P.param_specs(cls).get(key)
        if spec is None or value is None:
            continue
        items = value if isinstance(value, tuple) and spec.form in ("pair", "tuple") else [value]
        for item in items:
            if isinstance(item, pq.Quantity):
                assert item.dimensionality.string in spec.unit or pq.Quantity(1.0, spec.unit[0]).units == item.units, (
                    f"{name}.{key}: default in {item.dimensionality} but the field says {spec.unit}")
        if spec.kind == "number" and not spec.unit:
            assert (spec.ge is None or value >= spec.ge) and (spec.gt is None or value > spec.gt) \
                and (spec.le is None or value <= spec.le), f"{name}.{key}: default {value} outside its bounds"


@pytest.mark.parametrize("name", sorted(k for k in PARAMS if k != "nmda_iv"))
def test_an_empty_template_gives_the_dataclass_defaults(name: str) -> None:
    cls = PARAMS[name]
    built, plain = cls.from_protocol({}), cls()
    for f in dataclasses.fields(cls):
        assert _same(getattr(built, f.name), getattr(plain, f.name)), f.name


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_template_model_keys_are_the_params_fields(name: str) -> None:
    cls = PARAMS[name]
    keys = {k for k, s in P.param_specs(cls).items() if s.template != "internal"}
    base = getattr(cls, "TEMPLATE_BASE", None)
    if base is not None:
        keys |= {k for k, s in P.param_specs(base).items() if s.template != "internal"}
    model = PARAMS_BY_ANALYSIS[name]
    assert set(model.model_fields) == keys
    required = {k for k, f in model.model_fields.items() if f.is_required()}
    assert required == {k for k in keys if (P.param_specs(cls).get(k) or P.param_specs(base).get(k)).template
                        == "required"}
    assert len({m.__name__ for m in PARAMS_BY_ANALYSIS.values()}) == len(PARAMS_BY_ANALYSIS)
    assert model.__name__ != cls.__name__


def test_optional_descriptions_state_the_dataclass_default() -> None:
    fields = PARAMS_BY_ANALYSIS["events"].model_fields
    assert fields["threshold"].description.endswith("(default 4.0)")
    assert fields["template_decay"].description.endswith("(default 4 ms)")


@pytest.mark.parametrize(("name", "values", "key"), [
    ("firing_mea", {"threshold_sd": 0}, "threshold_sd"),
    ("firing_mea", {"filter_order": 2.5}, "filter_order"),
    ("firing_mea", {"band": ["3 kHz", "300 Hz"]}, "band"),
    ("firing_mea", {"dead_time": "-1 ms"}, "dead_time"),
    ("firing_mea", {"burst_max_isi_start": "300 ms"}, "burst_max_isi_end"),
    ("nmda", {"isolated_nmda": "yes"}, "isolated_nmda"),
    ("nmda", {"holding_potentials": []}, "holding_potentials"),
    ("ltp", {"slope_fraction": [0.9, 0.1]}, "slope_fraction"),
    ("events", {"exclude_windows": "120 s"}, "exclude_windows"),
    ("events", {"min_amplitude": "5 ms"}, "min_amplitude"),
])
def test_converter_names_the_key_of_a_bad_value(name: str, values: dict, key: str) -> None:
    with pytest.raises(ProtocolError, match=key):
        PARAMS[name].from_protocol(values)


def test_manifest_override_wins_and_is_sourced() -> None:
    p = PARAMS["nmda"].from_protocol({"stim_time": "50 ms"}, {"stim_time_ms": 75.0})
    assert float(p.stim_time.rescale("ms").magnitude) == 75.0 and p.stim_source == "manifest"
    q = PARAMS["nmda"].from_protocol({"stim_time": "50 ms"}, {"stim_time_ms": float("nan")})
    assert float(q.stim_time.rescale("ms").magnitude) == 50.0 and q.stim_source == "protocol"
    cc = PARAMS["firing_cc"].from_protocol({"step_first": "-50 pA"}, {"step_first_pA": -100.0, "step_increment_pA": 20})
    assert float(cc.step_first.magnitude) == -50.0 and float(cc.step_increment.magnitude) == 20.0
    with pytest.raises(ProtocolError, match="sweep_interval_s"):
        PARAMS["ltp"].from_protocol({}, {"sweep_interval_s": -1})


def test_template_rule_and_converter_rule_agree() -> None:
    data = read_yaml(find_protocol("mea_spontaneous"))
    data["analysis_params"]["burst_max_isi_start"] = "300 ms"
    with pytest.raises(ProtocolError, match="burst_max_isi_end.*not be shorter"):
        validate_protocol(data)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_packaged_template_values_convert(name: str) -> None:
    proto = load_protocol(TEMPLATES[name])
    overrides = {"mg_mM": 1.0} if name == "nmda_iv" else {}
    assert isinstance(PARAMS[name].from_protocol(proto.params_mapping(), overrides), PARAMS[name])
