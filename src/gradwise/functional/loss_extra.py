"""More of PyTorch's functional losses and distances: smooth_l1_loss, huber_loss, kl_div,
margin_ranking_loss, gaussian_nll_loss (forward/backward pairs), and cosine_similarity,
pairwise_distance, triplet_margin_loss, normalize, pixel_shuffle (compositions of
differentiable ops).

Reductions are PyTorch's ('none', 'mean', 'sum'; kl_div also 'batchmean').
"""
from __future__ import annotations

import math

import numpy as np

from ..core import apply_op
from ..core.factories import as_tensor
from ..core.tensor import Tensor
from . import elementwise as E
from . import reduce as R
from .elementwise import unbroadcast
from .loss import _array, _check_float, _check_same_shape, _reduce, _reduction, _unreduce
from .shape import permute, reshape
from .vector_norm import norm


def _cast(d, x):
    return d.astype(x.dtype, copy=False)


# -- regression ---------------------------------------------------------------------------------
def smooth_l1_loss_forward(x, y, reduction="mean", beta=1.0):
    """ℓ = ½ d²/β if |d| < β else |d| − ½β, d = x − y (β = 0: |d|).

    Shape: x, y (*) -> () or (*) for 'none'.
    """
    d = x - y
    a = np.abs(d)
    if beta == 0:
        loss = a
    else:
        loss = np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
    return _reduce(_cast(loss, x), reduction), (d, beta, reduction)


def smooth_l1_loss_backward(g, cache):
    d, beta, reduction = cache
    g = _unreduce(g, d.shape, reduction, d.size)
    slope = np.sign(d) if beta == 0 else np.where(np.abs(d) < beta, d / beta, np.sign(d))
    dx = _cast(g * slope, d)
    return dx, -dx


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1 (Fast R-CNN): quadratic below ``beta``, linear above; ``beta=0`` is L1."""
    _check_same_shape("smooth_l1_loss", input, target)
    _check_float("smooth_l1_loss", "input", input)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    return apply_op(smooth_l1_loss_forward, smooth_l1_loss_backward, input, target,
                    reduction=_reduction(size_average, reduce, reduction), beta=float(beta),
                    name="smooth_l1_loss")


def huber_loss_forward(x, y, reduction="mean", delta=1.0):
    """ℓ = ½ d² if |d| < δ else δ(|d| − ½δ), d = x − y (δ · smooth_l1 with β = δ).

    Shape: x, y (*) -> () or (*) for 'none'.
    """
    d = x - y
    a = np.abs(d)
    loss = np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))
    return _reduce(_cast(loss, x), reduction), (d, delta, reduction)


def huber_loss_backward(g, cache):
    d, delta, reduction = cache
    g = _unreduce(g, d.shape, reduction, d.size)
    dx = _cast(g * np.where(np.abs(d) < delta, d, delta * np.sign(d)), d)
    return dx, -dx


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Huber loss: quadratic below ``delta``, linear (slope δ) above."""
    _check_same_shape("huber_loss", input, target)
    _check_float("huber_loss", "input", input)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    return apply_op(huber_loss_forward, huber_loss_backward, input, target,
                    reduction=_reduction(None, None, reduction), delta=float(delta),
                    name="huber_loss")


def kl_div_forward(x, t, reduction="mean", log_target=False):
    """ℓ = t (log t − x), with 0 log 0 = 0; ``log_target``: ℓ = eᵗ (t − x).

    Shape: x (*) log-probabilities, t (*) -> () or (*); 'batchmean' divides the sum by
    N = x.shape[0].
    """
    if log_target:
        et = np.exp(t)
        loss = et * (t - x)
        cache_t = et
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            log_t = np.where(t > 0, np.log(np.where(t > 0, t, 1)), 0)
        loss = t * log_t - t * x
        cache_t = log_t
    loss = _cast(loss, x)
    if reduction == "batchmean":
        n = x.shape[0] if x.ndim else 1
        out = np.asarray(loss.sum() / n, dtype=x.dtype)
    else:
        out = _reduce(loss, reduction)
    return out, (x, t, cache_t, reduction, log_target)


def kl_div_backward(g, cache):
    x, t, cache_t, reduction, log_target = cache
    if reduction == "batchmean":
        g = np.broadcast_to(g / (x.shape[0] if x.ndim else 1), x.shape)
    else:
        g = _unreduce(g, x.shape, reduction, x.size)
    if log_target:
        et = cache_t
        dx = -g * et                   # dℓ/dx = −eᵗ
        dt = g * et * (t - x + 1)      # dℓ/dt = eᵗ (t − x + 1)
    else:
        dx = -g * t                    # dℓ/dx = −t
        dt = g * (cache_t + 1 - x)     # dℓ/dt = log t + 1 − x
    return _cast(dx, x), _cast(dt, t)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback–Leibler divergence KL(target ‖ exp(input)) pointwise; ``input`` holds
    log-probabilities. Use ``reduction='batchmean'`` for the true KL per sample ('mean'
    averages over every element, as in PyTorch)."""
    if reduction != "batchmean":
        reduction = _reduction(size_average, reduce, reduction)
    _check_same_shape("kl_div", input, target)
    _check_float("kl_div", "input", input)
    _check_float("kl_div", "target", target)
    return apply_op(kl_div_forward, kl_div_backward, input, target, reduction=reduction,
                    log_target=bool(log_target), name="kl_div")


def margin_ranking_loss_forward(x1, x2, y, margin=0.0, reduction="mean"):
    """ℓ = max(0, −y (x₁ − x₂) + margin).  Shape: x1, x2, y (*) -> () or (*)."""
    v = -y * (x1 - x2) + margin
    return _reduce(_cast(np.maximum(v, 0), x1), reduction), (x1, x2, y, v > 0, reduction)


def margin_ranking_loss_backward(g, cache):
    x1, x2, y, active, reduction = cache
    g = _unreduce(g, x1.shape, reduction, x1.size) * active
    return _cast(-g * y, x1), _cast(g * y, x2), _cast(-g * (x1 - x2), y)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """Ranking hinge: ``target`` = 1 wants input1 > input2 by ``margin``, −1 the reverse."""
    fn = "margin_ranking_loss"
    x1, x2, y = _array(input1), _array(input2), _array(target)
    if not x1.shape == x2.shape == y.shape:
        raise ValueError(f"{fn}: expected input1, input2 and target of one shape, got "
                         f"{x1.shape}, {x2.shape} and {y.shape}")
    _check_float(fn, "input1", x1)
    if not isinstance(target, Tensor):
        target = as_tensor(y)
    return apply_op(margin_ranking_loss_forward, margin_ranking_loss_backward, input1, input2,
                    target, margin=float(margin),
                    reduction=_reduction(size_average, reduce, reduction), name=fn)


def gaussian_nll_loss_forward(x, y, var, full=False, eps=1e-6, reduction="mean"):
    """ℓ = ½ (log max(σ², ε) + (x − y)² / max(σ², ε)) [+ ½ log 2π if full].

    Shape: x, y (*), var broadcastable to x -> () or (*).
    """
    v = np.maximum(var, eps)
    d = x - y
    loss = 0.5 * (np.log(v) + d * d / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(_cast(np.broadcast_to(loss, x.shape), x), reduction), (d, v, var.shape,
                                                                         reduction)


def gaussian_nll_loss_backward(g, cache):
    d, v, var_shape, reduction = cache
    g = _unreduce(g, d.shape, reduction, d.size)
    dx = _cast(g * d / v, d)
    # the clamp is not differentiated (PyTorch clamps under no_grad): dℓ/dσ² at max(σ², ε)
    dvar = unbroadcast(g * 0.5 * (1 / v - d * d / (v * v)), var_shape)
    return dx, -dx, _cast(dvar, v)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target`` under N(input, var).

    ``var`` has the input's shape, or one dimension of size 1 (shared variance), or the input's
    shape without its last dimension; a float is one variance for every element.
    """
    fn = "gaussian_nll_loss"
    x, t = _array(input), _array(target)
    _check_same_shape(fn, x, t)
    _check_float(fn, "input", x)
    if isinstance(var, (float, int)):
        var = as_tensor(np.full(x.shape, var, x.dtype))
    elif not isinstance(var, Tensor):
        var = as_tensor(np.asarray(var, x.dtype))
    v = var.array
    if (v < 0).any():
        raise ValueError(f"{fn}: var has negative entries (min {v.min()})")
    if v.shape != x.shape:
        if x.shape[:-1] == v.shape:
            var = reshape(var, v.shape + (1,))
        elif not (v.ndim == x.ndim and sum(b for a, b in zip(x.shape, v.shape) if a != b) == 1):
            raise ValueError(f"{fn}: var of shape {v.shape} is of incorrect size for input "
                             f"{x.shape}: expected {x.shape}, {x.shape[:-1]} or one dimension 1")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{fn}: {reduction} is not a valid value for reduction")
    return apply_op(gaussian_nll_loss_forward, gaussian_nll_loss_backward, input, target, var,
                    full=bool(full), eps=float(eps), reduction=reduction, name=fn)


# -- distances (compositions of differentiable ops) ---------------------------------------------
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(‖x‖_p, eps) along ``dim``.  Shape: (*) -> (*)."""
    if out is not None:
        raise ValueError("normalize: out= is not supported")
    denom = E.clamp(norm(input, p, dim, keepdim=True), min=eps)
    return input / denom


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ_dim (x₁ / max(‖x₁‖, eps)) (x₂ / max(‖x₂‖, eps)).

    Shape: x1, x2 broadcastable (*) -> the broadcast shape without ``dim``.
    """
    n1 = E.clamp(norm(x1, 2, dim, keepdim=True), min=eps)
    n2 = E.clamp(norm(x2, 2, dim, keepdim=True), min=eps)
    return R.sum((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x₁ − x₂ + eps‖_p over the last dimension.

    Shape: (N, D), (N, D) -> (N,) ((N, 1) with keepdim); (D,), (D,) -> ().
    """
    a, b = _array(x1), _array(x2)
    nd = max(a.ndim, b.ndim)
    return norm(x1 - x2 + eps, p, nd - 1 if nd else None, keepdim=keepdim)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """ℓ = max(d(a, p) − d(a, n) + margin, 0), d = pairwise_distance; ``swap`` uses
    min(d(a, n), d(p, n)).  Shape: (N, D) or (D,) each -> () or (N,)."""
    reduction = _reduction(size_average, reduce, reduction)
    a, pos, neg = _array(anchor), _array(positive), _array(negative)
    if not a.ndim == pos.ndim == neg.ndim:
        raise ValueError(f"triplet_margin_loss: expected anchor, positive and negative of one "
                         f"number of dimensions, got {a.ndim}, {pos.ndim} and {neg.ndim}")
    if not margin > 0:
        raise ValueError(f"triplet_margin_loss: margin must be > 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = E.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    loss = E.clamp(d_pos - d_neg + margin, min=0.0)
    if reduction == "mean":
        return R.mean(loss)
    if reduction == "sum":
        return R.sum(loss)
    return loss


def pixel_shuffle(input, upscale_factor):
    """Rearrange (*, C·r², H, W) into (*, C, H·r, W·r) (sub-pixel convolution, Shi et al.
    2016)."""
    x = _array(input)
    r = int(upscale_factor)
    if x.ndim < 3:
        raise ValueError(f"pixel_shuffle: expected input with at least 3 dimensions, got "
                         f"shape {x.shape}")
    if r <= 0 or x.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: expected channels {x.shape[-3]} divisible by "
                         f"upscale_factor² = {r * r}")
    *batch, c, h, w = x.shape
    k = len(batch)
    y = reshape(input, (*batch, c // (r * r), r, r, h, w))
    y = permute(y, (*range(k), k, k + 3, k + 1, k + 4, k + 2))  # (*, C, H, r, W, r)
    return reshape(y, (*batch, c // (r * r), h * r, w * r))
