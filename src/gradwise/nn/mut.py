"""MUT1, MUT2, MUT3 (Jozefowicz et al. 2015) and a highway-gated residual recurrent cell.

The MUT cells are the three best architectures found by Jozefowicz, Zaremba and Sutskever's
search over GRU-like cells ("An Empirical Exploration of Recurrent Network Architectures",
ICML 2015). Formulas exactly as in seed 000 (chapter 5.2.6), with h_t the previous state:

MUT1:   z = σ(W_xz x_t + b_z)
        r = σ(W_xr x_t + W_hr h_t + b_r)
        h_{t+1} = tanh(W_hh (r ⊙ h_t) + tanh(x_t) + b_h) ⊙ z + h_t ⊙ (1 − z)

MUT2:   z = σ(W_xz x_t + W_hz h_t + b_z)
        r = σ(x_t + W_hr h_t + b_r)
        h_{t+1} = tanh(W_hh (r ⊙ h_t) + W_xh x_t + b_h) ⊙ z + h_t ⊙ (1 − z)

MUT3:   z = σ(W_xz x_t + W_hz tanh(h_t) + b_z)
        r = σ(W_xr x_t + W_hr h_t + b_r)
        h_{t+1} = tanh(W_hh (r ⊙ h_t) + W_xh x_t + b_h) ⊙ z + h_t ⊙ (1 − z)

MUT1's tanh(x_t) and MUT2's reset gate add x_t to a hidden-size vector, so those two cells need
input_size == hidden_size (as in the paper, where x_t is an embedding of the hidden size).

Highway (seed 000, "In between: Highway Networks", Srivastava et al. 2015):
        g = T(x, W_T),  y = g ⊙ H(x, W_H) + (1 − g) ⊙ x
applied in time as a recurrent highway cell (Zilly et al. 2017, coupled carry gate), with
``depth`` highway layers per time step, s_0 = h_{t−1}:
        H_l = tanh(W_H x_t [l = 1] + R_H^l s_{l−1} + b_H^l)
        T_l = σ(W_T x_t [l = 1] + R_T^l s_{l−1} + b_T^l)
        s_l = T_l ⊙ H_l + (1 − T_l) ⊙ s_{l−1}           h_t = s_depth

Parameter names follow the formulas (``weight_xz`` is W_xz, shape (hidden, input)); every
weight and bias is initialised U(−1/√H, 1/√H) like PyTorch's recurrent cells.
"""
from __future__ import annotations

from .. import functional as F
from ..core.checks import check_positive_int
from .module import Module
from .recurrent_family import (
    Recurrent, check_step_input, new_param, owner_name, param_dtype, uniform_init,
)

_SHAPES = {
    # the weights W_ab of each variant, named as in the formulas (a = x: shape (H, I))
    1: ("xz", "xr", "hr", "hh"),
    2: ("xz", "hz", "hr", "hh", "xh"),
    3: ("xz", "hz", "xr", "hr", "hh", "xh"),
}


class _MUTCell(Module):
    variant = 0

    def __init__(self, input_size: int, hidden_size: int, dtype=None):
        super().__init__()
        name = type(self).__name__
        check_positive_int(name, input_size=input_size, hidden_size=hidden_size)
        if self.variant in (1, 2) and input_size != hidden_size:
            raise ValueError(
                f"{name}: the formula adds x_t to a hidden-size vector, so input_size must equal "
                f"hidden_size; got input_size={input_size}, hidden_size={hidden_size}"
            )
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        for w in _SHAPES[self.variant]:
            cols = input_size if w[0] == "x" else hidden_size
            setattr(self, f"weight_{w}", new_param((hidden_size, cols), dtype))
        for b in ("z", "r", "h"):
            setattr(self, f"bias_{b}", new_param((hidden_size,), dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        uniform_init(self.parameters(), self.hidden_size)

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}"

    def _update(self, x, h, z, r, x_term):
        """h_{t+1} = tanh(W_hh (r ⊙ h) + x_term + b_h) ⊙ z + h ⊙ (1 − z)."""
        cand = F.tanh(F.linear(r * h, self.weight_hh) + x_term + self.bias_h)
        return cand * z + h * (1.0 - z)


class MUT1Cell(_MUTCell):
    """MUT1 step (see the module docstring for the equations).

    Shape: input (N, input_size), hx (N, hidden_size) or None -> h' (N, hidden_size)
    """

    variant = 1

    def forward(self, input, hx=None):
        h = check_step_input(owner_name(self), input, self.input_size, hx, self.hidden_size,
                             param_dtype(self))
        z = F.sigmoid(F.linear(input, self.weight_xz, self.bias_z))
        r = F.sigmoid(F.linear(input, self.weight_xr) + F.linear(h, self.weight_hr, self.bias_r))
        return self._update(input, h, z, r, F.tanh(input))


class MUT2Cell(_MUTCell):
    """MUT2 step (see the module docstring for the equations).

    Shape: input (N, input_size), hx (N, hidden_size) or None -> h' (N, hidden_size)
    """

    variant = 2

    def forward(self, input, hx=None):
        h = check_step_input(owner_name(self), input, self.input_size, hx, self.hidden_size,
                             param_dtype(self))
        z = F.sigmoid(F.linear(input, self.weight_xz) + F.linear(h, self.weight_hz, self.bias_z))
        r = F.sigmoid(input + F.linear(h, self.weight_hr, self.bias_r))
        return self._update(input, h, z, r, F.linear(input, self.weight_xh))


class MUT3Cell(_MUTCell):
    """MUT3 step (see the module docstring for the equations).

    Shape: input (N, input_size), hx (N, hidden_size) or None -> h' (N, hidden_size)
    """

    variant = 3

    def forward(self, input, hx=None):
        h = check_step_input(owner_name(self), input, self.input_size, hx, self.hidden_size,
                             param_dtype(self))
        z = F.sigmoid(F.linear(input, self.weight_xz)
                      + F.linear(F.tanh(h), self.weight_hz, self.bias_z))
        r = F.sigmoid(F.linear(input, self.weight_xr) + F.linear(h, self.weight_hr, self.bias_r))
        return self._update(input, h, z, r, F.linear(input, self.weight_xh))


class HighwayRNNCell(Module):
    """Recurrent highway cell: ``depth`` highway layers per step, coupled carry gate 1 − T.

    Args:
        input_size, hidden_size: sizes of x_t and h_t.
        depth: number of highway layers L between h_{t−1} and h_t (1 = one gated residual).
        transform_bias: initial value of the T-gate biases b_T; negative values start the cell
            close to carrying its state (T ≈ σ(b_T) small), as Srivastava et al. recommend.

    Shape: input (N, input_size), hx (N, hidden_size) or None -> h' (N, hidden_size)

    Parameters:
        weight_xh, weight_xt (hidden, input): W_H, W_T (first layer only);
        weight_hh_l{l}, weight_ht_l{l} (hidden, hidden): R_H^l, R_T^l;
        bias_h_l{l}, bias_t_l{l} (hidden,).
    """

    def __init__(self, input_size: int, hidden_size: int, depth: int = 1,
                 transform_bias: float = -1.0, dtype=None):
        super().__init__()
        check_positive_int("HighwayRNNCell", input_size=input_size, hidden_size=hidden_size,
                           depth=depth)
        self.input_size, self.hidden_size, self.depth = int(input_size), int(hidden_size), int(depth)
        self.transform_bias = float(transform_bias)
        self.weight_xh = new_param((hidden_size, input_size), dtype)
        self.weight_xt = new_param((hidden_size, input_size), dtype)
        for l in range(depth):
            setattr(self, f"weight_hh_l{l}", new_param((hidden_size, hidden_size), dtype))
            setattr(self, f"weight_ht_l{l}", new_param((hidden_size, hidden_size), dtype))
            setattr(self, f"bias_h_l{l}", new_param((hidden_size,), dtype))
            setattr(self, f"bias_t_l{l}", new_param((hidden_size,), dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        uniform_init(self.parameters(), self.hidden_size)
        for l in range(self.depth):
            getattr(self, f"bias_t_l{l}").array[...] = self.transform_bias

    def forward(self, input, hx=None):
        s = check_step_input(owner_name(self), input, self.input_size, hx, self.hidden_size,
                             param_dtype(self))
        for l in range(self.depth):
            a_h = F.linear(s, getattr(self, f"weight_hh_l{l}"), getattr(self, f"bias_h_l{l}"))
            a_t = F.linear(s, getattr(self, f"weight_ht_l{l}"), getattr(self, f"bias_t_l{l}"))
            if l == 0:
                a_h = a_h + F.linear(input, self.weight_xh)
                a_t = a_t + F.linear(input, self.weight_xt)
            t = F.sigmoid(a_t)
            s = t * F.tanh(a_h) + (1.0 - t) * s  # y = g ⊙ H + (1 − g) ⊙ x
        return s

    def extra_repr(self) -> str:
        return (f"input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"depth={self.depth}")


_CELLS = {1: MUT1Cell, 2: MUT2Cell, 3: MUT3Cell}


class MUT(Recurrent):
    """A MUT1/MUT2/MUT3 layer over a whole sequence (``torch.nn.GRU``-style call).

    Args:
        input_size, hidden_size: sizes of x_t and h_t.
        variant: 1, 2 or 3.
        batch_first: (N, T, ·) input and output.

    Shape:
        input (T, N, input_size), h0 (1, N, hidden_size) or None
        -> output (T, N, hidden_size), h_n (1, N, hidden_size)
    """

    def __init__(self, input_size: int, hidden_size: int, variant: int = 1,
                 batch_first: bool = False, dtype=None):
        if variant not in _CELLS:
            raise ValueError(f"MUT: variant must be 1, 2 or 3, got {variant!r}")
        super().__init__(_CELLS[variant](input_size, hidden_size, dtype=dtype), batch_first)
        self.variant = variant

    def extra_repr(self) -> str:
        return f"variant={self.variant}, batch_first={self.batch_first}"


class HighwayRNN(Recurrent):
    """A recurrent highway layer over a whole sequence; arguments as ``HighwayRNNCell``.

    Shape:
        input (T, N, input_size), h0 (1, N, hidden_size) or None
        -> output (T, N, hidden_size), h_n (1, N, hidden_size)
    """

    def __init__(self, input_size: int, hidden_size: int, depth: int = 1,
                 transform_bias: float = -1.0, batch_first: bool = False, dtype=None):
        super().__init__(HighwayRNNCell(input_size, hidden_size, depth, transform_bias, dtype),
                         batch_first)


__all__ = ["MUT1Cell", "MUT2Cell", "MUT3Cell", "MUT", "HighwayRNNCell", "HighwayRNN"]
