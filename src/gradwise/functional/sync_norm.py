"""Synchronised batch norm: batch statistics over the examples of every rank.

With rank r holding x_r (N_r, C, *), M = Σ_r N_r·∏spatial values per channel:

    μ = (1/M) Σ_r Σ x_r,   σ² = (1/M) Σ_r Σ (x_r − μ)²     (two small allreduces of (C,))
    x̂ = (x − μ)/√(σ² + ε),  y = γ ⊙ x̂ + β

Backward on rank r, with dy_s = ∂L_s/∂y_s from every rank's own loss L_s:

    dx_r = γ/√(σ² + ε) · (dy_r − (1/M) Σ_s Σ dy_s − x̂_r ⊙ (1/M) Σ_s Σ dy_s ⊙ x̂_s)

(one allreduce of the (2C,) sums), which is ∂(Σ_s L_s)/∂x_r. dγ, dβ stay the local sums
Σ dy_r ⊙ x̂_r and Σ dy_r, as in PyTorch: DistributedDataParallel averages them with every other
gradient, which gives ∂((1/W) Σ_s L_s)/∂θ, the full-batch gradient, for all parameters.

The kernels stay pure NumPy: ``allreduce(a)`` (sum an array across ranks in place) is passed
in, so one process can test them with a simulated group.
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from ..core.factories import unwrap
from ..core.tensor import as_array
from .normalization import _bn_axes, batch_norm_forward


def sync_batch_stats(x, allreduce):
    """μ, biased σ² (C,) and the count M over every rank's x (N, C, *)."""
    axes, bshape = _bn_axes(x)
    C = x.shape[1]
    sums = np.empty(C + 1, x.dtype)
    sums[:C] = x.sum(axis=axes)
    sums[C] = x.size // C
    allreduce(sums)
    count = sums[C]                                   # M, the values per channel on all ranks
    mean = sums[:C] / count
    xc = x - mean.reshape(bshape)
    var = (xc * xc).sum(axis=axes)
    allreduce(var)
    return mean, var / count, float(count)


def sync_batch_norm_forward(x, weight, bias, mean, var, count, eps=1e-5, allreduce=None):
    """y = γ ⊙ (x − μ)/√(σ² + ε) + β with μ, σ² from ``sync_batch_stats`` (all ranks).

    Shape: x (N, C, *), weight, bias, mean, var (C,) -> y (N, C, *)
    """
    y, cache = batch_norm_forward(x, weight, bias, mean, var, eps=eps, batch_stats=True)
    return y, (cache, count, allreduce)


def sync_batch_norm_backward(dy, cache):
    (xhat, inv_std, weight, _, has_bias), count, allreduce = cache
    axes, bshape = _bn_axes(dy)
    C = dy.shape[1]
    db = dy.sum(axis=axes)                            # local Σ dy = dL_r/dβ
    dw = (dy * xhat).sum(axis=axes)                   # local Σ dy ⊙ x̂ = dL_r/dγ
    sums = np.concatenate([db, dw])                   # (2C,)
    allreduce(sums)                                   # Σ over every rank's loss
    scale = inv_std if weight is None else inv_std * weight
    dx = scale.reshape(bshape) * (dy - (sums[:C] / count).reshape(bshape)
                                  - xhat * (sums[C:] / count).reshape(bshape))
    return dx, None if weight is None else dw, db if has_bias else None, None, None, None


def sync_batch_norm(input, running_mean, running_var, weight, bias, momentum, eps, allreduce):
    """Training-mode batch norm with statistics reduced across ranks by ``allreduce``.

    Updates running_mean/running_var in place like ``batch_norm`` (unbiased σ² with the global
    count M) and returns y.

    Shape: (N, C, *) -> (N, C, *)
    """
    x = as_array(input)
    if x.ndim < 2:
        raise ValueError(f"sync_batch_norm: expected input (N, C, *), got shape {x.shape}")
    mean, var, m = sync_batch_stats(x, allreduce)
    if m <= 1:
        raise ValueError(f"sync_batch_norm: expected more than 1 value per channel across all "
                         f"ranks when training, got {m:g}")
    for buf, stat in ((running_mean, mean), (running_var, var * (m / (m - 1)))):
        if buf is not None:
            a = unwrap(buf)
            a *= 1 - momentum
            a += (momentum * stat).astype(a.dtype)
    return apply_op(sync_batch_norm_forward, sync_batch_norm_backward, input, weight, bias,
                    mean, var, m, eps=float(eps), allreduce=allreduce, name="sync_batch_norm")
