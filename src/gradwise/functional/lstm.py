"""LSTM over a whole sequence: one fused op per layer direction, forward and BPTT side by side.

PyTorch's gate order i, f, g, o in one (4H) matrix:

    [a_i a_f a_g a_o] = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh
    i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
    c_t = f ⊙ c_{t−1} + i ⊙ g,    m_t = o ⊙ tanh(c_t),    h_t = m_t  (or m_t W_hrᵀ with proj_size)

Fast path (see STYLE "Performance habits"): x·W_ihᵀ for all steps is one GEMM; the loop does one
h·W_hhᵀ GEMM into a preallocated buffer plus in-place gate math. The three sigmoids and the tanh
are ONE ``np.tanh`` over the whole (N, 4H) row, because σ(a) = ½ + ½·tanh(a/2): the i, f, o rows
of the weights are pre-scaled by ½ (exact in floating point) and kept first, in an internal order
i, f, o, g. When a gradient is needed the forward also stores the local derivatives, so BPTT is
six in-place ops and one GEMM per step:

    dm_t = dh_t (or dh_t W_hr)          dh_t = dy_t + dâ_{t+1} W_hh
    dc_t = dc_{t+1} ⊙ f_{t+1} + dm_t ⊙ o ⊙ (1 − tanh² c_t)
    dâ_i = dc ⊙ g ⊙ σ'_i   dâ_f = dc ⊙ c_{t−1} ⊙ σ'_f   dâ_g = dc ⊙ i ⊙ (1 − g²)
    dâ_o = dm ⊙ tanh c_t ⊙ σ'_o          (σ' = σ(1 − σ) = (1 − tanh²(a/2)) / 4)

(the ¼ of σ' is applied once, to W_ih, W_hh and the weight gradients, not at every step),

then dW_ih = Σ dâᵀ x, dW_hh = Σ dâᵀ h_{t−1}, dx = dâ W_ih, dW_hr = Σ dh_tᵀ m_t: one GEMM each.
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from .rnn_common import (
    active, buffer, last_state, prev_rows, sequence_preamble, shifted_prev, step_blas,
    step_order, summed_bias, zeros_state,
)


def _internal_layout(w_ih, w_hh, b_ih, b_hh, H, dt):
    """Weights in the fused order i, f, o, g with the sigmoid rows halved.

    Returns wih_t (D, 4H), whh_t (P, 4H), both contiguous (a transposed GEMM operand is slow for
    small products, and stalls multi-threaded OpenBLAS), and bias (4H,).
    """
    perm = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]  # torch i,f,g,o -> internal i,f,o,g
    scale = np.ones(4 * H, dt)
    scale[:3 * H] = 0.5  # σ(a) = ½ + ½ tanh(a/2)
    wih_t = np.ascontiguousarray((w_ih[perm] * scale[:, None]).T)
    whh_t = np.ascontiguousarray((w_hh[perm] * scale[:, None]).T)
    return wih_t, whh_t, summed_bias(b_ih, b_hh, 4 * H, dt)[perm] * scale


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, batch_sizes=None,
                 reverse=False, needs_input_grad=None):
    """LSTM over a padded time-major sequence (one direction of one layer).

    Args:
        x: inputs. h0, c0: initial states or None (zeros).
        w_ih, w_hh, b_ih, b_hh, w_hr: PyTorch's layout (gates i, f, g, o); w_hr is the
            projection of proj_size > 0, else None.
        batch_sizes: per-step active rows of a length-sorted batch, or None (all length T).
        reverse: run each sequence from its own end to its start.
        needs_input_grad: apply_op's per-input flags; the local derivatives for BPTT are
            stored when any is True, or when None (a direct call).

    Shape: x (T, N, D), h0 (N, P), c0 (N, H), w_ih (4H, D), w_hh (4H, P), b_* (4H,),
           w_hr (P, H); P = H without projection
           -> y (T, N, P) (zero past each length), h_n (N, P), c_n (N, H)
    """
    keep_grad_cache = needs_input_grad is None or any(needs_input_grad)
    T, N, D, bs, lengths = sequence_preamble("lstm", x, batch_sizes, h0, c0, w_ih, w_hh, b_ih,
                                             b_hh, w_hr)
    H = w_ih.shape[0] // 4
    P = w_hh.shape[1]
    dt = x.dtype
    varlen = bs is not None
    h_init = zeros_state(h0, N, P, dt)
    c_init = zeros_state(c0, N, H, dt)
    wih_t, whh_t, bias = _internal_layout(w_ih, w_hh, b_ih, b_hh, H, dt)
    whr_t = None if w_hr is None else np.ascontiguousarray(w_hr.T)  # (H, P)

    gates = x.reshape(T * N, D) @ wih_t  # (T*N, 4H): input projection of every step
    gates += bias
    gates = gates.reshape(T, N, 4 * H)
    y = buffer((T, N, P), dt, varlen)
    c = buffer((T, N, H), dt, varlen)
    m = buffer((T, N, H), dt, varlen) if w_hr is not None else y
    A = buffer((T, N, 4 * H), dt, varlen) if keep_grad_cache else None  # dL/dâ factors, torch order
    B = buffer((T, N, H), dt, varlen) if keep_grad_cache else None  # o ⊙ (1 − tanh² c)
    rec = np.empty((N, 4 * H), dt)
    der = np.empty((N, 4 * H), dt)
    tc = np.empty((N, H), dt)
    tmp = np.empty((N, H), dt)
    h_scratch, c_scratch = np.empty((N, P), dt), np.empty((N, H), dt)
    H2, H3 = 2 * H, 3 * H
    with step_blas(N, P, 4 * H):
        for t in step_order(T, reverse):
            b = active(bs, t, N)
            hp = prev_rows(y, h_init, t, b, bs, reverse, h_scratch)
            cp = prev_rows(c, c_init, t, b, bs, reverse, c_scratch)
            G = gates[t, :b]  # (b, 4H), internal order i, f, o, g
            np.matmul(hp, whh_t, out=rec[:b])
            G += rec[:b]
            np.tanh(G, out=G)  # tanh(a/2) for i, f, o; tanh(a) for g
            if keep_grad_cache:
                D = der[:b]
                np.multiply(G, G, out=D)
                np.subtract(1, D, out=D)  # 4σ' = 1 − tanh²(a/2) (i, f, o); tanh' = 1 − g² (g)
            S = G[:, :H3]
            S *= 0.5
            S += 0.5  # i, f, o = σ(a)
            i, f, o, g = G[:, :H], G[:, H:H2], G[:, H2:H3], G[:, H3:]
            ct, tct = c[t, :b], tc[:b]
            np.multiply(f, cp, out=ct)
            np.multiply(i, g, out=tmp[:b])
            ct += tmp[:b]  # c_t = f ⊙ c_{t−1} + i ⊙ g
            np.tanh(ct, out=tct)
            np.multiply(o, tct, out=m[t, :b])  # m_t = o ⊙ tanh(c_t)
            if whr_t is not None:
                np.matmul(m[t, :b], whr_t, out=y[t, :b])  # h_t = m_t W_hrᵀ
            if keep_grad_cache:
                A4, D4, G4 = A[t, :b].reshape(b, 4, H), D.reshape(b, 4, H), G.reshape(b, 4, H)
                # A_i = σ'_i ⊙ g, A_g = tanh'_g ⊙ i in one op: blocks (i, g) of D × (g, i) of G
                np.multiply(D4[:, ::3], G4[:, ::-3], out=A4[:, ::2])
                np.multiply(D[:, H:H2], cp, out=A4[:, 1])  # A_f = σ'_f ⊙ c_{t−1}
                np.multiply(D[:, H2:H3], tct, out=A4[:, 3])  # A_o = σ'_o ⊙ tanh c_t
                Bt = B[t, :b]
                np.multiply(tct, tct, out=Bt)
                np.subtract(1, Bt, out=Bt)
                Bt *= o  # B = o ⊙ (1 − tanh² c_t)
    h_n = last_state(y, lengths, reverse)
    c_n = last_state(c, lengths, reverse)
    cache = None
    if keep_grad_cache:
        cache = (x, h0, c0, w_ih, w_hh, w_hr, b_ih is not None, b_hh is not None, gates, A, B,
                 y, m, bs, lengths, reverse)
    return (y, h_n, c_n), cache


def lstm_backward(grads, cache):
    """BPTT for ``lstm_forward``.

    Returns (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr), None where the input was None.
    """
    if cache is None:
        raise RuntimeError("lstm_backward: the forward kept no cache (no input needed a gradient)")
    dy, dh_n, dc_n = grads
    (x, h0, c0, w_ih, w_hh, w_hr, has_bih, has_bhh, gates, A, B, y, m, bs, lengths,
     reverse) = cache
    T, N, D = x.shape
    H = w_ih.shape[0] // 4
    P = w_hh.shape[1]
    dt = x.dtype
    varlen = bs is not None
    # dL/dâ for every step, torch gate order, with the i, f, o blocks 4× too large: the forward
    # stored 4σ' (saving one op per step) and the GEMMs below take the ¼ back through w4.
    dG = buffer((T, N, 4 * H), dt, varlen)
    quarter = np.full(4 * H, 0.25, dt)
    quarter[2 * H:3 * H] = 1  # g is a tanh gate: no factor
    w_ih4 = w_ih * quarter[:, None]
    w_hh4 = w_hh * quarter[:, None]
    dH = buffer((T, N, P), dt, varlen) if w_hr is not None else None  # dL/dh_t for dW_hr
    dh = np.array(dh_n, dtype=dt, copy=True)  # running dL/dh, (N, P)
    dc = np.array(dc_n, dtype=dt, copy=True)  # running dL/dc, (N, H)
    dm_buf = np.empty((N, H), dt)
    tmp = np.empty((N, H), dt)
    with step_blas(N, 4 * H, P):
        for t in reversed(step_order(T, reverse)):
            b = active(bs, t, N)
            if w_hr is None:
                dm = dh[:b]
                dm += dy[t, :b]  # dL/dh_t = dy_t + dâ_{t+1} W_hh
            else:
                np.add(dh[:b], dy[t, :b], out=dH[t, :b])
                dm = dm_buf[:b]
                np.matmul(dH[t, :b], w_hr, out=dm)  # dL/dm_t = dL/dh_t W_hr
            dcb = dc[:b]
            np.multiply(dm, B[t, :b], out=tmp[:b])
            dcb += tmp[:b]  # dc_t += dm ⊙ o ⊙ (1 − tanh² c_t)
            dG4, A4 = dG[t, :b].reshape(b, 4, H), A[t, :b].reshape(b, 4, H)
            np.multiply(A4[:, :3], dcb[:, None, :], out=dG4[:, :3])  # dâ_i, dâ_f, dâ_g
            np.multiply(A4[:, 3], dm, out=dG4[:, 3])  # dâ_o
            dcb *= gates[t, :b, H:2 * H]  # dc_{t−1} = dc_t ⊙ f_t
            np.matmul(dG[t, :b], w_hh4, out=dh[:b])  # dL/dh_{t−1} through the recurrence
    G2 = dG.reshape(T * N, 4 * H)
    dx = (G2 @ w_ih4).reshape(T, N, D)
    dw_ih = G2.T @ x.reshape(T * N, D)
    dw_ih *= quarter[:, None]
    h_init = zeros_state(h0, N, P, dt)
    dw_hh = G2.T @ shifted_prev(y, h_init, lengths, reverse).reshape(T * N, P)
    dw_hh *= quarter[:, None]
    db = G2.sum(axis=0)
    db *= quarter
    dw_hr = None
    if w_hr is not None:
        dw_hr = dH.reshape(T * N, P).T @ m.reshape(T * N, H)
    return (dx, dh if h0 is not None else None, dc if c0 is not None else None, dw_ih, dw_hh,
            db if has_bih else None, db.copy() if has_bhh else None, dw_hr)


def lstm_sequence(input, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, batch_sizes=None,
                  reverse=False):
    """LSTM layer direction on Tensors; returns ``(output, h_n, c_n)``.

    Shape: input (T, N, D), h0 (N, P) or None, c0 (N, H) or None
           -> output (T, N, P), h_n (N, P), c_n (N, H)
    """
    args = (input, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
    return apply_op(lstm_forward, lstm_backward, *args, batch_sizes=batch_sizes, reverse=reverse,
                    name="lstm")


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: the sequence kernel with T = 1; returns ``(h', c')``.

    Shape: input (N, D), hx (N, H) or None, cx (N, H) or None -> h' (N, H), c' (N, H)
    """
    n, d = input.shape
    _, h_n, c_n = lstm_sequence(input.reshape(1, n, d), hx, cx, w_ih, w_hh, b_ih, b_hh)
    return h_n, c_n
