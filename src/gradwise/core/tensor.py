"""Tensor: a NumPy array plus the autograd bookkeeping (requires_grad, grad, producing node).

Operators and methods such as ``+``, ``@``, ``.sum()`` and ``.reshape()`` are attached by
``gradwise.functional`` (see ``functional/methods.py``), so that imports flow core -> functional.
"""
from __future__ import annotations

import numpy as np

from . import autograd
from .dtype import get_default_dtype, infer_array


class Tensor:
    """An n-dimensional array that records the ops applied to it for reverse-mode autograd."""

    __slots__ = ("data", "requires_grad", "grad", "_node", "_index", "__weakref__")
    __array_priority__ = 1000  # make ndarray + Tensor call Tensor.__radd__

    def __init__(self, data, requires_grad=False):
        if isinstance(data, Tensor):
            data = data.data
        if not isinstance(data, np.ndarray):
            data = np.asarray(data)
        self.data = data
        self.grad = None
        self._node = None
        self._index = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- properties ------------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return self.data.size

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # -- conversion ------------------------------------------------------------------------
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on a Tensor that requires grad. Use tensor.detach().numpy()."
            )
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted to a Python scalar, "
                f"got shape {self.shape}"
            )
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of a Tensor with {self.data.size} values is ambiguous"
            )
        return bool(self.data)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def astype(self, dtype):
        return self.to(dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return Tensor(self.data.astype(np.int64))

    def int(self):
        return Tensor(self.data.astype(np.int32))

    def bool(self):
        return Tensor(self.data.astype(np.bool_))

    # -- autograd --------------------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        if requires_grad and not np.issubdtype(self.data.dtype, np.inexact):
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        if not self.is_leaf and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use detach()"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor(self.data)

    def detach_(self):
        self._node, self._index, self.requires_grad = None, 0, False
        return self

    def retain_grad(self):
        """Keep .grad for this non-leaf tensor after backward (a leaf always keeps it)."""
        if self._node is not None:
            self._node.retained[self._index] = self
        elif not self.requires_grad:
            raise RuntimeError("can't retain_grad on a Tensor that has requires_grad=False")

    def _accumulate_grad(self, g):
        if self.grad is None:
            self.grad = Tensor(np.array(g, dtype=self.dtype, copy=True))
        else:
            self.grad.data = self.grad.data + g

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) · gradient into every leaf's ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; got shape "
                    f"{self.shape}: pass gradient= of that shape"
                )
            g = np.ones_like(self.data)
        else:
            g = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
            if g.shape != self.shape:
                raise ValueError(
                    f"backward: gradient has shape {g.shape}, expected the output's {self.shape}"
                )
            g = g.astype(self.dtype, copy=False)
        autograd.run_backward(self, g, retain_graph=retain_graph)

    # -- in-place helpers (no autograd, like torch's under no_grad) --------------------------
    def zero_(self):
        self.data[...] = 0
        return self

    def fill_(self, value):
        self.data[...] = value
        return self

    def copy_(self, src):
        src = src.data if isinstance(src, Tensor) else np.asarray(src)
        if src.shape != self.shape and np.broadcast_shapes(src.shape, self.shape) != self.shape:
            raise ValueError(f"copy_: source shape {src.shape} does not match {self.shape}")
        self.data[...] = src
        return self

    def uniform_(self, a=0.0, b=1.0):
        from .random import default_generator

        self.data[...] = default_generator().uniform(a, b, self.shape)
        return self

    def normal_(self, mean=0.0, std=1.0):
        from .random import default_generator

        self.data[...] = default_generator().normal(mean, std, self.shape)
        return self

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extra = ""
        if self.data.dtype not in (get_default_dtype(), np.int64, np.bool_):
            extra += f", dtype={self.dtype}"
        if self._node is not None:
            extra += f", grad_fn={self._node!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__


def tensor(data, dtype=None, requires_grad=False):
    """A new leaf tensor holding a copy of ``data`` (Python floats -> default dtype)."""
    if isinstance(data, Tensor):
        data = data.data
    return Tensor(infer_array(data, dtype), requires_grad=requires_grad)


def from_numpy(array):
    """A tensor that shares memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor(array)


def as_array(x, dtype=None):
    """The ndarray behind a Tensor, array or scalar."""
    if isinstance(x, Tensor):
        return x.data
    return np.asarray(x, dtype=dtype)
