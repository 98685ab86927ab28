"""Per format: the reader ephystool uses and the traps it handles (the README table is generated from here).

The rows are the :class:`~ephystool.io.loader.FormatDoc` of the loaders in
:data:`ephystool.io.registry.LOADERS`, in that order (a row shared by several loaders appears once).
``python -m ephystool.io.formats`` prints the Markdown table; ``tests/io/test_formats_table.py`` checks that
the README holds exactly this table, so the documentation cannot drift from the loaders.
"""

from __future__ import annotations

from ephystool.io.registry import LOADERS

__all__ = ["FORMAT_TABLE", "markdown_table"]

#: (format, files, reader, traps handled)
FORMAT_TABLE: tuple[tuple[str, str, str, str], ...] = tuple(
    (d.format, d.files, d.reader, d.traps) for d in dict.fromkeys(ld.doc for ld in LOADERS if ld.doc is not None))


def markdown_table() -> str:
    """The format table as Markdown (what README.md's 'Supported formats' section holds)."""
    lines = ["| format | files | reader | traps handled |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in FORMAT_TABLE]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown_table())
