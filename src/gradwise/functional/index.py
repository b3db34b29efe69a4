"""Indexed writes and selections: scatter, scatter_add, index_add, index_fill, masked_select,
narrow, flip, roll, tril/triu, nonzero, setitem.

Writes are pure (they return a new tensor; the ``*_`` methods store the result in place).
For ``out = scatter(x, dim, index, src)``: ∂out/∂x is 1 off the written positions and 0 on them,
and ∂out/∂src gathers the gradient at the written positions: dsrc = gather(g, dim, index).
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from ..core.factories import as_tensor, unwrap
from ..core.tensor import Tensor, as_array
from . import shape as S
from .elementwise import unbroadcast
from .reduce import _axes


def _index_array(index, op):
    idx = as_array(index)
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {idx.dtype}")
    return idx.astype(np.int64, copy=False)


def _grid(index, dim):
    """Full index tuple addressing out[i_0, ..., index[i], ..., i_n] for every entry of index."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _check_scatter(op, input, dim, index, src):
    if index.ndim != input.ndim:
        raise RuntimeError(f"{op}: index must have as many dims as the input ({input.ndim}), "
                           f"got {index.ndim}")
    n = input.shape[dim]
    if index.size and (index.min() < -n or index.max() >= n):
        raise IndexError(f"{op}: index out of range [{-n}, {n}) along dim {dim}, got "
                         f"[{index.min()}, {index.max()}]")
    if src is not None and any(i > s for i, s in zip(index.shape, np.shape(src))):
        raise RuntimeError(f"{op}: index shape {index.shape} exceeds src shape {np.shape(src)}")


def _src_region(src, index):
    return src[tuple(slice(0, s) for s in index.shape)]


def _scatter_forward(x, src, index, dim, add):
    out = x.copy()
    grid = _grid(index, dim)
    values = _src_region(src, index) if np.ndim(src) else np.broadcast_to(src, index.shape)
    if add:
        np.add.at(out, grid, values)  # repeated indices accumulate
    else:
        out[grid] = values
    return out, (grid, np.shape(src), index.shape, add)


def _scatter_backward(g, cache):
    grid, src_shape, index_shape, add = cache
    gx = g
    if not add:
        gx = g.copy()
        gx[grid] = 0  # overwritten entries do not depend on x
    gsrc = None
    if src_shape:
        gsrc = np.zeros(src_shape, g.dtype)
        gsrc[tuple(slice(0, s) for s in index_shape)] = g[grid]
    return gx, gsrc, None


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with out[..., index[i], ...] = src[i] along ``dim``
    (``value`` instead of ``src`` writes one number).

    Shape: input (*), index (*) with as many dims, src at least index's size -> out like input.
    Differs from PyTorch: ``reduce`` is not supported; with repeated indices the last write wins.
    """
    if reduce is not None:
        raise NotImplementedError("scatter: reduce= is not supported; use scatter_add")
    if (src is None) == (value is None):
        raise TypeError("scatter: pass exactly one of src or value")
    return _scatter(input, dim, index, src if value is None else value, False, "scatter")


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with out[..., index[i], ...] += src[i] along ``dim``."""
    return _scatter(input, dim, index, src, True, "scatter_add")


def _scatter(input, dim, index, src, add, name):
    d = _axes(dim, input.ndim)[0]
    idx = _index_array(index, name)
    if isinstance(src, (int, float, bool)):
        src = np.asarray(src, input.dtype)
    _check_scatter(name, input, d, idx, unwrap(src))
    return apply_op(_scatter_forward, _scatter_backward, input, src, idx, dim=d, add=add,
                    name=name)


def _index_add_forward(x, source, index, dim, alpha):
    out = x.copy()
    sl = [slice(None)] * x.ndim
    sl[dim] = index
    np.add.at(out, tuple(sl), alpha * source)  # repeated indices accumulate
    return out, (index, dim, alpha)


def _index_add_backward(g, cache):
    index, dim, alpha = cache
    # out = x + α·Σ source placed at index ⇒ dx = g, dsource = α · g[index] along dim
    return g, (alpha * np.take(g, index, axis=dim)).astype(g.dtype, copy=False), None


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with out.select(dim, index[i]) += alpha · source.select(dim, i)."""
    d = _axes(dim, input.ndim)[0]
    idx = _index_array(index, "index_add").reshape(-1)
    expected = input.shape[:d] + (idx.size,) + input.shape[d + 1:]
    if tuple(source.shape) != expected:
        raise RuntimeError(f"index_add: source must have shape {expected}, got {source.shape}")
    return apply_op(_index_add_forward, _index_add_backward, input, source, idx, dim=d,
                    alpha=alpha, name="index_add")


def index_fill(input, dim, index, value):
    """A copy of ``input`` with the slices ``index`` along ``dim`` set to ``value``."""
    d = _axes(dim, input.ndim)[0]
    idx = _index_array(index, "index_fill").reshape(-1)
    mask = np.zeros(input.shape[d], np.bool_)
    mask[idx] = True
    shape = [1] * input.ndim
    shape[d] = input.shape[d]
    return S.masked_fill(input, mask.reshape(shape), value)


def masked_select(input, mask):
    """The entries of ``input`` where the (broadcastable) bool ``mask`` is True, as 1-D."""
    m = as_array(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_select: mask must be bool, got {m.dtype}")
    shape = np.broadcast_shapes(m.shape, input.shape)
    x = input if input.shape == shape else S.expand(input, *shape)
    return S.getitem(x, np.broadcast_to(m, shape))


def narrow(input, dim, start, length):
    """input[..., start:start+length, ...] along ``dim`` (a view in PyTorch, a copy here)."""
    d = _axes(dim, input.ndim)[0]
    n = input.shape[d]
    start = int(start) + (n if int(start) < 0 else 0)
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise IndexError(f"narrow: start {start} + length {length} exceeds dim {d} of size {n}")
    sl = [slice(None)] * input.ndim
    sl[d] = slice(start, start + length)
    return S.getitem(input, tuple(sl))


def _flip_forward(x, dims):
    return np.flip(x, dims).copy(), dims


def _flip_backward(g, dims):
    return np.flip(g, dims).copy()  # flipping is its own inverse


def flip(input, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return apply_op(_flip_forward, _flip_backward, input, dims=_axes(dims, input.ndim),
                    name="flip")


def _roll_forward(x, shifts, dims):
    return np.roll(x, shifts, dims), (shifts, dims)


def _roll_backward(g, cache):
    shifts, dims = cache
    back = -np.asarray(shifts) if dims is not None else -shifts
    return np.roll(g, tuple(back) if dims is not None else back, dims)


def roll(input, shifts, dims=None):
    """Shift entries cyclically by ``shifts`` along ``dims`` (flattened when dims is None)."""
    if dims is not None:
        shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    elif not isinstance(shifts, int):
        raise RuntimeError(f"roll: without dims, shifts must be one int, got {shifts!r}")
    return apply_op(_roll_forward, _roll_backward, input, shifts=shifts, dims=dims, name="roll")


def _triangle(name, np_fn):
    def forward(x, diagonal):
        return np_fn(x, diagonal), diagonal

    def backward(g, diagonal):
        return np_fn(g, diagonal)  # the kept entries pass their gradient, the rest get 0

    def op(input, diagonal=0):
        if input.ndim < 2:
            raise RuntimeError(f"{name}: input must have at least 2 dims, got {input.shape}")
        return apply_op(forward, backward, input, diagonal=diagonal, name=name)

    op.__name__ = name
    return op


tril = _triangle("tril", np.tril)  # keep j ≤ i + diagonal
triu = _triangle("triu", np.triu)  # keep j ≥ i + diagonal


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero entries: (n, ndim) int64, or one 1-D tensor per dim."""
    idx = np.nonzero(input.array)
    if as_tuple:
        return tuple(as_tensor(i.astype(np.int64)) for i in idx)
    return as_tensor(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64))


def _setitem_forward(x, value, index):
    out = x.copy()
    out[index] = value
    return out, (index, np.shape(value))


def _setitem_backward(g, cache):
    index, value_shape = cache
    gx = g.copy()
    gx[index] = 0  # overwritten entries do not depend on x
    # the value was broadcast into g[index]: sum its gradient back to the value's shape
    return gx, unbroadcast(g[index], value_shape) if value_shape else None


def setitem(input, index, value):
    """A copy of ``input`` with ``out[index] = value`` (``x[index] = value`` stores it in place).

    With repeated integer indices the last write wins (as NumPy; PyTorch leaves it undefined).
    """
    index = S._index_arrays(index)
    if isinstance(value, Tensor) and value.dtype != input.dtype:
        value = value.to(input.dtype)
    elif not isinstance(value, Tensor):
        value = np.asarray(value, input.dtype)
    return apply_op(_setitem_forward, _setitem_backward, input, value, index=index,
                    name="setitem")
