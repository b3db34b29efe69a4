"""Normalisation ops: batch_norm, layer_norm, local_response_norm.

Batch norm over the channel axis 1 of x (N, C, *), with statistics over M = N·∏spatial values:

    x̂ = (x − μ) / √(σ² + ε),   y = γ ⊙ x̂ + β

In training μ, σ² are the batch statistics (biased σ²) and the backward pass differentiates
through them:

    dx = (1/√(σ² + ε)) · (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)),   dx̂ = γ ⊙ dy  (means over M)

In evaluation μ, σ² are the running estimates, constants for the gradient.
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from ..core.checks import check_floating
from ..core.factories import unwrap
from ..core.tensor import as_array


# ----------------------------------------------------------------------------- batch norm


def _bn_axes(x):
    return (0,) + tuple(range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)


def batch_norm_forward(x, weight, bias, mean, var, eps=1e-5, batch_stats=True):
    """y = γ ⊙ (x − μ)/√(σ² + ε) + β per channel.

    Args:
        mean, var: per-channel μ and σ²: the batch statistics of x (biased σ²) when
            batch_stats=True, the running estimates otherwise.
        batch_stats: whether μ, σ² depend on x (training mode), which changes the backward.

    Shape: x (N, C, *), weight, bias, mean, var (C,) -> y (N, C, *)
    """
    _, bshape = _bn_axes(x)
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)  # (C,)
    xhat = (x - mean.reshape(bshape).astype(x.dtype)) * inv_std.reshape(bshape)
    y = xhat if weight is None else xhat * weight.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y, (xhat, inv_std, weight, batch_stats, bias is not None)


def batch_norm_backward(dy, cache):
    xhat, inv_std, weight, batch_stats, has_bias = cache
    axes, bshape = _bn_axes(dy)
    db = dy.sum(axis=axes)  # dL/dβ = Σ dy
    dw = (dy * xhat).sum(axis=axes)  # dL/dγ = Σ dy ⊙ x̂
    scale = inv_std if weight is None else inv_std * weight  # γ/√(σ² + ε)
    if batch_stats:
        m = dy.size // dy.shape[1]
        # Σ dx̂ = γ·Σ dy and Σ dx̂ ⊙ x̂ = γ·Σ dy ⊙ x̂, so no further passes over the batch
        dx = scale.reshape(bshape) * (dy - (db / m).reshape(bshape)
                                      - xhat * (dw / m).reshape(bshape))
    else:
        dx = dy * scale.reshape(bshape)
    return (dx, None if weight is None else dw, db if has_bias else None, None, None)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over channel axis 1 (PyTorch's F.batch_norm, same argument order).

    In training the batch statistics normalise x and, when running_mean/running_var are given,
    update them IN PLACE (as PyTorch does):

        running_mean ← (1 − momentum)·running_mean + momentum·μ_batch
        running_var  ← (1 − momentum)·running_var  + momentum·σ²_batch·M/(M − 1)   (unbiased)

    Args:
        input: Tensor (N, C) or (N, C, *).
        running_mean, running_var: arrays/Tensors (C,) or None.
        weight, bias: Tensors (C,) (γ, β) or None.
        training: use batch statistics (True) or the running estimates (False).
        momentum: weight of the new batch in the running estimates.

    Shape: (N, C, *) -> (N, C, *)
    """
    x = as_array(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input (N, C, *), got shape {x.shape}")
    check_floating("batch_norm", "input", x)  # integer input would give zero gradients
    # PyTorch's rule: ε > 0 when the batch variance may be 0, ε ≥ 0 with running estimates
    if not (eps > 0 if training else eps >= 0):
        rule = "positive during training" if training else "non-negative"
        raise ValueError(f"batch_norm: eps must be {rule}, got {eps}")
    C = x.shape[1]
    for name, a in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if a is not None and tuple(a.shape) != (C,):
            raise ValueError(f"batch_norm: expected {name} of shape ({C},) for input with {C} "
                             f"channels (shape {x.shape}), got {tuple(a.shape)}")
    if training:
        axes, _ = _bn_axes(x)
        m = x.size // C
        if m <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {x.shape}")
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)  # biased: the normaliser
        if running_mean is not None:
            rm = unwrap(running_mean)
            rm *= 1 - momentum
            rm += (momentum * mean).astype(rm.dtype)
        if running_var is not None:
            rv = unwrap(running_var)
            rv *= 1 - momentum
            rv += (momentum * var * (m / (m - 1))).astype(rv.dtype)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when "
                             "training=False")
        mean, var = unwrap(running_mean), unwrap(running_var)
    return apply_op(batch_norm_forward, batch_norm_backward, input, weight, bias,
                    np.asarray(mean), np.asarray(var), eps=float(eps),
                    batch_stats=bool(training), name="batch_norm")


# ----------------------------------------------------------------------------- layer norm


def layer_norm_forward(x, weight, bias, normalized_ndim=1, eps=1e-5):
    """y = γ ⊙ (x − μ)/√(σ² + ε) + β with μ, σ² over the last ``normalized_ndim`` axes.

    Shape: x (*, *normalized_shape), weight, bias normalized_shape -> y like x
    """
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    inv_std = 1.0 / np.sqrt((xc * xc).mean(axis=axes, keepdims=True) + eps)
    xhat = xc * inv_std
    y = xhat if weight is None else xhat * weight
    if bias is not None:
        y = y + bias
    return y, (xhat, inv_std, weight, axes, bias is not None)


def layer_norm_backward(dy, cache):
    xhat, inv_std, weight, axes, has_bias = cache
    lead = tuple(range(dy.ndim - len(axes)))
    dxhat = dy if weight is None else dy * weight
    # dx = (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) / √(σ² + ε), means over the normalised axes
    dx = inv_std * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                    - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))
    dw = None if weight is None else (dy * xhat).sum(axis=lead)
    db = dy.sum(axis=lead) if has_bias else None
    return dx, dw, db


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing ``normalized_shape`` axes (PyTorch's F.layer_norm).

    Shape: (*, *normalized_shape) -> same
    """
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(normalized_shape)
    check_floating("layer_norm", "input", input)
    if not eps >= 0:
        raise ValueError(f"layer_norm: eps must be non-negative, got {eps}")
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise ValueError(f"layer_norm: expected input with trailing shape {normalized_shape}, "
                         f"got {tuple(input.shape)}")
    for name, a in (("weight", weight), ("bias", bias)):
        if a is not None and tuple(a.shape) != normalized_shape:
            raise ValueError(f"layer_norm: expected {name} of shape {normalized_shape}, "
                             f"got {tuple(a.shape)}")
    return apply_op(layer_norm_forward, layer_norm_backward, input, weight, bias,
                    normalized_ndim=k, eps=float(eps), name="layer_norm")


# ----------------------------------------------------------------------------- LRN


def _channel_window_sum(a, front, back):
    """out[:, c] = Σ_{c' = c − front}^{c + back} a[:, c'] (zero outside), one add per offset."""
    C = a.shape[1]
    pad = [(0, 0)] * a.ndim
    pad[1] = (front, back)
    ap = np.pad(a, pad)
    out = np.zeros_like(a)
    for o in range(front + back + 1):
        out += ap[:, o:o + C]
    return out


def local_response_norm_forward(x, size=5, alpha=1e-4, beta=0.75, k=1.0):
    """y_c = x_c / (k + α/n · Σ_{c'} x_{c'}²)^β over the n = size channels around c.

    The window is c − ⌊n/2⌋ … c + ⌊(n−1)/2⌋ (zero beyond the edges). Like PyTorch, α is divided
    by n; AlexNet (Krizhevsky et al. 2012) writes α·Σ, i.e. their α equals this α/n.

    Shape: x (N, C, *) -> y (N, C, *)
    """
    s = k + (alpha / size) * _channel_window_sum(x * x, size // 2, (size - 1) // 2)
    s_pow = s ** -beta
    return x * s_pow, (x, s, s_pow, size, alpha, beta)


def local_response_norm_backward(dy, cache):
    x, s, s_pow, size, alpha, beta = cache
    # dx_i = dy_i s_i^−β − (2αβ/n) x_i Σ_{j: i ∈ window(j)} dy_j x_j s_j^(−β−1)
    t = dy * x * s_pow / s
    back = _channel_window_sum(t, (size - 1) // 2, size // 2)  # the transposed window
    return dy * s_pow - (2 * alpha * beta / size) * x * back


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalisation across channels (PyTorch's F.local_response_norm).

    Shape: (N, C, *) with at least 3 dims -> same
    """
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected input (N, C, *) with 3 or more dims, "
                         f"got shape {tuple(input.shape)}")
    if int(size) < 1:
        raise ValueError(f"local_response_norm: size must be >= 1, got {size}")
    return apply_op(local_response_norm_forward, local_response_norm_backward, input,
                    size=int(size), alpha=float(alpha), beta=float(beta), k=float(k),
                    name="local_response_norm")
