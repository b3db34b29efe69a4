"""The torch-namespace tensor factories: zeros, ones, empty, full, arange, linspace, eye and the
``*_like`` family, ``as_tensor`` (and its inverse ``unwrap``), ``Generator``, and the samplers (``rand``, ``randn``,
``randint``, ``randperm``, ``multinomial``, ``bernoulli``, ``normal``).

The samplers draw from the library RNG unless a ``generator`` is given; every factory checks
``device=``.
"""
from __future__ import annotations

import numpy as np

from .device import check_device
from .dtype import get_default_dtype, infer_array
from .random import _rng
from .tensor import Tensor


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


class Generator(np.random.Generator):
    """PyTorch's ``torch.Generator``: a NumPy Generator that ``manual_seed`` reseeds in place,
    accepted wherever gradwise takes ``generator=`` (DataLoader, random_split, samplers)."""

    def __init__(self, device="cpu"):
        check_device(device, "Generator")
        self._seed = int(np.random.SeedSequence().entropy % 2**63)
        super().__init__(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.bit_generator.state = np.random.PCG64(self._seed).state
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self.bit_generator.state = state
        return self


def _gen(generator):
    return generator if generator is not None else _rng[0]


def _like(input, dtype):
    return np.dtype(dtype) if dtype is not None else input.dtype


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    check_device(device, "randn_like")
    data = _rng[0].standard_normal(input.shape).astype(_like(input, dtype))
    return Tensor(data, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    check_device(device, "rand_like")
    return Tensor(_rng[0].random(input.shape).astype(_like(input, dtype)), requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None):
    check_device(device, "randint_like")
    if high is None:
        low, high = 0, low
    return Tensor(_rng[0].integers(low, high, input.shape).astype(_like(input, dtype)))


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    check_device(device, "full_like")
    return Tensor(np.full(input.shape, fill_value, _like(input, dtype)), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    check_device(device, "empty_like")
    return Tensor(np.empty(input.shape, _like(input, dtype)), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a Tensor, sharing memory when it already is one (or an ndarray) of ``dtype``."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None or np.dtype(dtype) == data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return Tensor(data)
    return Tensor(infer_array(data, dtype))


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def unwrap(x):
    """The ndarray behind a Tensor; anything else (an array, a Python scalar, None) unchanged,
    so a Python number stays weakly typed in NumPy's promotion (``as_tensor``'s inverse for the
    ops that compute on arrays without apply_op: comparisons, indices, masks)."""
    return x.array if isinstance(x, Tensor) else x


def numel(input) -> int:
    return input.array.size


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the categorical distributions in the rows of ``input`` (weights,
    not necessarily normalised).

    Shape: input (K,) or (N, K) -> (num_samples,) or (N, num_samples), int64
    """
    w = np.asarray(input.array, np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: expected a 1-D or 2-D weight tensor, got {input.shape}")
    rows = w.reshape(-1, w.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(1) <= 0).any():
        raise RuntimeError("multinomial: weights must be finite, non-negative, with a positive "
                           "sum in every row")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"multinomial: cannot draw {num_samples} samples without replacement "
                           f"from {rows.shape[1]} categories")
    gen = _gen(generator)
    out = np.stack([gen.choice(rows.shape[1], num_samples, replace=replacement, p=r / r.sum())
                    for r in rows])
    return Tensor(out.reshape(w.shape[:-1] + (num_samples,)).astype(np.int64))


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or ``p``) per entry, else 0, in input's dtype."""
    prob = input.array if p is None else p
    return Tensor((_gen(generator).random(input.shape) < prob).astype(input.dtype))


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None):
    """Samples of N(mean, std²); mean/std tensors or numbers (then ``size`` is needed)."""
    check_device(device, "normal")
    m = mean.array if isinstance(mean, Tensor) else mean
    s = std.array if isinstance(std, Tensor) else std
    shape = np.broadcast_shapes(np.shape(m), np.shape(s)) if size is None else tuple(size)
    ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    from .dtype import get_default_dtype

    dt = np.dtype(dtype) if dtype is not None else (ref.dtype if ref is not None
                                                      else get_default_dtype())
    return Tensor(_gen(generator).normal(m, s, shape).astype(dt))


def _legacy(name, dtype):
    def constructor(*args, device=None):
        """``{name}(*sizes)`` (uninitialised, like PyTorch) or ``{name}(data)``."""
        check_device(device, name)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            data = args[0]
            if isinstance(data, (tuple, list)) or isinstance(data, (np.ndarray, Tensor)):
                return Tensor(infer_array(data.array if isinstance(data, Tensor) else data,
                                          dtype))
        if not all(isinstance(a, (int, np.integer)) for a in args):
            raise TypeError(f"{name}: expected sizes (ints) or one sequence of data, got {args!r}")
        return Tensor(np.empty(tuple(int(a) for a in args), dtype))

    constructor.__name__ = name
    constructor.__doc__ = constructor.__doc__.format(name=name)
    return constructor


# PyTorch's legacy typed constructors (torch.LongTensor([1, 2]), torch.FloatTensor(2, 3))
LEGACY_CONSTRUCTORS = {
    name: _legacy(name, np.dtype(dt)) for name, dt in (
        ("FloatTensor", np.float32), ("DoubleTensor", np.float64), ("HalfTensor", np.float16),
        ("LongTensor", np.int64), ("IntTensor", np.int32), ("ShortTensor", np.int16),
        ("CharTensor", np.int8), ("ByteTensor", np.uint8), ("BoolTensor", np.bool_))
}
