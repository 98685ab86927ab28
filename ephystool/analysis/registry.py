"""Analysis names (as used in protocol templates and the ``analysis`` column) -> analyzer modules."""

from __future__ import annotations

import importlib
from types import ModuleType

from ephystool.analysis.events.params import EventsParams
from ephystool.analysis.firing_cc import FiringCCParams
from ephystool.analysis.firing_mea import FiringMEAParams
from ephystool.analysis.ltp.params import LtpParams
from ephystool.analysis.nmda.params import NmdaParams
from ephystool.analysis.nmda_iv import NmdaIvParams
from ephystool.analysis.nmda_tonic import NmdaTonicParams
from ephystool.errors import ProtocolError

__all__ = ["ANALYZERS", "PARAMS", "OUTPUT_ANALYSIS", "get_analyzer", "params_class"]

#: analysis name -> (module, Params class name)
ANALYZERS: dict[str, tuple[str, str]] = {
    "nmda": ("ephystool.analysis.nmda", "NmdaParams"),
    "nmda_iv": ("ephystool.analysis.nmda_iv", "NmdaIvParams"),
    "nmda_tonic": ("ephystool.analysis.nmda_tonic", "NmdaTonicParams"),
    "firing_mea": ("ephystool.analysis.firing_mea", "FiringMEAParams"),
    "firing_cc": ("ephystool.analysis.firing_cc", "FiringCCParams"),
    "ltp": ("ephystool.analysis.ltp", "LtpParams"),
    "events": ("ephystool.analysis.events", "EventsParams"),
}

#: analysis name -> its one Params class (defaults, units, bounds; the template schema derives from it)
PARAMS: dict[str, type] = {
    "nmda": NmdaParams, "nmda_iv": NmdaIvParams, "nmda_tonic": NmdaTonicParams, "firing_mea": FiringMEAParams,
    "firing_cc": FiringCCParams, "ltp": LtpParams, "events": EventsParams,
}

#: The ``analysis`` value written to results.csv: the NMDA family shares one name (ARCHITECTURE.md 3).
OUTPUT_ANALYSIS: dict[str, str] = {"nmda_iv": "nmda", "nmda_tonic": "nmda"}


def get_analyzer(name: str) -> ModuleType:
    """The analyzer module for an analysis name.

    Raises
    ------
    ProtocolError
        Unknown analysis name (the message lists the known ones).
    """
    if name not in ANALYZERS:
        raise ProtocolError(f"unknown analysis '{name}'; known: {', '.join(ANALYZERS)}")
    return importlib.import_module(ANALYZERS[name][0])


def params_class(name: str) -> type:
    """The ``<Name>Params`` class of an analysis."""
    mod = get_analyzer(name)
    cls = getattr(mod, ANALYZERS[name][1], None)
    if cls is None:  # ltp keeps its Params in a private module and re-exports it
        raise ProtocolError(f"analysis '{name}' has no {ANALYZERS[name][1]}")
    return cls
