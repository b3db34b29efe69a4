"""Recursive (tree-structured) neural network over a given binary tree (seed 003).

Seed 003 ("Recursive Neural Networks", Goodfellow et al. §10.6): the computational graph is a
tree instead of a chain. Each internal node composes its two children with shared weights,

    p = tanh(W [c_left; c_right] + b)

so for τ leaves the depth drops from τ (a chain) to O(log τ) for a balanced tree (Socher et al.
2011). Trees are given, not learned: a nested pair of leaf indices, e.g. ``((0, 1), (2, (3, 4)))``
for five leaves.

All internal nodes of the same height are independent, so they are composed together: one
gather and one GEMM per tree level rather than one per node, for a single tree or a forest.
"""
from __future__ import annotations

import numpy as np

from .. import functional as F
from .module import Module
from ..core.checks import check_positive_int
from .recurrent_family import new_param, owner_name, uniform_init


def tree_schedule(trees, num_leaves: int):
    """Flatten binary trees into per-level child index arrays.

    Args:
        trees: one tree or a list of trees; a tree is a leaf index (int) or a pair (left, right).
        num_leaves: L, the number of rows of the leaf table the indices point into.

    Returns:
        (levels, roots): ``levels`` is a list over heights 1, 2, ... of (left_ids, right_ids)
        int arrays indexing the node table [leaves; level 1 nodes; level 2 nodes; ...];
        ``roots`` gives each tree's root id in that table.
    """
    single = not isinstance(trees, list)
    trees = [trees] if single else trees
    by_height: dict[int, list] = {}

    def visit(node):
        if isinstance(node, (int, np.integer)) and not isinstance(node, bool):
            if not 0 <= node < num_leaves:
                raise ValueError(f"tree_schedule: leaf index {node} out of range [0, {num_leaves})")
            return ("leaf", int(node)), 0
        if not (isinstance(node, (tuple, list)) and len(node) == 2):
            raise ValueError(
                f"tree_schedule: a node must be a leaf index or a pair (left, right), got {node!r}"
            )
        (lref, lh), (rref, rh) = visit(node[0]), visit(node[1])
        height = max(lh, rh) + 1
        level = by_height.setdefault(height, [])
        level.append((lref, rref))
        ref = ("node", height, len(level) - 1)
        return ref, height

    root_refs = [visit(t)[0] for t in trees]
    offsets, start = {}, num_leaves
    for height in sorted(by_height):
        offsets[height] = start
        start += len(by_height[height])

    def resolve(ref):
        return ref[1] if ref[0] == "leaf" else offsets[ref[1]] + ref[2]

    levels = []
    for height in sorted(by_height):
        pairs = by_height[height]
        levels.append((np.array([resolve(l) for l, _ in pairs], dtype=np.int64),
                       np.array([resolve(r) for _, r in pairs], dtype=np.int64)))
    roots = np.array([resolve(r) for r in root_refs], dtype=np.int64)
    return levels, roots


class RecursiveNN(Module):
    """Recursive net: p = f(W [c_left; c_right] + b) at every internal node of a binary tree.

    Args:
        hidden_size: size H of leaf and node vectors (leaves are e.g. word embeddings).
        nonlinearity: 'tanh' or 'relu'.
        bias: learn b.

    Shape:
        leaves (L, H), trees: one tree or a list of B trees over those leaves
        -> roots (H,) for one tree or (B, H) for a list, nodes (L + #internal, H)

    Parameters:
        weight (H, 2H) = W, bias (H,) = b: U(−1/√H, 1/√H).
    """

    def __init__(self, hidden_size: int, nonlinearity: str = "tanh", bias: bool = True,
                 dtype=None):
        super().__init__()
        check_positive_int("RecursiveNN", hidden_size=hidden_size)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RecursiveNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        self.hidden_size, self.nonlinearity = hidden_size, nonlinearity
        self.weight = new_param((hidden_size, 2 * hidden_size), dtype)
        if bias:
            self.bias = new_param((hidden_size,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        uniform_init(self.parameters(), self.hidden_size)

    def forward(self, leaves, trees):
        if leaves.ndim != 2 or leaves.shape[1] != self.hidden_size:
            raise ValueError(
                f"{owner_name(self)}: expected leaves (L, {self.hidden_size}), "
                f"got {tuple(leaves.shape)}"
            )
        levels, roots = tree_schedule(trees, leaves.shape[0])
        act = F.tanh if self.nonlinearity == "tanh" else F.relu
        table = leaves
        for left, right in levels:
            children = F.cat([table[left], table[right]], dim=1)  # (M, 2H)
            parents = act(F.linear(children, self.weight, self.bias))  # (M, H)
            table = F.cat([table, parents], dim=0)
        out = table[roots]
        return (out[0] if not isinstance(trees, list) else out), table

    def extra_repr(self) -> str:
        return f"hidden_size={self.hidden_size}, nonlinearity={self.nonlinearity!r}"


__all__ = ["RecursiveNN", "tree_schedule"]
