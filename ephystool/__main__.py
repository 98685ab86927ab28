"""``python -m ephystool``: the same command line as ``ephystool``."""

from ephystool.cli import console_main

if __name__ == "__main__":
    console_main()
