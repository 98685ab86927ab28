"""One vocabulary: a condition or design name is written as a string only in ``ephystool/core/vocabulary.py``.

Every other module takes the name from there (``CONTROL``, ``ACUTE_ADDED`` ...), so renaming or adding a
condition is one edit. Read with ``ast``: docstrings and ``__all__`` (names of Python objects) do not count;
the exceptions are listed below with their reason, by file and name.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ephystool.core import vocabulary as voc

PKG = Path(__file__).resolve().parents[1] / "ephystool"
VOCABULARY = "core/vocabulary.py"
NAMES = frozenset(voc.ALL_CONDITIONS) | frozenset(voc.DESIGNS)

#: (file relative to ephystool/, literal) -> why the literal stays
ALLOWED: dict[tuple[str, str], str] = {
    # the word, not the condition
    ("simulate/fepsp.py", voc.CONTROL): "the control pathway of a two-pathway LTP session (truth key), not a bath",
    ("compare/_synth.py", voc.CONTROL): "label of a synthetic two-group table for the calibration, not the bath",
}


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _dunder_all(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AugAssign | ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
            out.update(id(c) for c in ast.walk(node.value) if isinstance(c, ast.Constant))
    return out


def literals(rel: str, src: str) -> list[tuple[str, int]]:
    """(name, line) of every string literal equal to a condition or design name, docstrings and __all__ aside."""
    tree = ast.parse(src, rel)
    skip = _docstrings(tree) | _dunder_all(tree)
    return [(n.value, n.lineno) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in NAMES and id(n) not in skip]


def _found() -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).as_posix()
        if rel != VOCABULARY:
            for name, line in literals(rel, path.read_text(encoding="utf-8")):
                out.setdefault((rel, name), []).append(line)
    return out


def test_condition_and_design_names_come_from_the_vocabulary() -> None:
    found = _found()
    new = {f"{f}:{lines} {name!r}": "" for (f, name), lines in found.items() if (f, name) not in ALLOWED}
    assert not new, f"write these names through ephystool.core.vocabulary: {sorted(new)}"


def test_every_exception_is_still_needed() -> None:
    stale = sorted(set(ALLOWED) - set(_found()))
    assert not stale, f"no longer written as literals, remove from ALLOWED: {stale}"


def test_the_scan_sees_literals_and_skips_docstrings() -> None:
    src = ('"""control."""\n__all__ = ["acute_added"]\n'
           'def f(c="control"):\n    """mg_citrate"""\n    return {"mg_citrate": 1}, f"{c}"\n')
    assert sorted(literals("m.py", src)) == [("control", 3), ("mg_citrate", 5)]


def test_the_vocabulary_matches_the_public_contract() -> None:
    """ARCHITECTURE.md section 3: conditions and designs users, templates and claims files rely on."""
    assert voc.CONDITIONS == ("control", "mg_aspartate", "mg_citrate")
    assert voc.DESIGNS == ("acute_equal_total", "acute_added", "chronic_oral")
    assert {d: voc.REFERENCE_CONDITION[d] for d in voc.DESIGNS} == {
        "acute_equal_total": "control", "acute_added": "mg_matched_control", "chronic_oral": "control"}
    assert all(voc.normalise_condition(a, voc.ALL_CONDITIONS) == c for a, c in voc.CONDITION_ALIASES.items())
