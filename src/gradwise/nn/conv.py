"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d (PyTorch's API).

The math lives in ``gradwise.functional.conv``; these classes own the parameters, check the
configuration in ``__init__`` and the input in ``forward``, and initialise like PyTorch.
"""
from __future__ import annotations

import math

from .. import functional as F
from ..core.checks import check_dtype, check_positive_int, ntuple
from . import init
from .module import Module
from .parameter import add_weight_and_bias


class _ConvNd(Module):
    """Shared constructor, initialisation and repr of the convolution layers."""

    _n = 2  # spatial dims

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, dtype):
        super().__init__()
        owner, n = type(self).__name__, self._n
        check_positive_int(owner, in_channels=in_channels, out_channels=out_channels,
                           groups=groups)
        if in_channels % groups:
            raise ValueError(f"{owner}: in_channels must be divisible by groups, got "
                             f"in_channels={in_channels}, groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{owner}: out_channels must be divisible by groups, got "
                             f"out_channels={out_channels}, groups={groups}")
        kernel_size = ntuple(owner, "kernel_size", kernel_size, n, minimum=1)
        stride = ntuple(owner, "stride", stride, n, minimum=1)
        dilation = ntuple(owner, "dilation", dilation, n, minimum=1)
        if isinstance(padding, str):
            if transposed or padding not in ("valid", "same"):
                allowed = "an int or a tuple" if transposed else "'valid', 'same', an int or a tuple"
                raise ValueError(f"{owner}: padding must be {allowed}, got {padding!r}")
            if padding == "same" and stride != (1,) * n:
                raise ValueError(f"{owner}: padding='same' is not supported for strided "
                                 f"convolutions, got stride={stride}")
        else:
            padding = ntuple(owner, "padding", padding, n, minimum=0)
        if padding_mode != "zeros":
            raise ValueError(f"{owner}: padding_mode {padding_mode!r} is not supported; "
                             "gradwise convolutions pad with zeros")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.transposed, self.groups = dilation, transposed, int(groups)
        self.output_padding = ntuple(owner, "output_padding", output_padding, n)
        self.padding_mode = padding_mode
        if transposed:
            shape = (in_channels, out_channels // groups) + kernel_size
        else:
            shape = (out_channels, in_channels // groups) + kernel_size
        add_weight_and_bias(self, shape, out_channels if bias else None, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight kaiming_uniform_(a=√5), i.e. U(±1/√fan_in); bias
        U(±1/√fan_in) with fan_in = weight.shape[1]·∏kernel_size."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _check_input(self, input):
        n = self._n
        dims = ("L",) if n == 1 else ("H", "W")
        expected = f"(N, {self.in_channels}, {', '.join(dims)})"
        # (C_in, *) is PyTorch's unbatched form: check it as a batch of one
        shape = (1, *input.shape) if input.ndim == n + 1 else tuple(input.shape)
        if len(shape) != n + 2 or shape[1] != self.in_channels:
            raise ValueError(f"{self!r}: expected input {expected}, got {tuple(input.shape)} "
                             f"(unbatched: ({self.in_channels}, {', '.join(dims)}))")
        check_dtype(repr(self), "input", input, self.weight.dtype)
        if self.transposed:
            if shape[0] and 0 in shape[2:]:  # PyTorch refuses an empty image too
                raise ValueError(f"{self!r}: only zero batch or zero channel inputs are "
                                 f"supported, got input of shape {tuple(input.shape)}")
            return
        size = shape[2:]
        if isinstance(self.padding, str):
            pad = [0] * n if self.padding == "valid" else [
                d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
        else:
            pad = [2 * p for p in self.padding]
        eff = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))
        padded = tuple(s + p for s, p in zip(size, pad))
        if any(e > p for e, p in zip(eff, padded)):
            raise ValueError(f"{self!r}: kernel size {eff} (after dilation) is larger than the "
                             f"padded input {padded} (input {tuple(size)})")

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class _Conv(_ConvNd):
    """Conv1d's and Conv2d's constructor, in PyTorch's argument order."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, dtype)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L).

    Args:
        in_channels, out_channels: channel counts (both divisible by groups).
        kernel_size, stride, dilation: int or 1-tuple.
        padding: int, 1-tuple, 'valid' or 'same'.
        groups: independent channel groups; bias: learn a bias (default True).
        padding_mode: only 'zeros' is supported.

    Shape: (N, C_in, L) -> (N, C_out, L_out), L_out = ⌊(L + 2P − d·(K − 1) − 1)/s⌋ + 1

    Parameters: weight (C_out, C_in/groups, K), bias (C_out,), both U(±1/√fan_in).
    """

    _n = 1

    def forward(self, input):
        self._check_input(input)
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return F.conv1d(input, self.weight, self.bias, self.stride[0], padding,
                        self.dilation[0], self.groups)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) (cross-correlation, like PyTorch).

    Args:
        in_channels, out_channels: channel counts (both divisible by groups).
        kernel_size, stride, dilation: int or (h, w).
        padding: int, (h, w), 'valid' or 'same'.
        groups: independent channel groups (groups = in_channels is depthwise).
        bias: learn a bias (default True). padding_mode: only 'zeros' is supported.

    Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = ⌊(H + 2P − d·(kH − 1) − 1)/s⌋ + 1

    Parameters: weight (C_out, C_in/groups, kH, kW), bias (C_out,), both U(±1/√fan_in) with
        fan_in = C_in/groups·kH·kW (PyTorch's kaiming_uniform_(a=√5) default).
    """

    def forward(self, input):
        self._check_input(input)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class _ConvTransposeNd(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, dtype)
        _check_output_padding(self)

    def _output_padding(self, input, output_size):
        """output_padding, or the one that yields ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        n = self._n
        output_size = tuple(int(s) for s in output_size)[-n:]
        if len(output_size) != n:
            raise ValueError(f"{self!r}: output_size must have {n} or {n + 2} elements, got "
                             f"{output_size}")
        result = []
        for d in range(n):
            least = F.conv.conv_transpose_out_size(
                input.shape[d - n], self.kernel_size[d], self.stride[d], self.padding[d],
                self.dilation[d], 0)
            extra = output_size[d] - least
            if not 0 <= extra < max(self.stride[d], self.dilation[d]):
                raise ValueError(
                    f"{self!r}: requested output size {output_size} is not reachable; sizes "
                    f"from {least} to {least + max(self.stride[d], self.dilation[d]) - 1} are "
                    f"possible along dim {d + 2}")
            result.append(extra)
        return tuple(result)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution (the adjoint of Conv1d in its input).

    Shape: (N, C_in, L) -> (N, C_out, L_out), L_out = (L − 1)·s − 2P + d·(K − 1) + output_padding + 1

    Parameters: weight (C_in, C_out/groups, K), bias (C_out,), U(±1/√fan_in) with
        fan_in = C_out/groups·K (as PyTorch computes it from the weight's dim 1).
    """

    _n = 1

    def forward(self, input, output_size=None):
        self._check_input(input)
        (op,) = self._output_padding(input, output_size)
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride[0],
                                  self.padding[0], op, self.groups, self.dilation[0])


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution ("fractionally strided"; the adjoint of Conv2d in its input).

    Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = (H − 1)·s − 2P + d·(kH − 1) + output_padding + 1

    Parameters: weight (C_in, C_out/groups, kH, kW), bias (C_out,), U(±1/√fan_in) with
        fan_in = C_out/groups·kH·kW (as PyTorch computes it from the weight's dim 1).
    """

    def forward(self, input, output_size=None):
        self._check_input(input)
        op = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, op,
                                  self.groups, self.dilation)


def _check_output_padding(layer):
    for o, s, d in zip(layer.output_padding, layer.stride, layer.dilation):
        if not 0 <= o < max(s, d):
            raise ValueError(f"{type(layer).__name__}: output_padding must be smaller than "
                             f"either stride or dilation, got output_padding="
                             f"{layer.output_padding}, stride={layer.stride}, "
                             f"dilation={layer.dilation}")
