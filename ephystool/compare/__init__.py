"""Condition comparison on tidy tables: hierarchical statistics, claims and verdicts.

:func:`compare` (:func:`ephystool.compare.engine.compare`, imported on first use: ``import
ephystool.compare.claims`` stays free of scipy) is the entry point; it returns data and writes nothing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compare"]


def __getattr__(name: str) -> Any:
    if name == "compare":
        from ephystool.compare.engine import compare

        return compare
    raise AttributeError(f"module 'ephystool.compare' has no attribute '{name}'")
