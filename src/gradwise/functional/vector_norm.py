"""Vector p-norms: ‖x‖_p = (Σ |x_i|^p)^{1/p} over ``dim`` (all entries by default).

Gradient: ∂‖x‖_p/∂x_i = sign(x_i) |x_i|^{p−1} / ‖x‖_p^{p−1}; for p = 2 that is x_i/‖x‖, taken as 0
where ‖x‖ = 0 (PyTorch's subgradient). p = ±inf is max/min |x_i| (``amax``/``amin`` of |x|).
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from . import elementwise as E
from . import reduce as R
from .reduce import _axes


def _pnorm_forward(x, p, dim, keepdim):
    axes = _axes(dim, x.ndim)
    a = np.abs(x)
    if p == 2:
        s = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
    elif p == 1:
        s = np.sum(a, axis=axes, keepdims=True)
    else:
        s = np.sum(a ** p, axis=axes, keepdims=True) ** (1.0 / p)
    out = s if keepdim else np.squeeze(s, axes)
    return out, (x, s, p, keepdim, axes)


def _pnorm_backward(g, cache):
    x, s, p, keepdim, axes = cache
    g = g if keepdim else np.expand_dims(g, axes)
    if p == 1:
        return (g * np.sign(x)).astype(x.dtype, copy=False)
    safe = np.where(s == 0, np.ones((), s.dtype), s)
    if p == 2:
        d = x / safe
    else:
        d = np.sign(x) * np.abs(x) ** (p - 1) / safe ** (p - 1)
    return np.where(s == 0, np.zeros((), x.dtype), g * d).astype(x.dtype, copy=False)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """‖input‖_p over ``dim``: p a positive number, ``"fro"`` (= 2), ``inf`` or ``-inf``."""
    if dtype is not None:
        input = input.to(dtype)
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm: p must be a number, 'fro', inf or -inf, got {p!r}")
    if p in (np.inf, -np.inf):
        a = E.abs(input)
        return R.amax(a, dim, keepdim) if p > 0 else R.amin(a, dim, keepdim)
    if not p > 0:
        raise ValueError(f"norm: p must be positive (or ±inf), got {p}")
    return apply_op(_pnorm_forward, _pnorm_backward, input, p=float(p), dim=dim,
                    keepdim=keepdim, name="norm")
