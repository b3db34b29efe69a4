"""Gradient-flow inspector: where does the gradient go in a recurrent network? (the seeds' lesson)

Seeds 000, 002 and 004 ("Vanilla RNN gradient flow"): the gradient reaching step t from a loss
at step T is a product of per-step Jacobians,

    ∂L/∂h_t = ∂L/∂h_T · Π_{τ=t+1..T} ∂h_τ/∂h_{τ−1},     ∂h_τ/∂h_{τ−1} = diag(f'(a_τ)) W_hh

so it vanishes when the Jacobians' singular values stay below 1 and explodes when they stay
above. The LSTM adds the cell path ∂c_τ/∂c_{τ−1} = diag(f_τ): "uninterrupted gradient flow" as
long as the forget gate stays near 1.

``gradient_flow(model, input, loss_fn)`` measures both halves of that story for a given model
and batch:

* ``grad_norms[k, t]`` = ‖∂L/∂h_t‖ (Frobenius norm over the batch) for every layer/direction k
  and time step t, from one backward pass through a step-by-step unroll whose per-step states
  call ``retain_grad()``; for LSTMs also ``cell_grad_norms`` = ‖∂L/∂c_t‖.
* ``singular_values[k, t, n]``: the singular values of the state Jacobian ∂s_t/∂s_{t−1} for
  every sample n, in processing order (for a reverse direction s_{t−1} is the state of step t+1).
  Analytic for RNN (J = diag(f'(a_t)) W_hh) and LSTM; central finite differences in float64 for
  GRU, LSTM with projection and any step cell (``Recurrent`` layers such as MUT).

For an LSTM the recurrent state is s = (h, c) by default (``lstm_state='hc'``, a 2H × 2H
Jacobian); ``lstm_state='h'`` gives the ∂h_t/∂h_{t−1} block alone.

Supported models: ``RNN``/``LSTM``/``GRU`` (any number of layers, bidirectional, proj_size; the
unroll uses eval semantics, i.e. no inter-layer dropout) and ``Recurrent`` wrappers of a step
cell (``MUT``, ``HighwayRNN``). The unroll reproduces ``model(input)`` exactly (tested).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .. import functional as F
from ..core.autograd import no_grad
from ..core.tensor import Tensor
from .recurrent_family import Recurrent
from .rnn import RNNBase


@dataclass
class GradientFlow:
    """Result of ``gradient_flow``.

    Attributes:
        loss: the scalar loss value.
        output: the model output of the unroll (same layout as ``model(input)[0]``).
        grad_norms: (K, T) ‖∂L/∂h_t‖ per layer/direction k = layer·D + direction.
        cell_grad_norms: (K, T) ‖∂L/∂c_t‖ for LSTMs, else None.
        singular_values: (K, T, N, S) singular values of ∂s_t/∂s_{t−1}, descending, or None.
        state: 'h' or 'hc' — what s is.
    """

    loss: float
    output: Tensor
    grad_norms: np.ndarray
    cell_grad_norms: np.ndarray | None
    singular_values: np.ndarray | None
    state: str

    def decay(self, k: int = 0) -> float:
        """‖∂L/∂h_first‖ / ‖∂L/∂h_last‖ for layer/direction k (small = vanishing)."""
        g = self.grad_norms[k]
        return float(g[0] / g[-1]) if g[-1] > 0 else float("inf")


# -- one step of RNN / LSTM / GRU with PyTorch's parameters, in functional ops ------------------
def rnn_step(mode, weights, x, h, c=None, reset_after=True):
    """One step of the RNNBase recurrences; returns (h', c') (c' is None except for LSTM).

    Shape: x (N, I), h (N, H_out), c (N, H) -> h' (N, H_out), c' (N, H)
    """
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    H = w_hh.shape[1] if mode != "LSTM" or w_hr is None else w_hr.shape[1]
    gi = F.linear(x, w_ih, b_ih)
    if mode == "GRU" and not reset_after:  # n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)
        gh = F.linear(h, w_hh[: 2 * H], b_hh[: 2 * H] if b_hh is not None else None)
        r = F.sigmoid(gi[:, :H] + gh[:, :H])
        z = F.sigmoid(gi[:, H:2 * H] + gh[:, H:])
        n = F.tanh(gi[:, 2 * H:] + F.linear(r * h, w_hh[2 * H:],
                                            b_hh[2 * H:] if b_hh is not None else None))
        return (1.0 - z) * n + z * h, None
    gh = F.linear(h, w_hh, b_hh)
    if mode == "GRU":  # n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        r = F.sigmoid(gi[:, :H] + gh[:, :H])
        z = F.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = F.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1.0 - z) * n + z * h, None
    a = gi + gh
    if mode == "RNN_TANH":
        return F.tanh(a), None
    if mode == "RNN_RELU":
        return F.relu(a), None
    i, f = F.sigmoid(a[:, :H]), F.sigmoid(a[:, H:2 * H])
    g, o = F.tanh(a[:, 2 * H:3 * H]), F.sigmoid(a[:, 3 * H:])
    c_new = f * c + i * g  # c_t = f ⊙ c_{t−1} + i ⊙ g
    h_new = o * F.tanh(c_new)  # h_t = o ⊙ tanh(c_t)
    if w_hr is not None:
        h_new = F.linear(h_new, w_hr)
    return h_new, c_new


def _initial_states(model, hx, k, N, dtype):
    real_h = model.proj_size or model.hidden_size
    if model.mode == "LSTM":
        h0, c0 = hx if hx is not None else (None, None)
        h = h0[k] if h0 is not None else Tensor(np.zeros((N, real_h), dtype))
        c = c0[k] if c0 is not None else Tensor(np.zeros((N, model.hidden_size), dtype))
        return h, c
    return (hx[k] if hx is not None else Tensor(np.zeros((N, real_h), dtype))), None


def unroll_rnn(model: RNNBase, input, hx=None):
    """Step-by-step unroll of an RNN/LSTM/GRU with autograd on every per-step state.

    Returns:
        output (as ``model(input)[0]``), inputs (list over layers of the layer input (T, N, ·)),
        hs and cs: lists over k = layer·D + direction of per-time-step state Tensors (N, ·),
        indexed by time t (cs is None except for LSTM), init: (h0, c0) per k.
    """
    if input.ndim != 3 or input.shape[2] != model.input_size:
        layout = "(N, T, {})" if model.batch_first else "(T, N, {})"
        raise ValueError(f"gradient_flow: expected input {layout.format(model.input_size)} "
                         f"for {type(model).__name__}, got {tuple(input.shape)}")
    x = input.transpose(0, 1) if model.batch_first else input
    T, N = x.shape[0], x.shape[1]
    D = 2 if model.bidirectional else 1
    is_lstm = model.mode == "LSTM"
    layer_in, inputs, hs, cs, init = x, [], [], [] if is_lstm else None, []
    for layer in range(model.num_layers):
        inputs.append(layer_in)
        outs = []
        for direction in range(D):
            k = layer * D + direction
            w = model._weights(layer, direction)
            h, c = _initial_states(model, hx, k, N, x.dtype)
            init.append((h, c))
            h_t, c_t = [None] * T, [None] * T
            order = range(T - 1, -1, -1) if direction else range(T)
            for t in order:
                h, c = rnn_step(model.mode, w, layer_in[t], h, c, model.reset_after)
                h_t[t], c_t[t] = h, c
            hs.append(h_t)
            if is_lstm:
                cs.append(c_t)
            outs.append(h_t)
        steps = [outs[0][t] if D == 1 else F.cat([outs[0][t], outs[1][t]], dim=1)
                 for t in range(T)]
        layer_in = F.stack(steps, 0)  # (T, N, D·H_out)
    output = layer_in.transpose(0, 1) if model.batch_first else layer_in
    return output, inputs, hs, cs, init


# -- Jacobians ∂s_t/∂s_{t−1} -----------------------------------------------------------------------
def _analytic_rnn_jacobian(mode, w_hh, h_new):
    """J_n = diag(f'(a_t)) W_hh, with tanh' = 1 − h_t² and relu' = [h_t > 0]. (N, H, H)"""
    d = 1.0 - h_new * h_new if mode == "RNN_TANH" else (h_new > 0).astype(h_new.dtype)
    return d[:, :, None] * w_hh[None]


def _analytic_lstm_jacobian(weights, x, h, c, state):
    """∂(h_t, c_t)/∂(h_{t−1}, c_{t−1}) of an LSTM step without projection. (N, 2H, 2H)

        ∂c'/∂h = diag(c f(1−f)) W_f + diag(g i(1−i)) W_i + diag(i (1−g²)) W_g,  ∂c'/∂c = diag(f)
        ∂h'/∂h = diag(tanh(c') o(1−o)) W_o + diag(o (1−tanh²c')) ∂c'/∂h
        ∂h'/∂c = diag(o (1−tanh²c') f)
    """
    w_ih, w_hh, b_ih, b_hh, _ = weights
    H = w_hh.shape[1]
    a = x @ w_ih.T + h @ w_hh.T
    a = a + (b_ih if b_ih is not None else 0) + (b_hh if b_hh is not None else 0)
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
    tc = np.tanh(f * c + i * g)
    W_i, W_f, W_g, W_o = (w_hh[k * H:(k + 1) * H] for k in range(4))
    rows = lambda d, W: d[:, :, None] * W[None]  # noqa: E731  diag(d) W for every sample
    dc_dh = rows(c * f * (1 - f), W_f) + rows(g * i * (1 - i), W_i) + rows(i * (1 - g * g), W_g)
    dtanh = o * (1 - tc * tc)
    dh_dh = rows(tc * o * (1 - o), W_o) + dtanh[:, :, None] * dc_dh
    if state == "h":
        return dh_dh
    eye = np.eye(H)[None]
    top = np.concatenate([dh_dh, (dtanh * f)[:, :, None] * eye], axis=2)
    bottom = np.concatenate([dc_dh, f[:, :, None] * eye], axis=2)
    return np.concatenate([top, bottom], axis=1)


def numerical_state_jacobian(step, x, s, eps=1e-6):
    """Central-difference Jacobian of s' = step(x, s) for every sample, in one batched call.

    Args:
        step: function of NumPy arrays x (M, I), s (M, S) -> s' (M, S').
        x (N, I), s (N, S): the point.

    Returns: J (N, S', S) with J[n, :, j] = (step(s + eps e_j) − step(s − eps e_j))[n] / 2eps.
    """
    N, S = s.shape
    pert = np.eye(S) * eps  # (S, S)
    sp = np.concatenate([s[:, None, :] + pert[None], s[:, None, :] - pert[None]], axis=1)
    xp = np.repeat(x, 2 * S, axis=0)
    out = step(xp, sp.reshape(N * 2 * S, S)).reshape(N, 2 * S, -1)
    return ((out[:, :S] - out[:, S:]) / (2 * eps)).transpose(0, 2, 1)


def _as64(t):
    return None if t is None else Tensor(np.asarray(t.array if isinstance(t, Tensor) else t,
                                                    np.float64))


def _rnnbase_jacobians(model, inputs, hs, cs, init, state):
    D = 2 if model.bidirectional else 1
    T = len(hs[0])
    out = []
    for layer in range(model.num_layers):
        x_all = inputs[layer].array.astype(np.float64)
        for direction in range(D):
            k = layer * D + direction
            w = [None if p is None else p.array.astype(np.float64)
                 for p in model._weights(layer, direction)]
            h0, c0 = (None if v is None else v.array.astype(np.float64) for v in init[k])
            order = list(range(T - 1, -1, -1)) if direction else list(range(T))
            per_t = [None] * T
            for pos, t in enumerate(order):
                prev_t = order[pos - 1] if pos else None
                h_prev = hs[k][prev_t].array.astype(np.float64) if prev_t is not None else h0
                h_new = hs[k][t].array.astype(np.float64)
                if model.mode in ("RNN_TANH", "RNN_RELU"):
                    J = _analytic_rnn_jacobian(model.mode, w[1], h_new)
                elif model.mode == "LSTM" and w[4] is None:
                    c_prev = cs[k][prev_t].array.astype(np.float64) if prev_t is not None else c0
                    J = _analytic_lstm_jacobian(w, x_all[t], h_prev, c_prev, state)
                else:
                    J = _numerical_rnnbase_jacobian(model, w, x_all[t], h_prev, cs, k, prev_t,
                                                    c0, state)
                per_t[t] = np.linalg.svd(J, compute_uv=False)
            out.append(np.stack(per_t))
    return np.stack(out)  # (K, T, N, S)


def _numerical_rnnbase_jacobian(model, w, x, h_prev, cs, k, prev_t, c0, state):
    weights = [_as64(p) for p in w]
    H_out = h_prev.shape[1]
    if model.mode == "LSTM":
        c_prev = cs[k][prev_t].array.astype(np.float64) if prev_t is not None else c0

        def step(xb, sb):
            hh, cc = (sb, np.repeat(c_prev, 2 * H_out, 0)) if state == "h" else \
                (sb[:, :H_out], sb[:, H_out:])
            h1, c1 = rnn_step("LSTM", weights, Tensor(xb), Tensor(hh), Tensor(cc))
            return h1.array if state == "h" else np.concatenate([h1.array, c1.array], 1)

        s = h_prev if state == "h" else np.concatenate([h_prev, c_prev], 1)
    else:
        def step(xb, sb):
            return rnn_step(model.mode, weights, Tensor(xb), Tensor(sb), None,
                            model.reset_after)[0].array

        s = h_prev
    with no_grad():
        return numerical_state_jacobian(step, x, s)


def _cell_jacobians(model: Recurrent, x, hs, h0):
    cell = copy.deepcopy(model.cell).double()  # finite differences in float64 for any cell
    xs = x.array.astype(np.float64)
    h = np.zeros((xs.shape[1], model.hidden_size)) if h0 is None else h0.array[0].astype(np.float64)
    out = []
    with no_grad():
        for t in range(xs.shape[0]):
            J = numerical_state_jacobian(lambda xb, sb: cell(Tensor(xb), Tensor(sb)).array, xs[t], h)
            out.append(np.linalg.svd(J, compute_uv=False))
            h = hs[t].array.astype(np.float64)
    return np.stack(out)[None]  # (1, T, N, H)


# -- the inspector --------------------------------------------------------------------------------
def gradient_flow(model, input, loss_fn, hx=None, jacobians: bool = True,
                  lstm_state: str = "hc") -> GradientFlow:
    """Per-step gradient norms and state-Jacobian singular values of a recurrent model.

    Args:
        model: ``RNN``, ``LSTM``, ``GRU`` or a ``Recurrent`` layer (``MUT``, ``HighwayRNN``).
        input: a batch in the model's layout ((T, N, I), or (N, T, I) if batch_first).
        loss_fn: function of the model output (same layout as ``model(input)[0]``) -> scalar
            Tensor, e.g. ``lambda out: ((out[-1] - y) ** 2).mean()`` for a last-step loss.
        hx: initial state as the model takes it (None = zeros).
        jacobians: also compute the singular values of ∂s_t/∂s_{t−1}.
        lstm_state: 'hc' (s = (h, c)) or 'h' (the ∂h_t/∂h_{t−1} block) for LSTMs.

    Returns:
        a ``GradientFlow``; parameter gradients are accumulated in the model as by a normal
        backward pass.
    """
    if lstm_state not in ("h", "hc"):
        raise ValueError(f"gradient_flow: lstm_state must be 'h' or 'hc', got {lstm_state!r}")
    cs = None
    if isinstance(model, RNNBase):
        output, inputs, hs, cs, init = unroll_rnn(model, input, hx)
    elif isinstance(model, Recurrent):
        output, _ = model(input, hx)
        hs = [list(model.last_hidden_states)]
    else:
        raise TypeError(
            f"gradient_flow: supports RNN, LSTM, GRU and Recurrent layers (MUT, HighwayRNN), "
            f"got {type(model).__name__}"
        )
    for seq in hs + (cs or []):
        for s in seq:
            s.retain_grad()
    loss = loss_fn(output)
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        raise ValueError("gradient_flow: loss_fn must return a scalar Tensor")
    loss.backward()

    def norms(seqs):
        return np.array([[0.0 if s.grad is None else float(np.linalg.norm(s.grad.array))
                          for s in seq] for seq in seqs])

    state = "hc" if cs is not None and lstm_state == "hc" else "h"
    sv = None
    if jacobians:
        if isinstance(model, RNNBase):
            sv = _rnnbase_jacobians(model, inputs, hs, cs, init, state)
        else:
            x = input.transpose(0, 1) if model.batch_first else input
            sv = _cell_jacobians(model, x, hs[0], hx)
    return GradientFlow(float(loss.item()), output, norms(hs),
                        norms(cs) if cs is not None else None, sv, state)


__all__ = ["GradientFlow", "gradient_flow", "numerical_state_jacobian", "rnn_step", "unroll_rnn"]
