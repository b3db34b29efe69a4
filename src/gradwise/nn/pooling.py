"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, LPPool1d/2d, AdaptiveAvgPool1d/2d,
AdaptiveMaxPool1d/2d; each takes (N, C, *) or PyTorch's unbatched (C, *).

Thin wrappers over ``gradwise.functional.pooling`` with PyTorch's arguments, defaults and repr. A
configuration that does not fit the input (kernel larger than the padded input, too much
padding) raises ValueError naming the layer.
"""
from __future__ import annotations

from .. import functional as F
from ..core.checks import ntuple
from .module import Module


class _Pool(Module):
    _dims = 2

    def _run(self, fn, input, *args, **kwargs):
        n = self._dims
        if input.ndim not in (n + 1, n + 2):  # (C, *) is PyTorch's unbatched form
            dims = "L" if n == 1 else "H, W"
            raise ValueError(f"{self!r}: expected input (N, C, {dims}), got "
                             f"{tuple(input.shape)} (unbatched: (C, {dims}))")
        try:
            return fn(input, *args, **kwargs)
        except ValueError as e:
            raise ValueError(f"{self!r}: {e}") from None


class MaxPool2d(_Pool):
    """2-D max pooling; stride defaults to kernel_size.

    Shape: (N, C, H, W) -> (N, C, H_out, W_out),
        H_out = ⌊(H + 2P − d·(k − 1) − 1)/s⌋ + 1 (⌈·⌉ with ceil_mode)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode
        F.pooling.pool_window_args(type(self).__name__, kernel_size, self.stride, padding, dilation, 2)

    def forward(self, input):
        return self._run(F.max_pool2d, input, self.kernel_size, self.stride, self.padding,
                         self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(MaxPool2d):
    """1-D max pooling; stride defaults to kernel_size. Shape: (N, C, L) -> (N, C, L_out)."""

    _dims = 1

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        Module.__init__(self)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode
        F.pooling.pool_window_args(type(self).__name__, kernel_size, self.stride, padding, dilation, 1)

    def forward(self, input):
        return self._run(F.max_pool1d, input, self.kernel_size, self.stride, self.padding,
                         self.dilation, self.ceil_mode, self.return_indices)


class AvgPool2d(_Pool):
    """2-D average pooling; stride defaults to kernel_size.

    Shape: (N, C, H, W) -> (N, C, H_out, W_out), H_out = ⌊(H + 2P − k)/s⌋ + 1 (⌈·⌉ with ceil_mode)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override
        F.pooling.pool_window_args(type(self).__name__, kernel_size, self.stride, padding, 1, 2)
        F.pooling._check_divisor(type(self).__name__, divisor_override)

    def forward(self, input):
        return self._run(F.avg_pool2d, input, self.kernel_size, self.stride, self.padding,
                         self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_Pool):
    """1-D average pooling; stride defaults to kernel_size. Shape: (N, C, L) -> (N, C, L_out).

    Like PyTorch, kernel_size, stride and padding are stored as 1-tuples.
    """

    _dims = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        owner = type(self).__name__
        self.kernel_size = ntuple(owner, "kernel_size", kernel_size, 1)
        self.stride = ntuple(owner, "stride", stride if stride is not None else kernel_size, 1)
        self.padding = ntuple(owner, "padding", padding, 1)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        F.pooling.pool_window_args(owner, self.kernel_size, self.stride, self.padding, 1, 1)

    def forward(self, input):
        return self._run(F.avg_pool1d, input, self.kernel_size, self.stride, self.padding,
                         self.ceil_mode, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(_Pool):
    """Average over PyTorch's adaptive windows to a fixed output size (None keeps that size).

    Shape: (N, C, H, W) -> (N, C, *output_size)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self._run(F.adaptive_avg_pool2d, input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Shape: (N, C, L) -> (N, C, output_size)."""

    _dims = 1

    def forward(self, input):
        return self._run(F.adaptive_avg_pool1d, input, self.output_size)


class AdaptiveMaxPool2d(_Pool):
    """Max over PyTorch's adaptive windows to a fixed output size (None keeps that size).

    Shape: (N, C, H, W) -> (N, C, *output_size) [, indices]
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return self._run(F.adaptive_max_pool2d, input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Shape: (N, C, L) -> (N, C, output_size) [, indices]"""

    _dims = 1

    def forward(self, input):
        return self._run(F.adaptive_max_pool1d, input, self.output_size, self.return_indices)


class LPPool2d(_Pool):
    """Power-average pooling y = (Σ_window x^p)^(1/p); stride defaults to kernel_size, no padding.

    Shape: (N, C, H, W) -> (N, C, H_out, W_out), H_out = ⌊(H − k)/s⌋ + 1 (⌈·⌉ with ceil_mode)
    """

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride = norm_type, kernel_size, stride
        self.ceil_mode = ceil_mode
        F.pooling.pool_window_args(type(self).__name__, kernel_size, stride, 0, 1, self._dims)

    def forward(self, input):
        lp_pool = F.lp_pool2d if self._dims == 2 else F.lp_pool1d
        return self._run(lp_pool, input, self.norm_type, self.kernel_size, self.stride,
                         self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(LPPool2d):
    """Power-average pooling over L. Shape: (N, C, L) -> (N, C, L_out), L_out = ⌊(L − k)/s⌋ + 1"""

    _dims = 1
