"""The verdict table on the console: the same rows for ``compare``, ``validate`` and ``demo``."""

from __future__ import annotations

from typing import Any

__all__ = ["print_verdicts", "verdict_rows"]


def _fmt(x: Any) -> str:
    from ephystool.report.labels import sig

    return "" if x is None else sig(x)


def verdict_rows(result: Any) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the verdict table: claim, condition vs reference, metric, expected, verdict,
    effect [95 % CI] to 3 significant digits, the prediction and whether it holds.

    Parameters
    ----------
    result : CompareResult
        A :class:`~ephystool.compare.engine.CompareResult` (anything with ``verdicts``).

    Returns
    -------
    tuple of (list of str, list of list of str)
        The header and one row per verdict.
    """
    rows = []
    for v in result.verdicts:
        e, ci, p = v.effect or {}, v.ci or [None, None], v.prediction or {}
        rows.append([v.id, v.condition, v.reference, v.metric or "-", v.expected, v.verdict,
                     f"{_fmt(e.get('estimate'))} [{_fmt(ci[0])}, {_fmt(ci[1])}]" if e else "",
                     f"{_fmt(p.get('value'))} [{_fmt(p.get('low'))}, {_fmt(p.get('high'))}]" if p else "",
                     {True: "yes", False: "NO", None: ""}[v.prediction_holds]])
    head = ["claim", "condition", "reference", "metric", "expected", "verdict", "effect [95% CI]", "predicted",
            "holds"]
    return head, rows


def print_verdicts(result: Any) -> None:
    """Print the verdict table of a :class:`~ephystool.compare.engine.CompareResult` (rich when available).

    Identifiers, metric names and verdicts are never cut: the console is at least as wide as the table.
    """
    import click

    head, rows = verdict_rows(result)
    title = f"Verdicts (design: {result.design}): " + ", ".join(f"{k} {n}" for k, n in result.counts().items())
    try:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table
    except ImportError:
        click.echo(title)
        for r in [head, *rows]:
            click.echo(" | ".join(r))
        return
    table = Table(title=title, show_lines=False)
    for h in head:
        table.add_column(h, no_wrap=h in ("claim", "condition", "reference", "metric", "expected", "verdict"))
    styles = {"supported": "green", "contradicted": "red", "inconclusive": "yellow"}
    for r in rows:
        table.add_row(*(escape(c) for c in r), style=styles.get(r[5], "dim"))
    width = sum(max(len(h), *(len(r[i]) for r in rows)) + 3 for i, h in enumerate(head)) + 1 if rows else 80
    Console(width=max(width, Console().width), highlight=False).print(table)
