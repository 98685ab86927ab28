"""Condition comparison on tidy tables: hierarchical statistics, claims and verdicts."""
