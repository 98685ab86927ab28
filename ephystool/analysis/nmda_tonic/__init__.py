"""Tonic NMDA-receptor current: holding-current shift on agonist wash-in, and agonist-application currents (analysis ``nmda_tonic``; its registry entry: ``SPEC``)."""

# lazy (PEP 562): importing a submodule (its Params for the protocol schema) does not import the analyzer;
# the first attribute read (``SPEC``, ``analyze``, a class) imports ``_analyzer`` and re-exports its ``__all__``
from ephystool.analysis._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__)
