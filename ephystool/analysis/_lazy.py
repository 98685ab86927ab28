"""Lazy analysis packages (PEP 562): ``ephystool.analysis.<name>`` imports its analyzer on first use.

An analysis package's ``__init__`` exports what its ``_analyzer`` module exports (``SPEC``, ``analyze``, its
Params and Result classes); with :func:`lazy_exports` the package itself imports nothing, so that importing
a light submodule (``ephystool.analysis.ltp.params``, what the protocol schema needs) does not import the
analyzer and its libraries (scipy.ndimage, the detection's numba). The first read of an attribute that is not
a submodule imports ``_analyzer`` and keeps the value in the package (a later ``setattr``, e.g. a test's patch,
wins); a submodule (``from <package> import _ap``) is imported alone.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` of a package that re-exports its ``_analyzer`` module on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (``ephystool.analysis.<name>``).

    Returns
    -------
    tuple of callable
        The module-level ``__getattr__(name)`` and ``__dir__()`` (PEP 562). ``__all__`` is the analyzer's.
    """

    def _analyzer() -> Any:
        return importlib.import_module(f"{package}._analyzer")

    def __getattr__(name: str) -> Any:
        here = vars(sys.modules[package])
        if name in here:
            return here[name]
        if name.startswith("__") and name != "__all__":
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if importlib.util.find_spec(f"{package}.{name}") is not None:  # a submodule: itself, not the analyzer
            return importlib.import_module(f"{package}.{name}")
        module = _analyzer()
        if name == "__all__":
            value: Any = list(module.__all__)
        elif hasattr(module, name):
            value = getattr(module, name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        here[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(__getattr__("__all__")))

    return __getattr__, __dir__
