"""Interpolation (PyTorch's ``F.interpolate``): nearest and (bi)linear resizing of NCL / NCHW.

Every mode is separable: resizing (N, C, H, W) applies a 1-D resampling along W, then along H.
Along one axis of length n_in → n_out, output o reads the source pixels given below, with the
scale s (input pixels per output pixel) that PyTorch uses:

    s = 1 / scale_factor        when scale_factor is given (and recompute_scale_factor is not
                                True); note 1/scale_factor ≠ n_in/n_out for fractional factors
    s = n_in / n_out            when size is given (or recompute_scale_factor=True)
    s = (n_in − 1)/(n_out − 1)  for linear modes with align_corners=True (0 when n_out = 1)
    n_out = ⌊n_in · scale_factor⌋

    nearest        src(o) = min(⌊o · s⌋, n_in − 1)   o · s rounded to float32 as in PyTorch
                   (2-D: o itself when n_out = n_in, ⌊o/2⌋ when n_out = 2·n_in)
    nearest-exact  src(o) = min(⌊(o + ½) · s⌋, n_in − 1)
    linear         r(o) = max((o + ½) · s − ½, 0)   (align_corners=False, half-pixel)
                   r(o) = o · s                     (align_corners=True)
                   i0 = min(⌊r⌋, n_in − 1),  i1 = min(i0 + 1, n_in − 1),
                   λ1 = clamp(r − i0, 0, 1),  λ0 = 1 − λ1
                   y[o] = λ0 · x[i0] + λ1 · x[i1]   (a copy when n_out = n_in)

Both kernels are a sparse (n_out × n_in) matrix A with one or two non-zeros per row, applied
along each axis as a gather (``np.take``) and a weighted sum: y = A_H · x · A_Wᵀ per (n, c). The
backward is the transpose, dx = A_Hᵀ · dy · A_W: each source index list is non-decreasing in o,
so Aᵀ is a segmented sum (``np.add.reduceat``), and a reshape-sum when every source pixel is
repeated the same k times (integer nearest upsampling). Keeping A sparse rather than dense costs
O(n_out) per row instead of O(n_out · n_in) and keeps a NaN or inf local to its neighbours, as in
PyTorch (a dense product would spread 0 · inf = NaN over the whole row).
"""
from __future__ import annotations

import operator

import numpy as np

from ..core import apply_op
from ..core.checks import check_floating, one_per

MODES = ("nearest", "nearest-exact", "linear", "bilinear")
_RANK = {"linear": 3, "bilinear": 4}  # the nearest modes take 3-D or 4-D input
_LAYOUT = {3: "(N, C, L)", 4: "(N, C, H, W)"}

# ----------------------------------------------------------------------------- 1-D source maps


def nearest_source_index(n_in, n_out, scale=None, exact=False, shortcut=True,
                         dtype=np.float32):
    """Source pixel of every output pixel for (legacy) nearest or nearest-exact resizing.

    Follows PyTorch's CPU arithmetic so the indices agree bit for bit, including at fractional
    scale factors: the product o·s is rounded to float32 before the floor (``floorf``).

    Args:
        n_in, n_out: input and output length along the axis.
        scale: the user's scale_factor for this axis, or None when the size was given.
        exact: True for "nearest-exact" (half-pixel centres), False for "nearest".
        shortcut: legacy nearest only; True takes src = o when n_out = n_in and src = ⌊o/2⌋
            when n_out = 2·n_in whatever the scale factor (PyTorch's 2-D kernel), False always
            computes ⌊o·s⌋ (PyTorch's 1-D forward, where e.g. n_in = 5, scale_factor = 1.1
            gives n_out = 5 but src = [0, 0, 1, 2, 3]).
        dtype: precision of s and o·s without the shortcut (the input's: PyTorch's 1-D kernel
            computes in the input's precision, the 2-D kernel always in float32).
    Returns:
        int64 array (n_out,), non-decreasing, values in [0, n_in).
    """
    o = np.arange(n_out, dtype=np.int64)
    if exact:
        s = _scale(n_in, n_out, scale, np.float32)
        src = ((o + 0.5) * np.float64(s)).astype(np.float32)  # (o + 0.5) is a double in PyTorch
        return np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    if shortcut and n_out == n_in:
        return o
    if shortcut and n_out == 2 * n_in:
        return o >> 1
    s = _scale(n_in, n_out, scale, np.float32 if shortcut else dtype)
    src = (o.astype(s.dtype) * s).astype(np.float32)
    return np.minimum(np.floor(src).astype(np.int64), n_in - 1)


def _scale(n_in, n_out, scale, dtype):
    """s = 1/scale_factor if given, else n_in/n_out, in ``dtype`` (compute_scales_value)."""
    ft = np.dtype(dtype).type
    return ft(1.0 / scale) if scale is not None and scale > 0 else ft(n_in) / ft(n_out)


def linear_source_taps(n_in, n_out, scale=None, align_corners=False, dtype=np.float64):
    """Two source pixels and their weights for every output pixel of linear resizing.

    Uses PyTorch's arithmetic: the scale and source coordinate in ``dtype`` (float32 math for
    float32 input, float64 for float64), the floor taken after rounding to float32 (PyTorch's
    ``floorf``).

    Args:
        n_in, n_out: input and output length along the axis.
        scale: the user's scale_factor for this axis, or None when the size was given.
        align_corners: True maps the corner pixel centres onto each other.
        dtype: float dtype of the input.
    Returns:
        i0, i1 int64 (n_out,) non-decreasing; w0, w1 (n_out,) of ``dtype`` with w0 + w1 = 1.
    """
    o = np.arange(n_out, dtype=np.int64)
    if n_out == n_in:  # PyTorch copies: weight 1 on the pixel itself
        return o, o, np.ones(n_out, dtype), np.zeros(n_out, dtype)
    ft = np.dtype(dtype).type
    if align_corners:
        s = ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
        real = s * o.astype(dtype)
    else:
        s = _scale(n_in, n_out, scale, dtype)
        real = np.maximum(s * (o.astype(dtype) + ft(0.5)) - ft(0.5), ft(0))
    i0 = np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    w1 = np.clip(real - i0.astype(dtype), ft(0), ft(1)).astype(dtype)
    return i0, i1, (ft(1) - w1).astype(dtype), w1


def _sum_into(g, idx, n_in, axis):
    """Transpose of ``np.take(x, idx, axis)``: dx[..., i, ...] = Σ_{o: idx[o] = i} g[..., o, ...].

    idx must be non-decreasing (true of every source map above), so the sum over each run of
    equal indices is one segmented ``np.add.reduceat``; when each of the n_in pixels is
    repeated exactly k times in order it is a reshape-sum.

    Shape: g (..., n_out, ...) -> (..., n_in, ...) along ``axis``
    """
    n_out = idx.shape[0]
    axis = axis % g.ndim
    if n_out == n_in and (idx == np.arange(n_in)).all():
        return g
    if n_out % n_in == 0 and (idx == np.arange(n_out) // (n_out // n_in)).all():
        k = n_out // n_in
        return g.reshape(*g.shape[:axis], n_in, k, *g.shape[axis + 1:]).sum(axis=axis + 1)
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])  # first o of each run
    runs = np.add.reduceat(g, starts, axis=axis)  # (..., n_runs, ...)
    if starts.shape[0] == n_in:  # every source pixel is used: runs are pixels 0..n_in−1
        return runs
    dx = np.zeros((*g.shape[:axis], n_in, *g.shape[axis + 1:]), dtype=g.dtype)
    dx[(slice(None),) * axis + (idx[starts],)] = runs
    return dx


# ----------------------------------------------------------------------------- nearest


def interpolate_nearest_forward(x, size, scales=None, exact=False):
    """y = x at the nearest source pixel of each output pixel, along every spatial axis.

    Args:
        x: input array.
        size: output spatial size, one int per spatial axis.
        scales: the user's scale factor per axis (None entries, or None, when size was given).
        exact: "nearest-exact" (half-pixel centres) instead of PyTorch's legacy "nearest".
    Shape: x (N, C, L) -> y (N, C, L_out);  x (N, C, H, W) -> y (N, C, H_out, W_out)
    """
    spatial = x.shape[2:]
    scales = scales or (None,) * len(spatial)
    # PyTorch's 1-D forward skips the n_out ∈ {n_in, 2·n_in} shortcuts and computes in the
    # input's precision; its 1-D backward (upsample_nearest1d_backward) takes them, so there
    # torch's gradient is not the transpose of its forward. Ours is: see the tests.
    one_d = len(spatial) == 1
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
    idx = [nearest_source_index(n, m, s, exact, shortcut=not one_d, dtype=dtype)
           for n, m, s in zip(spatial, size, scales)]
    y = x
    for axis in reversed(range(len(spatial))):  # W first, then H
        y = np.take(y, idx[axis], axis=axis + 2)  # (N, C, ..., n_out along axis + 2, ...)
    return y, (idx, spatial)


def interpolate_nearest_backward(dy, cache):
    """dx[n, c, i, j] = Σ dy over the output pixels whose source is (i, j): A_Hᵀ · dy · A_W."""
    idx, spatial = cache
    dx = dy
    for axis in range(len(spatial)):
        dx = _sum_into(dx, idx[axis], spatial[axis], axis + 2)
    return (dx.copy() if dx is dy else dx,)  # n_out = n_in everywhere: never alias dy


# ----------------------------------------------------------------------------- (bi)linear


def interpolate_linear_forward(x, size, scales=None, align_corners=False):
    """Linear (3-D input) or bilinear (4-D input) interpolation, separable along W then H.

    Along each axis y[o] = λ0(o)·x[i0(o)] + λ1(o)·x[i1(o)] (see ``linear_source_taps``); W is
    interpolated first, then H, the order of PyTorch's CPU kernel.

    Args:
        x: float input array.
        size: output spatial size, one int per spatial axis.
        scales: the user's scale factor per axis (None entries, or None, when size was given).
        align_corners: False (half-pixel centres, the default) or True (corner centres align).
    Shape: x (N, C, L) -> y (N, C, L_out);  x (N, C, H, W) -> y (N, C, H_out, W_out)
    """
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"interpolate: linear modes expect a floating input, got {x.dtype}")
    spatial = x.shape[2:]
    scales = scales or (None,) * len(spatial)
    taps = [linear_source_taps(n, m, s, align_corners, x.dtype)
            for n, m, s in zip(spatial, size, scales)]
    y = x
    for axis in reversed(range(len(spatial))):
        i0, i1, w0, w1 = taps[axis]
        bshape = (-1,) + (1,) * (len(spatial) - 1 - axis)  # weights broadcast along `axis`
        y = (np.take(y, i0, axis=axis + 2) * w0.reshape(bshape)
             + np.take(y, i1, axis=axis + 2) * w1.reshape(bshape))
    return y, (taps, spatial)


def interpolate_linear_backward(dy, cache):
    """dx = A_Hᵀ · dy · A_W; along each axis
    dx[i] = Σ_{o: i0(o) = i} λ0(o)·dy[o] + Σ_{o: i1(o) = i} λ1(o)·dy[o]."""
    taps, spatial = cache
    dx = dy
    for axis in range(len(spatial)):
        i0, i1, w0, w1 = taps[axis]
        bshape = (-1,) + (1,) * (len(spatial) - 1 - axis)
        n_in, ax = spatial[axis], axis + 2
        dx = (_sum_into(dx * w0.reshape(bshape), i0, n_in, ax)
              + _sum_into(dx * w1.reshape(bshape), i1, n_in, ax))
    return (dx,)


# ----------------------------------------------------------------------------- arguments


def _as_list(op, name, value, dims):
    """value (a number, or a sequence with one entry per spatial axis) as a list of `dims`."""
    return one_per(value, dims, lambda v: (
        f"{op}: expected {name} with {dims} entr{'y' if dims == 1 else 'ies'} (one per spatial "
        f"dimension of the input), got {name}={v!r}"))


def check_interpolate_args(op, size, scale_factor, mode, align_corners, recompute_scale_factor):
    """Validate the arguments that do not depend on the input (shared with nn.Upsample).

    Returns:
        align_corners resolved: None for the nearest modes, a bool for the linear modes.
    """
    if mode not in MODES:
        raise ValueError(f"{op}: expected mode one of {', '.join(map(repr, MODES))}, "
                         f"got {mode!r}")
    if mode.startswith("nearest"):
        if align_corners is not None:
            raise ValueError(f"{op}: align_corners can only be set with mode 'linear' or "
                             f"'bilinear', got align_corners={align_corners!r} with mode "
                             f"{mode!r}")
    else:
        align_corners = bool(align_corners)
    if (size is None) == (scale_factor is None):
        got = "both" if size is not None else "neither"
        raise ValueError(f"{op}: expected exactly one of size or scale_factor, got {got} "
                         f"(size={size!r}, scale_factor={scale_factor!r})")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit "
                             f"size, got size={size!r}, recompute_scale_factor=True")
        for s in size if isinstance(size, (list, tuple)) else [size]:
            try:
                s = operator.index(s)
            except TypeError:
                raise ValueError(f"{op}: expected integer output sizes, got size={size!r}") \
                    from None
            if s <= 0:
                raise ValueError(f"{op}: expected output sizes > 0, got size={size!r}")
    else:
        for s in scale_factor if isinstance(scale_factor, (list, tuple)) else [scale_factor]:
            if isinstance(s, bool) or not isinstance(s, (int, float, np.integer, np.floating)):
                raise ValueError(f"{op}: expected numeric scale factors, got "
                                 f"scale_factor={scale_factor!r}")
            if not s > 0:
                raise ValueError(f"{op}: expected scale_factor > 0, got "
                                 f"scale_factor={scale_factor!r}")
    return align_corners


def _resolve(op, shape, size, scale_factor, mode, recompute_scale_factor):
    """Output spatial size and the scales handed to the kernels, as PyTorch computes them."""
    ranks = (_RANK[mode],) if mode in _RANK else tuple(_LAYOUT)
    if len(shape) not in ranks:
        layout = " or ".join(_LAYOUT[r] for r in ranks)
        raise ValueError(f"{op}: mode {mode!r} expects input {layout}, got shape {shape}")
    spatial, dims = shape[2:], len(shape) - 2
    if size is not None:
        out = [operator.index(s) for s in _as_list(op, "size", size, dims)]
        return tuple(out), None
    scales = [float(s) for s in _as_list(op, "scale_factor", scale_factor, dims)]
    out = [int(np.floor(n * s)) for n, s in zip(spatial, scales)]  # ⌊n_in · scale_factor⌋
    if min(out) <= 0:
        raise ValueError(f"{op}: scale_factor={scale_factor!r} gives output size {tuple(out)} "
                         f"for input spatial size {tuple(spatial)}; expected sizes > 0")
    if recompute_scale_factor:  # PyTorch then forgets the factor and uses n_in / n_out
        return tuple(out), None
    return tuple(out), tuple(scales)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None):
    """Resize the spatial dimensions of ``input`` (PyTorch's ``F.interpolate``).

    Args:
        input: Tensor (N, C, L) or (N, C, H, W).
        size: output spatial size, an int or one int per spatial dimension.
        scale_factor: multiplier for the spatial size, a number or one per spatial dimension;
            the output size is ⌊n_in · scale_factor⌋. Exactly one of size / scale_factor.
        mode: "nearest" (PyTorch's legacy nearest, src = ⌊o · s⌋), "nearest-exact"
            (src = ⌊(o + ½)·s⌋), "linear" (3-D input) or "bilinear" (4-D input).
        align_corners: linear modes only; False (default) uses half-pixel centres, True aligns
            the corner pixels' centres (and ignores scale_factor for the source coordinate).
        recompute_scale_factor: True computes the output size from scale_factor and then
            interpolates as if that size had been given (s = n_in / n_out instead of
            1 / scale_factor).
    Shape: (N, C, L) -> (N, C, L_out);  (N, C, H, W) -> (N, C, H_out, W_out)
    Returns:
        Tensor of the input's dtype.

    Differs from PyTorch: the modes "area", "bicubic", "trilinear", 5-D input and
    ``antialias`` are not implemented, and every argument error is a ValueError (PyTorch raises
    NotImplementedError / RuntimeError for some).
    """
    op = "interpolate"
    check_floating(op, "input", input)  # PyTorch: upsampling not implemented for 'Long'
    align_corners = check_interpolate_args(op, size, scale_factor, mode, align_corners,
                                           recompute_scale_factor)
    out_size, scales = _resolve(op, tuple(input.shape), size, scale_factor, mode,
                                recompute_scale_factor)
    if mode.startswith("nearest"):
        return apply_op(interpolate_nearest_forward, interpolate_nearest_backward, input,
                        size=out_size, scales=scales, exact=mode == "nearest-exact",
                        name=f"interpolate_{mode.replace('-', '_')}")
    return apply_op(interpolate_linear_forward, interpolate_linear_backward, input,
                    size=out_size, scales=scales, align_corners=align_corners,
                    name=f"interpolate_{mode}")
