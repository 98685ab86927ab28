"""Every docstring example in the package runs: a module whose source contains ``>>>`` is collected here.

The examples are part of the documentation (numpydoc ``Examples``); a wrong one misleads a reader, so each is
run with ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``. A module whose import needs an optional dependency that is
absent is skipped with the missing package named, not failed.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "ephystool"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


#: every module of the package whose source holds an example
MODULES = sorted(_module_name(p) for p in PKG.rglob("*.py") if ">>>" in p.read_text(encoding="utf-8"))


def test_the_collector_finds_the_documented_modules() -> None:
    """The scan sees the package (a wrong root would collect nothing and pass vacuously)."""
    assert "ephystool.units" in MODULES and "ephystool.io.unitnames" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "ephystool":
            raise
        pytest.skip(f"{name} needs the optional package {exc.name!r} to import")
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = [t for t in finder.find(module, name) if t.examples]
    assert tests, f"{name} contains '>>>' but no docstring example was found (a '>>>' outside a docstring?)"
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see output above)"
