"""Pooling: max/avg/power-average pooling (1-D and 2-D), adaptive avg/max pooling; NCHW / NCL
layout, each also on PyTorch's unbatched (C, H, W) / (C, L) (a batch axis of 1 added, then removed).

Windowed pooling loops only over the kH·kW kernel offsets; each offset is one vectorised
operation over batch, channels and output pixels (a strided slice of the padded input). Max
pooling records, per output, the flat index h·W + w of the winning input pixel (PyTorch's
``return_indices`` convention); its backward scatters the gradient through those indices with
one ``np.bincount``. The 1-D functions reuse the 2-D kernels with H = 1.

Output length along an axis (PyTorch's rule):

    L_out = ⌊(L + 2P − d·(k − 1) − 1 [+ s − 1 if ceil_mode]) / s⌋ + 1,
    minus one if ceil_mode and the last window would start beyond L + P (in the right padding).
"""
from __future__ import annotations

import math

import numpy as np

from ..core import apply_op
from ..core.checks import check_floating, check_min, is_int, ntuple
from . import elementwise as E
from .shape import unbatched

# ----------------------------------------------------------------------------- helpers


def pool_out_size(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """Output length of a pooling window along one axis (see the module docstring)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pool_geometry(op, x, kernel, stride, padding, dilation, ceil_mode):
    """Validate a 2-D pooling config and return (H_out, W_out)."""
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input (N, C, H, W), got shape {x.shape}")
    for k, p in zip(kernel, padding):
        if p > k // 2:
            raise ValueError(f"{op}: padding should be at most half of the kernel size, got "
                             f"padding {padding} for kernel {kernel}")
    H, W = x.shape[2:]
    out = tuple(pool_out_size(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip((H, W), kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ValueError(f"{op}: kernel {kernel} (dilation {dilation}) is larger than the "
                         f"padded input {(H + 2 * padding[0], W + 2 * padding[1])}; output "
                         f"size would be {out}")
    return out


def _padded(x, padding, needed, fill):
    """x padded by padding[0] rows / padding[1] cols in front and up to `needed` total size."""
    N, C, H, W = x.shape
    ph, pw = padding
    Hp, Wp = max(needed[0], H + 2 * ph), max(needed[1], W + 2 * pw)
    if (Hp, Wp) == (H, W):
        return x
    xp = np.full((N, C, Hp, Wp), fill, dtype=x.dtype)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    return xp


def _windows(kernel, stride, dilation, out_hw):
    """(p, q, row slice, col slice) for every kernel offset over the padded input."""
    (kH, kW), (sh, sw), (dh, dw), (Ho, Wo) = kernel, stride, dilation, out_hw
    for p in range(kH):
        for q in range(kW):
            yield (p, q, slice(p * dh, p * dh + sh * (Ho - 1) + 1, sh),
                   slice(q * dw, q * dw + sw * (Wo - 1) + 1, sw))


def _scatter_by_index(dy, idx, x_shape):
    """dx[n, c].flat[idx[n, c, i, j]] += dy[n, c, i, j] for all entries, one bincount.

    Shape: dy, idx (N, C, H_out, W_out) -> dx x_shape = (N, C, H, W)
    """
    N, C = x_shape[:2]
    hw = int(np.prod(x_shape[2:]))
    base = (np.arange(N * C, dtype=np.int64) * hw).reshape(N, C, *([1] * (idx.ndim - 2)))
    dx = np.bincount((idx + base).ravel(), weights=dy.ravel(), minlength=N * C * hw)
    return dx.astype(dy.dtype, copy=False).reshape(x_shape)


def _indexed_max_backward(dy, cache):
    """Backward of a max pool whose cache is ``(indices, x_shape)``: dy goes to each argmax.

    dy is ``(dy, d indices)`` when the forward also returned the indices.
    """
    idx, x_shape = cache
    if isinstance(dy, tuple):
        dy = dy[0]
    return _scatter_by_index(dy, idx, x_shape)


# ----------------------------------------------------------------------------- max pooling


def max_pool2d_forward(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                       ceil_mode=False, return_indices=False):
    """y[n, c, i, j] = max over the (dilated) window of x padded with −∞.

    Ties go to the first maximum in row-major window order and NaN propagates, as in PyTorch.

    Shape: x (N, C, H, W) -> y (N, C, H_out, W_out) [, indices (N, C, H_out, W_out) int64,
           flat positions h·W + w in the unpadded input]
    """
    op = "max_pool2d"
    Ho, Wo = _pool_geometry(op, x, kernel, stride, padding, dilation, ceil_mode)
    N, C, H, W = x.shape
    if (_tiles_exactly(x.shape, kernel, stride, padding, dilation, (Ho, Wo))
            and not np.isnan(x).any()):  # NaN must propagate: the general path handles it
        best, win = _max_pool2d_tiled(x, kernel, (Ho, Wo))
        out = (best, _tiled_indices(win, kernel, (Ho, Wo), W)) if return_indices else best
        return out, (win, x.shape, tuple(kernel))
    needed = tuple((o - 1) * s + d * (k - 1) + 1
                   for o, s, d, k in zip((Ho, Wo), stride, dilation, kernel))
    xp = _padded(x, padding, needed, -np.inf)
    best = None
    arg = np.zeros((N, C, Ho, Wo), dtype=np.int32)  # winning kernel offset p·kW + q
    upd = np.empty((N, C, Ho, Wo), dtype=bool)
    for p, q, rows, cols in _windows(kernel, stride, dilation, (Ho, Wo)):
        v = xp[:, :, rows, cols]  # (N, C, Ho, Wo) strided view
        if best is None:
            best = v.copy()
            continue
        np.greater(v, best, out=upd)
        upd |= np.isnan(v)
        np.maximum(best, v, out=best)  # propagates NaN; branch-free unlike a masked copy
        arg = np.where(upd, p * kernel[1] + q, arg)
    # flat input index of the winner: h = i·s − P + p·d, w = j·s − P + q·d
    hi = (np.arange(Ho) * stride[0] - padding[0])[:, None] + (arg // kernel[1]) * dilation[0]
    wi = (np.arange(Wo) * stride[1] - padding[1])[None, :] + (arg % kernel[1]) * dilation[1]
    idx = hi.astype(np.int64) * W + wi
    out = (best, idx) if return_indices else best
    return out, (idx, x.shape, None)


def _tiles_exactly(shape, kernel, stride, padding, dilation, out_hw):
    """True when the windows tile the input exactly: stride = kernel, no padding or dilation."""
    return (tuple(stride) == tuple(kernel) and tuple(padding) == (0, 0)
            and tuple(dilation) == (1, 1)
            and (out_hw[0] * kernel[0], out_hw[1] * kernel[1]) == tuple(shape[2:]))


def _window_offsets(x, kernel, out_hw):
    """Views x[n, c, i·kH + p, j·kW + q] for every offset k = p·kW + q, in row-major order.

    Shape: x (N, C, H_out·kH, W_out·kW) -> kH·kW views (N, C, H_out, W_out)
    """
    N, C = x.shape[:2]
    (kH, kW), (Ho, Wo) = kernel, out_hw
    x6 = x.reshape(N, C, Ho, kH, Wo, kW)
    return [x6[:, :, :, p, :, q] for p in range(kH) for q in range(kW)]


def _max_pool2d_tiled(x, kernel, out_hw):
    """Non-overlapping windows: a running maximum over the kH·kW offsets of every window.

    The winner is kept as its offset k = p·kW + q inside the window (a small integer, 8× less
    memory traffic than flat int64 indices); strict comparisons keep the first maximum in
    row-major window order, as the general path and PyTorch do.

    Shape: x (N, C, H, W) -> y (N, C, H_out, W_out), winner offsets (N, C, H_out, W_out)
    """
    views = _window_offsets(x, kernel, out_hw)
    best = views[0].copy()
    win = np.zeros(best.shape, dtype=np.uint8 if len(views) < 256 else np.int64)
    upd = np.empty(best.shape, dtype=bool)
    step = np.empty_like(win)
    for k, v in enumerate(views[1:], 1):
        np.greater(v, best, out=upd)  # strict: ties keep the earlier offset
        np.maximum(best, v, out=best)  # branch-free (a masked copy of random masks is ~30x slower)
        np.subtract(k, win, out=step, casting="unsafe")  # k − win ≥ 1: every earlier win < k
        step *= upd
        win += step  # win = k where updated
    return best, win


def _tiled_indices(win, kernel, out_hw, W):
    """Flat input index h·W + w of each window's winner: h = i·kH + k // kW, w = j·kW + k % kW."""
    (kH, kW), (Ho, Wo) = kernel, out_hw
    k = win.astype(np.int64)
    return (np.arange(Ho)[:, None] * kH + k // kW) * W + np.arange(Wo) * kW + k % kW


def _max_pool2d_tiled_backward(dy, win, kernel, x_shape):
    """dx gets dy at each window's winner and 0 elsewhere, one masked product per offset k:
    dx[n, c, i·kH + p, j·kW + q] = dy[n, c, i, j] · [win[n, c, i, j] = k],  k = p·kW + q."""
    dx = np.empty(x_shape, dtype=dy.dtype)
    is_k = np.empty(win.shape, dtype=bool)
    for k, view in enumerate(_window_offsets(dx, kernel, win.shape[2:])):
        np.equal(win, k, out=is_k)
        np.multiply(dy, is_k, out=view)
    return dx


def max_pool2d_backward(dy, cache):
    """dx gets each dy at its window's argmax (summed where windows overlap)."""
    idx, x_shape, tiled = cache
    if isinstance(dy, tuple):  # (dy, d indices) when return_indices=True
        dy = dy[0]
    if tiled is not None:  # non-overlapping windows: idx holds the winners' window offsets
        return _max_pool2d_tiled_backward(dy, idx, tiled, x_shape)
    return _scatter_by_index(dy, idx, x_shape)


def pool_window_args(op, kernel_size, stride, padding, dilation, n):
    """Parse the window arguments of an n-d pool into n-tuples (stride defaults to the kernel)."""
    kernel = ntuple(op, "kernel_size", kernel_size, n)
    stride = kernel if stride is None or stride == [] or stride == () else ntuple(
        op, "stride", stride, n)
    padding = ntuple(op, "padding", padding, n)
    dilation = ntuple(op, "dilation", dilation, n)
    for name, v, low in (("kernel_size", kernel, 1), ("stride", stride, 1),
                         ("dilation", dilation, 1), ("padding", padding, 0)):
        check_min(op, name, v, low)
    return kernel, stride, padding, dilation


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling (PyTorch's F.max_pool2d; stride defaults to kernel_size).

    Shape: (N, C, H, W) -> (N, C, H_out, W_out),
        H_out = ⌊(H + 2P − d·(k − 1) − 1) / s⌋ + 1 (⌈·⌉ with ceil_mode).
    Returns: output, or (output, indices) with return_indices=True.
    """
    if input.ndim == 3:  # unbatched (C, H, W), as PyTorch accepts
        return unbatched(max_pool2d, input, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)
    kernel, stride, padding, dilation = pool_window_args("max_pool2d", kernel_size, stride,
                                                         padding, dilation, 2)
    return apply_op(max_pool2d_forward, max_pool2d_backward, input, kernel=kernel,
                    stride=stride, padding=padding, dilation=dilation,
                    ceil_mode=bool(ceil_mode), return_indices=bool(return_indices),
                    name="max_pool2d")


def _as_2d(x, op):
    if x.ndim != 3:
        raise ValueError(f"{op}: expected input (N, C, L), got shape {x.shape}")
    return x[:, :, None, :]


def max_pool1d_forward(x, kernel=2, stride=2, padding=0, dilation=1, ceil_mode=False,
                       return_indices=False):
    """1-D max pooling as the 2-D kernel with H = 1.

    Shape: x (N, C, L) -> y (N, C, L_out) [, indices (N, C, L_out) int64 positions in L]
    """
    (y, idx), _ = max_pool2d_forward(_as_2d(x, "max_pool1d"), (1, kernel), (1, stride),
                                     (0, padding), (1, dilation), ceil_mode, True)
    y, idx = y[:, :, 0], idx[:, :, 0]
    return ((y, idx) if return_indices else y), (idx, x.shape)


max_pool1d_backward = _indexed_max_backward


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling (PyTorch's F.max_pool1d). Shape: (N, C, L) -> (N, C, L_out)."""
    if input.ndim == 2:  # unbatched (C, L), as PyTorch accepts
        return unbatched(max_pool1d, input, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)
    check_floating("max_pool1d", "input", input)  # PyTorch: not implemented for 'Long'
    (kernel,), (stride,), (padding,), (dilation,) = pool_window_args(
        "max_pool1d", kernel_size, stride, padding, dilation, 1)
    return apply_op(max_pool1d_forward, max_pool1d_backward, input, kernel=kernel,
                    stride=stride, padding=padding, dilation=dilation,
                    ceil_mode=bool(ceil_mode), return_indices=bool(return_indices),
                    name="max_pool1d")


# ----------------------------------------------------------------------------- average pooling


def _avg_divisor(size, kernel, stride, padding, n_out, count_include_pad):
    """Per-output window size along one axis, PyTorch's rule: windows are clipped to the padded
    input [−P, L + P); count_include_pad=False clips them further to the input [0, L)."""
    start = np.arange(n_out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d_forward(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    """y[n, c, i, j] = Σ_window x_pad / divisor, x padded with zeros.

    divisor = divisor_override, else the window size clipped to the padded input
    (count_include_pad=True) or to the input itself (False).

    Shape: x (N, C, H, W) -> y (N, C, H_out, W_out)
    """
    op = "avg_pool2d"
    Ho, Wo = _pool_geometry(op, x, kernel, stride, padding, (1, 1), ceil_mode)
    H, W = x.shape[2:]
    needed = tuple((o - 1) * s + k for o, s, k in zip((Ho, Wo), stride, kernel))
    xp = _padded(x, padding, needed, 0)
    total = np.zeros(x.shape[:2] + (Ho, Wo), dtype=x.dtype)
    for _, _, rows, cols in _windows(kernel, stride, (1, 1), (Ho, Wo)):
        total += xp[:, :, rows, cols]
    if divisor_override:
        div = np.full((Ho, Wo), divisor_override, dtype=x.dtype)
    else:
        dh = _avg_divisor(H, kernel[0], stride[0], padding[0], Ho, count_include_pad)
        dw = _avg_divisor(W, kernel[1], stride[1], padding[1], Wo, count_include_pad)
        div = np.outer(dh, dw).astype(x.dtype)  # (Ho, Wo)
    return total / div, (div, x.shape, xp.shape, kernel, stride, padding)


def avg_pool2d_backward(dy, cache):
    """Each input pixel collects dy / divisor from every window that contains it."""
    div, x_shape, xp_shape, kernel, stride, padding = cache
    g = dy / div
    dxp = np.zeros(xp_shape, dtype=dy.dtype)
    for _, _, rows, cols in _windows(kernel, stride, (1, 1), dy.shape[2:]):
        dxp[:, :, rows, cols] += g
    H, W = x_shape[2:]
    return np.ascontiguousarray(dxp[:, :, padding[0]:padding[0] + H, padding[1]:padding[1] + W])


def _check_divisor(op, divisor_override):
    if divisor_override is not None and (not is_int(divisor_override) or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got "
                         f"{divisor_override!r}")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling (PyTorch's F.avg_pool2d; stride defaults to kernel_size).

    Shape: (N, C, H, W) -> (N, C, H_out, W_out), H_out = ⌊(H + 2P − k) / s⌋ + 1.
    """
    if input.ndim == 3:  # unbatched (C, H, W), as PyTorch accepts
        return unbatched(avg_pool2d, input, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override)
    op = "avg_pool2d"
    check_floating(op, "input", input)  # an integer mean would come back as float64
    _check_divisor(op, divisor_override)
    kernel, stride, padding, _ = pool_window_args(op, kernel_size, stride, padding, 1, 2)
    return apply_op(avg_pool2d_forward, avg_pool2d_backward, input, kernel=kernel,
                    stride=stride, padding=padding, ceil_mode=bool(ceil_mode),
                    count_include_pad=bool(count_include_pad),
                    divisor_override=divisor_override, name=op)


def avg_pool1d_forward(x, kernel=2, stride=2, padding=0, ceil_mode=False,
                       count_include_pad=True):
    """1-D average pooling as the 2-D kernel with H = 1. Shape: (N, C, L) -> (N, C, L_out)."""
    y, cache = avg_pool2d_forward(_as_2d(x, "avg_pool1d"), (1, kernel), (1, stride),
                                  (0, padding), ceil_mode, count_include_pad)
    return y[:, :, 0], cache


def avg_pool1d_backward(dy, cache):
    return avg_pool2d_backward(dy[:, :, None, :], cache)[:, :, 0]


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling (PyTorch's F.avg_pool1d). Shape: (N, C, L) -> (N, C, L_out)."""
    if input.ndim == 2:  # unbatched (C, L), as PyTorch accepts
        return unbatched(avg_pool1d, input, kernel_size, stride, padding, ceil_mode,
                         count_include_pad)
    check_floating("avg_pool1d", "input", input)
    (kernel,), (stride,), (padding,), _ = pool_window_args(
        "avg_pool1d", kernel_size, stride, padding, 1, 1)
    return apply_op(avg_pool1d_forward, avg_pool1d_backward, input, kernel=kernel,
                    stride=stride, padding=padding, ceil_mode=bool(ceil_mode),
                    count_include_pad=bool(count_include_pad), name="avg_pool1d")


# ----------------------------------------------------------------------------- adaptive pooling


def _adaptive_bounds(size, n_out):
    """Window i covers [⌊i·L/L_out⌋, ⌈(i+1)·L/L_out⌉), PyTorch's adaptive rule."""
    i = np.arange(n_out)
    return (i * size) // n_out, -((-(i + 1) * size) // n_out)


def _adaptive_mean(x, n_out, axis):
    """Mean of x over PyTorch's adaptive windows along ``axis`` (a gather, not P @ x: in a
    product 0·NaN = NaN would spread one NaN pixel into every window)."""
    start, end = _adaptive_bounds(x.shape[axis], n_out)
    k = np.arange((end - start).max())
    inside = k < (end - start)[:, None]  # (n_out, k_max)
    idx = np.minimum(start[:, None] + k, end[:, None] - 1)
    vals = np.moveaxis(np.take(x, idx, axis=axis), (axis, axis + 1), (-2, -1))
    y = np.where(inside, vals, 0).sum(axis=-1) / (end - start).astype(x.dtype)
    return np.moveaxis(y, -1, axis).astype(x.dtype, copy=False)


def _check_adaptive_input(op, input, dims):
    check_floating(op, "input", input)
    if input.ndim == dims + 2 and 0 in tuple(input.shape[2:]):
        raise ValueError(f"{op}: expected input with non-zero size for non-batch dimensions, "
                         f"got shape {tuple(input.shape)}")


def _adaptive_matrix(size, n_out, dtype):
    """P (L_out, L) with P[i, l] = 1/|window i| for l in window i, so pooled = P @ x."""
    start, end = _adaptive_bounds(size, n_out)
    pos = np.arange(size)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _output_size(output_size, in_hw, op):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    out = tuple(n if o is None else int(o) for o, n in zip(output_size, in_hw))
    if min(out) < 1:
        raise ValueError(f"{op}: output_size must be >= 1, got {output_size}")
    return out


def adaptive_avg_pool2d_forward(x, output_size=(1, 1)):
    """y = P_h · x · P_wᵀ per (n, c): the mean over PyTorch's adaptive windows.

    Shape: x (N, C, H, W) -> y (N, C, H_out, W_out)
    """
    if x.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d: expected input (N, C, H, W), got {x.shape}")
    H, W = x.shape[2:]
    ph = _adaptive_matrix(H, output_size[0], x.dtype)  # (Ho, H)
    pw = _adaptive_matrix(W, output_size[1], x.dtype)  # (Wo, W)
    # windows are rectangles, so the mean separates: rows first, then columns
    y = _adaptive_mean(_adaptive_mean(x, output_size[0], 2), output_size[1], 3)
    return y, (ph, pw)


def adaptive_avg_pool2d_backward(dy, cache):
    ph, pw = cache
    return np.matmul(ph.T, dy) @ pw  # dL/dx = P_hᵀ · dY · P_w


def adaptive_avg_pool2d(input, output_size):
    """2-D adaptive average pooling (PyTorch's F.adaptive_avg_pool2d; None keeps that size).

    Shape: (N, C, H, W) -> (N, C, *output_size)
    """
    if input.ndim == 3:  # unbatched (C, H, W), as PyTorch accepts
        return unbatched(adaptive_avg_pool2d, input, output_size)
    _check_adaptive_input("adaptive_avg_pool2d", input, 2)
    out = _output_size(output_size, input.shape[2:], "adaptive_avg_pool2d")
    return apply_op(adaptive_avg_pool2d_forward, adaptive_avg_pool2d_backward, input,
                    output_size=out, name="adaptive_avg_pool2d")


def adaptive_avg_pool1d_forward(x, output_size=1):
    """Shape: x (N, C, L) -> y (N, C, L_out); y = x · Pᵀ."""
    if x.ndim != 3:
        raise ValueError(f"adaptive_avg_pool1d: expected input (N, C, L), got {x.shape}")
    p = _adaptive_matrix(x.shape[2], output_size, x.dtype)  # (Lo, L), for the backward
    return _adaptive_mean(x, output_size, 2), p


def adaptive_avg_pool1d_backward(dy, p):
    return dy @ p


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling (PyTorch's F.adaptive_avg_pool1d).

    Shape: (N, C, L) -> (N, C, output_size)
    """
    if input.ndim == 2:  # unbatched (C, L), as PyTorch accepts
        return unbatched(adaptive_avg_pool1d, input, output_size)
    (out,) = ntuple("adaptive_avg_pool1d", "output_size", output_size, 1, minimum=1)
    _check_adaptive_input("adaptive_avg_pool1d", input, 1)
    return apply_op(adaptive_avg_pool1d_forward, adaptive_avg_pool1d_backward, input,
                    output_size=out, name="adaptive_avg_pool1d")


def adaptive_max_pool2d_forward(x, output_size=(1, 1), return_indices=False):
    """y = max over PyTorch's adaptive windows; indices are flat positions h·W + w.

    All windows are gathered at once into (N, C, H_out, W_out, kH_max·kW_max) with one fancy
    index (shorter windows padded with −∞), then reduced with argmax.

    Shape: x (N, C, H, W) -> y (N, C, H_out, W_out) [, indices int64]
    """
    if x.ndim != 4:
        raise ValueError(f"adaptive_max_pool2d: expected input (N, C, H, W), got {x.shape}")
    N, C, H, W = x.shape
    Ho, Wo = output_size
    (sh, eh), (sw, ew) = _adaptive_bounds(H, Ho), _adaptive_bounds(W, Wo)
    kh, kw = int((eh - sh).max()), int((ew - sw).max())
    rows = sh[:, None] + np.arange(kh)  # (Ho, kh) candidate input rows
    cols = sw[:, None] + np.arange(kw)  # (Wo, kw)
    valid = (rows < eh[:, None])[:, None, :, None] & (cols < ew[:, None])[None, :, None, :]
    rows, cols = np.minimum(rows, H - 1), np.minimum(cols, W - 1)
    win = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # (N, C, Ho, Wo, kh, kw)
    win = np.where(valid, win, -np.inf).astype(x.dtype, copy=False)
    win = win.reshape(N, C, Ho, Wo, kh * kw)
    k = np.argmax(win, axis=-1)  # first maximum; a NaN in the window propagates
    y = np.take_along_axis(win, k[..., None], axis=-1)[..., 0]
    flat = rows[:, None, :, None] * W + cols[None, :, None, :]  # (Ho, Wo, kh, kw)
    idx = np.take_along_axis(np.broadcast_to(flat.reshape(Ho, Wo, kh * kw),
                                             (N, C, Ho, Wo, kh * kw)), k[..., None], -1)[..., 0]
    idx = idx.astype(np.int64)
    return ((y, idx) if return_indices else y), (idx, x.shape)


adaptive_max_pool2d_backward = _indexed_max_backward


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-D adaptive max pooling (PyTorch's F.adaptive_max_pool2d; None keeps that size).

    Shape: (N, C, H, W) -> (N, C, *output_size)
    """
    if input.ndim == 3:  # unbatched (C, H, W), as PyTorch accepts
        return unbatched(adaptive_max_pool2d, input, output_size, return_indices)
    _check_adaptive_input("adaptive_max_pool2d", input, 2)
    out = _output_size(output_size, input.shape[2:], "adaptive_max_pool2d")
    return apply_op(adaptive_max_pool2d_forward, adaptive_max_pool2d_backward, input,
                    output_size=out, return_indices=bool(return_indices),
                    name="adaptive_max_pool2d")


def adaptive_max_pool1d_forward(x, output_size=1, return_indices=False):
    """The 2-D kernel with H = 1. Shape: x (N, C, L) -> y (N, C, L_out) [, indices in L]"""
    (y, idx), _ = adaptive_max_pool2d_forward(_as_2d(x, "adaptive_max_pool1d"), (1, output_size),
                                              True)
    y, idx = y[:, :, 0], idx[:, :, 0]
    return ((y, idx) if return_indices else y), (idx, x.shape)


adaptive_max_pool1d_backward = _indexed_max_backward


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling (PyTorch's F.adaptive_max_pool1d).

    Shape: (N, C, L) -> (N, C, output_size), or unbatched (C, L) -> (C, output_size)
    """
    if input.ndim == 2:  # unbatched (C, L), as PyTorch accepts
        return unbatched(adaptive_max_pool1d, input, output_size, return_indices)
    (out,) = ntuple("adaptive_max_pool1d", "output_size", output_size, 1, minimum=1)
    _check_adaptive_input("adaptive_max_pool1d", input, 1)
    return apply_op(adaptive_max_pool1d_forward, adaptive_max_pool1d_backward, input,
                    output_size=out, return_indices=bool(return_indices),
                    name="adaptive_max_pool1d")


# ----------------------------------------------------------------------------- power-average pooling


def _lp_pool(avg_pool, window, input, norm_type, kernel_size, stride, ceil_mode):
    """(Σ_window x^p)^(1/p) = (window · avg_pool(x^p))^(1/p), PyTorch's composite: its
    sign(s)·relu(|s|) keeps the gradient 0 where a window sums to 0, and p = ±∞ is the max of |x|
    (the min of |x| for −∞)."""
    if norm_type in (math.inf, -math.inf):
        sign = 1 if norm_type > 0 else -1
        max_pool = max_pool2d if avg_pool is avg_pool2d else max_pool1d
        return E.mul(max_pool(E.mul(E.abs(input), sign), kernel_size, stride, 0, 1, ceil_mode),
                     sign)
    out = avg_pool(E.pow(input, norm_type), kernel_size, stride, 0, ceil_mode)
    out = E.mul(E.sign(out), E.relu(E.abs(out)))
    return E.pow(E.mul(out, window), 1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling (PyTorch's F.lp_pool2d): y = (Σ_window x^p)^(1/p), no padding.

    Shape: (N, C, H, W) -> (N, C, H_out, W_out) (or unbatched (C, H, W)),
        H_out = ⌊(H − k) / s⌋ + 1 (⌈·⌉ with ceil_mode).
    """
    kh, kw = ntuple("lp_pool2d", "kernel_size", kernel_size, 2, minimum=1)
    return _lp_pool(avg_pool2d, kh * kw, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling (PyTorch's F.lp_pool1d): y = (Σ_window x^p)^(1/p), no padding.

    Shape: (N, C, L) -> (N, C, L_out) (or unbatched (C, L)), L_out = ⌊(L − k) / s⌋ + 1.
    """
    (k,) = ntuple("lp_pool1d", "kernel_size", kernel_size, 1, minimum=1)
    return _lp_pool(avg_pool1d, k, input, norm_type, kernel_size, stride, ceil_mode)
