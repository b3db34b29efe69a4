"""Matrix products: matmul (batched, broadcasting), linear, bilinear, einsum."""
from __future__ import annotations

import math

import numpy as np

from ..core import apply_op
from ..core.checks import check_dtype
from .elementwise import unbroadcast


def _matmul_shapes_ok(a, b):
    if a.ndim == 0 or b.ndim == 0:
        return False
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    return ka == kb


def matmul_forward(a, b):
    if not _matmul_shapes_ok(a, b):
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
            f"(inner dims {a.shape[-1:]} vs {b.shape[-2:-1] if b.ndim > 1 else b.shape})"
        )
    if a.ndim > 2 and b.ndim == 2:  # (*, K) @ (K, M) as one 2-D GEMM
        return (a.reshape(-1, a.shape[-1]) @ b).reshape(*a.shape[:-1], b.shape[1]), (a, b)
    return np.matmul(a, b), (a, b)


def matmul_backward(g, cache):
    a, b = cache
    if a.ndim > 2 and b.ndim == 2:  # the 2-D GEMM case of the forward
        a2, g2 = a.reshape(-1, a.shape[-1]), g.reshape(-1, g.shape[-1])
        return (g2 @ b.T).reshape(a.shape), a2.T @ g2
    # Promote vectors to matrices so that dA = G·Bᵀ and dB = Aᵀ·G hold in every case.
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    if a.ndim == 1 and b.ndim == 1:
        g2 = g.reshape(1, 1)
    elif a.ndim == 1:
        g2 = np.expand_dims(g, -2)
    elif b.ndim == 1:
        g2 = np.expand_dims(g, -1)
    else:
        g2 = g
    da = g2 @ np.swapaxes(b2, -1, -2)
    db = np.swapaxes(a2, -1, -2) @ g2
    da = unbroadcast(da, a2.shape).reshape(a.shape)
    db = unbroadcast(db, b2.shape).reshape(b.shape)
    return da, db


def matmul(input, other):
    """Matrix product with NumPy/PyTorch semantics (1-D promotion, batch broadcasting)."""
    return apply_op(matmul_forward, matmul_backward, input, other)


mm = bmm = matmul


def linear_forward(x, weight, bias=None):
    """y = x Wᵀ + b.

    Shape: x (*, in_features), weight (out_features, in_features), bias (out_features,)
           -> y (*, out_features)
    """
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input has {x.shape[-1]} features (shape {x.shape}), weight expects "
            f"{weight.shape[1]} (weight shape {weight.shape})"
        )
    # 2-D GEMM on (N*, in): NumPy's stacked matmul with a transposed operand skips BLAS;
    # N* spelled out, not -1, so that in_features = 0 reshapes too
    rows = math.prod(x.shape[:-1])
    y = x.reshape(rows, x.shape[-1]) @ weight.T  # (N*, out)
    if bias is not None:
        y += bias
    return y.reshape(*x.shape[:-1], weight.shape[0]), (x, weight, bias is not None)


def linear_backward(dy, cache):
    x, weight, has_bias = cache
    rows = math.prod(x.shape[:-1])
    x2 = x.reshape(rows, x.shape[-1])  # (N*, in)
    dy2 = dy.reshape(rows, dy.shape[-1])  # (N*, out)
    dx = (dy2 @ weight).reshape(x.shape)  # dL/dx = dL/dy · W
    dw = dy2.T @ x2  # dL/dW = dL/dyᵀ · x
    db = dy2.sum(axis=0) if has_bias else None
    return dx, dw, db


def linear(input, weight, bias=None):
    """y = x Wᵀ + b (PyTorch weight layout: (out_features, in_features)).

    Input and weight must share a dtype (PyTorch refuses mixed dtypes; NumPy would promote).
    """
    check_dtype("linear", "input", input, weight.dtype)
    return apply_op(linear_forward, linear_backward, input, weight, bias)


def bilinear_forward(x1, x2, weight, bias=None):
    """y_k = x1ᵀ W_k x2 + b_k.  Shape: x1 (N, I1), x2 (N, I2), W (O, I1, I2) -> (N, O)."""
    t = np.einsum("ni,oij->noj", x1, weight)  # (N, O, I2)
    y = np.einsum("noj,nj->no", t, x2)
    if bias is not None:
        y = y + bias
    return y, (x1, x2, weight, t, bias is not None)


def bilinear_backward(g, cache):
    x1, x2, weight, t, has_bias = cache
    dx2 = np.einsum("no,noj->nj", g, t)
    dx1 = np.einsum("no,oij,nj->ni", g, weight, x2)
    dw = np.einsum("no,ni,nj->oij", g, x1, x2)
    return dx1, dx2, dw, (g.sum(axis=0) if has_bias else None)


def bilinear(input1, input2, weight, bias=None):
    return apply_op(bilinear_forward, bilinear_backward, input1, input2, weight, bias)


def einsum(equation, *operands):
    """Einstein summation; the gradient of each operand is another einsum."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "->" not in eq:
        lhs = eq
        letters = sorted(c for c in set(lhs.replace(",", "")) if lhs.replace(",", "").count(c) == 1)
        eq = lhs + "->" + "".join(letters)
    if "..." in eq:
        raise NotImplementedError("einsum: ellipsis is not supported; name every axis")
    lhs, out = eq.split("->")
    ins = lhs.split(",")

    def forward(*arrays):
        return np.einsum(eq, *arrays), arrays

    def backward(g, arrays):
        grads = []
        for i, a in enumerate(arrays):
            others = [s for j, s in enumerate(ins) if j != i]
            sub = ",".join([out] + others) + "->" + ins[i]
            # letters in ins[i] absent elsewhere were summed in forward: broadcast them back
            missing = [c for c in ins[i] if c not in out and all(c not in s for s in others)]
            if missing:
                keep = "".join(c for c in ins[i] if c not in missing)
                gi = np.einsum(",".join([out] + others) + "->" + keep, g,
                               *[arrays[j] for j in range(len(arrays)) if j != i])
                expand = [slice(None) if c not in missing else None for c in ins[i]]
                gi = np.broadcast_to(gi[tuple(expand)], a.shape)
            else:
                gi = np.einsum(sub, g, *[arrays[j] for j in range(len(arrays)) if j != i])
            grads.append(np.ascontiguousarray(gi, dtype=a.dtype))
        return tuple(grads)

    return apply_op(forward, backward, *operands, name="einsum")
