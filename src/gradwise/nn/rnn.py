"""Recurrent layers with PyTorch's API: RNN, LSTM, GRU and the cells RNNCell, LSTMCell, GRUCell.

Each layer direction is one fused op from ``gradwise.functional`` (``rnn_sequence``,
``lstm_sequence``, ``gru_sequence``): the input projection of all steps is one GEMM, the time
loop one GEMM per step, and BPTT is hand-written. The modules only arrange the layers and
directions, handle batch_first, unbatched input and PackedSequence, and apply dropout between
layers. Parameter names, shapes, gate orders (LSTM i, f, g, o; GRU r, z, n) and the default
init U(−1/√H, 1/√H) are PyTorch's, so a PyTorch ``state_dict`` loads unchanged.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import functional as F
from ..core.dtype import get_default_dtype
from ..core.checks import check_int
from ..core.tensor import Tensor
from ..functional.rnn_common import pack_padded, pad_packed
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU (PyTorch's ``nn.RNNBase``).

    Args:
        mode: 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'.
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        proj_size: as in PyTorch. dropout applies to the outputs of every layer but the last,
            in training mode only.
        generator: np.random.Generator for that dropout (default: the library RNG,
            ``gw.manual_seed``); not in PyTorch, whose RNNs draw from the global generator.
        reset_after: GRU form (True: PyTorch/cuDNN; False: Cho et al. 2014 / the seeds).

    Parameters (per layer k, suffix ``_reverse`` for the backward direction):
        weight_ih_l{k} (G·H, input of layer k), weight_hh_l{k} (G·H, H or proj_size),
        bias_ih_l{k}, bias_hh_l{k} (G·H,), weight_hr_l{k} (proj_size, H) for LSTM projection;
        G = 1 (RNN), 4 (LSTM), 3 (GRU). All U(−1/√H, 1/√H).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0, device=None,
                 dtype=None, *, reset_after=True, generator=None):
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode!r}")
        check_int(name, "input_size", input_size, 0)
        check_int(name, "hidden_size", hidden_size, 1)
        check_int(name, "num_layers", num_layers, 1)
        check_int(name, "proj_size", proj_size, 0)
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout option adds dropout after all but last recurrent "
                          f"layer, so non-zero dropout expects num_layers greater than 1, but "
                          f"got dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN "
                             f"or GRU")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={proj_size}, hidden_size={hidden_size}")
        self.mode = mode
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.bias = int(num_layers), bool(bias)
        self.batch_first, self.dropout = bool(batch_first), float(dropout)
        self.bidirectional, self.proj_size = bool(bidirectional), int(proj_size)
        self.reset_after = bool(reset_after)
        self.generator = generator
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        G, H = _GATES[mode], self.hidden_size
        real_h = self.proj_size or H
        D = 2 if self.bidirectional else 1
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            layer_in = self.input_size if layer == 0 else real_h * D
            for direction in range(D):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (G * H, layer_in)), ("weight_hh", (G * H, real_h))]
                if self.bias:
                    shapes += [("bias_ih", (G * H,)), ("bias_hh", (G * H,))]
                if self.proj_size:
                    shapes.append(("weight_hr", (self.proj_size, H)))
                for pname, shape in shapes:
                    setattr(self, pname + sfx, Parameter(np.empty(shape, dtype)))
                    self._flat_weights_names.append(pname + sfx)
        self.reset_parameters()

    @property
    def _display_name(self):
        return type(self).__name__

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """No-op kept for PyTorch compatibility (there is no cuDNN weight buffer here)."""

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """Parameters grouped per layer and direction, as PyTorch's ``all_weights``."""
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def _weights(self, layer, direction):
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        get = lambda n: getattr(self, n + sfx, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    # -- input checks ----------------------------------------------------------------------------
    def _check_hidden(self, h, expected, what):
        if tuple(h.shape) != expected:
            raise ValueError(f"{self._display_name}: Expected {what} size {expected}, got "
                             f"{list(h.shape)}")

    def _prepare_input(self, input, hx):
        """-> (x (T, N, I), hx, batch_sizes, sorted_indices, unsorted_indices, batched)."""
        name = self._display_name
        if isinstance(input, PackedSequence):
            if input.data.ndim != 2:
                raise ValueError(f"{name}: packed input data must be 2-D (Σ lengths, "
                                 f"{self.input_size}), got {tuple(input.data.shape)}")
            x = pad_packed(input.data, input.batch_sizes)  # (T, B, I), sorted by length
            return (x, hx, input.batch_sizes, input.sorted_indices, input.unsorted_indices,
                    True)
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor or PackedSequence, got "
                            f"{type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        batched = input.ndim == 3
        hs = hx if isinstance(hx, (tuple, list)) else (hx,)
        for h in hs:
            if h is None:
                continue
            if batched and h.ndim != 3:
                raise ValueError(f"{name}: For batched 3-D input, hx should also be 3-D but got "
                                 f"{h.ndim}-D tensor")
            if not batched and h.ndim != 2:
                raise ValueError(f"{name}: For unbatched 2-D input, hx should also be 2-D but "
                                 f"got {h.ndim}-D tensor")
        if not batched:
            x = input.unsqueeze(1)  # (T, 1, I)
            if isinstance(hx, (tuple, list)):
                hx = tuple(h.unsqueeze(1) for h in hx)
            elif hx is not None:
                hx = hx.unsqueeze(1)
        else:
            x = input.transpose(0, 1) if self.batch_first else input
        return x, hx, None, None, None, batched

    # -- forward -----------------------------------------------------------------------------------
    def forward(self, input, hx=None):
        """Run all layers and directions.

        Returns:
            output: (T, N, D·H_out) (batch_first: (N, T, D·H_out)), or a PackedSequence;
            h_n: (D·num_layers, N, H_out); LSTM returns ``(output, (h_n, c_n))`` with
            c_n (D·num_layers, N, H). H_out = proj_size or hidden_size, D = 2 if bidirectional.
        """
        name = self._display_name
        is_lstm = self.mode == "LSTM"
        if is_lstm and hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise ValueError(f"{name}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        if not is_lstm and isinstance(hx, (tuple, list)):
            raise ValueError(f"{name}: hx must be a Tensor h_0, got a {type(hx).__name__}")
        x, hx, bs, sorted_idx, unsorted_idx, batched = self._prepare_input(input, hx)
        T, N, I = x.shape
        if T == 0:  # PyTorch: "Expected sequence length to be larger than 0 in RNN"
            raise ValueError(f"{name}: expected a sequence length larger than 0, got input of "
                             f"shape {tuple(input.shape)}")
        if I != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {I}")
        w0 = self.weight_ih_l0
        if x.dtype != w0.dtype:
            raise ValueError(f"{name}: input must have the type {w0.dtype} (the parameters' "
                             f"dtype), got type {x.dtype}")
        D = 2 if self.bidirectional else 1
        real_h = self.proj_size or self.hidden_size
        h0 = c0 = None
        if hx is not None:
            h0, c0 = hx if is_lstm else (hx, None)
            tag = "hidden[0]" if is_lstm else "hidden"
            self._check_hidden(h0, (self.num_layers * D, N, real_h), tag)
            if c0 is not None:
                self._check_hidden(c0, (self.num_layers * D, N, self.hidden_size), "hidden[1]")
            if sorted_idx is not None:  # the kernels see the length-sorted batch
                h0 = F.index_select(h0, 1, sorted_idx)
                c0 = F.index_select(c0, 1, sorted_idx) if c0 is not None else None
        h_n, c_n = [], []
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for direction in range(D):
                k = layer * D + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                h0k = h0[k] if h0 is not None else None
                rev = bool(direction)
                if is_lstm:
                    c0k = c0[k] if c0 is not None else None
                    y, hk, ck = F.lstm_sequence(layer_in, h0k, c0k, w_ih, w_hh, b_ih, b_hh, w_hr,
                                                batch_sizes=bs, reverse=rev)
                    c_n.append(ck)
                elif self.mode == "GRU":
                    y, hk = F.gru_sequence(layer_in, h0k, w_ih, w_hh, b_ih, b_hh, batch_sizes=bs,
                                           reverse=rev, reset_after=self.reset_after)
                else:
                    y, hk = F.rnn_sequence(layer_in, h0k, w_ih, w_hh, b_ih, b_hh,
                                           batch_sizes=bs, reverse=rev,
                                           nonlinearity="tanh" if self.mode == "RNN_TANH"
                                           else "relu")
                outs.append(y)
                h_n.append(hk)
            layer_in = outs[0] if D == 1 else F.cat(outs, dim=2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, p=self.dropout, training=True,
                                     generator=self.generator)
        output = layer_in
        h_n = F.stack(h_n, 0)
        c_n = F.stack(c_n, 0) if is_lstm else None
        if bs is not None:
            output = PackedSequence(pack_padded(output, bs), bs, sorted_idx, unsorted_idx)
            if unsorted_idx is not None:
                h_n = F.index_select(h_n, 1, unsorted_idx)
                c_n = F.index_select(c_n, 1, unsorted_idx) if is_lstm else None
        elif not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if is_lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if is_lstm else (output, h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity=relu"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.mode == "GRU" and not self.reset_after:
            s += ", reset_after=False"
        return s


class RNN(RNNBase):
    """Elman RNN, h_t = φ(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), φ = tanh or relu.

    Args:
        input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
        batch_first=False, dropout=0.0, bidirectional=False (PyTorch's signature).

    Shape:
        input (T, N, I) / (N, T, I) with batch_first / (T, I) unbatched / PackedSequence,
        h_0 (D·num_layers, N, H) -> output (T, N, D·H), h_n (D·num_layers, N, H)
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None,
                 *, generator=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype, generator=generator)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM with PyTorch's gate order i, f, g, o and optional projection (proj_size > 0).

        i, f, g, o = σ, σ, tanh, σ (x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)
        c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)   (then h_t W_hrᵀ with proj_size)

    Args:
        input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        bidirectional=False, proj_size=0 (PyTorch's signature).

    Shape:
        input (T, N, I), (h_0, c_0) ((D·L, N, H_out), (D·L, N, H))
        -> output (T, N, D·H_out), (h_n, c_n); H_out = proj_size or hidden_size
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None, *,
                 generator=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype,
                         generator=generator)


class GRU(RNNBase):
    """GRU with PyTorch's gate order r, z, n, in PyTorch's form or (reset_after=False) Cho's.

        reset_after=True:  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        reset_after=False: n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)  (seeds, Cho 2014)
        h' = (1 − z) ⊙ n + z ⊙ h

    reset_after is a gradwise extension (keyword-only); both forms use the same parameter
    names and shapes, the n-rows of weight_hh being the matrix applied to r ⊙ h when False.

    Shape: as RNN.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, *, reset_after=True,
                 generator=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype, reset_after=reset_after,
                         generator=generator)


# -- cells -------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Parameters and input checks shared by RNNCell, LSTMCell and GRUCell.

    Parameters: weight_ih (G·H, I), weight_hh (G·H, H), bias_ih, bias_hh (G·H,),
    all U(−1/√H, 1/√H).
    """

    def __init__(self, input_size, hidden_size, bias, num_chunks, dtype=None):
        super().__init__()
        name = type(self).__name__
        check_int(name, "input_size", input_size, 0)
        check_int(name, "hidden_size", hidden_size, 1)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        G = num_chunks * self.hidden_size
        self.weight_ih = Parameter(np.empty((G, self.input_size), dtype))
        self.weight_hh = Parameter(np.empty((G, self.hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(np.empty((G,), dtype))
            self.bias_hh = Parameter(np.empty((G,), dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _prepare(self, input, hx):
        """-> (input (N, I), list of states (N, H) or None, batched)."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has inconsistent input_size: got "
                             f"{input.shape[-1]} expected {self.input_size}")
        if input.dtype != self.weight_ih.dtype:
            raise ValueError(f"{name}: input must have the type {self.weight_ih.dtype}, got "
                             f"type {input.dtype}")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        states = list(hx) if isinstance(hx, (tuple, list)) else [hx]
        for k, h in enumerate(states):
            if h is None:
                continue
            if h.ndim != input.ndim - (0 if batched else 1):
                raise ValueError(f"{name}: hx[{k}] should be {'2' if batched else '1'}-D for "
                                 f"{'batched 2' if batched else 'unbatched 1'}-D input, got "
                                 f"{h.ndim}-D")
            if not batched:
                h = states[k] = h.unsqueeze(0)
            if h.shape[0] != input.shape[0]:
                raise ValueError(f"{name}: Input batch size {input.shape[0]} doesn't match "
                                 f"hidden{k} batch size {h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise ValueError(f"{name}: hidden{k} has inconsistent hidden_size: got "
                                 f"{h.shape[1]}, expected {self.hidden_size}")
        return input, states, batched

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        if not getattr(self, "reset_after", True):
            s += ", reset_after=False"
        return s


class RNNCell(RNNCellBase):
    """One Elman step: h' = φ(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).

    Shape: input (N, I) or (I,), hx (N, H) or None -> h' (N, H)
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx)
        out = F.rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                         nonlinearity=self.nonlinearity)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o); returns ``(h', c')``.

    Shape: input (N, I) or (I,), hx = (h, c) each (N, H), or None -> h' (N, H), c' (N, H)
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, dtype)

    def forward(self, input, hx=None):
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise ValueError("LSTMCell: hx must be a tuple (h, c)")
        x, states, batched = self._prepare(input, hx)
        h, c = states if hx is not None else (None, None)
        h1, c1 = F.lstm_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h1, c1) if batched else (h1.squeeze(0), c1.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n); ``reset_after=False`` gives Cho et al.'s form.

    Shape: input (N, I) or (I,), hx (N, H) or None -> h' (N, H)
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None, *,
                 reset_after=True):
        super().__init__(input_size, hidden_size, bias, 3, dtype)
        self.reset_after = bool(reset_after)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx)
        out = F.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                         reset_after=self.reset_after)
        return out if batched else out.squeeze(0)
