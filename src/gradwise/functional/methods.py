"""Attach the functional ops to Tensor as operators and methods (``x + y``, ``x.sum(1)``)."""
from __future__ import annotations

import numpy as np

from ..core.factories import as_tensor, is_tensor, unwrap
from ..core.tensor import Tensor
from . import elementwise as E
from . import linalg as L
from . import reduce as R
from . import shape as S
from . import index as I
from . import method_aliases as M
from . import pointwise as P
from . import sort as O
from . import tensor_api as A
from . import vector_norm as N


def _r(op):
    return lambda self, other: op(other, self)


def _size_args(fn):
    return lambda self, *shape: fn(self, *shape)


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
    "unbind": S.unbind, "masked_fill": S.masked_fill,
    "log1p": P.log1p, "expm1": P.expm1, "erf": P.erf, "floor": P.floor, "ceil": P.ceil,
    "trunc": P.trunc, "frac": P.frac, "round": P.round, "clamp_min": P.clamp_min,
    "clamp_max": P.clamp_max, "lerp": P.lerp, "addcmul": P.addcmul, "addcdiv": P.addcdiv,
    "remainder": P.remainder, "__mod__": P.remainder, "fmod": P.fmod,
    "floor_divide": P.floor_divide, "__floordiv__": P.floor_divide, "isnan": P.isnan,
    "isinf": P.isinf, "isfinite": P.isfinite, "logical_not": P.logical_not,
    "logical_and": P.logical_and, "logical_or": P.logical_or, "logical_xor": P.logical_xor,
    "nan_to_num": P.nan_to_num, "signbit": P.signbit, "log2": P.log2, "log10": P.log10,
    "exp2": P.exp2, "tan": P.tan, "sinh": P.sinh, "cosh": P.cosh, "asin": P.asin,
    "acos": P.acos, "atan": P.atan, "arcsin": P.asin, "arccos": P.acos, "arctan": P.atan,
    "sort": O.sort, "argsort": O.argsort, "topk": O.topk, "cumsum": O.cumsum, "prod": O.prod,
    "all": O.all, "any": O.any, "norm": N.norm,
    "scatter": I.scatter, "scatter_add": I.scatter_add, "index_add": I.index_add,
    "index_fill": I.index_fill, "masked_select": I.masked_select, "narrow": I.narrow,
    "flip": I.flip, "roll": I.roll, "tril": I.tril, "triu": I.triu, "nonzero": I.nonzero,
    **A.METHODS, **M.METHODS,
}


def _copy(self, src):
    """``src`` broadcast to this tensor's shape and cast to its dtype (differentiable)."""
    src = as_tensor(src if is_tensor(src) else np.asarray(src))
    try:
        shape = np.broadcast_shapes(src.shape, self.shape)
    except ValueError:
        shape = None
    if shape != self.shape:
        raise RuntimeError(f"copy_: source of shape {src.shape} can't be broadcast to the "
                           f"tensor's shape {self.shape}")
    out = A.cast(src, self.dtype)
    return out if out.shape == self.shape else S.expand(out, *self.shape)


def _inplace(op):
    def method(self, *args, **kwargs):
        return self._inplace(op, *args, **kwargs)

    method.__name__ = f"{getattr(op, '__name__', 'op')}_"
    return method


# name_ -> the out-of-place op it stores back (Tensor._inplace handles versions and autograd)
INPLACE = {
    "add_": E.add, "sub_": E.sub, "mul_": E.mul, "div_": E.div, "pow_": E.pow,
    "clamp_": E.clamp, "clip_": E.clamp, "neg_": E.neg, "abs_": E.abs, "exp_": E.exp,
    "log_": E.log, "sqrt_": E.sqrt, "tanh_": E.tanh, "sigmoid_": E.sigmoid, "relu_": E.relu,
    "square_": E.square, "reciprocal_": E.reciprocal, "masked_fill_": S.masked_fill,
    "copy_": _copy, "scatter_": I.scatter, "scatter_add_": I.scatter_add,
    "index_add_": I.index_add, "index_fill_": I.index_fill, "addcmul_": P.addcmul,
    "addcdiv_": P.addcdiv, "lerp_": P.lerp, "clamp_min_": P.clamp_min, "clamp_max_": P.clamp_max,
    "floor_": P.floor, "ceil_": P.ceil, "round_": P.round, "trunc_": P.trunc, "log1p_": P.log1p,
    "expm1_": P.expm1, "remainder_": P.remainder, "fmod_": P.fmod, "tril_": I.tril,
    "triu_": I.triu, "nan_to_num_": P.nan_to_num, "__setitem__": I.setitem,
    "sin_": E.sin, "cos_": E.cos, "tan_": P.tan, "sinh_": P.sinh, "cosh_": P.cosh,
    "sign_": E.sign, "rsqrt_": E.rsqrt, "erf_": P.erf, "exp2_": P.exp2, "log2_": P.log2,
    "log10_": P.log10, "frac_": P.frac, "cumsum_": O.cumsum, "asin_": P.asin, "acos_": P.acos,
    "atan_": P.atan, "multiply_": E.mul, "subtract_": E.sub, "divide_": E.div,
    "true_divide_": E.div, "negative_": E.neg, "absolute_": E.abs,
    "__iadd__": E.add, "__isub__": E.sub, "__imul__": E.mul, "__itruediv__": E.div,
}


def _compare(name):
    import numpy as np

    fn = getattr(np, name)

    def method(self, other):
        other = unwrap(other)
        return as_tensor(fn(self.array, other))

    return method


COMPARISONS = {
    "__lt__": "less", "__le__": "less_equal", "__gt__": "greater", "__ge__": "greater_equal",
    "__eq__": "equal", "__ne__": "not_equal", "__and__": "logical_and", "__or__": "logical_or",
    "__xor__": "logical_xor",
}


def _invert(self):
    import numpy as np

    return as_tensor(np.logical_not(self.array) if self.dtype == bool else ~self.array)


def _iter(self):
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


def _contains(self, element):
    element = unwrap(element)
    return bool((self.array == element).any())


# Functions that work on the Tensor class itself, not through apply_op (tests/test_architecture.py
# lets only these and apply_op wrappers name Tensor in functional).
TENSOR_LEVEL = ("bind",)


def bind():
    """Install the ops above as Tensor's methods, operators, properties and in-place variants."""
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, getter in {**A.PROPERTIES, **M.PROPERTIES}.items():
        setattr(Tensor, name, property(getter))
    for name, op in INPLACE.items():
        setattr(Tensor, name, _inplace(op))
    for name, np_name in COMPARISONS.items():
        setattr(Tensor, name, _compare(np_name))
    for name in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(Tensor, name, getattr(Tensor, f"__{name}__"))
    Tensor.__invert__ = _invert
    Tensor.__iter__ = _iter
    Tensor.__contains__ = _contains
