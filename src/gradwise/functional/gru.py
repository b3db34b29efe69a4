"""GRU over a whole sequence, in both published forms: one fused op per layer direction.

PyTorch's gate order r, z, n; the parameters are PyTorch's in both forms
(weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,)):

    r = σ(W_ir x + b_ir + W_hr h + b_hr)         z = σ(W_iz x + b_iz + W_hz h + b_hz)
    reset_after=True  (PyTorch, cuDNN):   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
    reset_after=False (Cho 2014, seeds):  n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)
    h' = (1 − z) ⊙ n + z ⊙ h

In the reset-before form the rows W_hn of weight_hh play the seeds' U (acting on r ⊙ h) and the
two n-biases are simply summed (b_in + b_hn is the seeds' b), so both forms share one state_dict
layout. Reset-after needs one (N, H)·(H, 3H) GEMM per step; reset-before needs two, because
r ⊙ h must exist before W_hn can act on it.

As in ``lstm.py``, σ(a) = ½ + ½ tanh(a/2) with the r, z weight rows pre-scaled by ½, and the
forward stores the local derivatives so BPTT is a few in-place ops per step:

    dâ_z = dh ⊙ (h_{t−1} − n) ⊙ σ'_z        dâ_n = dh ⊙ (1 − z) ⊙ (1 − n²)
    after:  dâ_r = dâ_n ⊙ (W_hn h + b_hn) ⊙ σ'_r,   d(W_hn h) = dâ_n ⊙ r
    before: d(r⊙h) = dâ_n W_hn,  dâ_r = d(r⊙h) ⊙ h_{t−1} ⊙ σ'_r
    dh_{t−1} = dh ⊙ z + (recurrent gate grads) W_hh  (+ d(r⊙h) ⊙ r before)
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from .rnn_common import (
    active, buffer, last_state, prev_rows, sequence_preamble, shifted_prev, step_blas,
    step_order, summed_bias, zeros_state,
)


def _sigmoid_scale(H, dt):
    scale = np.ones(3 * H, dt)
    scale[:2 * H] = 0.5  # σ(a) = ½ + ½ tanh(a/2) for r and z
    return scale


def gru_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, batch_sizes=None, reverse=False,
                reset_after=True, needs_input_grad=None):
    """GRU over a padded time-major sequence (one direction of one layer).

    Args:
        x: inputs. h0: initial state or None (zeros).
        w_ih, w_hh, b_ih, b_hh: PyTorch's layout, gates r, z, n.
        batch_sizes: per-step active rows of a length-sorted batch, or None.
        reverse: run each sequence from its own end to its start.
        reset_after: True for PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
            False for Cho et al./the seeds' n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn).
        needs_input_grad: apply_op's per-input flags; the local derivatives for BPTT are
            stored when any is True, or when None (a direct call).

    Shape: x (T, N, D), h0 (N, H), w_ih (3H, D), w_hh (3H, H), b_* (3H,)
           -> y (T, N, H) (zero past each length), h_n (N, H)
    """
    keep_grad_cache = needs_input_grad is None or any(needs_input_grad)
    T, N, D, bs, lengths = sequence_preamble("gru", x, batch_sizes, h0, w_ih, w_hh, b_ih, b_hh)
    H = w_hh.shape[1]
    dt = x.dtype
    varlen = bs is not None
    h_init = zeros_state(h0, N, H, dt)
    H2 = 2 * H
    scale = _sigmoid_scale(H, dt)
    wih_t = np.ascontiguousarray((w_ih * scale[:, None]).T)  # (D, 3H)
    bias = summed_bias(b_ih, None if reset_after else b_hh, 3 * H, dt)
    b_hn = None
    if reset_after and b_hh is not None:
        bias[:H2] += b_hh[:H2]  # b_hr, b_hz fold into the input projection; b_hn stays inside r ⊙ (·)
        b_hn = b_hh[H2:]
    bias *= scale
    gates = x.reshape(T * N, D) @ wih_t  # (T*N, 3H): input projection of every step
    gates += bias
    gates = gates.reshape(T, N, 3 * H)
    y = buffer((T, N, H), dt, varlen)
    A = buffer((T, N, 3 * H), dt, varlen) if keep_grad_cache else None  # factors, r, z, n
    if reset_after:
        whh_t = np.ascontiguousarray((w_hh * scale[:, None]).T)  # (H, 3H)
        rec = np.empty((N, 3 * H), dt)
        rh = None
    else:
        whh_t = np.ascontiguousarray((w_hh[:H2] * scale[:H2, None]).T)  # (H, 2H)
        whn_t = np.ascontiguousarray(w_hh[H2:].T)  # (H, H)
        rec = np.empty((N, H2), dt)
        rh = buffer((T, N, H), dt, varlen)  # r ⊙ h_{t−1}, for dW_hn
    der = np.empty((N, H2), dt)
    tmp = np.empty((N, H), dt)
    diff = np.empty((N, H), dt)
    scratch = np.empty((N, H), dt)
    with step_blas(N, H, 3 * H):
        for t in step_order(T, reverse):
            b = active(bs, t, N)
            hp = prev_rows(y, h_init, t, b, bs, reverse, scratch)
            G = gates[t, :b]  # (b, 3H)
            RZ, n = G[:, :H2], G[:, H2:]
            rec_b = rec[:b]
            np.matmul(hp, whh_t, out=rec_b)
            RZ += rec_b[:, :H2]
            np.tanh(RZ, out=RZ)
            if keep_grad_cache:
                Dv = der[:b]
                np.multiply(RZ, RZ, out=Dv)
                Dv *= -0.25
                Dv += 0.25  # σ' = (1 − tanh²(a/2)) / 4
            RZ *= 0.5
            RZ += 0.5  # r, z = σ(a)
            r, z = G[:, :H], G[:, H:H2]
            if reset_after:
                hn = rec_b[:, H2:]  # W_hn h
                if b_hn is not None:
                    hn += b_hn
                np.multiply(r, hn, out=tmp[:b])
            else:
                rht = rh[t, :b]
                np.multiply(r, hp, out=rht)  # r ⊙ h_{t−1}
                np.matmul(rht, whn_t, out=tmp[:b])  # W_hn (r ⊙ h)
            n += tmp[:b]
            np.tanh(n, out=n)
            d = diff[:b]
            np.subtract(hp, n, out=d)
            yt = y[t, :b]
            np.multiply(z, d, out=yt)
            yt += n  # h_t = n + z ⊙ (h_{t−1} − n)
            if keep_grad_cache:
                A3 = A[t, :b].reshape(b, 3, H)
                # A_r: dâ_r = dâ_n ⊙ A_r (after) or d(r⊙h) ⊙ A_r (before)
                np.multiply(Dv[:, :H], hn if reset_after else hp, out=A3[:, 0])
                np.multiply(Dv[:, H:], d, out=A3[:, 1])  # A_z = σ'_z ⊙ (h_{t−1} − n)
                An = A3[:, 2]
                np.multiply(n, n, out=An)
                np.subtract(1, An, out=An)
                np.subtract(1, z, out=tmp[:b])
                An *= tmp[:b]  # A_n = (1 − z) ⊙ (1 − n²)
    h_n = last_state(y, lengths, reverse)
    cache = None
    if keep_grad_cache:
        cache = (x, h0, w_ih, w_hh, b_ih is not None, b_hh is not None, gates, A, y, rh, bs,
                 lengths, reverse, reset_after)
    return (y, h_n), cache


def gru_backward(grads, cache):
    """BPTT for ``gru_forward``: (dy, dh_n) -> (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)."""
    if cache is None:
        raise RuntimeError("gru_backward: the forward kept no cache (no input needed a gradient)")
    dy, dh_n = grads
    (x, h0, w_ih, w_hh, has_bih, has_bhh, gates, A, y, rh, bs, lengths, reverse,
     reset_after) = cache
    T, N, D = x.shape
    H = w_hh.shape[1]
    H2 = 2 * H
    dt = x.dtype
    varlen = bs is not None
    dGi = buffer((T, N, 3 * H), dt, varlen)  # dL/d(input-side pre-activations)
    dGh = buffer((T, N, 3 * H), dt, varlen) if reset_after else None  # dL/d(W_hh h + b_hh)
    dh = np.array(dh_n, dtype=dt, copy=True)  # running dL/dh, (N, H)
    direct = np.empty((N, H), dt)
    drh = np.empty((N, H), dt)
    w_hn = w_hh[H2:]
    w_hrz = w_hh[:H2]
    with step_blas(N, 3 * H, H):
        for t in reversed(step_order(T, reverse)):
            b = active(bs, t, N)
            dhb = dh[:b]
            dhb += dy[t, :b]  # dL/dh_t = dy_t + (recurrent part from t+1)
            G = gates[t, :b]
            r, z = G[:, :H], G[:, H:H2]
            A3, dG3 = A[t, :b].reshape(b, 3, H), dGi[t, :b].reshape(b, 3, H)
            np.multiply(A3[:, 1:], dhb[:, None, :], out=dG3[:, 1:])  # dâ_z, dâ_n
            np.multiply(dhb, z, out=direct[:b])  # dh_{t−1} via h_t = z ⊙ h_{t−1} + …
            if reset_after:
                dGht = dGh[t, :b]
                np.multiply(dG3[:, 2], r, out=dGht[:, H2:])  # d(W_hn h + b_hn) = dâ_n ⊙ r
                np.multiply(dG3[:, 2], A3[:, 0], out=dG3[:, 0])  # dâ_r
                dGht[:, :H2] = dGi[t, :b, :H2]
                np.matmul(dGht, w_hh, out=dhb)
            else:
                drhb = drh[:b]
                np.matmul(dG3[:, 2], w_hn, out=drhb)  # d(r ⊙ h) = dâ_n W_hn
                np.multiply(drhb, A3[:, 0], out=dG3[:, 0])  # dâ_r
                np.matmul(dGi[t, :b, :H2], w_hrz, out=dhb)
                drhb *= r
                dhb += drhb  # + d(r ⊙ h) ⊙ r
            dhb += direct[:b]
    Gi2 = dGi.reshape(T * N, 3 * H)
    dx = (Gi2 @ w_ih).reshape(T, N, D)
    dw_ih = Gi2.T @ x.reshape(T * N, D)
    db_ih = Gi2.sum(axis=0)
    h_prev = shifted_prev(y, zeros_state(h0, N, H, dt), lengths, reverse).reshape(T * N, H)
    if reset_after:
        Gh2 = dGh.reshape(T * N, 3 * H)
        dw_hh = Gh2.T @ h_prev
        db_hh = Gh2.sum(axis=0)
    else:
        dw_hh = np.empty_like(w_hh)
        dw_hh[:H2] = Gi2[:, :H2].T @ h_prev
        dw_hh[H2:] = Gi2[:, H2:].T @ rh.reshape(T * N, H)
        db_hh = db_ih.copy()  # the n-biases are summed, r/z biases add to the same sums
    return (dx, dh if h0 is not None else None, dw_ih, dw_hh,
            db_ih if has_bih else None, db_hh if has_bhh else None)


def gru_sequence(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, batch_sizes=None, reverse=False,
                 reset_after=True):
    """GRU layer direction on Tensors; returns ``(output, h_n)``.

    Shape: input (T, N, D), h0 (N, H) or None -> output (T, N, H), h_n (N, H)
    """
    args = (input, h0, w_ih, w_hh, b_ih, b_hh)
    return apply_op(gru_forward, gru_backward, *args, batch_sizes=batch_sizes, reverse=reverse,
                    reset_after=reset_after, name="gru" if reset_after else "gru_reset_before")


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, reset_after=True):
    """One GRU step: the sequence kernel with T = 1.

    Shape: input (N, D), hx (N, H) or None -> h' (N, H)
    """
    n, d = input.shape
    _, h_n = gru_sequence(input.reshape(1, n, d), hx, w_ih, w_hh, b_ih, b_hh,
                          reset_after=reset_after)
    return h_n
