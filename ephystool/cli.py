"""The ``ephystool`` command line: parses arguments and chains library calls, nothing else.

Subcommands live in :mod:`ephystool.commands` and are imported only when invoked, so
``ephystool --help`` stays fast. An expected error (:class:`~ephystool.errors.EphysError`) is
printed as one line naming the file and the problem, with exit status 2; any other exception is a
bug and is printed as one ``internal error ... rerun with --debug`` line, exit status 3. ``--debug``
shows the traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from ephystool._version import __version__

#: command name -> (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "info": ("ephystool.commands.info", "command", "Describe a recording (format, channels, sweeps, tags)."),
    "manifest": ("ephystool.commands.manifest", "command", "Draft or check an experiment manifest."),
    "analyze": ("ephystool.commands.analyze", "command", "Analyse every recording of a manifest."),
    "compare": ("ephystool.commands.compare", "command", "Compare conditions and check the claims."),
    "validate": ("ephystool.commands.compare", "validate", "Analyse a manifest, then compare and check claims."),
    "protocol": ("ephystool.commands.protocol", "command", "List, show, copy, validate and check protocol templates."),
    "solutions": ("ephystool.commands.solutions", "command", "Masses to weigh and free Mg2+/Ca2+/Zn2+ of a bath."),
    "simulate": ("ephystool.commands.simulate", "command", "Generate a ground-truth experiment in real formats."),
    "demo": ("ephystool.commands.demo", "command", "Run the whole pipeline on the sample data."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        try:
            cmd = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("ephystool"):
                raise click.UsageError(f"'{cmd_name}' is not available in this build ({exc.name} missing)") from exc
            raise
        cmd.name = cmd_name
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, _, help_) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ephystool")
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """ephystool: patch-clamp and MEA analysis of control vs Mg aspartate vs Mg citrate."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if os.environ.get("EPHYSTOOL_FILTER_ENGINE"):  # a wrong value is one line now, not a failure per recording
        from ephystool.analysis._biquad import engine

        engine()


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI, turning expected errors into one line and exit status 2."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    from ephystool.errors import EphysError, one_line

    try:
        return cli.main(args=args, prog_name="ephystool", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("ephystool: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except EphysError as exc:
        if debug:
            raise
        click.echo(f"ephystool: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("ephystool: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug, not the user's fault: one line, and the traceback only with --debug
        if debug:
            raise
        where = _origin(exc)
        click.echo(f"ephystool: internal error ({type(exc).__name__}{where}: {one_line(exc)}); this is a bug in "
                   "ephystool: rerun with --debug for the traceback and report it", err=True)
        sys.exit(3)


def console_main() -> None:
    """The ``ephystool`` command (and ``python -m ephystool``): :func:`main`, then a fast exit.

    Once the command is done (every output written and closed, atexit handlers run, other threads joined,
    streams flushed), the process ends with ``os._exit`` instead of tearing the interpreter down object by
    object: freeing pandas', matplotlib's, SciPy's and neo's modules costs ~0.2 s of every command and
    changes nothing on disk (mypy's ``hard_exit`` does the same). :func:`main` itself, as called from Python
    code or tests, exits normally, and so does the command under a profiler, debugger or coverage
    (``python -m cProfile -m ephystool ...`` writes its statistics).
    """
    try:
        code: Any = main()  # click's return value: None or an exit status, as for ``sys.exit(main())``
    except SystemExit as exc:
        code = exc.code
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)  # a profiler, debugger or coverage run writes its results at a normal exit
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed to stderr, status 1 (as Python does)
        print(code, file=sys.stderr)
        code = 1
    _hard_exit(code)


def _hard_exit(code: int) -> None:
    """End the process with ``code`` after what a normal exit does that can matter: other non-daemon threads
    joined, atexit handlers run (logging flushed, temporary folders removed, pools stopped), streams flushed."""
    import atexit
    import os
    import threading

    for t in threading.enumerate():
        if t is not threading.current_thread() and not t.daemon:
            t.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (ephystool ... | head): nothing more to say
            pass
    os._exit(code)


def _origin(exc: BaseException) -> str:
    """' in module.function' of the innermost frame of the traceback (empty when unknown)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    code = tb.tb_frame.f_code
    module = tb.tb_frame.f_globals.get("__name__", "?")
    return f" in {module}.{code.co_name}"


if __name__ == "__main__":  # pragma: no cover
    main()
