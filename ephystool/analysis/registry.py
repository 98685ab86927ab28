"""The analyses, in one explicit tuple: everything else about them derives from it.

The protocol schema (:mod:`ephystool.protocols`), ``protocol list``, the pipeline's analyzer and figure
dispatch, the ``analysis`` value of results.csv and the metric catalogue read :data:`ANALYSES`. Adding an
analysis: one package ``ephystool/analysis/<name>/`` exporting ``SPEC`` and one line in :data:`_PARAMS_AT`.

Importing this module imports only the analyses' Params classes (what the protocol schema needs);
:data:`ANALYSES` (every ``SPEC``) imports every analyzer on first use, :func:`get_spec` and
:func:`get_analyzer` only the one named, so that a run imports only the analyzers it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import MappingProxyType, ModuleType
from typing import Any

from ephystool.analysis.spec import AnalysisSpec, Metric
from ephystool.errors import ProtocolError

__all__ = ["ANALYSES", "ANALYZERS", "PARAMS", "OUTPUT_ANALYSIS", "get_spec", "get_analyzer", "params_class",
           "metric_catalogue"]

#: Every analysis, in the order the schema and ``protocol list`` show them: (name, module of its one Params
#: class, class name). The class is its ``SPEC.params`` (tests/analysis/test_metric_catalogue.py checks it),
#: in a module of its own: the protocol schema imports no analyzer (nor the detector's numba, scipy.ndimage).
_PARAMS_AT: tuple[tuple[str, str, str], ...] = (
    ("nmda", "ephystool.analysis.nmda.params", "NmdaParams"),
    ("nmda_iv", "ephystool.analysis.nmda_iv.params", "NmdaIvParams"),
    ("nmda_tonic", "ephystool.analysis.nmda_tonic.params", "NmdaTonicParams"),
    ("firing_mea", "ephystool.analysis.firing_mea.params", "FiringMEAParams"),
    ("firing_cc", "ephystool.analysis.firing_cc.params", "FiringCCParams"),
    ("ltp", "ephystool.analysis.ltp.params", "LtpParams"),
    ("events", "ephystool.analysis.events.params", "EventsParams"),
)

#: analysis name -> its one Params class (defaults, units, bounds; the template schema derives from it)
PARAMS: MappingProxyType[str, type] = MappingProxyType(
    {name: getattr(importlib.import_module(module), cls) for name, module, cls in _PARAMS_AT})

#: analysis name -> (package, Params class name)
ANALYZERS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {name: (f"ephystool.analysis.{name}", cls) for name, _, cls in _PARAMS_AT})


class _OutputNames(Mapping[str, str]):
    """The ``analysis`` value written to results.csv where it is not the analysis' own name, read from each
    ``SPEC.output_name`` when asked (looking one name up imports that analyzer only)."""

    def __getitem__(self, name: str) -> str:
        if name not in PARAMS or get_spec(name).output_name == name:
            raise KeyError(name)
        return get_spec(name).output_name

    def __iter__(self) -> Iterator[str]:
        return (name for name in PARAMS if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr(dict(self))


#: The ``analysis`` value written to results.csv where it is not the analysis' own name: the NMDA family
#: shares one name (ARCHITECTURE.md 3).
OUTPUT_ANALYSIS: Mapping[str, str] = _OutputNames()


#: Every analysis' :class:`AnalysisSpec`, in :data:`_PARAMS_AT` order (set on first use: imports every analyzer).
ANALYSES: tuple[AnalysisSpec, ...]


def __getattr__(name: str) -> Any:
    """:data:`ANALYSES` on first use (PEP 562): every analysis' ``SPEC``, which imports every analyzer."""
    if name == "ANALYSES":
        value = tuple(get_spec(n) for n in PARAMS)
        globals()["ANALYSES"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_spec(name: str) -> AnalysisSpec:
    """The :class:`AnalysisSpec` of an analysis name.

    Raises
    ------
    ProtocolError
        Unknown analysis name (the message lists the known ones).
    """
    if name not in PARAMS:
        raise ProtocolError(f"unknown analysis '{name}'; known: {', '.join(PARAMS)}")
    spec: AnalysisSpec = importlib.import_module(f"ephystool.analysis.{name}").SPEC
    return spec


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
    for name in PARAMS:
        spec = get_spec(name)
        for m in spec.metrics:
            out.setdefault((spec.output_name, m.name), m)
    return out
