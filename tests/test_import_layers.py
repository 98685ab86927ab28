"""The package's layers, read from the source with ``ast`` (every import, lazy ones inside functions too).

``io`` reads files and depends on nothing above it; between the top-level parts of the package (sub-packages
and top-level modules) there is
no cycle, and no part imports a layer above its own (:data:`LAYERS`): compare returns data and report
writes files; the pipeline owns analyze -> compare -> report; commands parse arguments and call it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "ephystool"

#: what io may import: the base modules every layer shares
IO_MAY_IMPORT = frozenset({"errors", "atomic", "units", "core", "_version"})
#: the layers above io, named in the failure message
ABOVE_IO = ("analysis", "compare", "report", "pipeline", "commands", "workflow", "simulate", "protocols", "cli")

#: The layers, top first: a part may import its own layer and the layers below it, never one above
#: (``cli -> commands -> pipeline/workflow -> {io, analysis, compare, report, ...} -> {units, errors, atomic,
#: core}``). Within the domain layer imports go sideways (analysis reads io's Recording, report formats
#: compare's results) as long as they make no cycle. A new top-level part must be placed here.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__main__", "cli"}),
    frozenset({"commands"}),
    # the package's facade (``ephystool.load``, ``ephystool.analyze``) and the orchestration
    frozenset({"ephystool", "pipeline", "workflow"}),
    frozenset({"io", "analysis", "compare", "report", "simulate", "protocols", "chemistry"}),
    frozenset({"units", "errors", "atomic", "core", "parallel", "plotting", "_version"}),
)

def _part(module: str) -> str:
    """The top-level part of ``ephystool.<part>...`` (``ephystool`` itself for the package's __init__)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "ephystool"


def _module_name(path: Path) -> tuple[str, bool]:
    rel = path.relative_to(PKG.parent).with_suffix("").parts
    is_pkg = rel[-1] == "__init__"
    return ".".join(rel[:-1] if is_pkg else rel), is_pkg


def _imported(path: Path) -> set[str]:
    """Every ``ephystool.*`` module ``path`` imports (absolute and relative, at any depth)."""
    module, is_pkg = _module_name(path)
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_pkg else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join([*pkg, base] if base else pkg)
            # 'from ephystool import io' imports the part 'io', not the package's __init__
            out.update(f"{base}.{a.name}" if base == "ephystool" else base for a in node.names)
    return {m for m in out if m == "ephystool" or m.startswith("ephystool.")}


def _graph() -> dict[str, dict[str, set[str]]]:
    """part -> {imported part: modules that import it}."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in sorted(PKG.rglob("*.py")):
        src = _part(_module_name(path)[0])
        for target in _imported(path):
            dst = _part(target)
            if dst != src:
                graph.setdefault(src, {}).setdefault(dst, set()).add(str(path.relative_to(PKG.parent)))
    return graph


def _cycles(graph: dict[str, dict[str, set[str]]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one part (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(frozenset(comp))

    nodes = set(graph) | {w for ds in graph.values() for w in ds}
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def test_io_imports_nothing_above_it() -> None:
    upward = {dst: sorted(mods) for dst, mods in _graph().get("io", {}).items() if dst not in IO_MAY_IMPORT}
    assert not upward, f"io imports layers above it ({', '.join(ABOVE_IO)} ...): {upward}"


def _rank(part: str) -> int:
    """The layer index of a part (0: top); unplaced parts fail :func:`test_every_part_has_a_layer`."""
    return next((i for i, layer in enumerate(LAYERS) if part in layer), -1)


def test_no_import_cycle_between_parts() -> None:
    graph = _graph()
    found = [sorted(c) for c in _cycles(graph)]
    detail = {f"{a} -> {b}": sorted(graph[a][b]) for c in found for a in c for b in c if b in graph.get(a, {})}
    assert not found, f"import cycles between parts of ephystool (break them; don't list them): {detail}"


def test_every_part_has_a_layer() -> None:
    graph = _graph()
    parts = set(graph) | {w for ds in graph.values() for w in ds}
    assert not sorted(p for p in parts if _rank(p) < 0), "place the new top-level part(s) in LAYERS"


def test_no_part_imports_a_layer_above_its_own() -> None:
    upward = {f"{a} -> {b}": sorted(mods) for a, ds in _graph().items() for b, mods in ds.items()
              if _rank(a) >= 0 and _rank(b) >= 0 and _rank(b) < _rank(a)}
    assert not upward, f"upward imports (the layers are {[sorted(x) for x in LAYERS]}): {upward}"


def test_the_walker_sees_lazy_relative_and_package_imports() -> None:
    """The graph is only as good as the parser: lazy, relative and 'from ephystool import x' imports count."""
    assert _part("ephystool.io.registry") == "io" and _part("ephystool") == "ephystool"
    graph = _graph()
    assert "io" in graph["analysis"]  # analyzers take a Recording
    assert "report" in graph["pipeline"]  # a lazy import inside a function (run_analysis -> fig_events)
    assert "pipeline" in graph["commands"]  # lazy too (commands import nothing heavy at load time)
    assert _rank("cli") < _rank("commands") < _rank("pipeline") < _rank("compare") < _rank("errors")
    assert _cycles({"a": {"b": set()}, "b": {"c": set()}, "c": {"a": set()}, "d": {"a": set()}}) == [
        frozenset("abc")]
