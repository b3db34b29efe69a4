"""The library RNG (one NumPy Generator, seeded by ``manual_seed``) and the samplers that draw
from it: rand, randn, randint, randperm. The deterministic factories live in ``factories.py``."""
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


_MOVED_TO_FACTORIES = frozenset(('zeros', 'ones', 'empty', 'full', 'zeros_like', 'ones_like', 'arange', 'linspace', 'eye'))


def __getattr__(name):
    """The deterministic factories' former home: ``core.random.zeros`` still resolves."""
    if name in _MOVED_TO_FACTORIES:
        from . import factories

        return getattr(factories, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
