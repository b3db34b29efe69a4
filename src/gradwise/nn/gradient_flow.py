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
  For RNN/LSTM/GRU exact, in float64, by backward passes through the functional cell (row j of
  J is the gradient of s_t[j], all rows of all steps in one batched pass); central finite
  differences in float64 for any step cell (``Recurrent`` layers such as MUT).

The unroll is made of the library's own kernels (``functional.rnn_cell``, ``gru_cell``, and
``lstm_sequence`` for one step, which also takes the projection), so no cell equation is written
twice. A fused LSTM step computes h_t and c_t side by side, so the gradient it hands c_{t−1} is
f_t ⊙ ∂L/∂c_t with the path through h_t = o_t ⊙ tanh(c_t) included (PyTorch's ``c_t.grad``),
and f_t = ∂c_t/∂c_{t−1} (no peepholes); ``cell_grad_norms`` divides the one by the other.

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
from ..functional.gru import gru_cell
from ..functional.lstm import lstm_sequence
from ..functional.rnn import rnn_cell
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


# -- one step of RNN / LSTM / GRU: the functional cells ------------------------------------------
def rnn_step(mode, weights, x, h, c=None, reset_after=True):
    """One step of the RNNBase recurrences; returns (h', c') (c' is None except for LSTM).

    The functional cells: ``rnn_cell``, ``gru_cell``, and ``lstm_sequence`` over one step (it
    takes the projection W_hr).

    Shape: x (N, I), h (N, H_out), c (N, H) -> h' (N, H_out), c' (N, H)
    """
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    if mode == "LSTM":
        _, h_new, c_new = lstm_sequence(x.reshape(1, *x.shape), h, c, w_ih, w_hh, b_ih, b_hh, w_hr)
        return h_new, c_new
    if mode == "GRU":
        return gru_cell(x, h, w_ih, w_hh, b_ih, b_hh, reset_after=reset_after), None
    nonlinearity = "tanh" if mode == "RNN_TANH" else "relu"
    return rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlinearity), None


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


# -- Jacobians ∂s_t/∂s_{t−1} and cell gradients, by backward passes through the cells ---
def state_jacobian(step, x, s):
    """Exact Jacobian of s' = step(x, s) for every sample, in one batched backward pass.

    Args:
        step: function of Tensors x (M, I), s (M, S) -> s' (M, S).
        x (N, I), s (N, S): NumPy arrays, the point.

    Returns: J (N, S, S) with J[n, j] = ∂s'_j/∂s: copy j of sample n backpropagates e_j.
    """
    N, S = s.shape
    ss = Tensor(np.repeat(s, S, axis=0), requires_grad=True)               # (N·S, S)
    out = step(Tensor(np.repeat(x, S, axis=0)), ss)
    out.backward(np.tile(np.eye(S, dtype=out.dtype), (N, 1)))
    return ss.grad.array.reshape(N, S, S)


def _started_from(seq, init, reverse):
    """The state every step t started from, as one (T·N, ·) float64 array."""
    arrays = [v.array for v in seq]
    prev = arrays[1:] + [init.array] if reverse else [init.array] + arrays[:-1]
    return np.concatenate(prev).astype(np.float64)


def _layer_steps(model, inputs, hs, cs, init):
    """Per layer/direction: (k, float64 weights, x, h_prev, c_prev), steps stacked (T·N, ·)."""
    D = 2 if model.bidirectional else 1
    for layer in range(model.num_layers):
        x = inputs[layer].array.astype(np.float64)
        x = x.reshape(-1, x.shape[-1])                                       # (T·N, I)
        for direction in range(D):
            k = layer * D + direction
            w = [_as64(p) for p in model._weights(layer, direction)]
            h_prev = _started_from(hs[k], init[k][0], direction)
            c_prev = _started_from(cs[k], init[k][1], direction) if cs is not None else None
            yield k, w, x, h_prev, c_prev


def _rnnbase_jacobians(model, inputs, hs, cs, init, state):
    T, N = len(hs[0]), hs[0][0].shape[0]
    out = []
    for _, w, x, h_prev, c_prev in _layer_steps(model, inputs, hs, cs, init):
        if model.mode == "LSTM" and state == "hc":
            P = h_prev.shape[1]

            def step(xb, sb):
                return F.cat(rnn_step("LSTM", w, xb, sb[:, :P], sb[:, P:]), dim=1)

            s = np.concatenate([h_prev, c_prev], 1)
        elif model.mode == "LSTM":                         # ∂h_t/∂h_{t−1} at fixed c_{t−1}
            c_fixed = Tensor(np.repeat(c_prev, h_prev.shape[1], axis=0))

            def step(xb, sb):
                return rnn_step("LSTM", w, xb, sb, c_fixed)[0]

            s = h_prev
        else:
            def step(xb, sb):
                return rnn_step(model.mode, w, xb, sb, None, model.reset_after)[0]

            s = h_prev
        J = state_jacobian(step, x, s)                                       # (T·N, S, S)
        out.append(np.linalg.svd(J, compute_uv=False).reshape(T, N, -1))
    return np.stack(out)  # (K, T, N, S)


def _grad_into_c(w, x, h_prev, c_prev, dh, dc):
    """The gradient an LSTM step hands c_{t−1} for output gradients (dh, dc) on (h_t, c_t)."""
    c = Tensor(c_prev, requires_grad=True)
    h_new, c_new = rnn_step("LSTM", w, Tensor(x), Tensor(h_prev), c)
    ((h_new * Tensor(dh)).sum() + (c_new * Tensor(dc)).sum()).backward()
    return c.grad.array


def _cell_grad_norms(model, inputs, hs, cs, init):
    """‖∂L/∂c_t‖ (PyTorch's c_t.grad): (f_t ⊙ ∂L/∂c_t) / f_t, two passes through the step."""
    def grads(seq, like):
        return np.concatenate([np.zeros_like(v.array) if v.grad is None else v.grad.array
                               for v in seq]).astype(np.float64).reshape(like.shape)

    T = len(hs[0])
    out = []
    for k, w, x, h_prev, c_prev in _layer_steps(model, inputs, hs, cs, init):
        dh, dc = grads(hs[k], h_prev), grads(cs[k], c_prev)
        dc_next = _grad_into_c(w, x, h_prev, c_prev, dh, dc)                 # f_t ⊙ ∂L/∂c_t
        forget = _grad_into_c(w, x, h_prev, c_prev, np.zeros_like(dh), np.ones_like(dc))
        total = (dc_next / forget).reshape(T, -1, c_prev.shape[1])           # ∂L/∂c_t
        out.append(np.linalg.norm(total.reshape(T, -1), axis=1))
    return np.stack(out)  # (K, T)


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
    cell_norms = _cell_grad_norms(model, inputs, hs, cs, init) if cs is not None else None
    return GradientFlow(float(loss.item()), output, norms(hs), cell_norms, sv, state)


__all__ = ["GradientFlow", "gradient_flow", "numerical_state_jacobian", "rnn_step", "state_jacobian",
           "unroll_rnn"]
