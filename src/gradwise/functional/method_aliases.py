"""Tensor methods that are other names or short compositions of existing ops (PyTorch keeps
both spellings: ``multiply``/``mul``, ``swapaxes``/``transpose``, ``reshape_as``, ``dot``, ...).
Each is differentiable through the ops it calls."""
from __future__ import annotations

import numpy as np

from ..core.factories import as_tensor
from ..core.tensor import as_array
from . import elementwise as E
from . import index as I
from . import linalg as L
from . import reduce as R
from . import shape as S
from . import tensor_api as A


def _array(x):
    return as_array(x)


def reshape_as(self, other):
    return S.reshape(self, *other.shape)


def ravel(self):
    return S.reshape(self, -1)


def broadcast_to(self, size):
    return S.expand(self, *size)


def movedim(self, source, destination):
    """Move dims ``source`` to positions ``destination``; the others keep their order."""
    labels = np.broadcast_to(0, tuple(range(1, self.ndim + 1)))  # dim d has size d + 1
    order = [n - 1 for n in np.moveaxis(labels, source, destination).shape]
    return S.permute(self, *order)


def select(self, dim, index):
    """The slice at ``index`` along ``dim``, that dim removed."""
    sl = [slice(None)] * self.ndim
    sl[dim] = int(index)
    return S.getitem(self, tuple(sl))


def where(self, condition, other):
    """``torch.where(condition, self, other)``."""
    return E.where(condition, self, other)


def dot(self, other):
    """Σ_i x_i y_i of two 1-D tensors."""
    if self.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: expected two 1-D tensors, got {self.shape} and {other.shape}")
    return L.matmul(self, other)


def outer(self, vec2):
    """x yᵀ of two 1-D tensors: (n,) × (m,) -> (n, m)."""
    return E.mul(S.unsqueeze(self, 1), S.unsqueeze(vec2, 0))


def mv(self, vec):
    """Matrix-vector product (n, m) × (m,) -> (n,)."""
    if self.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a matrix and a vector, got {self.shape} and {vec.shape}")
    return L.matmul(self, vec)


def trace(self):
    """Σ_i x_ii of a 2-D tensor."""
    if self.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, got shape {self.shape}")
    n = min(self.shape)
    return R.sum(S.getitem(self, (np.arange(n), np.arange(n))))


def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.allclose(self.array, _array(other), rtol, atol, equal_nan))


def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return as_tensor(np.isclose(self.array, _array(other), rtol, atol, equal_nan))


def equal(self, other):
    return self.shape == tuple(other.shape) and bool(np.array_equal(self.array, _array(other)))


def count_nonzero(self, dim=None):
    return as_tensor(np.asarray(np.count_nonzero(self.array, axis=dim), np.int64))


def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct values (sorted), optionally with inverse indices and counts."""
    if dim is not None:
        raise NotImplementedError("unique: dim= is not supported")
    values, inverse, counts = np.unique(self.array, return_inverse=True, return_counts=True)
    out = [as_tensor(values)]
    if return_inverse:
        out.append(as_tensor(inverse.reshape(self.shape).astype(np.int64)))
    if return_counts:
        out.append(as_tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(self, weights=None, minlength=0):
    w = None if weights is None else _array(weights)
    return as_tensor(np.bincount(self.array, w, minlength))


PROPERTIES = {"is_cpu": lambda self: True, "itemsize": lambda self: self.array.itemsize,
              "nbytes": lambda self: self.array.nbytes}

METHODS = {
    "reshape_as": reshape_as, "ravel": ravel, "broadcast_to": broadcast_to,
    "movedim": movedim, "moveaxis": movedim, "swapaxes": S.transpose, "swapdims": S.transpose,
    "select": select, "where": where, "take_along_dim": lambda self, indices, dim: S.gather(
        self, dim, indices), "tile": lambda self, *dims: S.repeat(
        self, *((1,) * (self.ndim - len(S._size(dims))) + tuple(S._size(dims)))),
    "fliplr": lambda self: I.flip(self, 1), "flipud": lambda self: I.flip(self, 0),
    "dot": dot, "inner": dot, "outer": outer, "ger": outer, "mv": mv, "trace": trace,
    "multiply": E.mul, "subtract": E.sub, "divide": E.div, "true_divide": E.div,
    "negative": E.neg, "absolute": E.abs, "positive": lambda self: self,
    "greater": lambda self, other: self > other, "greater_equal": lambda self, other: self >= other,
    "less": lambda self, other: self < other, "less_equal": lambda self, other: self <= other,
    "not_equal": lambda self, other: self != other, "allclose": allclose, "isclose": isclose,
    "equal": equal, "count_nonzero": count_nonzero, "unique": unique, "bincount": bincount,
    "ndimension": lambda self: self.ndim, "is_same_size": lambda self, other: self.shape == tuple(
        other.shape), "is_signed": lambda self: self.dtype.kind in "fic",
    "byte": lambda self: A.cast(self, np.uint8), "char": lambda self: A.cast(self, np.int8),
    "short": lambda self: A.cast(self, np.int16),
}
