"""The command line: version, lazy help, one-line expected errors with exit 2, --debug tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ephystool._version import __version__
from ephystool.cli import COMMANDS, main
from ephystool.errors import CorruptFileError
from ephystool.simulate.abf_writer import write_abf1


def _run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code`` in a fresh interpreter (independent of the working directory)."""
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent)


def _abf(tmp_path: Path) -> Path:
    sweeps = -60.0 + np.random.default_rng(0).standard_normal((3, 1, 1000))
    return write_abf1(tmp_path / "cell.abf", sweeps, 10000, ["Vm"], ["mV"], sweep_interval_s=1.0)


def _bad(tmp_path: Path) -> Path:
    p = tmp_path / "broken.abf"
    p.write_bytes(b"not an abf file at all")
    return p


def test_version(capsys) -> None:
    try:
        main(["--version"])
    except SystemExit as ex:  # click may exit after printing
        assert ex.code in (0, None)
    out = capsys.readouterr().out
    assert out.strip() == f"ephystool, version {__version__}"


def test_help_lists_every_command(capsys) -> None:
    main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


def test_help_imports_neither_scipy_nor_matplotlib() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from ephystool.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "        main(['info', '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'matplotlib'})\n"
        "print(','.join(heavy) or 'none')\n"
    )
    res = _run_python(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "none"


def test_info_text_and_json(tmp_path: Path, capsys) -> None:
    path = _abf(tmp_path)
    main(["info", str(path)])
    text = capsys.readouterr().out
    assert "cell.abf" in text and "abf1" in text and "3 sweep(s)" in text
    main(["info", "--json", str(path)])
    s = json.loads(capsys.readouterr().out)
    assert s["format"] == "abf1" and s["kind"] == "current_clamp" and s["n_sweeps"] == 3
    assert s["sampling_rate_hz"] == pytest.approx(10000.0)
    assert s["channels"][0]["name"] == "Vm" and s["channels"][0]["units"] == "mV"
    assert s["sweep_start_times_s"] == pytest.approx([0.0, 1.0, 2.0])


def test_info_kind_override(tmp_path: Path, capsys) -> None:
    main(["info", "--json", "--kind", "field", str(_abf(tmp_path))])
    assert json.loads(capsys.readouterr().out)["kind"] == "field"


def test_expected_error_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    bad = _bad(tmp_path)
    with pytest.raises(SystemExit) as ex:
        main(["info", str(bad)])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"ephystool: error: {bad}:")
    assert "Traceback" not in err


def test_debug_reraises_expected_error(tmp_path: Path) -> None:
    with pytest.raises(CorruptFileError):
        main(["--debug", "info", str(_bad(tmp_path))])


def test_debug_shows_traceback_in_a_real_process(tmp_path: Path) -> None:
    code = "import sys\nfrom ephystool.cli import main\nmain(sys.argv[1:])\n"
    bad = str(_bad(tmp_path))
    plain = _run_python(code, "info", bad)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert plain.stderr.strip().splitlines() == [plain.stderr.strip()]
    debug = _run_python(code, "--debug", "info", bad)
    assert debug.returncode != 0
    assert "Traceback (most recent call last)" in debug.stderr and "CorruptFileError" in debug.stderr


def test_usage_errors_exit_2(capsys) -> None:
    for argv in (["no-such-command"], ["info"]):
        with pytest.raises(SystemExit) as ex:
            main(argv)
        assert ex.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_analyze_with_unknown_condition_exits_2(tmp_path: Path, capsys) -> None:
    _abf(tmp_path)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,condition,animal,cell,protocol\ncell.abf,magnesium sulfate,A1,C1,cc_fi_steps\n")
    out = tmp_path / "results"
    with pytest.raises(SystemExit) as ex:
        main(["analyze", str(manifest), "--out", str(out), "--quiet"])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ephystool: error:")
    assert "manifest.csv" in lines[0] and "magnesium sulfate" in lines[0] and "row 1" in lines[0]
    assert not out.exists()  # nothing is analysed or written for an invalid manifest


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bug_is_one_internal_error_line_not_a_traceback(command: str, capsys,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command (issue 14, item 2): an unexpected exception prints one line naming --debug, exit 3."""
    import click

    from ephystool.cli import LazyGroup

    def boom() -> None:  # stands for any bug inside the command
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(LazyGroup, "get_command", lambda self, ctx, name: click.Command(name, callback=boom))
    with pytest.raises(SystemExit) as ex:
        main([command])
    err = capsys.readouterr().err
    assert ex.value.code == 3
    assert err.count("\n") == 1 and err.startswith("ephystool: internal error (ZeroDivisionError")
    assert "rerun with --debug" in err and "Traceback" not in err


def test_info_bug_is_one_line_and_debug_shows_it(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import ephystool.io

    def broken_load(*args, **kwargs):
        raise KeyError("a bug in a reader")

    monkeypatch.setattr(ephystool.io, "load", broken_load)
    path = str(_abf(tmp_path))
    with pytest.raises(SystemExit) as ex:
        main(["info", "--json", path])
    err = capsys.readouterr().err
    assert ex.value.code == 3 and err.count("\n") == 1 and "internal error (KeyError" in err
    assert "rerun with --debug" in err
    with pytest.raises(KeyError):
        main(["--debug", "info", path])


@pytest.mark.parametrize("given", ["folder", "recording", "binary_csv", "binary_yaml"])
def test_analyze_given_something_else_than_a_manifest_says_so_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str) -> None:
    """A new user's first mistakes: the data folder, a recording, or a binary file where the manifest goes.
    One line naming the file and the fix, exit 2 (a recording used to raise UnicodeDecodeError: exit 3)."""
    target = {"folder": tmp_path, "recording": _abf(tmp_path), "binary_csv": tmp_path / "m.csv",
              "binary_yaml": tmp_path / "m.yaml"}[given]
    if given.startswith("binary"):
        target.write_bytes(b"\xff\xfe\x00\xa9" + bytes(range(256)))
    with pytest.raises(SystemExit) as ex:
        main(["analyze", str(target), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert ex.value.code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert str(target) in err
    expected = {"folder": "is a folder, not a manifest", "recording": "is a recording, not a manifest",
                "binary_csv": "is not a text table", "binary_yaml": "is not a text table"}[given]
    assert expected in err and ("manifest init" in err or given == "binary_yaml")


def test_console_exit_runs_atexit_flushes_and_keeps_the_status() -> None:
    """The command's fast exit (no interpreter teardown) still joins threads, runs atexit handlers (temporary
    folders, logging, pools) and flushes both streams, with the status it was given."""
    code = ("import atexit, sys, threading, time\n"
            "from ephystool.cli import _hard_exit\n"
            "atexit.register(lambda: print('atexit ran'))\n"
            "threading.Thread(target=lambda: (time.sleep(0.2), print('thread done', end=' '))).start()\n"
            "print('out', end=' ')\n"
            "sys.stderr.write('err')\n"
            "_hard_exit(5)\n")
    res = _run_python(code)
    assert res.returncode == 5
    assert res.stdout == "out thread done atexit ran\n" and res.stderr == "err"


@pytest.mark.parametrize(("argv", "status"), [(["--version"], 0), (["info", "--json"], 0), (["info"], 2)])
def test_python_dash_m_statuses_and_output(tmp_path: Path, argv, status) -> None:
    """``python -m ephystool`` (the console entry point's code path) exits with the command's status and its
    whole output: JSON complete on stdout, one error line on stderr."""
    import subprocess
    import sys

    files = {"info": str(_abf(tmp_path)) if "--json" in argv else str(_bad(tmp_path))}
    args = [*argv, files["info"]] if argv[0] == "info" else argv
    res = subprocess.run([sys.executable, "-m", "ephystool", *args], capture_output=True, text=True, timeout=120)
    assert res.returncode == status, res.stderr
    if "--json" in argv:
        assert json.loads(res.stdout)["n_sweeps"] == 3
    elif status == 2:
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("ephystool: error:") and res.stdout == ""
    else:
        assert res.stdout.strip() == f"ephystool, version {__version__}"


def test_command_under_a_profiler_exits_normally(tmp_path: Path) -> None:
    """``python -m cProfile -m ephystool ...`` writes its statistics: no fast exit under a profiler or tracer."""
    import subprocess
    import sys

    prof = tmp_path / "run.prof"
    res = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "ephystool", "--version"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert prof.stat().st_size > 0 and __version__ in res.stdout
