"""The adding-problem model: one recurrent layer and a linear readout of its last state.

Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015 (the IRNN); the ``adding`` task.

    h_t = cell(x_t, h_{t-1}),  x_t = (value_t, marker_t);   ŷ = w · h_T + b

with an RNN (tanh), LSTM, GRU or IRNN cell, and the chrono initialisation of an LSTM's gate
biases (Tallec & Ollivier 2018).
"""
from __future__ import annotations

import numpy as np

from .. import nn
from .registry import load_weights, register

RECURRENT_LAYERS = ("rnn", "lstm", "gru", "irnn")


class AddingModel(nn.Module):
    """A recurrent layer over (T, N, 2) inputs and a linear readout of the last hidden state.

    ``irnn`` is ``nn.RNN(nonlinearity="relu")`` with W_hh = I and zero biases (Le et al. 2015).

    Shape: x (T, N, 2) -> y (N, 1)
    """

    def __init__(self, model: str = "lstm", hidden_size: int = 64):
        super().__init__()
        if model not in RECURRENT_LAYERS:
            raise ValueError(f"AddingModel: model must be one of {RECURRENT_LAYERS}, "
                             f"got {model!r}")
        if model == "lstm":
            self.rnn = nn.LSTM(2, hidden_size)
        elif model == "gru":
            self.rnn = nn.GRU(2, hidden_size)
        else:
            self.rnn = nn.RNN(2, hidden_size, nonlinearity="relu" if model == "irnn" else "tanh")
        if model == "irnn":  # Le et al.: W_hh = I, zero biases, W_ih ~ N(0, 0.001)
            nn.init.eye_(self.rnn.weight_hh_l0)
            nn.init.zeros_(self.rnn.bias_hh_l0)
            nn.init.zeros_(self.rnn.bias_ih_l0)
            nn.init.normal_(self.rnn.weight_ih_l0, 0.0, 1e-3)  # from the run's seeded generator
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, _ = self.rnn(x)                   # (T, N, H)
        return self.head(out[-1])              # (N, 1)


def chrono_init(lstm, t_max: int, rng: np.random.Generator) -> None:
    """Chrono initialisation (Tallec & Ollivier 2018) of a one-layer LSTM's gate biases.

    b_f = log(u), u ~ U(1, t_max − 1), and b_i = −b_f in ``bias_ih_l0``; the input and forget
    parts of ``bias_hh_l0`` are zeroed (the gate sees b_ih + b_hh). Gate order i, f, g, o.
    """
    if t_max < 3:
        raise ValueError(f"chrono_init: t_max must be >= 3, got {t_max}")
    h = lstm.hidden_size
    b_f = np.log(rng.uniform(1.0, t_max - 1.0, size=h))
    lstm.bias_ih_l0.array[h:2 * h] = b_f
    lstm.bias_ih_l0.array[:h] = -b_f
    lstm.bias_hh_l0.array[:2 * h] = 0.0


@register
def adding_rnn(*, weights=None, **kwargs):
    """Adding-problem model (keyword arguments of ``AddingModel``: model, hidden_size)."""
    return load_weights(AddingModel(**kwargs), weights)


__all__ = ["AddingModel", "RECURRENT_LAYERS", "adding_rnn", "chrono_init"]
