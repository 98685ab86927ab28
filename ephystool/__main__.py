"""``python -m ephystool``: the same command line as ``ephystool``."""

from ephystool.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
