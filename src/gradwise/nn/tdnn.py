"""Feed-forward memory: TDNN, AR and NARX models (seed 000, "Adding memory ability").

Seed 000 §5.2.1 gives three ways to give a feed-forward network short-term memory by feeding it
delayed copies of a signal:

TDNN (time-delay neural network, Waibel et al. 1989): each layer sees the last K+1 frames of
the layer below,

    h_t^(l) = f(h_t^(l−1), h_{t−1}^(l−1), ..., h_{t−K}^(l−1))

which is a 1-D convolution over time with kernel K+1 (weights shared over t). Stacking layers
with dilation d (delays 0, d, ..., dK) and stride s widens the context: the receptive field is
1 + Σ_l d_l K_l Π_{j<l} s_j frames.

AR (autoregressive model): y_t = w_0 + Σ_{k=1..K} w_k y_{t−k} + ε_t — a Linear layer on a
window of K delays, with a closed-form least-squares fit.

NARX (nonlinear autoregressive with exogenous inputs):

    y_t = f(x_t, x_{t−1}, ..., x_{t−K_x}, y_{t−1}, ..., y_{t−K_y})

with f an MLP. Trained open loop (series-parallel: the true past outputs are the regressors, so
steps are independent) and run closed loop (parallel: its own predictions are fed back).
"""
from __future__ import annotations

import numpy as np

from .. import functional as F
from ..core.tensor import Tensor
from .container import Sequential
from .conv import Conv1d
from .linear import Linear
from .module import Module
from ..core.checks import check_dtype, check_positive_int, is_int

_ACT = {"relu": F.relu, "tanh": F.tanh, "sigmoid": F.sigmoid, "identity": lambda a: a}


def _per_layer(name, value, n, minimum):
    vals = [value] * n if is_int(value) else list(value)
    if len(vals) != n or any(not is_int(v) or v < minimum for v in vals):
        raise ValueError(f"TDNN: {name} must be an int ≥ {minimum} or one per layer ({n}), "
                         f"got {value!r}")
    return [int(v) for v in vals]


def delay_window(y, delays: int, start: int = 0):
    """Stack delayed copies [y_{t−1}, ..., y_{t−K}] for t = start, ..., T−1 (start ≥ K).

    Shape: y (N, T, D) -> (N, T − start, K·D), delay k in columns (k−1)·D .. k·D.
    """
    T = y.shape[1]
    return F.cat([y[:, start - k: T - k] for k in range(1, delays + 1)], dim=2)


class TDNN(Module):
    """A stack of time-delay layers (Conv1d over time), optionally causal.

    Args:
        input_size: features per frame.
        hidden_sizes: output features of each time-delay layer.
        context: K per layer (each layer sees delays 0..K·d), an int or one per layer.
        dilation, stride: per layer, ints or sequences.
        activation: 'relu', 'tanh', 'sigmoid' or 'identity' after every layer.
        causal: left-pad each layer with d·K zero frames so that output t depends only on
            inputs ≤ t and (with stride 1) the length is kept; False gives the original
            'valid' TDNN, L_out = L − d·K per layer.
        output_size: add a final 1×1 (per-frame) linear layer with this many outputs.

    Shape:
        input (N, input_size, L) -> output (N, C_out, L_out) (Conv1d layout),
        causal: L_out = ⌈L / s⌉ per layer; valid: L_out = ⌊(L − d·K − 1) / s⌋ + 1.
    """

    def __init__(self, input_size: int, hidden_sizes=(32, 32), context=2, dilation=1, stride=1,
                 activation: str = "relu", causal: bool = True, output_size: int | None = None,
                 dtype=None):
        super().__init__()
        check_positive_int("TDNN", input_size=input_size)
        hidden_sizes = list(hidden_sizes)
        n = len(hidden_sizes)
        if n == 0 or any(not is_int(h) or h <= 0 for h in hidden_sizes):
            raise ValueError(f"TDNN: hidden_sizes must be positive ints, got {hidden_sizes}")
        if activation not in _ACT:
            raise ValueError(f"TDNN: activation must be one of {sorted(_ACT)}, got {activation!r}")
        self.context = _per_layer("context", context, n, 0)
        self.dilation = _per_layer("dilation", dilation, n, 1)
        self.stride = _per_layer("stride", stride, n, 1)
        self.input_size, self.hidden_sizes = input_size, hidden_sizes
        self.activation, self.causal = activation, bool(causal)
        sizes = [input_size] + hidden_sizes
        self.layers = Sequential(*[
            Conv1d(sizes[l], sizes[l + 1], self.context[l] + 1, stride=self.stride[l],
                   dilation=self.dilation[l], dtype=dtype)
            for l in range(n)
        ])
        self.output_size = output_size
        self.out = Conv1d(hidden_sizes[-1], output_size, 1, dtype=dtype) if output_size else None

    @property
    def receptive_field(self) -> int:
        """Input frames that one output frame depends on: 1 + Σ d_l K_l Π_{j<l} s_j."""
        rf, jump = 1, 1
        for k, d, s in zip(self.context, self.dilation, self.stride):
            rf += d * k * jump
            jump *= s
        return rf

    def forward(self, input):
        if input.ndim != 3 or input.shape[1] != self.input_size:
            raise ValueError(f"TDNN(input_size={self.input_size}): expected input "
                             f"(N, {self.input_size}, L), got {tuple(input.shape)}")
        if input.shape[2] == 0:
            raise ValueError(f"TDNN(input_size={self.input_size}): expected a sequence length "
                             f"larger than 0, got input {tuple(input.shape)}")
        check_dtype(f"TDNN(input_size={self.input_size})", "input", input,
                    self.layers[0].weight.dtype)
        act = _ACT[self.activation]
        h = input
        for layer, k, d in zip(self.layers, self.context, self.dilation):
            if self.causal:
                h = F.pad(h, (d * k, 0))  # the past only: delays 0, d, ..., dK
            elif h.shape[2] <= d * k:
                raise ValueError(f"TDNN: a sequence of length {h.shape[2]} is shorter than a "
                                 f"layer's context of {d * k + 1} frames")
            h = act(layer(h))
        return self.out(h) if self.out is not None else h

    def extra_repr(self) -> str:
        return (f"input_size={self.input_size}, context={self.context}, "
                f"dilation={self.dilation}, stride={self.stride}, causal={self.causal}, "
                f"receptive_field={self.receptive_field}")


class AR(Module):
    """Autoregressive model y_t = w_0 + Σ_{k=1..K} W_k y_{t−k}.

    Args:
        order: K, the number of delays.
        num_series: D, the size of y_t (D > 1 is a vector AR model).

    Shape:
        input (N, T, D) -> predictions (N, T − K, D) of y_K, ..., y_{T−1}

    Parameters:
        ``linear`` = Linear(K·D, D): weight[:, (k−1)·D : k·D] = W_k, bias = w_0.
    """

    def __init__(self, order: int, num_series: int = 1, dtype=None):
        super().__init__()
        check_positive_int("AR", order=order, num_series=num_series)
        self.order, self.num_series = int(order), int(num_series)
        self.linear = Linear(order * num_series, num_series, dtype=dtype)

    def _check(self, y):
        if y.ndim != 3 or y.shape[2] != self.num_series or y.shape[1] <= self.order:
            raise ValueError(f"AR(order={self.order}): expected input (N, T > {self.order}, "
                             f"{self.num_series}), got {tuple(y.shape)}")
        check_dtype(f"AR(order={self.order})", "input", y, self.linear.weight.dtype)

    def forward(self, input):
        self._check(input)
        return self.linear(delay_window(input, self.order, self.order))

    def fit(self, series, ridge: float = 0.0):
        """Least-squares fit of all weights: [w_0, W] = argmin Σ_t ‖y_t − ŷ_t‖² (+ λ‖W‖²).

        Shape: series (N, T, D) or (T,) for one scalar series. Returns self.
        """
        y = series.array if isinstance(series, Tensor) else np.asarray(series, np.float64)
        y = y[None, :, None] if y.ndim == 1 else y
        self._check(Tensor(y))
        y64 = y.astype(np.float64)
        X = delay_window(Tensor(y64), self.order, self.order).array.reshape(-1, self.order * self.num_series)
        X = np.concatenate([np.ones((X.shape[0], 1)), X], axis=1)  # [1, y_{t−1}, ..., y_{t−K}]
        Y = y64[:, self.order:].reshape(-1, self.num_series)
        reg = ridge * np.eye(X.shape[1])
        reg[0, 0] = 0.0  # the intercept is not shrunk
        coef = np.linalg.solve(X.T @ X + reg, X.T @ Y)  # (1 + K·D, D)
        self.linear.bias.array[...] = coef[0]
        self.linear.weight.array[...] = coef[1:].T
        return self

    def forecast(self, history, steps: int):
        """Recursive multi-step forecast: each prediction becomes the next delay.

        Shape: history (N, T ≥ K, D) -> (N, steps, D)
        """
        check_positive_int("AR.forecast", steps=steps)
        K = self.order
        if history.ndim != 3 or history.shape[1] < K or history.shape[2] != self.num_series:
            raise ValueError(f"AR(order={K}): expected history (N, T ≥ {K}, {self.num_series}), "
                             f"got {tuple(history.shape)}")
        window = history[:, history.shape[1] - K:]  # y_{t−K}, ..., y_{t−1}
        out = []
        for _ in range(steps):
            delays = F.cat([window[:, K - k] for k in range(1, K + 1)], dim=1)  # (N, K·D)
            y = self.linear(delays).unsqueeze(1)  # (N, 1, D)
            out.append(y)
            window = F.cat([window[:, 1:], y], dim=1)
        return F.cat(out, dim=1)

    def extra_repr(self) -> str:
        return f"order={self.order}, num_series={self.num_series}"


class NARX(Module):
    """NARX model y_t = f(x_t, ..., x_{t−K_x}, y_{t−1}, ..., y_{t−K_y}), f an MLP.

    Args:
        input_size, output_size: sizes of x_t and y_t.
        input_delays: K_x (x_t itself is always included), ≥ 0.
        output_delays: K_y ≥ 1.
        hidden_sizes: hidden layers of f (empty: f is linear, an ARX model).
        activation: 'tanh', 'relu' or 'sigmoid' between the layers of f.

    Shape (t0 = max(K_x, K_y)):
        forward (open loop):  x (N, T, input_size), y (N, T, output_size) -> ŷ (N, T − t0, O)
            for t = t0..T−1 from the true past outputs.
        simulate (closed loop): x (N, T, input_size), y_init (N, t0, output_size)
            -> ŷ (N, T − t0, O), each prediction fed back as a past output.

    The regressor order is [x_t, ..., x_{t−K_x}, y_{t−1}, ..., y_{t−K_y}].
    """

    def __init__(self, input_size: int, output_size: int, input_delays: int = 2,
                 output_delays: int = 2, hidden_sizes=(16,), activation: str = "tanh",
                 dtype=None):
        super().__init__()
        check_positive_int("NARX", input_size=input_size, output_size=output_size,
                           output_delays=output_delays)
        if not isinstance(input_delays, (int, np.integer)) or input_delays < 0:
            raise ValueError(f"NARX: input_delays must be an int ≥ 0, got {input_delays!r}")
        if activation not in ("tanh", "relu", "sigmoid"):
            raise ValueError(f"NARX: activation must be 'tanh', 'relu' or 'sigmoid', "
                             f"got {activation!r}")
        self.input_size, self.output_size = int(input_size), int(output_size)
        self.input_delays, self.output_delays = int(input_delays), int(output_delays)
        self.activation = activation
        sizes = [(input_delays + 1) * input_size + output_delays * output_size, *hidden_sizes]
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers.append(Linear(a, b, dtype=dtype))
        layers.append(Linear(sizes[-1], output_size, dtype=dtype))
        self.mlp = Sequential(*layers)

    @property
    def start(self) -> int:
        return max(self.input_delays, self.output_delays)

    def f(self, regressors):
        """The nonlinear map f on regressor rows (…, R) -> (…, output_size)."""
        act = _ACT[self.activation]
        h = regressors
        for k, layer in enumerate(self.mlp):
            h = layer(h)
            if k < len(self.mlp) - 1:
                h = act(h)
        return h

    def _check_x(self, x):
        if x.ndim != 3 or x.shape[2] != self.input_size or x.shape[1] <= self.start:
            raise ValueError(f"NARX: expected x (N, T > {self.start}, {self.input_size}), "
                             f"got {tuple(x.shape)}")

    def regressors(self, x, y):
        """[x_t, ..., x_{t−K_x}, y_{t−1}, ..., y_{t−K_y}] for t = t0..T−1. (N, T − t0, R)"""
        T, t0 = x.shape[1], self.start
        xs = [x[:, t0 - k: T - k] for k in range(self.input_delays + 1)]
        return F.cat(xs + [delay_window(y, self.output_delays, t0)], dim=2)

    def forward(self, x, y):
        self._check_x(x)
        if tuple(y.shape) != (x.shape[0], x.shape[1], self.output_size):
            raise ValueError(f"NARX: expected y {(x.shape[0], x.shape[1], self.output_size)} "
                             f"aligned with x, got {tuple(y.shape)}")
        return self.f(self.regressors(x, y))

    def simulate(self, x, y_init):
        self._check_x(x)
        t0 = self.start
        if tuple(y_init.shape) != (x.shape[0], t0, self.output_size):
            raise ValueError(f"NARX: expected y_init (N, max(K_x, K_y), O) = "
                             f"{(x.shape[0], t0, self.output_size)}, got {tuple(y_init.shape)}")
        past = [y_init[:, t] for t in range(t0)]  # y_0 .. y_{t0−1}, then predictions
        preds = []
        for t in range(t0, x.shape[1]):
            reg = [x[:, t - k] for k in range(self.input_delays + 1)]
            reg += [past[t - k] for k in range(1, self.output_delays + 1)]
            y_t = self.f(F.cat(reg, dim=1))
            past.append(y_t)
            preds.append(y_t)
        return F.stack(preds, 1)

    def extra_repr(self) -> str:
        return (f"input_size={self.input_size}, output_size={self.output_size}, "
                f"input_delays={self.input_delays}, output_delays={self.output_delays}")


__all__ = ["AR", "NARX", "TDNN", "delay_window"]
