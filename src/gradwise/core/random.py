"""The library RNG (one NumPy Generator, seeded by ``manual_seed``) and tensor factories."""
from __future__ import annotations

import numpy as np

from .device import check_device
from .dtype import get_default_dtype
from .tensor import Tensor

_rng = [np.random.default_rng()]


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the library RNG used by rand/randn/randint, init and dropout."""
    _rng[0] = np.random.default_rng(seed)
    return _rng[0]


def default_generator() -> np.random.Generator:
    return _rng[0]


def get_rng_state() -> dict:
    return _rng[0].bit_generator.state


def set_rng_state(state: dict) -> None:
    _rng[0].bit_generator.state = state


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(int(s) for s in size)


def _dtype(dtype):
    return np.dtype(dtype) if dtype is not None else get_default_dtype()


def zeros(*size, dtype=None, requires_grad=False, device=None):
    check_device(device, "zeros")
    return Tensor(np.zeros(_shape(size), _dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False, device=None):
    check_device(device, "ones")
    return Tensor(np.ones(_shape(size), _dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False, device=None):
    check_device(device, "empty")
    return Tensor(np.empty(_shape(size), _dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    check_device(device, "full")
    if dtype is None and isinstance(fill_value, (bool, int)) and not isinstance(fill_value, float):
        dtype = np.bool_ if isinstance(fill_value, bool) else np.int64
    return Tensor(np.full(_shape((size,)), fill_value, _dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False, device=None):
    check_device(device, "zeros_like")
    return Tensor(np.zeros(t.shape, dtype or t.dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False, device=None):
    check_device(device, "ones_like")
    return Tensor(np.ones(t.shape, dtype or t.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dtype = np.dtype(dtype) if dtype is not None else (np.int64 if is_int else get_default_dtype())
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    check_device(device, "linspace")
    return Tensor(np.linspace(start, end, steps, dtype=_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    check_device(device, "eye")
    return Tensor(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def rand(*size, dtype=None, requires_grad=False, device=None):
    """Uniform on [0, 1) from the library RNG."""
    check_device(device, "rand")
    data = _rng[0].random(_shape(size)).astype(_dtype(dtype))
    return Tensor(data, requires_grad)


def randn(*size, dtype=None, requires_grad=False, device=None):
    """Standard normal from the library RNG."""
    check_device(device, "randn")
    data = _rng[0].standard_normal(_shape(size)).astype(_dtype(dtype))
    return Tensor(data, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None):
    check_device(device, "randint")
    if isinstance(high, (tuple, list)) and size == ():  # PyTorch's overload randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    data = _rng[0].integers(low, high, size=tuple(size), dtype=np.dtype(dtype or np.int64))
    return Tensor(data)


def randperm(n, dtype=None, device=None):
    check_device(device, "randperm")
    return Tensor(_rng[0].permutation(n).astype(dtype or np.int64))
