"""Tensor methods about dtype, device, memory and construction (``to``, ``type``, ``new_zeros``,
``clone``, ``view_as``, ...), with PyTorch's signatures. Casting between floating dtypes and
``clone`` are differentiable; the rest create new leaves or describe the tensor.
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from ..core.device import CPU, check_device, is_device_spec, _refuse
from ..core.dtype import infer_array
from ..core.factories import as_tensor, is_tensor, unwrap
from . import shape as S

# dtype <-> PyTorch's legacy type names, as Tensor.type() returns them
_TYPE_NAMES = {
    np.dtype(np.float32): "torch.FloatTensor", np.dtype(np.float64): "torch.DoubleTensor",
    np.dtype(np.float16): "torch.HalfTensor", np.dtype(np.int64): "torch.LongTensor",
    np.dtype(np.int32): "torch.IntTensor", np.dtype(np.int16): "torch.ShortTensor",
    np.dtype(np.int8): "torch.CharTensor", np.dtype(np.uint8): "torch.ByteTensor",
    np.dtype(np.bool_): "torch.BoolTensor",
}
_NAME_TYPES = {v: k for k, v in _TYPE_NAMES.items()}


def _cast_forward(x, dtype):
    return x.astype(dtype), x.dtype


def _cast_backward(g, src_dtype):
    return g.astype(src_dtype)  # d(cast x)/dx = 1, cast back to the input's dtype


def cast(input, dtype, copy=False):
    """``input`` as ``dtype``; differentiable between floating dtypes, a new leaf otherwise."""
    dtype = np.dtype(dtype)
    if dtype == input.dtype:
        return clone(input) if copy else input
    if np.issubdtype(dtype, np.inexact) and np.issubdtype(input.dtype, np.inexact):
        return apply_op(_cast_forward, _cast_backward, input, dtype=dtype, name="to")
    return as_tensor(input.array.astype(dtype))


def _clone_forward(x):
    return x.copy(), None


def _clone_backward(g, cache):
    return g


def clone(input, *, memory_format=None):
    """A copy of ``input`` with its own memory; gradient flows back unchanged."""
    return apply_op(_clone_forward, _clone_backward, input, name="clone")


def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
       memory_format=None):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` or keywords.

    A device other than the CPU raises ``DeviceError``; ``non_blocking`` has no effect.
    """
    if len(args) > 2:
        raise TypeError(f"to() takes at most 2 positional arguments, got {len(args)}")
    for a in args:
        if is_tensor(a):  # to(other): other's dtype
            dtype = a.dtype
        elif is_device_spec(a) or (isinstance(a, int) and not isinstance(a, bool)):
            device = a
        else:
            dtype = a
    check_device(device, "Tensor.to")
    return self if dtype is None and not copy else cast(self, dtype or self.dtype, copy)


def cpu(self, memory_format=None):
    return self


def cuda(self, device=None, non_blocking=False):
    _refuse("cuda" if device is None else device, "Tensor.cuda")


def type_(self, dtype=None, non_blocking=False):
    """With no argument, PyTorch's type name ('torch.FloatTensor'); otherwise cast to ``dtype``
    (a dtype or such a name)."""
    if dtype is None:
        if self.dtype not in _TYPE_NAMES:
            raise TypeError(f"Tensor.type: no PyTorch type name for dtype {self.dtype}")
        return _TYPE_NAMES[self.dtype]
    if isinstance(dtype, str):
        if dtype not in _NAME_TYPES:
            raise ValueError(f"Tensor.type: invalid type {dtype!r}; expected one of "
                             f"{sorted(_NAME_TYPES)}")
        dtype = _NAME_TYPES[dtype]
    return cast(self, dtype)


def type_as(self, other):
    return cast(self, other.dtype)


def view_as(self, other):
    return S.reshape(self, *other.shape)


def contiguous(self, memory_format=None):
    """Itself: a gradwise tensor's reshapes copy when NumPy cannot view."""
    return self


def is_contiguous(self, memory_format=None):
    return bool(self.array.flags.c_contiguous)


def stride(self, dim=None):
    """Strides in elements, as PyTorch counts them (NumPy counts bytes)."""
    strides = tuple(s // self.array.itemsize for s in self.array.strides)
    return strides if dim is None else strides[dim]


def element_size(self):
    return self.array.itemsize


def is_floating_point(self):
    return bool(np.issubdtype(self.dtype, np.floating))


def nelement(self):
    return self.array.size


def _new_shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(int(s) for s in size)


def _leaf(array, requires_grad):
    """A new leaf around ``array`` (shared), requiring grad when asked."""
    leaf = as_tensor(array)
    return leaf.requires_grad_() if requires_grad else leaf


def _new(fill):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
        check_device(device, "Tensor.new")
        shape = _new_shape(size)
        array = fill(shape, np.dtype(dtype) if dtype is not None else self.dtype, **kwargs)
        return _leaf(array, requires_grad)

    return method


new_zeros = _new(np.zeros)
new_ones = _new(np.ones)
new_empty = _new(np.empty)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    check_device(device, "Tensor.new_full")
    dtype = np.dtype(dtype) if dtype is not None else self.dtype
    return _leaf(np.full(_new_shape((size,)), fill_value, dtype), requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """A new leaf holding a copy of ``data``, in this tensor's dtype unless ``dtype`` is given."""
    check_device(device, "Tensor.new_tensor")
    array = infer_array(unwrap(data), dtype if dtype is not None else self.dtype)
    return _leaf(array, requires_grad)


def __index__(self):
    if self.array.size != 1 or not np.issubdtype(self.dtype, np.integer):
        raise TypeError(f"only integer tensors of a single element can be converted to an index, "
                        f"got dtype {self.dtype} and shape {self.shape}")
    return int(self.array.item())


def __format__(self, spec):
    if self.array.ndim == 0:
        return format(self.array.item(), spec)
    return object.__format__(self, spec)


def _generator(generator):
    from ..core.random import default_generator

    return generator if generator is not None else default_generator()


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 with probability p (a number or a tensor of probabilities), else 0."""
    p = unwrap(p)
    return self._write(_generator(generator).random(self.shape) < p)


def exponential_(self, lambd=1.0, *, generator=None):
    return self._write(_generator(generator).exponential(1.0 / lambd, self.shape))


def random_(self, from_=0, to=None, *, generator=None):
    """Integers uniform in [from_, to) (one argument: [0, from_)), as PyTorch's random_."""
    if to is None:
        if from_ == 0:
            raise ValueError("random_: give the upper bound, e.g. random_(10)")
        from_, to = 0, from_
    return self._write(_generator(generator).integers(from_, to, self.shape))


def _device(self):
    return CPU


def _false(self):
    return False


PROPERTIES = {"device": _device, "is_cuda": _false, "is_mps": _false, "is_sparse": _false,
              "is_quantized": _false, "is_meta": _false, "mT": lambda self: S.transpose(self, -2, -1)}

METHODS = {
    "to": to, "cpu": cpu, "cuda": cuda, "type": type_, "type_as": type_as, "view_as": view_as,
    "contiguous": contiguous, "is_contiguous": is_contiguous, "stride": stride,
    "element_size": element_size, "is_floating_point": is_floating_point, "nelement": nelement,
    "new_zeros": new_zeros, "new_ones": new_ones, "new_empty": new_empty, "new_full": new_full,
    "new_tensor": new_tensor, "clone": clone, "__index__": __index__, "__format__": __format__,
    "half": lambda self: cast(self, np.float16), "bernoulli_": bernoulli_,
    "exponential_": exponential_, "random_": random_,
}
