"""Elementwise ops: arithmetic with broadcasting, math functions and activations.

Each op is a ``*_forward``/``*_backward`` pair of NumPy functions plus the public function that
connects them to autograd with ``apply_op``. Binary ops broadcast like NumPy; their backward
sums the gradient back to each input's shape (``unbroadcast``).
"""
from __future__ import annotations

import math

import numpy as np

from ..core import apply_op
from ..core.autograd import saves
from ..core.checks import check_floating
from ..core.factories import as_tensor
from ..core.tensor import as_array


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``."""
    if grad.shape == shape:  # the common case; a list ``shape`` is compared below
        return grad
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


_ndarray = np.ndarray


def _shape(x):
    return x.shape if type(x) is _ndarray else np.shape(x)  # np.shape costs ~0.5 µs


def _check_broadcast(op, a, b):
    """Raise a ValueError naming ``op`` and both shapes if they do not broadcast (called when
    the forward has raised one: checking first would cost every op ~1 µs)."""
    sa, sb = _shape(a), _shape(b)
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        raise ValueError(f"{op}: shapes {tuple(sa)} and {tuple(sb)} are not broadcastable") from None


# -- binary arithmetic ---------------------------------------------------------------------
@saves()
def add_forward(a, b):
    sa = a.shape if type(a) is _ndarray else np.shape(a)  # _shape inlined: a call less
    sb = b.shape if type(b) is _ndarray else np.shape(b)
    return np.add(a, b), (sa, sb)


def add_backward(g, cache):
    sa, sb = cache
    shape = g.shape  # unbroadcast's first test inlined: two calls less per add
    return (g if shape == sa else unbroadcast(g, sa)), (g if shape == sb else unbroadcast(g, sb))


@saves()
def sub_forward(a, b):
    sa = a.shape if type(a) is _ndarray else np.shape(a)
    sb = b.shape if type(b) is _ndarray else np.shape(b)
    return np.subtract(a, b), (sa, sb)


def sub_backward(g, cache):
    sa, sb = cache
    shape = g.shape
    return (g if shape == sa else unbroadcast(g, sa)), -(g if shape == sb else unbroadcast(g, sb))


@saves(inputs=(0, 1))
def mul_forward(a, b):
    return np.multiply(a, b), (a, b)


def _is_array(x):
    return isinstance(x, np.ndarray)


def mul_backward(g, cache):
    a, b = cache
    ga = unbroadcast(g * b, _shape(a)) if _is_array(a) else None
    gb = unbroadcast(g * a, _shape(b)) if _is_array(b) else None
    return ga, gb


@saves(inputs=(0, 1))
def div_forward(a, b):
    return np.true_divide(a, b), (a, b)


def div_backward(g, cache):
    a, b = cache
    ga = g / b  # d(a/b)/da = 1/b
    gb = unbroadcast(-ga * a / b, _shape(b)) if _is_array(b) else None  # d/db = −a/b²
    return (unbroadcast(ga, _shape(a)) if _is_array(a) else None), gb


@saves(inputs=(0, 1), outputs=(0,))
def pow_forward(a, b):
    out = np.power(a, b)
    return out, (a, b, out)


def pow_backward(g, cache):
    a, b, out = cache
    ga = g * b * np.power(a, b - 1)  # d(a^b)/da = b·a^(b-1)
    gb = None
    if isinstance(b, np.ndarray) and np.issubdtype(b.dtype, np.inexact):
        with np.errstate(divide="ignore", invalid="ignore"):
            gb = g * out * np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)  # d/db = a^b·ln a
        gb = unbroadcast(gb, b.shape)
    return unbroadcast(ga, _shape(a)), gb


@saves(inputs=(0, 1))
def maximum_forward(a, b):
    return np.maximum(a, b), (a, b)


def maximum_backward(g, cache):
    a, b = cache
    # ties split the gradient evenly, as PyTorch does
    wa = np.where(a > b, 1.0, np.where(a == b, 0.5, 0.0)).astype(g.dtype)
    return unbroadcast(g * wa, _shape(a)), unbroadcast(g * (1 - wa), _shape(b))


@saves(inputs=(0, 1))
def minimum_forward(a, b):
    return np.minimum(a, b), (a, b)


def minimum_backward(g, cache):
    a, b = cache
    wa = np.where(a < b, 1.0, np.where(a == b, 0.5, 0.0)).astype(g.dtype)
    return unbroadcast(g * wa, _shape(a)), unbroadcast(g * (1 - wa), _shape(b))


def _binary(name, fwd, bwd):
    def op(input, other):
        try:
            return apply_op(fwd, bwd, input, other)  # grad_fn named after fwd: "<name>_forward"
        except ValueError:  # NumPy's broadcast error: say which op and which shapes
            _check_broadcast(name, input, other)
            raise

    assert fwd.__name__ == f"{name}_forward"
    op.__name__ = name
    op.__doc__ = f"Elementwise {name} with broadcasting."
    return op


def add(input, other, *, alpha=1):
    """input + alpha · other, with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    try:  # _binary's op inlined: one call less per add
        return apply_op(add_forward, add_backward, input, other)
    except ValueError:
        _check_broadcast("add", input, other)
        raise


def sub(input, other, *, alpha=1):
    """input − alpha · other, with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    try:
        return apply_op(sub_forward, sub_backward, input, other)
    except ValueError:
        _check_broadcast("sub", input, other)
        raise


mul = _binary("mul", mul_forward, mul_backward)
div = _binary("div", div_forward, div_backward)
pow = _binary("pow", pow_forward, pow_backward)  # noqa: A001 (torch name)
maximum = _binary("maximum", maximum_forward, maximum_backward)
minimum = _binary("minimum", minimum_forward, minimum_backward)
subtract, multiply, divide, true_divide = sub, mul, div, div


# -- unary ops: (forward, derivative from input x and output y) --------------------------------
def _unary(name, f, df, doc, floating=False):
    """Build a unary op from y = f(x) and dy/dx = df(x, y); ``floating``: refuse integer input
    (an integer sigmoid would come back as int64, silently truncated)."""

    def forward(x):
        y = f(x)
        return y, (x, y)

    def backward(g, cache):
        x, y = cache
        return g * df(x, y)

    forward.__name__, backward.__name__ = f"{name}_forward", f"{name}_backward"
    saves(inputs=(0,), outputs=(0,))(forward)

    def op(input):
        if floating:
            check_floating(name, "input", input)
        return apply_op(forward, backward, input, name=name)

    op.__name__, op.__doc__ = name, doc
    return op, forward, backward


neg, neg_forward, neg_backward = _unary("neg", np.negative, lambda x, y: -1, "-x")
exp, exp_forward, exp_backward = _unary("exp", np.exp, lambda x, y: y, "e^x; d/dx = e^x")
log, log_forward, log_backward = _unary("log", np.log, lambda x, y: 1 / x, "ln x; d/dx = 1/x")
sqrt, sqrt_forward, sqrt_backward = _unary(
    "sqrt", np.sqrt, lambda x, y: 0.5 / y, "√x; d/dx = 1/(2√x)"
)
abs, abs_forward, abs_backward = _unary(  # noqa: A001 (torch name)
    "abs", np.abs, lambda x, y: np.sign(x), "|x|; d/dx = sign(x)"
)
sin, sin_forward, sin_backward = _unary("sin", np.sin, lambda x, y: np.cos(x), "sin x")
cos, cos_forward, cos_backward = _unary("cos", np.cos, lambda x, y: -np.sin(x), "cos x")
tanh, tanh_forward, tanh_backward = _unary(
    "tanh", np.tanh, lambda x, y: 1 - y * y, "tanh x; d/dx = 1 − tanh²x", floating=True
)


def _sigmoid(x):
    # σ(x) = 1/(1+e^{−x}), evaluated without overflow for large |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid, sigmoid_forward, sigmoid_backward = _unary(
    "sigmoid", _sigmoid, lambda x, y: y * (1 - y), "σ(x) = 1/(1+e^{−x}); d/dx = σ(1−σ)",
    floating=True
)
relu, relu_forward, relu_backward = _unary(
    "relu", lambda x: np.maximum(x, 0), lambda x, y: x > 0, "max(x, 0)"  # g·[x > 0]: a bool mask
)


def rsqrt(input):
    return pow(input, -0.5)


def square(input):
    return mul(input, input)


def reciprocal(input):
    return div(1.0, input)


# -- parametrised activations -----------------------------------------------------------------
@saves()  # pos is a new array
def leaky_relu_forward(x, negative_slope=0.01):
    pos = x > 0
    return np.where(pos, x, x * negative_slope).astype(x.dtype, copy=False), (pos, negative_slope)


def leaky_relu_backward(g, cache):
    pos, slope = cache
    return np.where(pos, g, g * slope).astype(g.dtype, copy=False)


def leaky_relu(input, negative_slope=0.01):
    """x if x > 0 else negative_slope·x."""
    check_floating("leaky_relu", "input", input)
    return apply_op(leaky_relu_forward, leaky_relu_backward, input, negative_slope=negative_slope)


@saves(inputs=(0,))
def elu_forward(x, alpha=1.0):
    neg = alpha * np.expm1(np.minimum(x, 0))
    return np.where(x > 0, x, neg).astype(x.dtype, copy=False), (x, neg, alpha)


def elu_backward(g, cache):
    x, neg, alpha = cache
    return np.where(x > 0, g, g * (neg + alpha)).astype(g.dtype, copy=False)  # d/dx = α·e^x


def elu(input, alpha=1.0):
    """x if x > 0 else α(e^x − 1)."""
    check_floating("elu", "input", input)
    return apply_op(elu_forward, elu_backward, input, alpha=alpha)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _erf(x):
    from math import erf

    return np.vectorize(erf, otypes=[np.float64])(x)


try:  # SciPy's erf is vectorised; fall back to math.erf when SciPy is absent
    from scipy.special import erf as _erf  # type: ignore # noqa: F811
except ImportError:  # pragma: no cover
    pass


@saves(inputs=(0,))
def gelu_forward(x, approximate="none"):
    if approximate == "tanh":
        u = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        t = np.tanh(u)
        return (0.5 * x * (1 + t)).astype(x.dtype, copy=False), (x, t, approximate)
    cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))  # Φ(x)
    return (x * cdf).astype(x.dtype, copy=False), (x, cdf, approximate)


def gelu_backward(g, cache):
    x, aux, approximate = cache
    if approximate == "tanh":
        t = aux
        du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
        d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
    else:
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)  # φ(x)
        d = aux + x * pdf  # d/dx x·Φ(x) = Φ(x) + x·φ(x)
    return (g * d).astype(g.dtype, copy=False)


def gelu(input, approximate="none"):
    """x·Φ(x) (exact, erf) or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    check_floating("gelu", "input", input)
    return apply_op(gelu_forward, gelu_backward, input, approximate=approximate)


@saves()  # bx is a new array
def softplus_forward(x, beta=1.0, threshold=20.0):
    bx = beta * x
    y = np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)
    return y, (bx, threshold)


def softplus_backward(g, cache):
    bx, threshold = cache
    return np.where(bx > threshold, g, g * _sigmoid(bx)).astype(g.dtype, copy=False)


def softplus(input, beta=1.0, threshold=20.0):
    """(1/β)·log(1 + e^{βx}), linear above the threshold like PyTorch."""
    check_floating("softplus", "input", input)
    return apply_op(softplus_forward, softplus_backward, input, beta=beta, threshold=threshold)


@saves()  # inside is a new array
def clamp_forward(x, min=None, max=None):  # noqa: A002 (torch names)
    y = np.clip(x, min, max)
    inside = np.ones(x.shape, bool)
    if min is not None:
        inside &= x >= min
    if max is not None:
        inside &= x <= max
    return y.astype(x.dtype, copy=False), inside


def clamp_backward(g, inside):
    return g * inside


def clamp(input, min=None, max=None):  # noqa: A002
    """Clip to [min, max]; the gradient passes where min ≤ x ≤ max."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return apply_op(clamp_forward, clamp_backward, input, min=min, max=max)


clip = clamp


def where_forward(cond, a, b):
    return np.where(cond, a, b), (cond, _shape(a), _shape(b))


def where_backward(g, cache):
    cond, sa, sb = cache
    zero = np.zeros((), g.dtype)
    return None, unbroadcast(np.where(cond, g, zero), sa), unbroadcast(np.where(cond, zero, g), sb)


def where(condition, input, other):
    """input where condition else other (broadcast)."""
    cond = as_array(condition)
    return apply_op(where_forward, where_backward, cond.astype(bool), input, other)


def sign(input):
    return as_tensor(np.sign(input.array))
