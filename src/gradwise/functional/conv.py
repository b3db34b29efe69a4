"""Convolution: im2col/col2im, conv1d/conv2d and their transposes (NCHW / NCL layout).

A 2-D convolution (PyTorch's cross-correlation) with stride s, dilation d and groups g is

    y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x_pad[n, g(o)·C_g + c, s·i + d·p, s·j + d·q]

im2col gathers every receptive field into one matrix so that the whole layer is ONE GEMM:

    cols = im2col(x)            # (C·kH·kW, N·H_out·W_out), rows ordered (c, p, q)
    y    = W.reshape(C_out, -1) @ cols   (per group)

The backward pass is two more GEMMs plus col2im, the adjoint of im2col (it scatter-adds each
column back onto the pixels it was read from):

    dW    = dY @ colsᵀ            dcols = Wᵀ @ dY            dx = col2im(dcols)

functional/experimental/winograd.py has a Winograd F(2×2, 3×3) kernel for 3×3 stride-1 layers
(2.25× fewer multiplies); conv2d does not dispatch to it because it measured no faster than this
path here: its transformed tensors move more memory than im2col's columns (docs/benchmarks.md).

Memory layout: the columns are stored channel-major, (C, kH, kW, N, H_out, W_out), so the GEMM
operands are 2-D contiguous and the GEMM output (C_out, N·H_out·W_out) needs a single transpose
to NCHW; for high-resolution layers conv2d stores them sample-major, (N, C, kH, kW, H_out, W_out),
and runs one product per sample that writes NCHW directly (conv2d_forward says when). im2col is
one strided copy out of an ``as_strided`` view; col2im loops only over the kH·kW kernel offsets,
each one a vectorised add over batch, channels and pixels.

conv1d and conv_transpose1d reuse the 2-D kernels with H = 1. conv_transpose2d (the "fractionally
strided" convolution) is the input gradient of conv2d, so its forward is col2im and its backward
is im2col.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..core import apply_op
from ..core.checks import check_min, ntuple
from ..core.memory import workspace
from ..core.threads import parallel_copyto, parallel_slices, run_concurrently, split_rows
from .shape import unbatched

# ----------------------------------------------------------------------------- argument parsing


def _conv_padding(padding, kernel, stride, dilation, op):
    """Normalise padding to ((top, bottom), (left, right)).

    'valid' is no padding; 'same' pads d·(k−1) in total per axis, the extra element of an odd total
    going to the bottom/right, exactly as PyTorch does for even kernels.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"{op}: padding='same' is not supported for strided convolutions "
                    f"(stride {stride}); use an explicit padding")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"{op}: padding must be 'valid', 'same', an int or a pair of ints, "
                         f"got {padding!r}")
    ph, pw = ntuple(op, "padding", padding, 2)
    if ph < 0 or pw < 0:
        raise ValueError(f"{op}: padding must be >= 0, got {(ph, pw)}")
    return (ph, ph), (pw, pw)


def conv_out_size(size, kernel, stride, pad_total, dilation):
    """Output length ⌊(n + P_total − d·(k−1) − 1) / s⌋ + 1 along one axis (may be ≤ 0)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def _out_hw(op, x_shape, kernel, stride, pads, dilation):
    _, _, H, W = x_shape
    Ho = conv_out_size(H, kernel[0], stride[0], sum(pads[0]), dilation[0])
    Wo = conv_out_size(W, kernel[1], stride[1], sum(pads[1]), dilation[1])
    if Ho < 1 or Wo < 1:
        eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        padded = (H + sum(pads[0]), W + sum(pads[1]))
        raise ValueError(
            f"{op}: kernel size {eff} (after dilation) is larger than the padded input "
            f"{padded} (input {(H, W)}, padding {pads})")
    return Ho, Wo


# ----------------------------------------------------------------------------- im2col / col2im


def _padded(x, pads):
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    N, C, H, W = x.shape
    xp = workspace.get((N, C, H + pt + pb, W + pl + pr), x.dtype)
    # a reused buffer holds old values: zero the four border strips, then copy the interior
    xp[:, :, :pt] = 0
    xp[:, :, pt + H:] = 0
    xp[:, :, pt:pt + H, :pl] = 0
    xp[:, :, pt:pt + H, pl + W:] = 0
    parallel_copyto(xp[:, :, pt:pt + H, pl:pl + W], x)
    return xp


def _im2col6(x, kernel, stride, pads, dilation, out_hw, sample_major=False):
    """The strided gather behind im2col.

    Shape: x (N, C, H, W) -> cols (C, kH, kW, N, H_out, W_out), a new contiguous array,
           or (N, C, kH, kW, H_out, W_out) with ``sample_major``.
    """
    N, C = x.shape[:2]
    kH, kW = kernel
    Ho, Wo = out_hw
    xp = _padded(x, pads)
    sN, sC, sH, sW = xp.strides
    # view[c, p, q, n, i, j] = xp[n, c, s_h·i + d_h·p, s_w·j + d_w·q]
    shape = (C, kH, kW, N, Ho, Wo)
    strides = (sC, dilation[0] * sH, dilation[1] * sW, sN, stride[0] * sH, stride[1] * sW)
    if sample_major:  # view[n, c, p, q, i, j], same entries
        shape, strides = shape[3:4] + shape[:3] + shape[4:], strides[3:4] + strides[:3] + strides[4:]
    view = as_strided(xp, shape=shape, strides=strides, writeable=False)
    cols = workspace.get(view.shape, x.dtype)
    parallel_copyto(cols, view)  # split over channels (or samples) when large
    return cols


def _col2im6(cols, x_shape, kernel, stride, pads, dilation, sample_major=False):
    """Adjoint of ``_im2col6``: scatter-add every column entry back onto its input pixel.

    Shape: cols (C, kH, kW, N, H_out, W_out), or (N, C, kH, kW, H_out, W_out) with
           ``sample_major`` -> dx (N, C, H, W)
    """
    N, C, H, W = x_shape
    (pt, pb), (pl, pr) = pads
    kH, kW = kernel
    Ho, Wo = cols.shape[4:]
    sh, sw = stride
    dh, dw = dilation
    # accumulate in the columns' own (C, N) or (N, C) order, so each offset is read contiguously
    lead = (N, C) if sample_major else (C, N)
    dxp = workspace.get(lead + (H + pt + pb, W + pl + pr), cols.dtype, zero=True)

    def accumulate(s):  # rows s of the leading axis: independent of every other slice
        for p in range(kH):
            for q in range(kW):
                h0, w0 = p * dh, q * dw
                block = cols[s, :, p, q] if sample_major else cols[s, p, q]
                dxp[s, :, h0:h0 + sh * (Ho - 1) + 1:sh, w0:w0 + sw * (Wo - 1) + 1:sw] += block

    parallel_slices(accumulate, lead[0], cols.size)
    inner = dxp[:, :, pt:pt + H, pl:pl + W]
    if sample_major and inner.shape == dxp.shape:
        return dxp
    dx = workspace.get((N, C, H, W), cols.dtype)
    parallel_copyto(dx, inner if sample_major else inner.transpose(1, 0, 2, 3))
    return dx


def _norm_pads(padding, op):
    """im2col/col2im padding: int, (ph, pw) or ((top, bottom), (left, right))."""
    if (isinstance(padding, (tuple, list)) and len(padding) == 2
            and all(isinstance(p, (tuple, list)) for p in padding)):
        pads = tuple((int(a), int(b)) for a, b in padding)
    else:
        ph, pw = ntuple(op, "padding", padding, 2)
        pads = ((ph, ph), (pw, pw))
    if min(min(p) for p in pads) < 0:
        raise ValueError(f"{op}: padding must be >= 0, got {pads}")
    return pads


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Unfold every receptive field of x into a column.

    Args:
        x: array (N, C, H, W).
        kernel_size, stride, dilation: int or (h, w).
        padding: int, (ph, pw) or ((top, bottom), (left, right)); zero padding.

    Shape: x (N, C, H, W) -> cols (C·kH·kW, N·H_out·W_out) with
        H_out = ⌊(H + P_top + P_bottom − d_h·(kH − 1) − 1) / s_h⌋ + 1 (W_out likewise);
        row index c·kH·kW + p·kW + q, column index n·H_out·W_out + i·W_out + j.
    """
    kernel = ntuple("im2col", "kernel_size", kernel_size, 2)
    stride = ntuple("im2col", "stride", stride, 2)
    dilation = ntuple("im2col", "dilation", dilation, 2)
    pads = _norm_pads(padding, "im2col")
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"im2col: expected input (N, C, H, W), got shape {x.shape}")
    out_hw = _out_hw("im2col", x.shape, kernel, stride, pads, dilation)
    cols = _im2col6(x, kernel, stride, pads, dilation, out_hw)
    return cols.reshape(x.shape[1] * kernel[0] * kernel[1], -1)  # (C·kH·kW, N·H_out·W_out)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Adjoint of :func:`im2col`: sum each column entry back into the pixel it came from.

    ⟨im2col(x), Y⟩ = ⟨x, col2im(Y)⟩ for all x, Y (the property the input gradient relies on).

    Shape: cols (C·kH·kW, N·H_out·W_out) -> (N, C, H, W) = x_shape
    """
    kernel = ntuple("col2im", "kernel_size", kernel_size, 2)
    stride = ntuple("col2im", "stride", stride, 2)
    dilation = ntuple("col2im", "dilation", dilation, 2)
    pads = _norm_pads(padding, "col2im")
    N, C = x_shape[:2]
    Ho, Wo = _out_hw("col2im", x_shape, kernel, stride, pads, dilation)
    expected = (C * kernel[0] * kernel[1], N * Ho * Wo)
    if tuple(cols.shape) != expected:
        raise ValueError(f"col2im: expected cols of shape {expected} for input {tuple(x_shape)}, "
                         f"got {cols.shape}")
    cols6 = np.ascontiguousarray(cols).reshape(C, kernel[0], kernel[1], N, Ho, Wo)
    return _col2im6(cols6, tuple(x_shape), kernel, stride, pads, dilation)


# ----------------------------------------------------------------------------- conv2d


def _grouped_matmul(a, b):
    """(g, m, k) @ (g, k, n) -> (g, m, n) in a workspace buffer; a single 2-D GEMM when g == 1."""
    out = workspace.get((a.shape[0], a.shape[1], b.shape[2]), np.result_type(a, b))
    if a.shape[0] == 1:
        np.matmul(a[0], b[0], out=out[0])
    else:
        np.matmul(a, b, out=out)
    return out


def _check_conv_args(op, x, weight, bias, groups, transposed=False):
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D weight, got shape {weight.shape}")
    if x.dtype != weight.dtype:
        raise ValueError(f"{op}: input dtype {x.dtype} and weight dtype {weight.dtype} differ")
    if groups < 1:
        raise ValueError(f"{op}: groups must be >= 1, got {groups}")
    if transposed:
        if x.shape[1] and x.shape[0] and 0 in x.shape[2:]:
            raise ValueError(f"{op}: only zero batch or zero channel inputs are supported, got "
                             f"input shape {x.shape}")
        if x.shape[1] != weight.shape[0]:
            raise ValueError(
                f"{op}: expected input with {weight.shape[0]} channels (weight {weight.shape}), "
                f"got {x.shape[1]} channels (input shape {x.shape})")
        if weight.shape[0] % groups:
            raise ValueError(f"{op}: in_channels {weight.shape[0]} is not divisible by groups "
                             f"{groups}")
        c_out = weight.shape[1] * groups
    else:
        if weight.shape[0] % groups:
            raise ValueError(f"{op}: out_channels {weight.shape[0]} is not divisible by groups "
                             f"{groups}")
        if x.shape[1] != weight.shape[1] * groups:
            raise ValueError(
                f"{op}: expected input with {weight.shape[1] * groups} channels (weight "
                f"{weight.shape}, groups {groups}), got {x.shape[1]} channels "
                f"(input shape {x.shape})")
        c_out = weight.shape[0]
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"{op}: expected bias of shape ({c_out},), got {bias.shape}")


def conv2d_forward(x, weight, bias=None, stride=(1, 1), pads=((0, 0), (0, 0)),
                   dilation=(1, 1), groups=1, needs_input_grad=None):
    """y = W ⋆ x + b; a large batch runs as one slice of samples per thread.

    With T > 1 threads and at least ``MIN_SPLIT_WORK`` multiply-adds, each thread runs the whole
    kernel (``_conv2d_whole``) on N/T samples with single-threaded BLAS, and the backward sums
    the slices' dW and db; otherwise the kernel runs once with threaded BLAS. Same arguments,
    shapes and result as ``_conv2d_whole``.
    """
    _check_conv_args("conv2d", x, weight, bias, groups)
    Ho, Wo = _out_hw("conv2d", x.shape, weight.shape[2:], stride, pads, dilation)
    slices = split_rows(x.shape[0], x.shape[0] * Ho * Wo * weight.size)  # multiply-adds
    if slices is None:
        return _conv2d_whole(x, weight, bias, stride, pads, dilation, groups, needs_input_grad)
    parts = run_concurrently([
        lambda s=s: _conv2d_whole(x[s], weight, bias, stride, pads, dilation, groups,
                                  needs_input_grad) for s in slices])
    y = workspace.get((x.shape[0], weight.shape[0], Ho, Wo), x.dtype)
    np.concatenate([y_part for y_part, _ in parts], out=y)
    return y, _SplitCache(slices, [cache for _, cache in parts])


class _SplitCache:
    """The batch slices of a split conv2d_forward and each slice's kernel cache."""

    def __init__(self, slices, caches):
        self.slices, self.caches = slices, caches


def conv2d_backward(dy, cache):
    """Gradients of ``conv2d_forward``: (dx or None, dweight, dbias or None)."""
    if not isinstance(cache, _SplitCache):
        return _conv2d_whole_backward(dy, cache)
    parts = run_concurrently([lambda s=s, c=c: _conv2d_whole_backward(dy[s], c)
                              for s, c in zip(cache.slices, cache.caches)])
    dxs, dws, dbs = zip(*parts)
    dx = None if dxs[0] is None else np.concatenate(dxs)
    return dx, sum(dws[1:], dws[0]), None if dbs[0] is None else sum(dbs[1:], dbs[0])


def _conv2d_whole(x, weight, bias=None, stride=(1, 1), pads=((0, 0), (0, 0)),
                  dilation=(1, 1), groups=1, needs_input_grad=None):
    """y = W ⋆ x + b as im2col plus one GEMM (batched over samples or groups).

    Two column layouts, chosen by shape (same numbers, different GEMM shapes):
      sample-major, when C_out/g < 16 and H_out·W_out ≥ 512 (a few output channels at high
          resolution, e.g. LeNet's C1): cols (N, g, K, H_out·W_out) and y[n] = W·cols[n], one
          BLAS call per sample and group that writes NCHW directly. A (6 × 25)·(25 × N·784)
          product fills under half of OpenBLAS's 16-row AVX-512 tile and streams the whole
          column matrix; per sample it runs 2.3× faster (LeNet C1 fwd+bwd 2.9 → 1.2 ms);
      channel-major otherwise: cols (g, K, N·H_out·W_out) and one GEMM over the whole batch,
          then one transpose to NCHW (with 64 output channels, 32×32 pixels, it measured 11%
          faster in total than per-sample products).
    K = C_in/g·kH·kW.

    Args:
        stride, dilation: (h, w) ints; pads: ((top, bottom), (left, right)); groups: int.
        needs_input_grad: apply_op's per-input flags; when x needs none (a network's first
            layer) the backward skips the Wᵀ·dY GEMM and col2im. None (a direct call): all.

    Shape: x (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,)
           -> y (N, C_out, H_out, W_out),
           H_out = ⌊(H + P_top + P_bottom − d_h·(kH − 1) − 1) / s_h⌋ + 1 (W_out likewise).
    """
    input_grad = needs_input_grad is None or needs_input_grad[0]
    N = x.shape[0]
    C_out, C_g, kH, kW = weight.shape
    g = groups
    K = C_g * kH * kW
    Ho, Wo = _out_hw("conv2d", x.shape, (kH, kW), stride, pads, dilation)
    sample_major = C_out // g < 16 and Ho * Wo >= 512
    cols = _im2col6(x, (kH, kW), stride, pads, dilation, (Ho, Wo), sample_major)
    w = np.ascontiguousarray(weight).reshape(g, C_out // g, K)
    y = workspace.get((N, C_out, Ho, Wo), x.dtype)
    if sample_major:
        cols = cols.reshape(N, g, K, Ho * Wo)
        np.matmul(w, cols, out=y.reshape(N, g, C_out // g, Ho * Wo))  # y[n] = W·cols[n]
        if bias is not None:
            y += bias[:, None, None]
    else:
        cols = cols.reshape(g, K, N * Ho * Wo)
        out = _grouped_matmul(w, cols)  # (g, C_out/g, N·Ho·Wo)
        out = out.reshape(C_out, N, Ho, Wo).transpose(1, 0, 2, 3)  # NCHW view
        if bias is None:
            parallel_copyto(y, out)
        else:
            b = bias[:, None, None]
            parallel_slices(lambda s: np.add(out[s], b, out=y[s]), N, y.size)
    return y, (cols, w, x.shape, weight.shape, (kH, kW), stride, pads, dilation,
               bias is not None, input_grad, sample_major)


def _conv2d_whole_backward(dy, cache):
    """dW = dY·colsᵀ, dcols = Wᵀ·dY, dx = col2im(dcols), db = Σ dY (per group).

    Returns: (dx or None, dweight, dbias or None)
    """
    (cols, w, x_shape, w_shape, kernel, stride, pads, dilation, has_bias, input_grad,
     sample_major) = cache
    g, C_og, K = w.shape
    N, C = x_shape[:2]
    C_out = g * C_og
    Ho, Wo = dy.shape[2:]
    db = dy.sum(axis=(0, 2, 3)) if has_bias else None
    if sample_major:
        dy4 = np.ascontiguousarray(dy).reshape(N, g, C_og, Ho * Wo)
        # dL/dW = Σ_n dY[n]·cols[n]ᵀ; the (N, g, C_out/g, K) partials are no larger than cols
        dw = np.matmul(dy4, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w_shape)
        if not input_grad:
            return None, dw, db
        dcols = workspace.get((N, g, K, Ho * Wo), dy.dtype)
        np.matmul(w.transpose(0, 2, 1), dy4, out=dcols)  # dL/dcols[n] = Wᵀ·dY[n]
        dcols = dcols.reshape(N, C, kernel[0], kernel[1], Ho, Wo)
    else:
        dyt = workspace.get((C_out, N, Ho, Wo), dy.dtype)
        parallel_copyto(dyt, dy.transpose(1, 0, 2, 3))
        dyt = dyt.reshape(g, C_og, N * Ho * Wo)  # (g, C_out/g, N·Ho·Wo)
        dw = _grouped_matmul(dyt, cols.transpose(0, 2, 1)).reshape(w_shape)  # dY·colsᵀ
        if not input_grad:
            return None, dw, db
        dcols = _grouped_matmul(w.transpose(0, 2, 1), dyt)  # Wᵀ·dY  (g, K, N·Ho·Wo)
        dcols = dcols.reshape(C, kernel[0], kernel[1], N, Ho, Wo)
    dx = _col2im6(dcols, x_shape, kernel, stride, pads, dilation, sample_major)
    return dx, dw, db


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in PyTorch's F.conv2d).

    Args:
        input: Tensor (N, C_in, H, W).
        weight: Tensor (C_out, C_in/groups, kH, kW).
        bias: Tensor (C_out,) or None.
        stride, dilation: int or (h, w).
        padding: int, (h, w), 'valid' or 'same' ('same' pads the odd extra element of an even
            kernel at the bottom/right, like PyTorch; it requires stride 1).
        groups: split the channels into this many independent convolutions
            (groups = C_in is depthwise).

    Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out), or unbatched (C_in, H, W) ->
        (C_out, H_out, W_out); H_out = ⌊(H + 2·P − d·(kH − 1) − 1) / s⌋ + 1.
    """
    if input.ndim == 3:  # unbatched (C_in, H, W), as PyTorch accepts
        return unbatched(conv2d, input, weight, bias, stride, padding, dilation, groups)
    op = "conv2d"
    stride = ntuple(op, "stride", stride, 2, minimum=1)
    dilation = ntuple(op, "dilation", dilation, 2, minimum=1)
    kernel = tuple(weight.shape[2:4])
    pads = _conv_padding(padding, kernel, stride, dilation, op)
    return apply_op(conv2d_forward, conv2d_backward, input, weight, bias, stride=stride,
                    pads=pads, dilation=dilation, groups=int(groups), name=op)


# ----------------------------------------------------------------------------- conv1d


def conv1d_forward(x, weight, bias=None, stride=1, pads=(0, 0), dilation=1, groups=1,
                   needs_input_grad=None):
    """1-D convolution as the 2-D kernel with H = 1.

    Shape: x (N, C_in, L), weight (C_out, C_in/groups, K), bias (C_out,) -> y (N, C_out, L_out),
           L_out = ⌊(L + P_left + P_right − d·(K − 1) − 1) / s⌋ + 1.
    """
    if x.ndim != 3 or weight.ndim != 3:
        raise ValueError(f"conv1d: expected input (N, C, L) and weight (C_out, C_in/groups, K), "
                         f"got {x.shape} and {weight.shape}")
    _check_conv_args("conv1d", x[:, :, None, :], weight[:, :, None, :], bias, groups)
    y, cache = conv2d_forward(x[:, :, None, :], weight[:, :, None, :], bias, (1, stride),
                              ((0, 0), tuple(pads)), (1, dilation), groups, needs_input_grad)
    return y[:, :, 0, :], cache


def conv1d_backward(dy, cache):
    dx, dw, db = conv2d_backward(dy[:, :, None, :], cache)
    return None if dx is None else dx[:, :, 0, :], dw[:, :, 0, :], db


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (PyTorch's F.conv1d); padding: int, 'valid' or 'same'.

    Shape: (N, C_in, L) -> (N, C_out, L_out) (or unbatched (C_in, L) -> (C_out, L_out)),
        L_out = ⌊(L + 2·P − d·(K − 1) − 1) / s⌋ + 1.
    """
    if input.ndim == 2:  # unbatched (C_in, L), as PyTorch accepts
        return unbatched(conv1d, input, weight, bias, stride, padding, dilation, groups)
    op = "conv1d"
    (stride,) = ntuple(op, "stride", stride, 1, minimum=1)
    (dilation,) = ntuple(op, "dilation", dilation, 1, minimum=1)
    if not isinstance(padding, str):
        padding = (0, ntuple(op, "padding", padding, 1)[0])
    pads = _conv_padding(padding, (1, weight.shape[-1]), (1, stride), (1, dilation), op)[1]
    return apply_op(conv1d_forward, conv1d_backward, input, weight, bias, stride=stride,
                    pads=pads, dilation=dilation, groups=int(groups), name=op)


# ----------------------------------------------------------------------------- conv_transpose


def conv_transpose_out_size(size, kernel, stride, padding, dilation, output_padding):
    """(n − 1)·s − 2·P + d·(k − 1) + output_padding + 1 along one axis."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def conv_transpose2d_forward(x, weight, bias=None, stride=(1, 1), padding=(0, 0),
                             output_padding=(0, 0), dilation=(1, 1), groups=1):
    """The adjoint of conv2d in its input: y = col2im(Wᵀ·x) + b.

    Every input pixel stamps its kernel-weighted copy onto the output, s pixels apart, which is
    conv2d's input gradient with x in the role of dY.

    Shape: x (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW), bias (C_out,)
           -> y (N, C_out, H_out, W_out),
           H_out = (H − 1)·s − 2·P + d·(kH − 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    _check_conv_args(op, x, weight, bias, groups, transposed=True)
    N, C_in, H, W = x.shape
    _, C_og, kH, kW = weight.shape
    g = groups
    C_ig = C_in // g
    C_out = C_og * g
    Ho, Wo = (conv_transpose_out_size(n, k, s, p, d, op_)
              for n, k, s, p, d, op_ in zip((H, W), (kH, kW), stride, padding, dilation,
                                            output_padding))
    if Ho < 1 or Wo < 1:
        raise ValueError(f"{op}: output size {(Ho, Wo)} is too small for input {(H, W)} with "
                         f"kernel {(kH, kW)}, stride {stride}, padding {padding}")
    pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    xt = np.empty((C_in, N, H, W), dtype=x.dtype)
    parallel_copyto(xt, x.transpose(1, 0, 2, 3))
    xt = xt.reshape(g, C_ig, N * H * W)  # (g, C_in/g, N·H·W)
    w = np.ascontiguousarray(weight).reshape(g, C_ig, C_og * kH * kW)
    cols = _grouped_matmul(w.transpose(0, 2, 1), xt)  # (g, C_out/g·kH·kW, N·H·W)
    y = _col2im6(cols.reshape(C_out, kH, kW, N, H, W), (N, C_out, Ho, Wo), (kH, kW), stride,
                 pads, dilation)
    if bias is not None:
        y += bias[:, None, None]
    return y, (xt, w, x.shape, weight.shape, (Ho, Wo), stride, pads, dilation, bias is not None)


def conv_transpose2d_backward(dy, cache):
    """dx = W·im2col(dY) (a conv2d of dY), dW = x·im2col(dY)ᵀ, db = Σ dY."""
    xt, w, x_shape, w_shape, out_hw, stride, pads, dilation, has_bias = cache
    g, C_ig, K = w.shape
    N, C_in, H, W = x_shape
    kernel = w_shape[2:]
    cols = _im2col6(dy, kernel, stride, pads, dilation, (H, W))  # (C_out, kH, kW, N, H, W)
    cols = cols.reshape(g, K, N * H * W)
    dxt = _grouped_matmul(w, cols)  # (g, C_in/g, N·H·W)
    dx = np.empty(x_shape, dtype=dy.dtype)
    parallel_copyto(dx, dxt.reshape(C_in, N, H, W).transpose(1, 0, 2, 3))
    dw = _grouped_matmul(xt, cols.transpose(0, 2, 1)).reshape(w_shape)
    db = dy.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


def _transpose_args(op, stride, padding, output_padding, dilation, n):
    stride, padding, output_padding, dilation = (
        ntuple(op, name, v, n) for v, name in ((stride, "stride"), (padding, "padding"),
                                               (output_padding, "output_padding"),
                                               (dilation, "dilation")))
    check_min(op, "stride", stride, 1)
    check_min(op, "dilation", dilation, 1)
    if min(padding) < 0:
        raise ValueError(f"{op}: padding must be >= 0, got {padding}")
    for op_, s, d in zip(output_padding, stride, dilation):
        if not 0 <= op_ < max(s, d):
            raise ValueError(f"{op}: output_padding must be smaller than either stride or "
                             f"dilation, got output_padding {output_padding}, stride {stride}, "
                             f"dilation {dilation}")
    return stride, padding, output_padding, dilation


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution (PyTorch's F.conv_transpose2d, same argument order).

    Shape: (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW) -> (N, C_out, H_out, W_out)
        (or unbatched (C_in, H, W) -> (C_out, H_out, W_out)),
        H_out = (H − 1)·s − 2·P + d·(kH − 1) + output_padding + 1.
    """
    if input.ndim == 3:  # unbatched (C_in, H, W), as PyTorch accepts
        return unbatched(conv_transpose2d, input, weight, bias, stride, padding,
                         output_padding, groups, dilation)
    op = "conv_transpose2d"
    stride, padding, output_padding, dilation = _transpose_args(
        op, stride, padding, output_padding, dilation, 2)
    return apply_op(conv_transpose2d_forward, conv_transpose2d_backward, input, weight, bias,
                    stride=stride, padding=padding, output_padding=output_padding,
                    dilation=dilation, groups=int(groups), name=op)


def conv_transpose1d_forward(x, weight, bias=None, stride=1, padding=0, output_padding=0,
                             dilation=1, groups=1):
    """Transposed 1-D convolution as the 2-D kernel with H = 1.

    Shape: x (N, C_in, L), weight (C_in, C_out/groups, K) -> y (N, C_out, L_out),
           L_out = (L − 1)·s − 2·P + d·(K − 1) + output_padding + 1.
    """
    if x.ndim != 3 or weight.ndim != 3:
        raise ValueError(f"conv_transpose1d: expected input (N, C, L) and weight "
                         f"(C_in, C_out/groups, K), got {x.shape} and {weight.shape}")
    _check_conv_args("conv_transpose1d", x[:, :, None, :], weight[:, :, None, :], bias, groups,
                     transposed=True)
    y, cache = conv_transpose2d_forward(x[:, :, None, :], weight[:, :, None, :], bias,
                                        (1, stride), (0, padding), (0, output_padding),
                                        (1, dilation), groups)
    return y[:, :, 0, :], cache


def conv_transpose1d_backward(dy, cache):
    dx, dw, db = conv_transpose2d_backward(dy[:, :, None, :], cache)
    return dx[:, :, 0, :], dw[:, :, 0, :], db


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution (PyTorch's F.conv_transpose1d).

    Shape: (N, C_in, L), weight (C_in, C_out/groups, K) -> (N, C_out, L_out), or unbatched
        (C_in, L) -> (C_out, L_out).
    """
    if input.ndim == 2:  # unbatched (C_in, L), as PyTorch accepts
        return unbatched(conv_transpose1d, input, weight, bias, stride, padding,
                         output_padding, groups, dilation)
    op = "conv_transpose1d"
    stride, padding, output_padding, dilation = (v[0] for v in _transpose_args(
        op, stride, padding, output_padding, dilation, 1))
    return apply_op(conv_transpose1d_forward, conv_transpose1d_backward, input, weight, bias,
                    stride=stride, padding=padding, output_padding=output_padding,
                    dilation=dilation, groups=int(groups), name=op)
