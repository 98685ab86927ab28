"""Mutation score of the analysis/compare/io tests (issue 13, "Tests that catch wrong numbers").

Each mutation (``benchmarks/mutations.toml``, a data table) is a one-line semantic change (a plausible bug
that changes numbers: a constant, a comparison, a sign, a unit, an orientation), applied one at a time to a temporary copy of the repository (the real files
are never edited). A mutation names its exact original text, not a file: the harness finds the one file under
``ephystool/`` that contains it (an error when no file or more than one occurrence holds it), so modules can
move (``analysis/x.py`` -> ``analysis/x/``) without the list going stale. The mutation's test files,
directories or node ids run with ``pytest -x -q -p no:cacheprovider`` and a timeout; it is *caught* when they fail.
The copy sees ``../shared`` (real data) and ``sample_data`` through symlinks, as the worktree does.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/mutation_score.py [--only NAME ...] [--jobs 1]
[--baseline]`` (``--baseline`` first runs each distinct test list unmutated: it must pass).

Score measured 2026-12-03 (branch s4-mutation, 2 shared cores, ``--jobs 1``): 50/50 caught (100 %) in 341 s.
Of these, 8 were added blind after the tests of the first 42 (MEA MAD factor, weighted rate, absolute rheobase,
STP window, tonic mean, events threshold, Hedges correction, sweep-time origin): 6/8 were caught before tests
were written for the two survivors (absolute rheobase sign, STP window default), a truer estimate of how
the tests catch a new wrong number. The issue's 28-mutation run (before these tests) caught 12 (43 %).

After the refactor (one Params per analysis: a default is written once, so the "parser default" twins are
gone; list re-pointed at the single defaults): 47/47 caught (100 %) in 155 s on main. Then 5 more added blind by
the lead (burst min_ibi boundary, events 10-90 % rise, bootstrap ratio orientation, events frequency, LTP drift
limit): 3/5 caught before tests were written for the two survivors (now caught: 52/52). Blind so far: 9/13
(69 %) -- what to expect of a wrong number nobody has thought of yet.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "ephystool"


@dataclass(frozen=True)
class Mutation:
    """One mutation: exact original text (must occur once under ``ephystool/``), replacement, tests."""

    name: str
    original: str
    replacement: str
    description: str
    tests: tuple[str, ...]


class StaleMutation(Exception):
    """The original text occurs in no file, or more than once."""


def locate(original: str) -> Path:
    """The one ``.py`` file under ``ephystool/`` holding ``original`` exactly once (relative to the repo)."""
    hits = [(p, p.read_text(encoding="utf-8").count(original)) for p in sorted(PACKAGE.rglob("*.py"))]
    hits = [(p, n) for p, n in hits if n]
    total = sum(n for _, n in hits)
    if total != 1:
        where = ", ".join(f"{p.relative_to(REPO)} ({n}x)" for p, n in hits) or "no file"
        raise StaleMutation(f"{total} occurrences of the original text: {where}")
    return hits[0][0].relative_to(REPO)


# ----------------------------------------------------------------------------------------- the list
MUTATIONS_FILE = Path(__file__).with_name("mutations.toml")


def load_mutations(path: Path = MUTATIONS_FILE) -> tuple[Mutation, ...]:
    """The mutations of ``mutations.toml``, a test group name expanded to its paths (order kept)."""
    import tomllib

    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    groups: dict[str, list[str]] = doc.get("groups", {})
    out = []
    for m in doc["mutation"]:
        tests = tuple(t for name in m["tests"] for t in groups.get(name, [name]))
        out.append(Mutation(m["name"], m["original"], m["replacement"], m["description"], tests))
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise ValueError(f"{path.name}: duplicate mutation names")
    return tuple(out)


MUTATIONS: tuple[Mutation, ...] = load_mutations()


# ----------------------------------------------------------------------------------------- running
def _copy(tmp: Path) -> Path:
    """A copy of the repository in ``tmp/repo`` (sample_data and ../shared as symlinks)."""
    dst = tmp / "repo"
    shutil.copytree(REPO, dst, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info",
                                                            "sample_data", ".ruff_cache", ".pytest_cache"))
    if (REPO / "sample_data").exists():
        (dst / "sample_data").symlink_to(REPO / "sample_data")
    if (REPO.parent / "shared").exists():
        (tmp / "shared").symlink_to(REPO.parent / "shared")
    return dst


def _pytest(dst: Path, tests: tuple[str, ...], timeout: float) -> tuple[int | None, str]:
    env = dict(os.environ, PYTHONPATH=str(dst), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        r = subprocess.run(cmd, cwd=dst, env=env, capture_output=True, timeout=timeout, text=True)
    except subprocess.TimeoutExpired:
        return None, ""
    return r.returncode, r.stdout[-2000:] + r.stderr[-1000:]


def _check_tests(tests: tuple[str, ...]) -> None:
    missing = [t for t in tests if not (REPO / t.split("::")[0]).exists()]
    if missing:
        raise StaleMutation(f"test path(s) not found: {', '.join(missing)}")


def run_one(mut: Mutation, timeout: float) -> tuple[str, str]:
    """Apply ``mut`` in a temporary copy and run its tests: ('caught'|'survived'|'error ...', detail)."""
    try:
        rel = locate(mut.original)
        _check_tests(mut.tests)
    except StaleMutation as exc:
        return "error: stale", str(exc)
    with tempfile.TemporaryDirectory(prefix="mut_") as tmp:
        dst = _copy(Path(tmp))
        target = dst / rel
        target.write_text(target.read_text(encoding="utf-8").replace(mut.original, mut.replacement), encoding="utf-8")
        rc, out = _pytest(dst, mut.tests, timeout)
    if rc is None:
        return "caught (timeout)", str(rel)
    if rc == 0:
        return "survived", str(rel)
    if rc in (1, 2):  # 1: a test failed; 2: collection/import failed under the mutation
        failed = [ln for ln in out.splitlines() if ln.startswith(("FAILED", "ERROR"))]
        return "caught", f"{rel}: {failed[0] if failed else 'rc=' + str(rc)}"
    return f"error: rc={rc}", out[-400:]


def baseline(muts: list[Mutation], timeout: float) -> bool:
    """Run each distinct test list on the unmutated copy; True when all pass."""
    ok = True
    with tempfile.TemporaryDirectory(prefix="mut_base_") as tmp:
        dst = _copy(Path(tmp))
        for tests in dict.fromkeys(m.tests for m in muts):
            t0 = time.perf_counter()
            rc, out = _pytest(dst, tests, timeout)
            print(f"baseline {'pass' if rc == 0 else 'FAIL'} {time.perf_counter() - t0:5.1f} s  {' '.join(tests)}",
                  flush=True)
            if rc != 0:
                ok = False
                print(out[-1500:])
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run all (or ``--only``) mutations and print the score and the survivors; 2 when a mutation is stale."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=None, help="mutation names")
    ap.add_argument("--jobs", type=int, default=1, help="mutations run at once (default 1: the machine is shared)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per mutation's test run")
    ap.add_argument("--baseline", action="store_true", help="first check that the test lists pass unmutated")
    ap.add_argument("--list", action="store_true", help="list the mutations and where their text is found")
    args = ap.parse_args(argv)
    unknown = set(args.only or ()) - {m.name for m in MUTATIONS}
    if unknown:
        ap.error(f"unknown mutation(s): {', '.join(sorted(unknown))}")
    muts = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if args.list:
        for m in muts:
            try:
                where = str(locate(m.original))
            except StaleMutation as exc:
                where = f"STALE: {exc}"
            print(f"{m.name:24s} {where}")
        return 0
    if args.baseline and not baseline(muts, args.timeout):
        print("baseline failed: fix the tests before scoring")
        return 2
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {m.name: pool.submit(run_one, m, args.timeout) for m in muts}
        results = {}
        for m in muts:
            results[m.name] = futures[m.name].result()
            print(f"{m.name:24s} {results[m.name][0]:16s} {m.description}  [{results[m.name][1]}]", flush=True)
    scored = [n for n, (r, _) in results.items() if r.startswith(("caught", "survived"))]
    caught = [n for n in scored if results[n][0].startswith("caught")]
    errors = [n for n in results if n not in scored]
    pct = 100.0 * len(caught) / len(scored) if scored else float("nan")
    print(f"\nscore: {len(caught)}/{len(scored)} caught ({pct:.0f} %) in {time.perf_counter() - t0:.0f} s")
    print("survivors:", ", ".join(n for n in scored if n not in caught) or "none")
    if errors:
        print("errors (not scored):", ", ".join(errors))
    return 2 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
