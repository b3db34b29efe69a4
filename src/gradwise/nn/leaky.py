"""Leaky-integrator units, multiple time scales and skip connections in time (seed 002).

Seed 002, "Solution 2: Leaky units": make some paths through time shorter so that gradients
vanish or explode in O(λ^{T/τ}) instead of O(λ^T).

Leaky integrators (Goodfellow et al. §10.9.2): each unit j keeps a running average of its own
update with its time constant τ_j ≥ 1 (α_j = 1/τ_j),

    h̃_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
    h_t = (1 − α) ⊙ h_{t−1} + α ⊙ h̃_t

τ_j = 1 is the plain Elman unit; τ_j ≫ 1 remembers for about τ_j steps, and ∂h_t/∂h_{t−1}
contains the identity part (1 − α). Units with different τ give multiple time scales
(``multiscale_time_constants``).

Skip connections in time (Lin et al. 1996): the state at t also reads the state d steps back,

    h_t = tanh(W_ih x_t + b + Σ_{d ∈ delays} W_hh^(d) h_{t−d})

and removing the direct d = 1 connection (``delays=(d,)``) gives the seed's "variant with direct
recurrent connections removed": d interleaved chains, each seeing every d-th step.
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


def multiscale_time_constants(hidden_size: int, scales=(1.0, 4.0, 16.0)) -> np.ndarray:
    """Time constants for ``hidden_size`` units split into equal groups, one per scale.

    Returns: τ (hidden_size,), e.g. (1, 1, 4, 4, 16, 16) for 6 units and scales (1, 4, 16);
    the first ``hidden_size % len(scales)`` groups get one unit more.
    """
    check_positive_int("multiscale_time_constants", hidden_size=hidden_size)
    scales = np.asarray(scales, dtype=np.float64)
    if scales.ndim != 1 or scales.size == 0 or np.any(scales < 1):
        raise ValueError(f"multiscale_time_constants: scales must be ≥ 1, got {scales.tolist()}")
    counts = np.full(scales.size, hidden_size // scales.size)
    counts[: hidden_size % scales.size] += 1
    return np.repeat(scales, counts)


def _check_h0(owner, h0, n, hidden_size):
    if h0 is None:
        return None
    if tuple(h0.shape) != (1, n, hidden_size):
        raise ValueError(f"{owner}: expected h0 (1, {n}, {hidden_size}), got {tuple(h0.shape)}")
    return h0[0]


class LeakyRNN(Module):
    """An Elman layer of leaky-integrator units with per-unit time constants.

    Args:
        input_size, hidden_size: sizes of x_t and h_t.
        time_constants: τ ≥ 1, a scalar or one per unit (see ``multiscale_time_constants``);
            stored as the buffer ``alpha`` = 1/τ, not learned.
        bias: learn b_ih and b_hh.
        batch_first: (N, T, ·) input and output.

    Shape:
        input (T, N, input_size), h0 (1, N, hidden_size) or None
        -> output (T, N, hidden_size), h_n (1, N, hidden_size)

    Parameters (PyTorch's ``nn.RNN`` names and init, so α = 1 is exactly ``nn.RNN``):
        weight_ih_l0 (H, I), weight_hh_l0 (H, H), bias_ih_l0, bias_hh_l0 (H,).
    """

    def __init__(self, input_size: int, hidden_size: int, time_constants=1.0, bias: bool = True,
                 batch_first: bool = False, dtype=None):
        super().__init__()
        check_positive_int("LeakyRNN", input_size=input_size, hidden_size=hidden_size)
        tau = np.asarray(time_constants, dtype=np.float64)
        if tau.ndim == 0:
            tau = np.full(hidden_size, float(tau))
        if tau.shape != (hidden_size,) or np.any(~np.isfinite(tau)) or np.any(tau < 1):
            raise ValueError(
                f"LeakyRNN: time_constants must be ≥ 1, a scalar or ({hidden_size},); "
                f"got {np.asarray(time_constants).tolist()}"
            )
        self.input_size, self.hidden_size = input_size, hidden_size
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.weight_ih_l0 = new_param((hidden_size, input_size), dtype)
        self.weight_hh_l0 = new_param((hidden_size, hidden_size), dtype)
        if bias:
            self.bias_ih_l0 = new_param((hidden_size,), dtype)
            self.bias_hh_l0 = new_param((hidden_size,), dtype)
        else:
            self.register_parameter("bias_ih_l0", None)
            self.register_parameter("bias_hh_l0", None)
        self.register_buffer("alpha", Tensor((1.0 / tau).astype(self.weight_ih_l0.dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        uniform_init(self.parameters(), self.hidden_size)

    @property
    def time_constants(self) -> np.ndarray:
        return 1.0 / self.alpha.array

    def forward(self, input, h0=None):
        owner = owner_name(self)
        x = check_sequence_input(owner, input, self.input_size, self.batch_first,
                                 param_dtype(self))
        h = _check_h0(owner, h0, x.shape[1], self.hidden_size)
        if h is None:
            h = Tensor(np.zeros((x.shape[1], self.hidden_size), x.dtype))
        xw = F.linear(x, self.weight_ih_l0, self.bias_ih_l0)  # all steps at once (T, N, H)
        alpha = self.alpha.array
        keep = 1.0 - alpha
        hs = []
        for t in range(x.shape[0]):
            cand = F.tanh(xw[t] + F.linear(h, self.weight_hh_l0, self.bias_hh_l0))
            h = h * keep + cand * alpha  # h_t = (1 − α) ⊙ h_{t−1} + α ⊙ h̃_t
            hs.append(h)
        out = F.stack(hs, 0)
        return (out.transpose(0, 1) if self.batch_first else out), h.unsqueeze(0)

    def extra_repr(self) -> str:
        tau = np.unique(self.time_constants.round(6))
        return (f"input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"time_constants={tau.tolist()}, bias={self.bias}")


class SkipRNN(Module):
    """Elman layer with recurrent connections of several delays (skip connections in time).

    Args:
        input_size, hidden_size: sizes of x_t and h_t.
        delays: the recurrent delays d (distinct positive ints); (1,) is the Elman RNN,
            (1, d) adds a skip of length d, (d,) removes the direct connections.
        bias: learn b.
        batch_first: (N, T, ·) input and output.

    Shape:
        input (T, N, input_size), h0 (1, N, hidden_size) or None (h_{t−d} = h0 for t − d ≤ 0)
        -> output (T, N, hidden_size), h_n (1, N, hidden_size)

    Parameters:
        weight_ih (H, I), bias (H,), weight_hh_d{d} (H, H) for each delay: U(−1/√H, 1/√H).
    """

    def __init__(self, input_size: int, hidden_size: int, delays=(1, 2), bias: bool = True,
                 batch_first: bool = False, dtype=None):
        super().__init__()
        check_positive_int("SkipRNN", input_size=input_size, hidden_size=hidden_size)
        delays = tuple(int(d) for d in np.atleast_1d(delays))
        if not delays or len(set(delays)) != len(delays) or min(delays) < 1:
            raise ValueError(f"SkipRNN: delays must be distinct positive ints, got {delays}")
        self.input_size, self.hidden_size, self.delays = input_size, hidden_size, delays
        self.batch_first = bool(batch_first)
        self.weight_ih = new_param((hidden_size, input_size), dtype)
        if bias:
            self.bias = new_param((hidden_size,), dtype)
        else:
            self.register_parameter("bias", None)
        for d in delays:
            setattr(self, f"weight_hh_d{d}", new_param((hidden_size, hidden_size), dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        uniform_init(self.parameters(), self.hidden_size)

    def forward(self, input, h0=None):
        owner = owner_name(self)
        x = check_sequence_input(owner, input, self.input_size, self.batch_first,
                                 param_dtype(self))
        h_init = _check_h0(owner, h0, x.shape[1], self.hidden_size)
        if h_init is None:
            h_init = Tensor(np.zeros((x.shape[1], self.hidden_size), x.dtype))
        xw = F.linear(x, self.weight_ih, self.bias)  # (T, N, H)
        hs = []
        for t in range(x.shape[0]):
            a = xw[t]
            for d in self.delays:  # Σ_d W^(d) h_{t−d}
                prev = hs[t - d] if t - d >= 0 else h_init
                a = a + F.linear(prev, getattr(self, f"weight_hh_d{d}"))
            hs.append(F.tanh(a))
        out = F.stack(hs, 0)
        return (out.transpose(0, 1) if self.batch_first else out), hs[-1].unsqueeze(0)

    def extra_repr(self) -> str:
        return (f"input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"delays={self.delays}")


__all__ = ["LeakyRNN", "SkipRNN", "multiscale_time_constants"]
