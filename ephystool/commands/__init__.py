"""One click command per module; registered lazily by :mod:`ephystool.cli`."""
