"""Sorting and scans: sort, argsort, topk, cumsum, prod, all/any.

The values of sort/topk are a gather of the input at the sorted indices, so their gradient
scatters back to where each value came from: dx[idx_j] = g_j. Ties keep their input order
(stable sort), which is what PyTorch's CPU sort does for ``stable=True``.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..core import apply_op
from ..core.factories import as_tensor
from .reduce import _axes, _select_backward, _select_forward

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])


def _dim(input, dim, op):
    if input.ndim == 0:
        if dim not in (0, -1):
            raise IndexError(f"{op}: dim {dim} out of range for a 0-d tensor")
        return None
    return _axes(dim, input.ndim)[0]


def _order(x, axis, descending):
    """Stable argsort along ``axis``; descending keeps equal values in input order too."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    key = x.astype(np.int64) if x.dtype.kind in "ub" else x
    return np.argsort(-key, axis=axis, kind="stable")


def _take(input, idx, d, name):
    return apply_op(_select_forward, _select_backward, input, idx, dim=d, name=name)


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along ``dim``; ``stable`` is always honoured.

    Shape: input (*) -> values, indices (*) (indices int64)
    """
    d = _dim(input, dim, "sort")
    if d is None:
        return SortResult(input, as_tensor(np.zeros((), np.int64)))
    idx = _order(input.array, d, descending)
    return SortResult(_take(input, idx, d, "sort"), as_tensor(idx.astype(np.int64)))


def argsort(input, dim=-1, descending=False, stable=False):
    d = _dim(input, dim, "argsort")
    if d is None:
        return as_tensor(np.zeros((), np.int64))
    return as_tensor(_order(input.array, d, descending).astype(np.int64))


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002 (torch name)
    """The ``k`` largest (or smallest) entries along ``dim`` and their indices, in sorted order.

    Shape: input (..., n, ...) -> values, indices (..., k, ...)
    """
    n = 1 if input.ndim == 0 else input.shape[_axes(dim, input.ndim)[0]]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise RuntimeError(f"topk: k must be an int in [0, {n}] (the size of dim {dim}), got {k!r}")
    d = _dim(input, dim, "topk")
    if d is None:
        return TopkResult(input, as_tensor(np.zeros((), np.int64)))
    idx = np.take(_order(input.array, d, largest), np.arange(k), axis=d)
    return TopkResult(_take(input, idx, d, "topk"), as_tensor(idx.astype(np.int64)))


def _cumsum_forward(x, dim):
    return np.cumsum(x, axis=dim), dim


def _cumsum_backward(g, dim):
    # y_i = Σ_{j≤i} x_j  ⇒  dx_j = Σ_{i≥j} g_i: a reversed cumulative sum
    return np.flip(np.cumsum(np.flip(g, dim), axis=dim), dim)


def cumsum(input, dim, *, dtype=None):
    """y_i = Σ_{j≤i} x_j along ``dim`` (integer inputs give int64, as PyTorch)."""
    if dtype is not None:
        input = input.to(dtype)
    elif not np.issubdtype(input.dtype, np.inexact):
        input = as_tensor(input.array.astype(np.int64))
    d = 0 if input.ndim == 0 else _axes(dim, input.ndim)[0]
    if input.ndim == 0:
        return input
    return apply_op(_cumsum_forward, _cumsum_backward, input, dim=d, name="cumsum")


def _prod_forward(x, dim=None, keepdim=False):
    axis = None if dim is None else dim
    flat = x.reshape(-1) if axis is None else np.moveaxis(x, axis, -1)
    # products of everything left and right of each entry: exact even with zeros
    ones = np.ones(flat.shape[:-1] + (1,), x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], -1), -1), -1)
    others = left * right  # ∂/∂x_i Π_j x_j = Π_{j≠i} x_j
    out = np.prod(x, axis=axis, keepdims=keepdim)
    return out, (others, x.shape, axis, keepdim)


def _prod_backward(g, cache):
    others, shape, axis, keepdim = cache
    if axis is None:
        return (g * others).reshape(shape).astype(g.dtype, copy=False)
    g = g if keepdim else np.expand_dims(g, axis)
    return np.moveaxis(others * np.moveaxis(g, axis, -1), -1, axis).astype(g.dtype, copy=False)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Π of the entries (over ``dim`` or all of them); integer inputs give int64."""
    if dtype is not None:
        input = input.to(dtype)
    if not np.issubdtype(input.dtype, np.inexact):
        return as_tensor(np.prod(input.array, axis=dim, keepdims=keepdim, dtype=np.int64))
    d = None if dim is None else _axes(dim, input.ndim)[0]
    return apply_op(_prod_forward, _prod_backward, input, dim=d, keepdim=keepdim and d is not None,
                    name="prod")


def all(input, dim=None, keepdim=False):  # noqa: A001 (torch name)
    return as_tensor(np.all(input.array, axis=dim, keepdims=keepdim))


def any(input, dim=None, keepdim=False):  # noqa: A001 (torch name)
    return as_tensor(np.any(input.array, axis=dim, keepdims=keepdim))
