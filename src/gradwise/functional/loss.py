"""Loss functions, each a fused forward/backward NumPy pair with PyTorch's signature.

Reductions follow PyTorch: ``'none'`` keeps one loss per element (per sample for the
classification losses), ``'sum'`` adds them, ``'mean'`` averages them; for ``cross_entropy`` /
``nll_loss`` with class-index targets the mean is weighted, Σ_i w_{y_i} ℓ_i / Σ_i w_{y_i}, over the
targets that are not ``ignore_index``.

Differences from PyTorch: a target whose shape differs from the input raises ValueError (PyTorch
broadcasts with a warning in mse_loss/l1_loss); class weights and ``pos_weight`` are constants
(they receive no gradient).
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from ..core.tensor import as_array

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(size_average, reduce, reduction: str) -> str:
    """Resolve PyTorch's deprecated size_average/reduce flags into a reduction string."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction "
                         f"(expected one of {_REDUCTIONS})")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return np.asarray(loss.mean(), dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def _reduce_rows(loss, reduction, denom, shape):
    """Per-row losses reduced: 'mean' is Σ ℓ_i / denom (nan when denom is 0, e.g. every target
    ignored), 'sum' is Σ ℓ_i and 'none' reshapes them to the target's shape."""
    if reduction == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(loss.sum() / denom, dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss.reshape(shape)


def _row_grads(g, reduction, denom, M, dtype):
    """dL/dℓ_i for ``_reduce_rows``: g/denom ('mean') or g ('sum') for every row, g ('none')."""
    if reduction == "none":
        return g.reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.full(M, g / denom if reduction == "mean" else g, dtype)


def _unreduce(g, shape, reduction, n):
    """The gradient of the reduction: d(mean)/dℓ_i = 1/n, d(sum)/dℓ_i = 1, d(none) = g."""
    if reduction == "mean":
        return np.broadcast_to(g / n, shape)
    if reduction == "sum":
        return np.broadcast_to(g, shape)
    return g


def _array(x):
    return None if x is None else as_array(x)


def _check_same_shape(fn, input, target):
    if input.shape != target.shape:
        raise ValueError(f"{fn}: target shape {tuple(target.shape)} must match input shape "
                         f"{tuple(input.shape)}")


def _check_broadcasts(fn, name, a, x):
    """``a`` (or None) cast to x's dtype, after checking that it broadcasts to x's shape."""
    if a is None:
        return None
    try:
        ok = np.broadcast_shapes(a.shape, x.shape) == x.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{fn}: {name} of shape {a.shape} does not broadcast to input shape "
                         f"{tuple(x.shape)}")
    return a.astype(x.dtype, copy=False)


def _check_float(fn, name, x):
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{fn}: {name} must be floating point, got {x.dtype}")


# -- regression ---------------------------------------------------------------------------------
def mse_loss_forward(x, y, reduction="mean"):
    """ℓ_i = (x_i − y_i)².  Shape: x, y (*) -> () or (*) for 'none'."""
    diff = x - y
    return _reduce(diff * diff, reduction), (diff, reduction)


def mse_loss_backward(g, cache):
    diff, reduction = cache
    dx = (2 * _unreduce(g, diff.shape, reduction, diff.size) * diff).astype(diff.dtype, copy=False)
    return dx, -dx  # dℓ/dx = 2(x − y) = −dℓ/dy


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error, (x − y)² reduced."""
    _check_same_shape("mse_loss", input, target)
    _check_float("mse_loss", "input", input)  # PyTorch: "mse" not implemented for 'Long'
    _check_float("mse_loss", "target", target)
    return apply_op(mse_loss_forward, mse_loss_backward, input, target,
                    reduction=_reduction(size_average, reduce, reduction), name="mse_loss")


def l1_loss_forward(x, y, reduction="mean"):
    """ℓ_i = |x_i − y_i|.  Shape: x, y (*) -> () or (*) for 'none'."""
    diff = x - y
    return _reduce(np.abs(diff), reduction), (np.sign(diff), reduction)


def l1_loss_backward(g, cache):
    sign, reduction = cache
    dx = (_unreduce(g, sign.shape, reduction, sign.size) * sign).astype(sign.dtype, copy=False)
    return dx, -dx  # dℓ/dx = sign(x − y) (0 at a tie, as in PyTorch)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error, |x − y| reduced."""
    _check_same_shape("l1_loss", input, target)
    _check_float("l1_loss", "input", input)
    _check_float("l1_loss", "target", target)
    return apply_op(l1_loss_forward, l1_loss_backward, input, target,
                    reduction=_reduction(size_average, reduce, reduction), name="l1_loss")


# -- classification over C classes ---------------------------------------------------------------
def _rows(x):
    """(N, C, d1, ...) -> (M, C) with the class dim last; (C,) -> (1, C)."""
    if x.ndim == 1:
        return x[None, :]
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])  # (N*d1*..., C)


def _unrows(d, shape):
    """Inverse of _rows for a gradient of shape (M, C)."""
    if len(shape) == 1:
        return d[0]
    if len(shape) == 2:
        return d
    lead = (shape[0],) + tuple(shape[2:])
    return np.moveaxis(d.reshape(*lead, shape[1]), -1, 1)


def _target_shape(shape):
    return () if len(shape) == 1 else (shape[0],) + tuple(shape[2:])


def _check_class_target(fn, input, target, ignore_index):
    """Class-index target: shape (N, d1, ...) for input (N, C, d1, ...); values in [0, C)."""
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have a class dimension, got a 0-d input")
    expected = _target_shape(input.shape)
    if target.shape != expected:
        raise ValueError(f"{fn}: expected target of shape {expected} (class indices) for input "
                         f"{tuple(input.shape)}, got {tuple(target.shape)}")
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(f"{fn}: class-index target must be an integer array, got {target.dtype}")
    C = input.shape[0] if input.ndim == 1 else input.shape[1]
    bad = ((target < 0) | (target >= C)) & (target != ignore_index)
    if bad.any():
        raise IndexError(f"{fn}: target {int(target[bad].flat[0])} is out of bounds for "
                         f"{C} classes")


def _check_weight(fn, weight, C, dtype):
    if weight is None:
        return None
    w = np.asarray(weight)
    if w.shape != (C,):
        raise ValueError(f"{fn}: weight must have shape ({C},) (one per class), got {w.shape}")
    return w.astype(dtype, copy=False)


def cross_entropy_forward(x, target, weight=None, ignore_index=-100, reduction="mean",
                          label_smoothing=0.0):
    """Softmax cross-entropy on logits with class-index targets, fused and log-sum-exp stable.

    With p = softmax(x) over classes, logp = x − logsumexp(x), ε = label_smoothing, W = Σ_c w_c:

        ℓ_i = (1 − ε) · (−w_{y_i} logp_{i,y_i}) + (ε/C) · (−Σ_c w_c logp_ic)

    and ℓ_i = 0 where y_i = ignore_index. 'mean' divides Σ_i ℓ_i by D = Σ_{i kept} w_{y_i}
    (the number of kept targets when unweighted), as PyTorch does.

    Shape: x (N, C, d1, ...) or (C,), target (N, d1, ...) or () -> () or target's shape.
    """
    rows = _rows(x)  # (M, C)
    M, C = rows.shape
    y = target.reshape(-1)  # (M,)
    keep = y != ignore_index
    y_safe = np.where(keep, y, 0)
    m = rows.max(axis=1, keepdims=True)  # (M, 1)
    p = np.subtract(rows, m)  # (M, C): the one large temporary, reused for softmax
    np.exp(p, out=p)
    s = p.sum(axis=1, keepdims=True)
    p *= 1 / s  # softmax
    lse = (m + np.log(s))[:, 0]  # (M,) log Σ_c e^{x_ic}
    logp_y = rows[np.arange(M), y_safe] - lse  # (M,)
    wy = np.ones(M, x.dtype) if weight is None else weight[y_safe]  # w_{y_i}
    wy = wy * keep
    loss = -(1 - label_smoothing) * wy * logp_y
    if label_smoothing > 0:
        if weight is None:
            smooth = C * lse - rows.sum(axis=1)  # −Σ_c logp_ic
        else:
            smooth = weight.sum() * lse - rows @ weight  # −Σ_c w_c logp_ic
        loss = loss + (label_smoothing / C) * smooth * keep
    loss = loss.astype(x.dtype, copy=False)
    denom = wy.sum()
    out = _reduce_rows(loss, reduction, denom, target.shape)
    return out, (p, y_safe, keep, wy, weight, label_smoothing, reduction, denom, x.shape)


def cross_entropy_backward(g, cache):
    p, y, keep, wy, weight, eps, reduction, denom, shape = cache
    M, C = p.shape
    gi = _row_grads(g, reduction, denom, M, p.dtype)
    gi = np.where(keep, gi, 0)  # (M,) dL/dℓ_i, zero for ignored targets (also when D = 0)
    # dℓ_i/dx_i = (1 − ε) w_{y_i} (p_i − e_{y_i}) + (ε/C) (W p_i − w)
    W = C if weight is None else weight.sum()
    a = gi * ((1 - eps) * wy + (eps / C) * W)
    dx = p * a[:, None]
    dx[np.arange(M), y] -= gi * (1 - eps) * wy
    if eps > 0:
        c = gi * (eps / C)
        dx -= c[:, None] if weight is None else c[:, None] * weight[None, :]
    return _unrows(dx.astype(p.dtype, copy=False), shape), None, None


def cross_entropy_probs_forward(x, t, weight=None, reduction="mean", label_smoothing=0.0):
    """Cross-entropy against class probabilities t (same shape as x):

        t' = (1 − ε) t + ε/C,   ℓ_i = −Σ_c w_c t'_ic logp_ic

    'mean' divides by the number of rows M = N·d1·… (not by the weights), as PyTorch does.

    Shape: x, t (N, C, d1, ...) or (C,) -> () or (N, d1, ...) for 'none'.
    """
    rows, trows = _rows(x), _rows(t)
    M, C = rows.shape
    m = rows.max(axis=1, keepdims=True)
    logp = rows - m
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))  # (M, C) log-softmax
    ts = trows * (1 - label_smoothing) + label_smoothing / C if label_smoothing > 0 else trows
    wt = ts if weight is None else ts * weight[None, :]  # w_c t'_ic
    loss = -(wt * logp).sum(axis=1).astype(x.dtype, copy=False)  # (M,)
    out = _reduce_rows(loss, reduction, M, _target_shape(x.shape))
    return out, (logp, wt, weight, label_smoothing, reduction, x.shape)


def cross_entropy_probs_backward(g, cache):
    logp, wt, weight, eps, reduction, shape = cache
    M, C = logp.shape
    gi = _row_grads(g, reduction, M, M, logp.dtype)
    # dℓ_i/dx_ik = p_ik Σ_c w_c t'_ic − w_k t'_ik ;  dℓ_i/dt_ic = −(1 − ε) w_c logp_ic
    dx = (np.exp(logp) * wt.sum(axis=1, keepdims=True) - wt) * gi[:, None]
    dt = -(1 - eps) * logp * gi[:, None]
    if weight is not None:
        dt *= weight[None, :]
    dt = dt.astype(logp.dtype, copy=False)
    return _unrows(dx.astype(logp.dtype, copy=False), shape), _unrows(dt, shape), None


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits and targets (log-softmax + NLL, fused).

    Args:
        input: logits, (N, C), (N, C, d1, ...) or (C,).
        target: class indices (N,), (N, d1, ...) or () — integer; or class probabilities of the
            input's shape — floating.
        weight: optional per-class rescaling, shape (C,).
        ignore_index: class-index target value that contributes neither loss nor gradient.
        reduction: 'none' | 'mean' | 'sum'.
        label_smoothing: ε in [0, 1]; targets become (1 − ε)·onehot + ε/C.

    Returns:
        scalar, or the per-sample loss (target's shape; (N, d1, ...) for probabilities).
    """
    fn = "cross_entropy"
    reduction = _reduction(size_average, reduce, reduction)
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have a class dimension, got a 0-d input")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be in [0, 1], got {label_smoothing}")
    x, t = _array(input), _array(target)
    _check_float(fn, "input", x)
    C = x.shape[0] if x.ndim == 1 else (x.shape[1] if x.ndim > 1 else 0)
    w = _check_weight(fn, _array(weight), C, x.dtype)
    if t.shape == x.shape and np.issubdtype(t.dtype, np.floating):
        return apply_op(cross_entropy_probs_forward, cross_entropy_probs_backward, input, target,
                        w, reduction=reduction, label_smoothing=float(label_smoothing),
                        name="cross_entropy")
    _check_class_target(fn, x, t, ignore_index)
    return apply_op(cross_entropy_forward, cross_entropy_backward, input, t, w,
                    ignore_index=ignore_index, reduction=reduction,
                    label_smoothing=float(label_smoothing), name="cross_entropy")


def nll_loss_forward(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities: ℓ_i = −w_{y_i} logp_{i, y_i}.

    'mean' divides by Σ_{i kept} w_{y_i}. Shape: as cross_entropy_forward.
    """
    rows = _rows(logp)
    M = rows.shape[0]
    y = target.reshape(-1)
    keep = y != ignore_index
    y_safe = np.where(keep, y, 0)
    wy = (np.ones(M, logp.dtype) if weight is None else weight[y_safe]) * keep
    loss = (-wy * rows[np.arange(M), y_safe]).astype(logp.dtype, copy=False)
    denom = wy.sum()
    out = _reduce_rows(loss, reduction, denom, target.shape)
    return out, (y_safe, wy, reduction, denom, logp.shape, rows.shape)


def nll_loss_backward(g, cache):
    y, wy, reduction, denom, shape, (M, C) = cache
    with np.errstate(divide="ignore", invalid="ignore"):
        gi = g.reshape(-1) if reduction == "none" else (g / denom if reduction == "mean" else g)
    gi = np.where(wy != 0, gi, 0)  # ignored targets get no gradient, even when D = 0
    d = np.zeros((M, C), g.dtype)
    d[np.arange(M), y] = -wy * gi  # scatter −w_{y_i} into column y_i
    return _unrows(d, shape), None, None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood loss on log-probabilities (e.g. the output of log_softmax).

    Shape: input (N, C), (N, C, d1, ...) or (C,); target (N,), (N, d1, ...) or () of class
    indices -> () or target's shape for 'none'.
    """
    fn = "nll_loss"
    reduction = _reduction(size_average, reduce, reduction)
    x, t = _array(input), _array(target)
    _check_float(fn, "input", x)
    _check_class_target(fn, x, t, ignore_index)
    C = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = _check_weight(fn, _array(weight), C, x.dtype)
    return apply_op(nll_loss_forward, nll_loss_backward, input, t, w, ignore_index=ignore_index,
                    reduction=reduction, name="nll_loss")


# -- binary classification -----------------------------------------------------------------------
def _binary_arrays(fn, input, target):
    """The arrays of a binary loss's input and target: same shape, one floating dtype."""
    x, t = _array(input), _array(target)
    _check_same_shape(fn, x, t)
    _check_float(fn, "input", x)
    _check_float(fn, "target", t)
    if t.dtype != x.dtype:
        raise ValueError(f"{fn}: expected target of the input's dtype {x.dtype}, got {t.dtype}")
    return x, t


def binary_cross_entropy_forward(x, y, weight=None, reduction="mean"):
    """ℓ_i = −w_i [y_i log x_i + (1 − y_i) log(1 − x_i)], each log clamped at −100 like PyTorch.

    Shape: x, y (*) probabilities, weight broadcastable to x -> () or (*) for 'none'.
    """
    with np.errstate(divide="ignore"):  # log 0 = −inf, clamped to −100
        log_x = np.maximum(np.log(x), -100)
        log_1mx = np.maximum(np.log1p(-x), -100)
    loss = -(y * log_x + (1 - y) * log_1mx)
    if weight is not None:
        loss = loss * weight
    loss = loss.astype(x.dtype, copy=False)
    return _reduce(loss, reduction), (x, y, log_x, log_1mx, weight, reduction)


def binary_cross_entropy_backward(g, cache):
    x, y, log_x, log_1mx, weight, reduction = cache
    g = _unreduce(g, x.shape, reduction, x.size)
    if weight is not None:
        g = g * weight
    # dℓ/dx = (x − y) / max(x(1 − x), 1e-12) (PyTorch's clamp);  dℓ/dy = log(1 − x) − log x
    dx = g * (x - y) / np.maximum((1 - x) * x, 1e-12)
    dy = g * (log_1mx - log_x)
    return dx.astype(x.dtype, copy=False), dy.astype(x.dtype, copy=False), None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross-entropy between probabilities ``input`` in [0, 1] and targets ``target``."""
    fn = "binary_cross_entropy"
    reduction = _reduction(size_average, reduce, reduction)
    x, t = _binary_arrays(fn, input, target)
    if x.size and not ((x >= 0) & (x <= 1)).all():  # NaN fails both comparisons
        raise ValueError(f"{fn}: all elements of input should be between 0 and 1, got range "
                         f"[{x.min()}, {x.max()}]")
    w = _check_broadcasts(fn, "weight", _array(weight), x)
    return apply_op(binary_cross_entropy_forward, binary_cross_entropy_backward, input, target,
                    w, reduction=reduction, name="binary_cross_entropy")


def binary_cross_entropy_with_logits_forward(x, y, weight=None, pos_weight=None,
                                             reduction="mean"):
    """BCE on logits, stable for any x:

        ℓ_i = w_i [(1 − y_i) x_i + (1 + (pw − 1) y_i) · softplus(−x_i)]

    with softplus(−x) = log(1 + e^{−x}) = max(−x, 0) + log1p(e^{−|x|}).

    Shape: x, y (*); weight broadcastable to x; pos_weight broadcastable to x along the last
    (class) dim -> () or (*) for 'none'.
    """
    sp = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))  # softplus(−x), no overflow
    lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * y  # log-weight on the positive term
    loss = (1 - y) * x + lw * sp
    if weight is not None:
        loss = loss * weight
    loss = loss.astype(x.dtype, copy=False)
    return _reduce(loss, reduction), (x, y, sp, lw, weight, pos_weight, reduction)


def binary_cross_entropy_with_logits_backward(g, cache):
    x, y, sp, lw, weight, pos_weight, reduction = cache
    g = _unreduce(g, x.shape, reduction, x.size)
    if weight is not None:
        g = g * weight
    sig_neg = np.exp(-x - sp)  # σ(−x) = e^{−x} / (1 + e^{−x}) = e^{−x − softplus(−x)}
    # dℓ/dx = (1 − y) − lw·σ(−x);  dℓ/dy = −x + (pw − 1)·softplus(−x)
    dx = g * ((1 - y) - lw * sig_neg)
    dy = g * (-x if pos_weight is None else -x + (pos_weight - 1) * sp)
    dx = np.broadcast_to(dx, x.shape).astype(x.dtype)
    dy = np.broadcast_to(dy, x.shape).astype(x.dtype)
    return dx, dy, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable op (PyTorch's signature).

    Args:
        pos_weight: weight of the positive examples, broadcast along the last dim (C,).
    """
    fn = "binary_cross_entropy_with_logits"
    reduction = _reduction(size_average, reduce, reduction)
    x, t = _binary_arrays(fn, input, target)
    w = _check_broadcasts(fn, "weight", _array(weight), x)
    pw = _check_broadcasts(fn, "pos_weight", _array(pos_weight), x)
    return apply_op(binary_cross_entropy_with_logits_forward,
                    binary_cross_entropy_with_logits_backward, input, target, w, pw,
                    reduction=reduction, name="binary_cross_entropy_with_logits")
