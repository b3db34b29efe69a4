"""Elman RNN over a whole sequence: one fused op per layer direction, forward and BPTT.

    a_t = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh,      h_t = φ(a_t),   φ ∈ {tanh, relu}

The input projection of all T steps is one GEMM before the time loop; each step then does one
(N, H)·(H, H) GEMM into the output buffer and the activation in place. BPTT walks back once:

    δ_t = (dy_t + δ_{t+1} W_hh) ⊙ φ'(a_t)          (δ = dL/da; φ' = 1 − h² or [h > 0])
    dW_ih = Σ_t δ_tᵀ x_t,  dW_hh = Σ_t δ_tᵀ h_{t−1},  dx_t = δ_t W_ih,  db = Σ_t δ_t

and the three sums over t are one GEMM each on the stacked (T·N, ·) buffers.
Variable lengths follow ``rnn_common`` (sorted per-step batch sizes).
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from .rnn_common import (
    active, buffer, last_state, prev_rows, sequence_preamble, shifted_prev, step_blas,
    step_order, summed_bias, zeros_state,
)

_NONLINEARITIES = ("tanh", "relu")


def rnn_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, batch_sizes=None, reverse=False,
                nonlinearity="tanh"):
    """Elman RNN over a padded time-major sequence (one direction of one layer).

    Args:
        x: inputs; h0: initial state or None (zeros); w_ih, w_hh, b_ih, b_hh: PyTorch's layout.
        batch_sizes: per-step active rows (sorted batch) or None for full-length sequences.
        reverse: run from each sequence's end to its start.
        nonlinearity: 'tanh' or 'relu'.

    Shape: x (T, N, D), h0 (N, H), w_ih (H, D), w_hh (H, H), b_ih (H,), b_hh (H,)
           -> y (T, N, H) (zero past each length), h_n (N, H)
    """
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"rnn: unknown nonlinearity {nonlinearity!r}, expected 'tanh' or 'relu'")
    T, N, D, bs, lengths = sequence_preamble("rnn", x, batch_sizes, h0, w_ih, w_hh, b_ih, b_hh)
    H = w_hh.shape[1]
    dt = x.dtype
    h_init = zeros_state(h0, N, H, dt)
    pre = x.reshape(T * N, D) @ np.ascontiguousarray(w_ih.T)  # (T*N, H): input projection of every step at once
    pre += summed_bias(b_ih, b_hh, H, dt)
    pre = pre.reshape(T, N, H)
    whh_t = np.ascontiguousarray(w_hh.T)  # (H, H) so the step GEMM reads contiguous rows
    y = buffer((T, N, H), dt, bs is not None)
    scratch = np.empty((N, H), dt)
    with step_blas(N, H, H):
        for t in step_order(T, reverse):
            b = active(bs, t, N)
            hp = prev_rows(y, h_init, t, b, bs, reverse, scratch)
            out = y[t, :b]
            np.matmul(hp, whh_t, out=out)  # h_{t−1} W_hhᵀ
            out += pre[t, :b]
            if nonlinearity == "tanh":
                np.tanh(out, out=out)
            else:
                np.maximum(out, 0, out=out)
    h_n = last_state(y, lengths, reverse)
    cache = (x, h0, w_ih, w_hh, b_ih is not None, b_hh is not None, y, bs, lengths, reverse,
             nonlinearity)
    return (y, h_n), cache


def rnn_backward(grads, cache):
    """BPTT for ``rnn_forward``: grads (dy, dh_n) -> (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)."""
    dy, dh_n = grads
    x, h0, w_ih, w_hh, has_bih, has_bhh, y, bs, lengths, reverse, nonlinearity = cache
    T, N, D = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    delta = buffer((T, N, H), dt, bs is not None)  # dL/da_t, zero on finished rows
    dh = np.array(dh_n, dtype=dt, copy=True)  # running dL/dh, (N, H)
    deriv = np.empty((N, H), dt)
    with step_blas(N, H, H):
        for t in reversed(step_order(T, reverse)):
            b = active(bs, t, N)
            dhb = dh[:b]
            dhb += dy[t, :b]  # dL/dh_t = dy_t + δ_{t+1} W_hh
            d = deriv[:b]
            if nonlinearity == "tanh":
                np.multiply(y[t, :b], y[t, :b], out=d)
                np.subtract(1, d, out=d)  # φ' = 1 − h²
            else:
                np.greater(y[t, :b], 0, out=d, casting="unsafe")  # φ' = [h > 0]
            np.multiply(dhb, d, out=delta[t, :b])
            np.matmul(delta[t, :b], w_hh, out=dhb)  # dL/dh_{t−1} through the recurrence
    d2 = delta.reshape(T * N, H)
    dx = (d2 @ w_ih).reshape(T, N, D)
    dw_ih = d2.T @ x.reshape(T * N, D)
    h_init = zeros_state(h0, N, H, dt)
    dw_hh = d2.T @ shifted_prev(y, h_init, lengths, reverse).reshape(T * N, H)
    db = d2.sum(axis=0)
    dh0 = dh if h0 is not None else None
    return (dx, dh0, dw_ih, dw_hh, db if has_bih else None, db.copy() if has_bhh else None)


def rnn_sequence(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, batch_sizes=None, reverse=False,
                 nonlinearity="tanh"):
    """Elman RNN layer direction on Tensors; returns ``(output, h_n)``.

    Shape: input (T, N, D), h0 (N, H) or None -> output (T, N, H), h_n (N, H)
    """
    return apply_op(rnn_forward, rnn_backward, input, h0, w_ih, w_hh, b_ih, b_hh,
                    batch_sizes=batch_sizes, reverse=reverse, nonlinearity=nonlinearity,
                    name="rnn_" + nonlinearity)


def rnn_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """One Elman step, h' = φ(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh): the sequence kernel with T = 1.

    Shape: input (N, D), hx (N, H) or None -> h' (N, H)
    """
    n, d = input.shape
    _, h_n = rnn_sequence(input.reshape(1, n, d), hx, w_ih, w_hh, b_ih, b_hh,
                          nonlinearity=nonlinearity)
    return h_n
