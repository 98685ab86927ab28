"""Long version of tests/io/test_fuzz_headers.py: many random 1-6-byte changes in the first 6 KB of real files.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_fuzz_headers.py [N_PER_FILE] [SEED]``. Prints, per file,
how many loads returned, how many raised an EphysError, and every escape or hang (which the test forbids).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "io"))

from test_fuzz_headers import FILES, HEAD, flipped, load_within  # noqa: E402

REALDATA = REPO.parent / "shared" / "realdata"


def main(n: int = 150, seed: int = 0) -> int:
    rng = np.random.default_rng(seed)
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for folder, name in FILES:
            data = (REALDATA / folder / name).read_bytes()
            out = Path(tmp) / name
            counts: Counter[str] = Counter()
            t0 = time.perf_counter()
            for _ in range(n):
                k = int(rng.integers(1, 7))
                changes = [(int(o), int(v)) for o, v in zip(rng.integers(0, 512 if rng.random() < 0.5 else HEAD, k), rng.integers(0, 256, k),
                                                           strict=True)]
                out.write_bytes(flipped(data, changes))
                try:
                    counts[load_within(out)] += 1
                except AssertionError as exc:
                    bad += 1
                    print(f"  {name} {changes}: {exc}")
            print(f"{name}: {dict(counts)} in {time.perf_counter() - t0:.1f} s")
    print("escapes/hangs:", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:3])))
