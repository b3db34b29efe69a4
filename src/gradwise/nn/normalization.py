"""Normalisation layers: BatchNorm1d/2d, LayerNorm and LocalResponseNorm.

BatchNorm keeps PyTorch's state: parameters ``weight`` (γ, ones) and ``bias`` (β, zeros) when
``affine`` (``bias=False`` drops β, as in PyTorch 2.13), buffers ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked``
(int64 scalar) when ``track_running_stats``, so a PyTorch state_dict loads with strict=True.
"""
from __future__ import annotations

import numpy as np

from .. import functional as F
from ..core.checks import check_dtype, check_floating, check_positive_int
from ..core.dtype import get_default_dtype
from ..core.tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class _BatchNorm(Module):
    _dims = ()  # accepted input ranks

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        check_positive_int(type(self).__name__, num_features=num_features)
        if not (isinstance(eps, (int, float)) and eps >= 0):  # also refuses NaN
            raise ValueError(f"{type(self).__name__}: eps must be a number >= 0, got {eps!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None, got "
                             f"{momentum}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        if affine:
            self.weight = Parameter(np.empty(num_features, dtype))
            if bias:
                self.bias = Parameter(np.empty(num_features, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        if input.ndim not in self._dims or input.shape[1] != self.num_features:
            raise ValueError(f"{self!r}: expected input {self._expected}, got "
                             f"{tuple(input.shape)}")
        # before num_batches_tracked moves: a refused call leaves the layer as it was
        check_floating(repr(self), "input", input)
        params = self.weight if self.weight is not None else self.running_mean
        if params is not None:  # PyTorch: "mixed dtype (CPU): all inputs must share same datatype"
            check_dtype(repr(self), "input", input, params.dtype)
        if self.training and not self.eps > 0:
            raise ValueError(f"{self!r}: eps must be positive during training, got {self.eps}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array[...] += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.array)
        # batch statistics in training, and in eval when no running estimates are kept
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        try:
            return F.batch_norm(input, self.running_mean if track else None,
                                self.running_var if track else None, self.weight, self.bias,
                                use_batch, factor, self.eps)
        except (ValueError, TypeError) as e:
            raise type(e)(f"{self!r}: {e}") from None

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) over N (and L) per channel.

    Shape: (N, C) or (N, C, L) -> same
    """

    _dims = (2, 3)

    @property
    def _expected(self):
        return f"(N, {self.num_features}) or (N, {self.num_features}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) over N, H, W per channel.

    Train mode normalises with the batch mean and biased variance and updates the running
    estimates with the unbiased variance (momentum=None: cumulative average); eval mode uses the
    running estimates.

    Shape: (N, C, H, W) -> same
    """

    _dims = (4,)

    @property
    def _expected(self):
        return f"(N, {self.num_features}, H, W)"


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes, then scale and shift elementwise.

    Shape: (*, *normalized_shape) -> same.
    Parameters: weight (ones) and bias (zeros) of shape normalized_shape when
        elementwise_affine (bias only if bias=True).
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        k = len(self.normalized_shape)
        if input.ndim < k or tuple(input.shape[input.ndim - k:]) != self.normalized_shape:
            raise ValueError(f"{self!r}: expected input (*, "
                             f"{', '.join(map(str, self.normalized_shape))}), got "
                             f"{tuple(input.shape)}")
        check_floating(repr(self), "input", input)
        if self.weight is not None:
            check_dtype(repr(self), "input", input, self.weight.dtype)
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """Local response normalisation across channels (AlexNet), PyTorch's convention:

        y_c = x_c / (k + α/n · Σ_{c' near c} x_{c'}²)^β  over n = size neighbouring channels.

    Shape: (N, C, *) -> same
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        check_positive_int("LocalResponseNorm", size=size)
        self.size, self.alpha, self.beta, self.k = int(size), alpha, beta, k

    def forward(self, input):
        if input.ndim < 3:
            raise ValueError(f"{self!r}: expected input (N, C, *) with 3 or more dims, got "
                             f"{tuple(input.shape)}")
        check_floating(repr(self), "input", input)  # PyTorch promotes integers to float32
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
