"""The analyses, in one explicit tuple: everything else about them derives from it.

The protocol schema (:mod:`ephystool.protocols`), ``protocol list``, the pipeline's analyzer and figure
dispatch, the ``analysis`` value of results.csv and the metric catalogue read :data:`ANALYSES`. Adding an
analysis: one package ``ephystool/analysis/<name>/`` exporting ``SPEC`` and one line below.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType, ModuleType

from ephystool.analysis import events, firing_cc, firing_mea, ltp, nmda, nmda_iv, nmda_tonic
from ephystool.analysis.spec import AnalysisSpec, Metric
from ephystool.errors import ProtocolError

__all__ = ["ANALYSES", "ANALYZERS", "PARAMS", "OUTPUT_ANALYSIS", "get_spec", "get_analyzer", "params_class",
           "metric_catalogue"]

#: Every analysis, in the order the schema and ``protocol list`` show them.
ANALYSES: tuple[AnalysisSpec, ...] = (
    nmda.SPEC,
    nmda_iv.SPEC,
    nmda_tonic.SPEC,
    firing_mea.SPEC,
    firing_cc.SPEC,
    ltp.SPEC,
    events.SPEC,
)

_BY_NAME = MappingProxyType({spec.name: spec for spec in ANALYSES})

#: analysis name -> its one Params class (defaults, units, bounds; the template schema derives from it)
PARAMS: MappingProxyType[str, type] = MappingProxyType({spec.name: spec.params for spec in ANALYSES})

#: analysis name -> (package, Params class name)
ANALYZERS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {spec.name: (f"ephystool.analysis.{spec.name}", spec.params.__name__) for spec in ANALYSES})

#: The ``analysis`` value written to results.csv where it is not the analysis' own name: the NMDA family
#: shares one name (ARCHITECTURE.md 3).
OUTPUT_ANALYSIS: MappingProxyType[str, str] = MappingProxyType(
    {spec.name: spec.output_name for spec in ANALYSES if spec.output_name != spec.name})


def get_spec(name: str) -> AnalysisSpec:
    """The :class:`AnalysisSpec` of an analysis name.

    Raises
    ------
    ProtocolError
        Unknown analysis name (the message lists the known ones).
    """
    if name not in _BY_NAME:
        raise ProtocolError(f"unknown analysis '{name}'; known: {', '.join(_BY_NAME)}")
    return _BY_NAME[name]


def get_analyzer(name: str) -> ModuleType:
    """The package of an analysis (``ephystool.analysis.<name>``: ``analyze``, ``analyze_session`` where it
    takes several files, ``SPEC``); the pipeline calls through it, so a test can patch ``<package>.analyze``.

    Raises
    ------
    ProtocolError
        Unknown analysis name.
    """
    return importlib.import_module(ANALYZERS[get_spec(name).name][0])


def params_class(name: str) -> type:
    """The Params class of an analysis.

    Raises
    ------
    ProtocolError
        Unknown analysis name.
    """
    return get_spec(name).params


def metric_catalogue() -> dict[tuple[str, str], Metric]:
    """(results.csv ``analysis`` value, metric) -> :class:`Metric` over every analysis (the NMDA family's
    analyses share ``nmda``; a metric two of them emit has one unit)."""
    out: dict[tuple[str, str], Metric] = {}
    for spec in ANALYSES:
        for m in spec.metrics:
            out.setdefault((spec.output_name, m.name), m)
    return out
