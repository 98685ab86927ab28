"""NMDA I-V curve and Mg2+-block (Woodhull) fit (analysis ``nmda_iv``; its registry entry: ``SPEC``)."""

# lazy (PEP 562): importing a submodule (its Params for the protocol schema) does not import the analyzer;
# the first attribute read (``SPEC``, ``analyze``, a class) imports ``_analyzer`` and re-exports its ``__all__``
from ephystool.analysis._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__)
