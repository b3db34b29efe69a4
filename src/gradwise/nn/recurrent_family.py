"""Shared pieces of the RNN-family layers of the notes (MUT, highway, Jordan, leaky, recursive).

``Recurrent`` turns any step cell ``h_t = cell(x_t, h_{t−1})`` into a sequence layer with
PyTorch's RNN calling convention, and ``unroll`` is the loop behind it. These layers compose
``functional`` ops step by step (autograd records every step), which is what the gradient-flow
inspector needs: the per-step hidden states are real graph nodes that can ``retain_grad()``.
The fused whole-sequence kernels for RNN/LSTM/GRU live in ``functional/rnn.py``.
"""
from __future__ import annotations

import math

import numpy as np

from .. import functional as F
from ..core.checks import check_dtype, check_shape
from ..core.dtype import get_default_dtype
from ..core.tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


def owner_name(module) -> str:
    """One-line name for error messages, e.g. ``MUT1Cell(input_size=3, hidden_size=3)``."""
    return f"{type(module).__name__}({module.extra_repr()})"


def new_param(shape, dtype=None) -> Parameter:
    dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
    return Parameter(np.empty(shape, dtype))


def uniform_init(params, hidden_size: int) -> None:
    """PyTorch's RNN default: every weight and bias ~ U(−1/√H, 1/√H)."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for p in params:
        init.uniform_(p, -bound, bound)


def param_dtype(module):
    """The dtype of a module's parameters (the dtype its input must have)."""
    return next(iter(module.parameters())).dtype


def check_step_input(owner: str, x, input_size: int, hx, hidden_size: int, dtype=None):
    """Validate a cell's (x, h) and return h (zeros when hx is None).

    Shape: x (N, input_size), hx (N, hidden_size) or None; x of ``dtype`` when given.
    """
    check_shape(owner, "input", x, ("N", input_size))
    if dtype is not None:
        check_dtype(owner, "input", x, dtype)
    if hx is None:
        return Tensor(np.zeros((x.shape[0], hidden_size), x.dtype))
    check_shape(owner, "hidden state", hx, (x.shape[0], hidden_size))
    return hx


def check_sequence_input(owner: str, x, input_size: int, batch_first: bool, dtype=None):
    """Validate (T, N, D) / (N, T, D) input (of ``dtype`` when given); return it time-major."""
    check_shape(owner, "input", x, ("N", "T", input_size) if batch_first else ("T", "N", input_size))
    if dtype is not None:
        check_dtype(owner, "input", x, dtype)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{owner}: empty sequence or batch, got input {tuple(x.shape)}")
    return x.transpose(0, 1) if batch_first else x


def unroll(cell, x, hx=None):
    """Run ``cell`` over time: h_t = cell(x_t, h_{t−1}).

    Args:
        cell: a Module with forward(x_t (N, D), h (N, H) or None) -> h_t (N, H).
        x: time-major input (T, N, D).
        hx: initial state (N, H) or None (zeros).

    Returns:
        the list of per-step states [h_1, ..., h_T], each a graph node (N, H).
    """
    hs, h = [], hx
    for t in range(x.shape[0]):
        h = cell(x[t], h)
        hs.append(h)
    return hs


class Recurrent(Module):
    """A sequence layer from a step cell, with ``torch.nn.RNN``'s calling convention.

    Args:
        cell: the step Module (must have ``input_size`` and ``hidden_size`` attributes).
        batch_first: input and output are (N, T, ·) instead of (T, N, ·).

    Shape:
        input (T, N, input_size), h0 (1, N, hidden_size) or None
        -> output (T, N, hidden_size), h_n (1, N, hidden_size)

    ``last_hidden_states`` keeps the per-step states of the last call (graph nodes, for
    ``retain_grad()``).
    """

    def __init__(self, cell: Module, batch_first: bool = False):
        super().__init__()
        self.cell = cell
        self.batch_first = bool(batch_first)
        self.input_size, self.hidden_size = cell.input_size, cell.hidden_size
        self.last_hidden_states = []

    def forward(self, input, h0=None):
        x = check_sequence_input(owner_name(self), input, self.input_size, self.batch_first,
                                 param_dtype(self))
        if h0 is not None:
            if tuple(h0.shape) != (1, x.shape[1], self.hidden_size):
                raise ValueError(
                    f"{owner_name(self)}: expected h0 (1, {x.shape[1]}, {self.hidden_size}), "
                    f"got {tuple(h0.shape)}"
                )
            h0 = h0[0]
        hs = unroll(self.cell, x, h0)
        self.last_hidden_states = hs
        out = F.stack(hs, 0)  # (T, N, H)
        return (out.transpose(0, 1) if self.batch_first else out), hs[-1].unsqueeze(0)

    def extra_repr(self) -> str:
        return f"batch_first={self.batch_first}"
