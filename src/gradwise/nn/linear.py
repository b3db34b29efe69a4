"""Linear, Bilinear, Identity, Flatten, Unflatten."""
from __future__ import annotations

import math

import numpy as np

from .. import functional as F
from ..core.checks import check_dtype, check_nonnegative_int
from . import init
from .module import Module
from .parameter import add_weight_and_bias


class Identity(Module):
    """Return the input unchanged (constructor arguments are accepted and ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x Wᵀ + b.

    Args:
        in_features, out_features: sizes of each input and output sample.
        bias: learn an additive bias (default True).
        dtype: parameter dtype (default: the default dtype, float32).

    Shape:
        input (*, in_features) -> output (*, out_features)

    Parameters:
        weight (out_features, in_features): U(−1/√in_features, 1/√in_features), which is
            PyTorch's kaiming_uniform_(a=√5).
        bias (out_features,): U(−1/√in_features, 1/√in_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        check_nonnegative_int("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = int(in_features), int(out_features)
        add_weight_and_bias(self, (out_features, in_features), out_features if bias else None,
                            dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected input (*, {self.in_features}), got {input.shape}")
        check_dtype(repr(self), "input", input, self.weight.dtype)
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x1ᵀ W_k x2 + b_k.

    Shape:
        input1 (*, in1_features), input2 (*, in2_features) -> output (*, out_features)

    Parameters:
        weight (out_features, in1_features, in2_features) and bias (out_features,), both
        U(−1/√in1_features, 1/√in1_features), as in PyTorch.
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        check_nonnegative_int("Bilinear", in1_features=in1_features, in2_features=in2_features,
                        out_features=out_features)
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        add_weight_and_bias(self, (out_features, in1_features, in2_features),
                            out_features if bias else None, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        if input1.ndim == 0 or input1.shape[-1] != self.in1_features:
            raise ValueError(
                f"{self!r}: expected input1 (*, {self.in1_features}), got {input1.shape}")
        if input2.ndim == 0 or input2.shape[-1] != self.in2_features:
            raise ValueError(
                f"{self!r}: expected input2 (*, {self.in2_features}), got {input2.shape}")
        if input1.shape[:-1] != input2.shape[:-1]:
            raise ValueError(f"{self!r}: input1 {input1.shape} and input2 {input2.shape} must "
                             "have the same leading dimensions")
        lead = input1.shape[:-1]
        x1 = input1.reshape(-1, self.in1_features)  # (N*, in1)
        x2 = input2.reshape(-1, self.in2_features)  # (N*, in2)
        y = F.bilinear(x1, x2, self.weight, self.bias)  # (N*, out)
        return y.reshape(*lead, self.out_features)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Flatten(Module):
    """Flatten dims start_dim..end_dim into one.  Shape: (N, *dims) -> (N, prod(*dims))."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        nd = max(input.ndim, 1)
        for d in (self.start_dim, self.end_dim):
            if not -nd <= d < nd:
                raise ValueError(f"{self!r}: dim {d} out of range for input of shape {input.shape}")
        if self.start_dim % nd > self.end_dim % nd:
            raise ValueError(f"{self!r}: start_dim comes after end_dim for input {input.shape}")
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``.  Shape: (*, S, *) -> (*, U1, U2, ..., *)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list, got "
                            f"{type(unflattened_size).__name__}")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        size = input.shape[self.dim]
        known = int(np.prod([s for s in self.unflattened_size if s != -1]))
        if (-1 not in self.unflattened_size and known != size) or (
                -1 in self.unflattened_size and (known == 0 or size % known)):
            raise ValueError(f"{self!r}: dim {self.dim} of input {input.shape} has size {size}, "
                             f"which cannot be unflattened into {self.unflattened_size}")
        return F.unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
