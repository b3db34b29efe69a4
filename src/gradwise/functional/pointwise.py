"""More elementwise ops that PyTorch programs call: log1p, expm1, erf, rounding, lerp,
addcmul/addcdiv, clamp_min/max, remainder and the float predicates (isnan, ...).

Each differentiable op is a forward/backward pair; rounding has derivative 0 almost
everywhere (PyTorch's convention), the predicates return bool tensors outside autograd.
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from ..core.factories import as_tensor, unwrap
from ..core.tensor import as_array
from . import elementwise as E
from .elementwise import _erf, _unary, unbroadcast


def _zero_grad(x, y):
    return np.zeros_like(x)


log1p, log1p_forward, log1p_backward = _unary(
    "log1p", np.log1p, lambda x, y: 1 / (1 + x), "ln(1 + x); d/dx = 1/(1 + x)")
expm1, expm1_forward, expm1_backward = _unary(
    "expm1", np.expm1, lambda x, y: y + 1, "e^x − 1; d/dx = e^x")
erf, erf_forward, erf_backward = _unary(
    "erf", lambda x: _erf(x).astype(x.dtype, copy=False),
    lambda x, y: (2 / np.sqrt(np.pi)) * np.exp(-x * x), "erf x; d/dx = 2/√π · e^{−x²}")
floor, floor_forward, floor_backward = _unary("floor", np.floor, _zero_grad, "⌊x⌋; d/dx = 0")
ceil, ceil_forward, ceil_backward = _unary("ceil", np.ceil, _zero_grad, "⌈x⌉; d/dx = 0")
trunc, trunc_forward, trunc_backward = _unary("trunc", np.trunc, _zero_grad,
                                              "x rounded toward 0; d/dx = 0")
frac, frac_forward, frac_backward = _unary("frac", lambda x: x - np.trunc(x),
                                           lambda x, y: np.ones_like(x), "x − trunc(x); d/dx = 1")
log2, log2_forward, log2_backward = _unary(
    "log2", np.log2, lambda x, y: 1 / (x * np.log(2)), "log₂ x; d/dx = 1/(x ln 2)")
log10, log10_forward, log10_backward = _unary(
    "log10", np.log10, lambda x, y: 1 / (x * np.log(10)), "log₁₀ x; d/dx = 1/(x ln 10)")
exp2, exp2_forward, exp2_backward = _unary(
    "exp2", np.exp2, lambda x, y: y * np.log(2), "2^x; d/dx = 2^x ln 2")
tan, tan_forward, tan_backward = _unary("tan", np.tan, lambda x, y: 1 + y * y,
                                        "tan x; d/dx = 1 + tan²x")
sinh, sinh_forward, sinh_backward = _unary("sinh", np.sinh, lambda x, y: np.cosh(x), "sinh x")
cosh, cosh_forward, cosh_backward = _unary("cosh", np.cosh, lambda x, y: np.sinh(x), "cosh x")
asin, asin_forward, asin_backward = _unary("asin", np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x),
                                           "arcsin x; d/dx = 1/√(1 − x²)")
acos, acos_forward, acos_backward = _unary("acos", np.arccos,
                                           lambda x, y: -1 / np.sqrt(1 - x * x),
                                           "arccos x; d/dx = −1/√(1 − x²)")
atan, atan_forward, atan_backward = _unary("atan", np.arctan, lambda x, y: 1 / (1 + x * x),
                                           "arctan x; d/dx = 1/(1 + x²)")
_round, round_forward, round_backward = _unary("round", np.round, _zero_grad,
                                               "x rounded half to even; d/dx = 0")


def round(input, *, decimals=0):  # noqa: A001 (torch name)
    """Round half to even (as PyTorch); with ``decimals``, to that many decimal places."""
    if decimals == 0:
        return _round(input)
    scale = 10.0 ** decimals
    return E.div(_round(E.mul(input, scale)), scale)


def clamp_min(input, min):  # noqa: A002 (torch name)
    return E.clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002 (torch name)
    return E.clamp(input, max=max)


def lerp(input, end, weight):
    """input + weight · (end − input)."""
    return E.add(input, E.mul(weight, E.sub(end, input)))


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value · tensor1 ⊙ tensor2."""
    return E.add(input, E.mul(E.mul(tensor1, tensor2), value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value · tensor1 / tensor2."""
    return E.add(input, E.mul(E.div(tensor1, tensor2), value))


def _remainder_forward(a, b):
    q = np.floor_divide(a, b)
    return a - q * b, (q, np.shape(a), np.shape(b))


def _remainder_backward(g, cache):
    # a − q·b with q = ⌊a/b⌋ (or trunc) piecewise constant: d/da = 1, d/db = −q
    q, sa, sb = cache
    return unbroadcast(g, sa), unbroadcast(-g * q, sb).astype(g.dtype, copy=False)


def remainder(input, other):
    """input − ⌊input/other⌋ · other: the sign of ``other`` (Python's %), like PyTorch."""
    return apply_op(_remainder_forward, _remainder_backward, input, other, name="remainder")


def _fmod_forward(a, b):
    q = np.trunc(np.divide(a, b))
    return np.fmod(a, b), (q, np.shape(a), np.shape(b))


def fmod(input, other):
    """input − trunc(input/other) · other: the sign of ``input`` (C's fmod), like PyTorch."""
    return apply_op(_fmod_forward, _remainder_backward, input, other, name="fmod")


def floor_divide(input, other):
    """⌊input / other⌋ (PyTorch ≥ 1.13 floors); not differentiable."""
    a = unwrap(input)
    b = unwrap(other)
    return as_tensor(np.floor_divide(a, b))


def _predicate(np_fn):
    def op(input):
        return as_tensor(np_fn(as_array(input)))

    op.__name__ = np_fn.__name__
    return op


isnan, isinf, isfinite = _predicate(np.isnan), _predicate(np.isinf), _predicate(np.isfinite)
logical_not = _predicate(np.logical_not)
signbit = _predicate(np.signbit)


def _logical(np_fn):
    def op(input, other):
        b = unwrap(other)
        return as_tensor(np_fn(input.array, b))

    op.__name__ = np_fn.__name__
    return op


logical_and, logical_or, logical_xor = (_logical(np.logical_and), _logical(np.logical_or),
                                        _logical(np.logical_xor))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN → nan, ±inf → posinf/neginf (default: the dtype's largest finite values)."""
    bad = ~np.isfinite(input.array)

    def forward(x):
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf), None

    def backward(g, cache):
        return np.where(bad, np.zeros((), g.dtype), g)  # replaced entries are constants

    return apply_op(forward, backward, input, name="nan_to_num")
