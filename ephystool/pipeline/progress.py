"""A progress bar with per-file status (rich), silent when disabled."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["progress_bar", "failure_line"]


def failure_line(failure: dict[str, str]) -> str:
    """One line for a failed recording: ``RECORDING [Stage]: message``, without naming the file twice
    (the message of an expected error starts with the file it is about)."""
    rec, err = str(failure["recording"]), str(failure["error"]).splitlines()[0]
    name = rec.replace("\\", "/").rsplit("/", 1)[-1]
    head = err.split(": ", 1)[0]
    if name and head.endswith(name):
        return f"{head} [{failure['stage']}]: {err.split(': ', 1)[1] if ': ' in err else ''}".rstrip(": ")
    return f"{rec} [{failure['stage']}]: {err}"


@contextlib.contextmanager
def progress_bar(total: int, enabled: bool = True, reused: int = 0) -> Iterator[Callable[[Any], None]]:
    """Yield an ``advance(output)`` callback that moves the bar and prints failures as they happen."""
    if not enabled:
        yield lambda out: None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    cols = (TextColumn("[bold]analyse"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.description}"))
    with Progress(*cols, console=console, transient=not sys.stderr.isatty()) as prog:
        task = prog.add_task(f"({reused} reused from cache)" if reused else "", total=total, completed=reused)

        def advance(out: Any) -> None:
            status = "failed" if out.failure else "ok"
            prog.update(task, advance=1, description=escape(f"{out.recording}: {status}"))
            if out.failure:
                msg = escape(failure_line(out.failure))
                console.print(f"[red]failed[/red] {msg}",
                              markup=True, highlight=False, soft_wrap=True)

        yield advance
