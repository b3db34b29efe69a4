"""Winograd F(2×2, 3×3) convolution: a stride-1, 3×3 conv2d with 2.25× fewer multiplies.

Lavin & Gray (2016), "Fast Algorithms for Convolutional Neural Networks". The output is cut into
2×2 tiles; the tile at (τ, υ) reads the 4×4 input patch d = x_pad[2τ : 2τ+4, 2υ : 2υ+4], and
neighbouring patches overlap by two rows/columns. For one patch, one 3×3 filter g and one channel,

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A                  (2×2 = 2×4 · 4×4 · 4×2)

with the transform matrices ``B_T``, ``G``, ``A_T`` below: 16 multiplies instead of 2·2·9 = 36.
Summing over input channels commutes with the output transform, so with U = G g Gᵀ (weights,
(K, C) per position) and V = Bᵀ d B (inputs, (C, tiles) per position) the whole layer is, for
each of the 16 transform positions (ξ, ν),

    M[ξ, ν] = U[ξ, ν] @ V[ξ, ν]                       (K × C) @ (C × N·T_h·T_w)

followed by Y = Aᵀ M A per tile: 16 GEMMs with 16·K·C·N·T_h·T_w multiply-adds against
9·K·C·N·H_out·W_out for im2col (T_h·T_w ≈ H_out·W_out / 4).

The backward pass is the same chain read backwards; every step is linear, so its adjoint is
the transposed step:

    dM = A dY Aᵀ              (per tile, 4×4 from the 2×2 output gradient)
    dU = dM · Vᵀ              dV = Uᵀ · dM            (16 GEMMs each)
    dW = Gᵀ dU G              (per filter, 3×3 from 4×4)
    dx = Σ_tiles B dV Bᵀ      (scatter-add of 4×4 patches placed 2 apart: they overlap)

Odd output sizes: the tile grid covers T_h = ⌈H_out/2⌉ × T_w = ⌈W_out/2⌉ tiles, the input is
zero-padded at the bottom/right to 2·T + 2 rows/columns and the extra output row/column is
cropped (its gradient is zero, so the backward needs no special case).

Memory layout (what makes this fast in NumPy). Every step is a streaming pass over memory, so
each one must be a contiguous operation, not a stride-2 one:

- the padded input is split by row/column parity into four planes
  ``xs[ρ, κ, c, n, i, j] = x_pad[n, c, 2i + ρ, 2j + κ]``, (2, 2, C, N, T_h + 1, T_w + 1): patch
  row a of tile τ is plane row τ + a//2 of parity a%2, so the row transform reads whole plane
  slices, and patch column b of tile υ is flat element (υ + b//2) of parity b%2, so the column
  transform reads the flattened planes shifted by 0 or 1 element;
- the tiles are laid out (C, N, T_h, T_w + 1): one spare tile column per tile row absorbs that
  flat shift. Its V values are discarded junk (forward) and its dY/dM/dV values are exactly zero
  (backward), so it never reaches a result; the GEMMs carry (T_w + 1)/T_w of the work;
- the output transform is one (Aᵀ ⊗ Aᵀ) GEMM, vec(Aᵀ M A) = (Aᵀ ⊗ Aᵀ) vec(M), (4 × 16) @
  (16 × K·tiles), and dM likewise (A ⊗ A)·vec(dY); the output parity planes are interleaved
  into NCHW by four strided copies.

Loops run only over the 4 transform rows/columns and the 2×2 parities; each step is one
vectorised NumPy operation over channels, batch and tiles.
"""
from __future__ import annotations

import numpy as np

from ...core import apply_op
from ..conv import _conv_padding

# Bᵀ d B: input tile transform (4×4 -> 4×4); entries 0, ±1 so it is additions only:
# along each axis t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3.
B_T = np.array([[1, 0, -1, 0],
                [0, 1, 1, 0],
                [0, -1, 1, 0],
                [0, 1, 0, -1]], dtype=np.float64)
B = B_T.T

# G g Gᵀ: filter transform (3×3 -> 4×4).
G = np.array([[1.0, 0.0, 0.0],
              [0.5, 0.5, 0.5],
              [0.5, -0.5, 0.5],
              [0.0, 0.0, 1.0]], dtype=np.float64)

# Aᵀ M A: output transform (4×4 -> 2×2): along each axis y0 = m0 + m1 + m2, y1 = m1 − m2 − m3.
A_T = np.array([[1, 1, 1, 0],
                [0, 1, -1, -1]], dtype=np.float64)
A = A_T.T

# vec(Aᵀ M A) = (Aᵀ ⊗ Aᵀ) vec(M) with row-major vec: rows (r, s), columns (ξ, ν).
A_T_KRON = np.kron(A_T, A_T)  # (4, 16)


def _parity_slices(size, pad, parity):
    """Rows of x (h0::2) that land on padded rows of the given parity, and their plane rows.

    Padded row h' = h + pad = 2i + parity, so i starts at ⌈(pad − parity)/2⌉ (at least 0).
    Returns (h0, i0, count).
    """
    i0 = max(0, (pad - parity + 1) // 2)
    h0 = 2 * i0 + parity - pad
    return h0, i0, max(0, (size - h0 + 1) // 2)


def _split_parity(x, pad_top, pad_left, rows, cols):
    """Zero-padded, channel-major parity planes: xs[ρ, κ, c, n, i, j] = x_pad[n, c, 2i+ρ, 2j+κ].

    Shape: x (N, C, H, W) -> xs (2, 2, C, N, rows, cols); rows/cols pairs of padded positions
    (2·rows ≥ H + pad_top, 2·cols ≥ W + pad_left).
    """
    N, C, H, W = x.shape
    xs = np.zeros((2, 2, C, N, rows, cols), dtype=x.dtype)
    xt = x.transpose(1, 0, 2, 3)  # (C, N, H, W) view
    for rho in range(2):
        h0, i0, ni = _parity_slices(H, pad_top, rho)
        for kap in range(2):
            w0, j0, nj = _parity_slices(W, pad_left, kap)
            xs[rho, kap, :, :, i0:i0 + ni, j0:j0 + nj] = xt[:, :, h0::2, w0::2]
    return xs


def _merge_parity(xs, shape, pad_top, pad_left, bias=None):
    """Adjoint of :func:`_split_parity` (gather the planes back into NCHW, dropping the padding);
    adds ``bias`` (per channel) on the way when given.

    Shape: xs (2, 2, C, N, rows, cols) -> x (N, C, H, W) = shape
    """
    N, C, H, W = shape
    x = np.empty(shape, dtype=xs.dtype)
    for rho in range(2):
        h0, i0, ni = _parity_slices(H, pad_top, rho)
        for kap in range(2):
            w0, j0, nj = _parity_slices(W, pad_left, kap)
            src = xs[rho, kap, :, :, i0:i0 + ni, j0:j0 + nj].transpose(1, 0, 2, 3)
            if bias is None:
                np.copyto(x[:, :, h0::2, w0::2], src)
            else:
                np.add(src, bias[:, None, None], out=x[:, :, h0::2, w0::2])
    return x


def _input_transform(xs, th):
    """V = Bᵀ d B for every 4×4 patch d (stride 2), on the parity planes.

    Rows: patch row a is plane row τ + a//2 of parity a%2, so t_i = Σ_a Bᵀ[i, a] d_a is four
    plane-slice operations per column parity. Columns: patch column b is flat element
    f + b//2 of parity b%2 (f = the tile's flat index in (C, N, T_h, T_w + 1)).

    Shape: xs (2, 2, C, N, T_h + 1, T_w + 1) -> V (16, C, N·T_h·(T_w + 1)), rows (ξ, ν)
    """
    _, _, C, N, _, tw1 = xs.shape
    L = C * N * th * tw1
    t = np.empty((4, 2, C, N, th, tw1), dtype=xs.dtype)
    for kap in range(2):
        d0, d1 = xs[0, kap, :, :, :th], xs[1, kap, :, :, :th]  # patch rows 0, 1
        d2, d3 = xs[0, kap, :, :, 1:], xs[1, kap, :, :, 1:]    # patch rows 2, 3
        np.subtract(d0, d2, out=t[0, kap])
        np.add(d1, d2, out=t[1, kap])
        np.subtract(d2, d1, out=t[2, kap])
        np.subtract(d1, d3, out=t[3, kap])
    t = t.reshape(4, 2, L)
    v = np.empty((4, 4, L), dtype=xs.dtype)
    for i in range(4):
        c0, c1 = t[i, 0, :-1], t[i, 1, :-1]  # patch columns 0, 1 (flat f)
        c2, c3 = t[i, 0, 1:], t[i, 1, 1:]    # patch columns 2, 3 (flat f + 1)
        np.subtract(c0, c2, out=v[i, 0, :-1])
        np.add(c1, c2, out=v[i, 1, :-1])
        np.subtract(c2, c1, out=v[i, 2, :-1])
        np.subtract(c1, c3, out=v[i, 3, :-1])
    v[:, :, -1] = 0  # the very last flat slot is a spare tile column
    return v.reshape(16, C, L // C)


def _input_transform_adjoint(dv, C, N, th, tw1):
    """Σ_tiles B dV Bᵀ on the parity planes (the adjoint of :func:`_input_transform`).

    Along each axis B gives p0 = v0, p1 = v1 − v2 + v3, p2 = −v0 + v1 + v2, p3 = −v3; patches two
    apart overlap, so pair index τ of parity 0 receives p0[τ] + p2[τ − 1] and of parity 1
    p1[τ] + p3[τ − 1]. dV is zero in the spare tile column, so the flat shift by one element is
    exact.

    Shape: dv (16, C, N·T_h·(T_w + 1)) -> dxs (2, 2, C, N, T_h + 1, T_w + 1)
    """
    L = C * N * th * tw1
    dv = dv.reshape(4, 4, L)
    dt = dv.dtype
    r = np.empty((4, 2, L), dtype=dt)  # columns done: (row position i, column parity κ)
    tmp = np.empty(L, dtype=dt)
    for i in range(4):
        v0, v1, v2, v3 = dv[i]
        np.add(v1, v2, out=tmp)
        tmp -= v0                                   # p2 = −v0 + v1 + v2
        r[i, 0, 0] = v0[0]
        np.add(v0[1:], tmp[:-1], out=r[i, 0, 1:])   # p0[f] + p2[f − 1]
        np.subtract(v1, v2, out=tmp)
        tmp += v3                                   # p1 = v1 − v2 + v3
        r[i, 1, 0] = tmp[0]
        np.subtract(tmp[1:], v3[:-1], out=r[i, 1, 1:])  # p1[f] + p3[f − 1]
    r = r.reshape(4, 2, C, N, th, tw1)
    dxs = np.empty((2, 2, C, N, th + 1, tw1), dtype=dt)
    tmp = np.empty((C, N, th, tw1), dtype=dt)
    for kap in range(2):
        r0, r1, r2, r3 = r[:, kap]
        e, o = dxs[0, kap], dxs[1, kap]  # even / odd padded rows
        e[:, :, :th] = r0                            # p0
        e[:, :, th] = 0
        np.add(r1, r2, out=tmp)
        tmp -= r0
        e[:, :, 1:] += tmp                           # p2 = −r0 + r1 + r2, one row down
        np.subtract(r1, r2, out=o[:, :, :th])
        o[:, :, :th] += r3                           # p1 = r1 − r2 + r3
        o[:, :, th] = 0
        o[:, :, 1:] -= r3                            # p3 = −r3, one row down
    return dxs


def winograd_conv3x3_forward(x, weight, bias=None, pads=((1, 1), (1, 1))):
    """y = W ⋆ x + b for a 3×3, stride-1, undilated, ungrouped conv2d via Winograd F(2×2, 3×3).

    Computes U = G g Gᵀ for every filter, V = Bᵀ d B for every 4×4 input patch (stride 2), the
    16 GEMMs M[ξ, ν] = U[ξ, ν] @ V[ξ, ν] (K × C by C × tiles) and Y = Aᵀ M A per 2×2 output tile.
    Same result as ``conv2d_forward`` up to rounding (PyTorch's cross-correlation).

    Args:
        x: input array; weight: 3×3 filters; bias: (K,) or None.
        pads: ((top, bottom), (left, right)) zero padding.

    Shape: x (N, C, H, W), weight (K, C, 3, 3), bias (K,) -> y (N, K, H_out, W_out),
           H_out = H + P_top + P_bottom − 2 (W_out likewise); T_h = ⌈H_out/2⌉, T_w = ⌈W_out/2⌉.

    Returns: (y, cache)
    """
    N, C, H, W = x.shape
    K = weight.shape[0]
    if weight.shape != (K, C, 3, 3):
        raise ValueError(f"winograd_conv3x3: expected weight ({K}, {C}, 3, 3) for input "
                         f"{x.shape}, got {weight.shape}")
    (pt, pb), (pl, pr) = pads
    Ho, Wo = H + pt + pb - 2, W + pl + pr - 2
    if Ho < 1 or Wo < 1:
        raise ValueError(f"winograd_conv3x3: kernel (3, 3) is larger than the padded input "
                         f"{(H + pt + pb, W + pl + pr)} (input {(H, W)}, padding {pads})")
    dt = x.dtype
    th, tw = (Ho + 1) // 2, (Wo + 1) // 2
    xs = _split_parity(x, pt, pl, th + 1, tw + 1)  # (2, 2, C, N, T_h+1, T_w+1)
    v = _input_transform(xs, th)  # V = Bᵀ d B  (16, C, N·T_h·(T_w+1))
    g_ = G.astype(dt)
    u = g_ @ weight @ g_.T  # U = G g Gᵀ  (K, C, 4, 4)
    u = np.ascontiguousarray(u.transpose(2, 3, 0, 1)).reshape(16, K, C)
    m = np.matmul(u, v)  # 16 GEMMs (K × C) @ (C × tiles)  -> (16, K, tiles)
    ys = A_T_KRON.astype(dt) @ m.reshape(16, -1)  # Y = Aᵀ M A  (4, K·tiles)
    y = _merge_parity(ys.reshape(2, 2, K, N, th, tw + 1), (N, K, Ho, Wo), 0, 0, bias)
    return y, (u, v, x.shape, pads, (Ho, Wo), bias is not None)


def winograd_conv3x3_backward(dy, cache):
    """Gradients of :func:`winograd_conv3x3_forward`, the forward chain transposed.

    dM = A dY Aᵀ per tile; dU = dM · Vᵀ and dV = Uᵀ · dM (16 GEMMs each); dW = Gᵀ dU G;
    dx = Σ_tiles B dV Bᵀ (overlapping 4×4 patches, stride 2, then the padding is cropped);
    db = Σ_{n,i,j} dY.

    Shape: dy (N, K, H_out, W_out) -> dx (N, C, H, W), dweight (K, C, 3, 3), dbias (K,)

    Returns: (dx, dweight, dbias or None)
    """
    u, v, x_shape, pads, (Ho, Wo), has_bias = cache
    N, C, H, W = x_shape
    K = u.shape[1]
    (pt, _), (pl, _) = pads
    dt = dy.dtype
    th, tw = (Ho + 1) // 2, (Wo + 1) // 2
    dys = _split_parity(dy, 0, 0, th, tw + 1)  # (2, 2, K, N, T_h, T_w+1), zero where cropped
    db = dy.sum(axis=(0, 2, 3)) if has_bias else None
    dm = (A_T_KRON.T.astype(dt) @ dys.reshape(4, -1)).reshape(16, K, -1)  # dM = A dY Aᵀ
    du = np.matmul(dm, v.transpose(0, 2, 1))  # dU = dM·Vᵀ  (16, K, C)
    g_ = G.astype(dt)
    du = du.reshape(4, 4, K, C).transpose(2, 3, 0, 1)  # (K, C, 4, 4)
    dw = np.ascontiguousarray(g_.T @ du @ g_)  # dW = Gᵀ dU G  (K, C, 3, 3)
    dv = np.matmul(u.transpose(0, 2, 1), dm)  # dV = Uᵀ·dM  (16, C, tiles)
    dxs = _input_transform_adjoint(dv, C, N, th, tw + 1)  # Σ B dV Bᵀ on the parity planes
    dx = _merge_parity(dxs, x_shape, pt, pl)  # crop the padding, back to NCHW
    return dx, dw, db


def winograd_conv3x3(input, weight, bias=None, padding=1):
    """conv2d for 3×3 filters, stride 1, no dilation or groups, by Winograd F(2×2, 3×3).

    Same result as ``conv2d(input, weight, bias, padding=padding)`` up to rounding. ``conv2d``
    itself keeps im2col: on this project's benchmark machine Winograd measured up to ~20% faster
    single-threaded only for C_in ≥ 64 with C_out ≤ C_in, and slower elsewhere
    (docs/benchmarks.md); call this directly where it pays.

    Shape: (N, C, H, W), weight (K, C, 3, 3) -> (N, K, H + 2P − 2, W + 2P − 2)
    """
    if weight.ndim != 4 or tuple(weight.shape[2:]) != (3, 3):
        raise ValueError(f"winograd_conv3x3: expected a (K, C, 3, 3) weight, got {weight.shape}")
    if input.ndim != 4 or input.shape[1] != weight.shape[1]:
        raise ValueError(f"winograd_conv3x3: expected input (N, {weight.shape[1]}, H, W), got "
                         f"{tuple(input.shape)}")
    pads = _conv_padding(padding, (3, 3), (1, 1), (1, 1), "winograd_conv3x3")
    return apply_op(winograd_conv3x3_forward, winograd_conv3x3_backward, input, weight, bias,
                    pads=pads, name="winograd_conv3x3")
