"""Attach the functional ops to Tensor as operators and methods (``x + y``, ``x.sum(1)``)."""
from __future__ import annotations

from ..core.tensor import Tensor
from . import elementwise as E
from . import linalg as L
from . import reduce as R
from . import shape as S


def _r(op):
    return lambda self, other: op(other, self)


def _size_args(fn):
    return lambda self, *shape: fn(self, *shape)


def _to(self, dtype=None, *args, **kwargs):
    """Cast to a dtype (differentiable); device arguments are accepted and ignored (CPU only)."""
    import numpy as np

    dtype = kwargs.get("dtype", dtype)
    if dtype is None or isinstance(dtype, str) and dtype in ("cpu",):
        return self
    dtype = np.dtype(dtype)
    if dtype == self.dtype:
        return self
    from ..core import apply_op

    def forward(x):
        return x.astype(dtype), x.dtype

    def backward(g, src):
        return g.astype(src)

    if not np.issubdtype(dtype, np.inexact):
        return Tensor(self.data.astype(dtype))
    return apply_op(forward, backward, self, name="to")


METHODS = {
    "__add__": E.add, "__radd__": _r(E.add), "__sub__": E.sub, "__rsub__": _r(E.sub),
    "__mul__": E.mul, "__rmul__": _r(E.mul), "__truediv__": E.div, "__rtruediv__": _r(E.div),
    "__pow__": E.pow, "__rpow__": _r(E.pow), "__matmul__": L.matmul,
    "__rmatmul__": _r(L.matmul), "__neg__": E.neg, "__abs__": E.abs,
    "__getitem__": S.getitem,
    "add": E.add, "sub": E.sub, "mul": E.mul, "div": E.div, "pow": E.pow,
    "matmul": L.matmul, "mm": L.matmul, "bmm": L.matmul,
    "exp": E.exp, "log": E.log, "sqrt": E.sqrt, "rsqrt": E.rsqrt, "abs": E.abs, "neg": E.neg,
    "sin": E.sin, "cos": E.cos, "tanh": E.tanh, "sigmoid": E.sigmoid, "relu": E.relu,
    "clamp": E.clamp, "clip": E.clamp, "maximum": E.maximum, "minimum": E.minimum,
    "square": E.square, "reciprocal": E.reciprocal, "sign": E.sign,
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "max": R.max, "min": R.min,
    "amax": R.amax, "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin,
    "logsumexp": R.logsumexp, "softmax": R.softmax, "log_softmax": R.log_softmax,
    "reshape": _size_args(S.reshape), "view": _size_args(S.reshape), "flatten": S.flatten,
    "unflatten": S.unflatten, "squeeze": S.squeeze, "unsqueeze": S.unsqueeze,
    "expand": _size_args(S.expand), "expand_as": S.expand_as, "repeat": _size_args(S.repeat),
    "permute": _size_args(S.permute), "transpose": S.transpose, "t": S.t,
    "gather": S.gather, "index_select": S.index_select, "split": S.split, "chunk": S.chunk,
    "unbind": S.unbind, "masked_fill": S.masked_fill, "to": _to,
}


def _compare(name):
    import numpy as np

    fn = getattr(np, name)

    def method(self, other):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor(fn(self.data, other))

    return method


COMPARISONS = {
    "__lt__": "less", "__le__": "less_equal", "__gt__": "greater", "__ge__": "greater_equal",
    "__eq__": "equal", "__ne__": "not_equal", "__and__": "logical_and", "__or__": "logical_or",
    "__xor__": "logical_xor",
}


def _invert(self):
    import numpy as np

    return Tensor(np.logical_not(self.data) if self.dtype == bool else ~self.data)


def bind():
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, np_name in COMPARISONS.items():
        setattr(Tensor, name, _compare(np_name))
    for name in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(Tensor, name, getattr(Tensor, f"__{name}__"))
    Tensor.__invert__ = _invert
    Tensor.__hash__ = object.__hash__
