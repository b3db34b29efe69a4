"""Reductions (sum, mean, var, max, logsumexp, ...) and softmax / log_softmax along a dim."""
from __future__ import annotations

import builtins

import numpy as np

from ..core import apply_op
from ..core.checks import check_dim, check_floating
from ..core.factories import as_tensor
from ..core.tensor import as_array


def _axes(dim, ndim):
    """Normalise ``dim`` (None, int or tuple, negatives allowed) to a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out, n = [], builtins.max(ndim, 1)
    for d in dims:
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
        out.append(d % n)
    return tuple(sorted(set(out))) if ndim else ()


def _expand_back(g, shape, axes, keepdim):
    """Re-insert reduced axes into g so it broadcasts against the input."""
    if not keepdim:
        g = np.expand_dims(g, axes) if axes else g
    return g


def sum_forward(x, dim=None, keepdim=False):
    axes = _axes(dim, x.ndim)
    return np.sum(x, axis=axes, keepdims=keepdim), (x.shape, axes, keepdim)


def sum_backward(g, cache):
    shape, axes, keepdim = cache
    return np.broadcast_to(_expand_back(g, shape, axes, keepdim), shape).copy()


def sum(input, dim=None, keepdim=False):  # noqa: A001 (torch name)
    """Σ over ``dim`` (all dims when None)."""
    return apply_op(sum_forward, sum_backward, input, dim=dim, keepdim=keepdim)


def mean_forward(x, dim=None, keepdim=False):
    axes = _axes(dim, x.ndim)
    n = int(np.prod([x.shape[a] for a in axes]))
    return np.mean(x, axis=axes, keepdims=keepdim), (x.shape, axes, keepdim, n)


def mean_backward(g, cache):
    shape, axes, keepdim, n = cache
    return np.broadcast_to(_expand_back(g, shape, axes, keepdim) / n, shape).astype(g.dtype)


def mean(input, dim=None, keepdim=False):
    """(1/n) Σ over ``dim``."""
    return apply_op(mean_forward, mean_backward, input, dim=dim, keepdim=keepdim)


def var_forward(x, dim=None, correction=1, keepdim=False):
    axes = _axes(dim, x.ndim)
    n = int(np.prod([x.shape[a] for a in axes]))
    centred = x - x.mean(axis=axes, keepdims=True)
    out = (centred * centred).sum(axis=axes, keepdims=keepdim) / builtins.max(n - correction, 0)
    return out.astype(x.dtype, copy=False), (centred, axes, keepdim, n - correction)


def var_backward(g, cache):
    centred, axes, keepdim, denom = cache
    # d/dx_i Σ(x_j − x̄)²/d = 2(x_i − x̄)/d  (the x̄ terms cancel since Σ(x_j − x̄) = 0)
    return (_expand_back(g, centred.shape, axes, keepdim) * 2 * centred / denom).astype(g.dtype)


def var(input, dim=None, unbiased=True, keepdim=False, correction=None):
    """Variance with Bessel's correction by default (``correction=1``), like torch.var."""
    c = (1 if unbiased else 0) if correction is None else correction
    return apply_op(var_forward, var_backward, input, dim=dim, correction=c, keepdim=keepdim)


def std(input, dim=None, unbiased=True, keepdim=False, correction=None):
    return var(input, dim, unbiased, keepdim, correction) ** 0.5


def _extreme_forward(x, dim, keepdim, fn):
    axes = _axes(dim, x.ndim)
    out = fn(x, axis=axes, keepdims=True)
    mask = x == out  # gradient is shared evenly among ties (torch.amax semantics)
    count = mask.sum(axis=axes, keepdims=True)
    return (out if keepdim else np.squeeze(out, axes)), (mask, count, axes, keepdim)


def _extreme_backward(g, cache):
    mask, count, axes, keepdim = cache
    return (_expand_back(g, mask.shape, axes, keepdim) * mask / count).astype(g.dtype)


def amax_forward(x, dim=None, keepdim=False):
    return _extreme_forward(x, dim, keepdim, np.max)


def amin_forward(x, dim=None, keepdim=False):
    return _extreme_forward(x, dim, keepdim, np.min)


amax_backward = amin_backward = _extreme_backward


def amax(input, dim=None, keepdim=False):
    return apply_op(amax_forward, amax_backward, input, dim=dim, keepdim=keepdim)


def amin(input, dim=None, keepdim=False):
    return apply_op(amin_forward, amin_backward, input, dim=dim, keepdim=keepdim)


def _select_forward(x, index, dim):
    return np.take_along_axis(x, index, axis=dim), (x.shape, index, dim)


def _select_backward(g, cache):
    shape, index, dim = cache
    out = np.zeros(shape, g.dtype)
    np.put_along_axis(out, index, g, axis=dim)
    return out, None


def _max_min(input, dim, keepdim, arg, name):
    if dim is None:
        return amax(input) if name == "max" else amin(input)
    x = input.array
    d = _axes(dim, x.ndim)[0]
    idx = np.expand_dims(arg(x, axis=d), d)
    values = apply_op(_select_forward, _select_backward, input, idx, dim=d, name=name)
    if not keepdim:
        values, idx = values.squeeze(d), np.squeeze(idx, d)
    return values, as_tensor(idx.astype(np.int64))


def max(input, dim=None, keepdim=False):  # noqa: A001
    """Without dim: the maximum. With dim: (values, indices), like torch.max."""
    return _max_min(input, dim, keepdim, np.argmax, "max")


def min(input, dim=None, keepdim=False):  # noqa: A001
    return _max_min(input, dim, keepdim, np.argmin, "min")


def argmax(input, dim=None, keepdim=False):
    x = as_array(input)
    if dim is None:
        return as_tensor(np.asarray(np.argmax(x), dtype=np.int64))
    return as_tensor(np.argmax(x, axis=dim, keepdims=keepdim).astype(np.int64))


def argmin(input, dim=None, keepdim=False):
    x = as_array(input)
    if dim is None:
        return as_tensor(np.asarray(np.argmin(x), dtype=np.int64))
    return as_tensor(np.argmin(x, axis=dim, keepdims=keepdim).astype(np.int64))


def logsumexp_forward(x, dim, keepdim=False):
    axes = _axes(dim, x.ndim)
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m  # log Σ e^x, shifted by max
    return (out if keepdim else np.squeeze(out, axes)), (x, out, axes, keepdim)


def logsumexp_backward(g, cache):
    x, out, axes, keepdim = cache
    return (_expand_back(g, x.shape, axes, keepdim) * np.exp(x - out)).astype(g.dtype)  # softmax


def logsumexp(input, dim, keepdim=False):
    """log Σ exp(x) along dim, computed stably."""
    return apply_op(logsumexp_forward, logsumexp_backward, input, dim=dim, keepdim=keepdim)


def softmax_forward(x, dim=-1):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    y = e / e.sum(axis=dim, keepdims=True)
    return y, (y, dim)


def softmax_backward(g, cache):
    y, dim = cache
    # dL/dx = y ⊙ (g − Σ_j g_j y_j)
    return y * (g - (g * y).sum(axis=dim, keepdims=True))


def softmax(input, dim=-1):
    """y_i = e^{x_i} / Σ_j e^{x_j} along dim."""
    check_floating("softmax", "input", input)
    check_dim("softmax", dim, input.ndim)
    return apply_op(softmax_forward, softmax_backward, input, dim=dim)


def log_softmax_forward(x, dim=-1):
    shifted = x - x.max(axis=dim, keepdims=True)
    y = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    return y, (y, dim)


def log_softmax_backward(g, cache):
    y, dim = cache
    return g - np.exp(y) * g.sum(axis=dim, keepdims=True)  # dL/dx = g − softmax·Σg


def log_softmax(input, dim=-1):
    """x − logsumexp(x) along dim."""
    check_floating("log_softmax", "input", input)
    check_dim("log_softmax", dim, input.ndim)
    return apply_op(log_softmax_forward, log_softmax_backward, input, dim=dim)
