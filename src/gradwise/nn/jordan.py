"""Output-recurrence (Jordan) RNN: the only recurrence goes through the output.

Seed 003 ("Recurrence through only the output", Goodfellow et al. §10.2.1) and seed 002 ("RNN
with output recurrence"): the hidden units at time t see the *output* of time t−1, not the
previous hidden state,

    h_t = tanh(W_ih x_t + W_oh o_{t−1} + b_h)
    o_t = act(W_ho h_t + b_o)

so o is the only information the network sends to the future. It is less powerful than the
hidden-recurrence RNN but easier to train: with teacher forcing, the fed-back o_{t−1} is
replaced by the target y_{t−1}, the time steps decouple and training needs no BPTT through the
feedback path.

Parameter names: weight_ih (H, I), weight_oh (H, O), bias_h (H,), weight_ho (O, H),
bias_o (O,), all U(−1/√H, 1/√H) like PyTorch's recurrent layers.
"""
from __future__ import annotations

import numpy as np

from .. import functional as F
from ..core.checks import check_positive_int
from ..core.tensor import Tensor
from .module import Module
from .recurrent_family import (
    check_sequence_input, new_param, owner_name, param_dtype, uniform_init,
)

_ACTIVATIONS = {
    "identity": lambda a: a,
    "tanh": F.tanh,
    "sigmoid": F.sigmoid,
    "softmax": lambda a: F.softmax(a, -1),
}


class JordanRNN(Module):
    """Jordan network: hidden units driven by the input and the previous output.

    Args:
        input_size, hidden_size, output_size: sizes of x_t, h_t and o_t.
        output_activation: 'identity' (regression), 'tanh', 'sigmoid' or 'softmax'
            (classification; the fed-back o_{t−1} is then a probability vector).
        batch_first: (N, T, ·) input and output.

    Shape:
        input (T, N, input_size); o0 (N, output_size) or None (zeros);
        teacher (T, N, output_size) or None
        -> output (T, N, output_size), hidden (T, N, hidden_size)

    With ``teacher`` (teacher forcing), step t > 0 is fed teacher[t−1] instead of o_{t−1}.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 output_activation: str = "identity", batch_first: bool = False, dtype=None):
        super().__init__()
        check_positive_int("JordanRNN", input_size=input_size, hidden_size=hidden_size,
                           output_size=output_size)
        if output_activation not in _ACTIVATIONS:
            raise ValueError(
                f"JordanRNN: output_activation must be one of {sorted(_ACTIVATIONS)}, "
                f"got {output_activation!r}"
            )
        self.input_size, self.hidden_size, self.output_size = input_size, hidden_size, output_size
        self.output_activation, self.batch_first = output_activation, bool(batch_first)
        self.weight_ih = new_param((hidden_size, input_size), dtype)
        self.weight_oh = new_param((hidden_size, output_size), dtype)
        self.bias_h = new_param((hidden_size,), dtype)
        self.weight_ho = new_param((output_size, hidden_size), dtype)
        self.bias_o = new_param((output_size,), dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        uniform_init(self.parameters(), self.hidden_size)

    def forward(self, input, o0=None, teacher=None):
        owner = owner_name(self)
        x = check_sequence_input(owner, input, self.input_size, self.batch_first,
                                 param_dtype(self))
        T, N = x.shape[0], x.shape[1]
        if o0 is None:
            o0 = Tensor(np.zeros((N, self.output_size), x.dtype))
        elif tuple(o0.shape) != (N, self.output_size):
            raise ValueError(f"{owner}: expected o0 ({N}, {self.output_size}), got {tuple(o0.shape)}")
        if teacher is not None:
            teacher = teacher.transpose(0, 1) if self.batch_first else teacher
            if tuple(teacher.shape) != (T, N, self.output_size):
                raise ValueError(
                    f"{owner}: expected teacher (T, N, O) = {(T, N, self.output_size)} "
                    f"(time-major after batch_first), got {tuple(teacher.shape)}"
                )
        act = _ACTIVATIONS[self.output_activation]
        xw = F.linear(x, self.weight_ih, self.bias_h)  # input projection for all steps (T, N, H)
        outs, hs, fed = [], [], o0
        for t in range(T):
            if t > 0:
                fed = teacher[t - 1] if teacher is not None else outs[-1]
            h = F.tanh(xw[t] + F.linear(fed, self.weight_oh))  # h_t = tanh(W x + W_oh o_{t−1} + b)
            hs.append(h)
            outs.append(act(F.linear(h, self.weight_ho, self.bias_o)))
        out, hid = F.stack(outs, 0), F.stack(hs, 0)
        if self.batch_first:
            return out.transpose(0, 1), hid.transpose(0, 1)
        return out, hid

    def extra_repr(self) -> str:
        return (f"input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"output_size={self.output_size}, output_activation={self.output_activation!r}")


__all__ = ["JordanRNN"]
