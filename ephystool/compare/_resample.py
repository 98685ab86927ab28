"""Vectorised hierarchical resampling engine used by :mod:`ephystool.compare.stats`.

A data set is a tree: a root, the units of each present level (animals, slices, ...)
and the observations (rows) as leaves. One hierarchical bootstrap replicate draws, with
replacement, as many children as each chosen node has, level by level from the root down
(Saravanan, Berman & Sober 2020). Only the multiplicity of each leaf matters for means and
variances, so a replicate is summarised by the weighted moments of the leaf values.

The draws are vectorised over replicates with padded child tables: a node with ``k``
children draws ``max_children`` uniforms and keeps the first ``k`` (a mask weight),
so every replicate has the same array shape. Replicates are processed in chunks that
bound memory for large trees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["MISSING", "Tree", "build_tree", "present_levels", "resample_moments", "unit_codes", "unit_counts"]

MISSING = "<missing>"
_CHUNK_ELEMENTS = 2_000_000


def _is_blank(col: pd.Series) -> pd.Series:
    """Return True where a unit label is missing (NaN/None) or an empty string."""
    return col.isna() | (col.astype(str).str.strip() == "")


def present_levels(df: pd.DataFrame, levels: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Return the levels that exist in ``df`` as columns with at least one non-blank label.

    Parameters
    ----------
    df : DataFrame
        Tidy table.
    levels : sequence of str
        Requested unit levels, outermost first.

    Returns
    -------
    tuple of str
        The subset of ``levels`` present, in the given order.
    """
    return tuple(lv for lv in levels if lv in df.columns and not _is_blank(df[lv]).all())



def unit_counts(df: pd.DataFrame, present: tuple[str, ...]) -> dict[str, int]:
    """Distinct units at each of the ``present`` levels (outermost first) and the number of rows."""
    counts = {lv: int(df[list(present[: i + 1])].drop_duplicates().shape[0]) for i, lv in enumerate(present)}
    counts["observations"] = len(df)
    return counts

def unit_codes(df: pd.DataFrame, levels: tuple[str, ...]) -> np.ndarray:
    """Integer codes of nested units: column ``i`` identifies the unit at ``levels[i]``.

    A label is only meaningful inside its parent, so slice ``"s1"`` of animal ``"a"`` and
    slice ``"s1"`` of animal ``"b"`` get different codes. Blank labels become one
    ``"<missing>"`` unit inside their parent.

    Parameters
    ----------
    df : DataFrame
        Tidy table containing the ``levels`` columns.
    levels : tuple of str
        Present levels, outermost first.

    Returns
    -------
    ndarray of int, shape (n_rows, len(levels))
    """
    labels = pd.DataFrame(index=df.index)
    for lv in levels:
        col = df[lv].astype(object)
        labels[lv] = col.where(~_is_blank(df[lv]), MISSING).astype(str)
    codes = np.empty((len(df), len(levels)), dtype=np.int64)
    for i in range(len(levels)):
        codes[:, i] = labels.groupby(list(levels[: i + 1]), sort=True).ngroup().to_numpy()
    return codes


@dataclass(frozen=True)
class Tree:
    """Padded child tables of a unit hierarchy.

    Attributes
    ----------
    children : tuple of ndarray
        ``children[d][node, j]`` is the j-th child of ``node`` at depth ``d`` (padded with 0).
    n_children : tuple of ndarray
        Number of real children of each node at depth ``d``.
    """

    children: tuple[np.ndarray, ...]
    n_children: tuple[np.ndarray, ...]

    @property
    def padded_size(self) -> int:
        """Number of leaf slots of one replicate (product of the maximal fan-outs)."""
        return int(np.prod([c.shape[1] for c in self.children]))


def _child_table(parent: np.ndarray, n_parents: int) -> tuple[np.ndarray, np.ndarray]:
    """Padded table of children ``i`` grouped by ``parent[i]``."""
    counts = np.bincount(parent, minlength=n_parents)
    order = np.argsort(parent, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(parent)) - starts[parent[order]]
    table = np.zeros((n_parents, max(int(counts.max()), 1)), dtype=np.int64)
    table[parent[order], pos] = order
    return table, counts


def build_tree(codes: np.ndarray) -> Tree:
    """Build the resampling tree from nested unit codes of the leaves.

    Parameters
    ----------
    codes : ndarray of int, shape (n_leaves, n_levels)
        Output of :func:`unit_codes` restricted to one group (codes need not be dense).

    Returns
    -------
    Tree
        Depth 0 is the root; the last depth's children are leaf (row) indices.
    """
    n_leaves, n_levels = codes.shape
    dense = np.empty_like(codes)
    for i in range(n_levels):
        dense[:, i] = np.unique(codes[:, i], return_inverse=True)[1]
    children, n_children = [], []
    parent_of_leaf_level = np.zeros(n_leaves, dtype=np.int64)  # root
    n_parents = 1
    for i in range(n_levels):
        node = dense[:, i]
        n_nodes = int(node.max()) + 1
        node_parent = np.zeros(n_nodes, dtype=np.int64)
        node_parent[node] = parent_of_leaf_level
        table, counts = _child_table(node_parent, n_parents)
        children.append(table)
        n_children.append(counts)
        parent_of_leaf_level, n_parents = node, n_nodes
    table, counts = _child_table(parent_of_leaf_level, n_parents)
    children.append(table)
    n_children.append(counts)
    return Tree(tuple(children), tuple(n_children))


def _leaf_weights(tree: Tree, n_rep: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Leaf indices and multiplicity weights of ``n_rep`` hierarchical replicates."""
    idx = np.zeros((n_rep, 1), dtype=np.int64)
    weight = np.ones((n_rep, 1))
    for table, counts in zip(tree.children, tree.n_children):
        width = table.shape[1]
        k = counts[idx]
        if width == 1:
            j = np.zeros(idx.shape + (1,), dtype=np.int64)
        else:
            j = (rng.random(idx.shape + (width,)) * k[..., None]).astype(np.int64)
        mask = np.arange(width) < k[..., None]
        idx = table[idx[..., None], j].reshape(n_rep, -1)
        weight = (weight[..., None] * mask).reshape(n_rep, -1)
    return idx, weight


def resample_moments(
    tree: Tree, values: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted moments of the leaf values over hierarchical bootstrap replicates.

    Parameters
    ----------
    tree : Tree
        Hierarchy of the leaves.
    values : ndarray, shape (n_leaves, q)
        Leaf values (``q`` columns share the same resampling, e.g. both arms of a pair).
    n_boot : int
        Number of replicates.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    s0 : ndarray, shape (n_boot,)
        Number of resampled leaves.
    s1, s2 : ndarray, shape (n_boot, q)
        Weighted sums of the values and of their squares.
    """
    values = np.asarray(values, dtype=float).reshape(len(values), -1)
    q = values.shape[1]
    s0 = np.empty(n_boot)
    s1 = np.empty((n_boot, q))
    s2 = np.empty((n_boot, q))
    chunk = max(1, _CHUNK_ELEMENTS // max(tree.padded_size, 1))
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        idx, w = _leaf_weights(tree, stop - start, rng)
        s0[start:stop] = w.sum(axis=1)
        for c in range(q):
            v = values[idx, c]
            s1[start:stop, c] = (w * v).sum(axis=1)
            s2[start:stop, c] = (w * v * v).sum(axis=1)
    return s0, s1, s2
