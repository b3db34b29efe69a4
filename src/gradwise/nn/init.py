"""Weight initialisation, PyTorch's ``torch.nn.init`` on the library RNG.

Every function fills its Tensor (or Parameter, or ndarray) in place, without recording a graph,
and returns it. Randomness comes from ``generator`` (an ``np.random.Generator``) when given,
otherwise from the library RNG seeded by ``gw.manual_seed``. Distributions and bounds are
PyTorch's; the random streams differ (NumPy's generator is not PyTorch's).

    fan_in  = size(1) · receptive_field,  fan_out = size(0) · receptive_field,
    receptive_field = prod(shape[2:])                  # kH·kW for a conv weight
"""
from __future__ import annotations

import math

import numpy as np

from ..core.random import default_generator
from ..core.tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "orthogonal_",
]


def _array(tensor, fn) -> np.ndarray:
    if isinstance(tensor, Tensor):
        return tensor.array
    if isinstance(tensor, np.ndarray):
        return tensor
    raise TypeError(f"init.{fn}: expected a Tensor, Parameter or ndarray, got "
                    f"{type(tensor).__name__}")


def _rng(generator) -> np.random.Generator:
    return default_generator() if generator is None else generator


def _fill(tensor, values):
    if isinstance(tensor, Tensor):
        tensor.array[...] = values
        tensor._counter.bump()
    else:
        tensor[...] = values
    return tensor


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    ========================  ===========================
    linear, conv*, sigmoid    1
    tanh                      5/3
    relu                      √2
    leaky_relu                √(2 / (1 + negative_slope²)), slope = param or 0.01
    selu                      3/4
    ========================  ===========================
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    shape = _array(tensor, "fan").shape
    if len(shape) < 2:
        raise ValueError(
            f"Fan in and fan out can not be computed for tensor with fewer than 2 dimensions, "
            f"got shape {shape}"
        )
    receptive_field = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with U(a, b)."""
    arr = _array(tensor, "uniform_")
    return _fill(tensor, _rng(generator).uniform(a, b, arr.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with N(mean, std²)."""
    arr = _array(tensor, "normal_")
    return _fill(tensor, _rng(generator).normal(mean, std, arr.shape))


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None):
    """Fill with N(mean, std²) conditioned on [a, b] (the bounds are absolute, as in PyTorch).

    Sampled by rejection: draw normals, keep those inside [a, b], redraw the rest. This is the
    exact truncated distribution (PyTorch uses the inverse CDF; same law, different stream).
    """
    arr = _array(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    accept = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    if accept < 1e-6:
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds only {accept:.2e} of N({mean}, {std}²); "
            "move mean closer to the interval"
        )
    rng = _rng(generator)
    out = np.empty(arr.size, np.float64)
    filled = 0
    while filled < arr.size:
        need = arr.size - filled
        draw = rng.normal(mean, std, int(min(need / accept * 1.1 + 16, 10_000_000)))
        keep = draw[(draw >= a) & (draw <= b)][:need]
        out[filled:filled + keep.size] = keep
        filled += keep.size
    return _fill(tensor, out.reshape(arr.shape))


def constant_(tensor, val: float):
    """Fill with ``val``."""
    _array(tensor, "constant_")
    return _fill(tensor, val)


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the diagonal): the IRNN recurrent init."""
    arr = _array(tensor, "eye_")
    if arr.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got shape {arr.shape}")
    return _fill(tensor, np.eye(*arr.shape))


def dirac_(tensor, groups: int = 1):
    """Fill a 3/4/5-D conv weight with the Dirac delta: the conv then copies its input channels."""
    arr = _array(tensor, "dirac_")
    if arr.ndim not in (3, 4, 5):
        raise ValueError(f"Only tensors with 3, 4, or 5 dimensions are supported, got {arr.shape}")
    if arr.shape[0] % groups != 0:
        raise ValueError(f"dim 0 ({arr.shape[0]}) must be divisible by groups ({groups})")
    out_per_group = arr.shape[0] // groups
    min_dim = min(out_per_group, arr.shape[1])
    values = np.zeros(arr.shape)
    centre = tuple(s // 2 for s in arr.shape[2:])
    for g in range(groups):
        for d in range(min_dim):
            values[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot & Bengio (2010): U(−a, a) with a = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot & Bengio (2010): N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None):
    """He et al. (2015): U(−bound, bound), bound = gain · √(3 / fan), gain = calculate_gain(
    nonlinearity, a). With a=√5 (Linear and Conv defaults) the bound is 1/√fan_in."""
    arr = _array(tensor, "kaiming_uniform_")
    if arr.size == 0:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None):
    """He et al. (2015): N(0, std²), std = gain / √fan."""
    arr = _array(tensor, "kaiming_normal_")
    if arr.size == 0:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain: float = 1.0, generator=None):
    """Saxe et al. (2013): a (semi-)orthogonal matrix from the QR of a Gaussian matrix, times gain.

    The tensor is viewed as (size(0), numel / size(0)); rows are orthonormal when there are
    fewer rows than columns, columns otherwise. Signs follow diag(R) so the law is uniform (Haar).
    """
    arr = _array(tensor, "orthogonal_")
    if arr.ndim < 2:
        raise ValueError(f"Only tensors with 2 or more dimensions are supported, got {arr.shape}")
    if arr.size == 0:
        return tensor
    rows = arr.shape[0]
    cols = arr.size // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # make Q unique (Haar-distributed)
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(arr.shape))
