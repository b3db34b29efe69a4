"""Argument validators shared by functional ops, layers and optimizers: one home, one policy.

Policy: an "int" is a Python or NumPy integer and never a bool (``True`` is not a kernel size);
bad sizes, shapes and dtype mismatches between arguments raise ``ValueError`` (as PyTorch's
constructors do), a dtype the op cannot compute in at all (integer input to a norm) raises
``TypeError``; every message starts with the op or layer that raised and gives the expected and
the actual value:

    Conv2d: stride must be >= 1, got (0, 1)
    Linear: expected input (*, 3), got (2, 4)
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def is_int(v) -> bool:
    """True for Python/NumPy integers, False for bools and everything else."""
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def check_int(owner: str, name: str, value, minimum: int | None = None) -> int:
    """Return ``value`` as an int, refusing non-integers, bools and values below ``minimum``."""
    if not is_int(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(f"{owner}: {name} must be an integer{bound}, got {value!r}")
    return int(value)


def check_positive_int(owner: str, **values) -> None:
    """Each keyword value must be an integer >= 1."""
    for name, v in values.items():
        check_int(owner, name, v, 1)


def check_nonnegative_int(owner: str, **values) -> None:
    """Each keyword value must be an integer >= 0 (an empty layer is well defined)."""
    for name, v in values.items():
        check_int(owner, name, v, 0)


def ntuple(owner: str, name: str, value, n: int, minimum: int | None = None) -> tuple:
    """int or sequence of n ints -> tuple of n ints (PyTorch's ``_ntuple``), each >= minimum.

    ``ntuple("Conv2d", "stride", 2, 2) == (2, 2)``; a list or tuple must have exactly n entries.
    """
    if is_int(value):
        out = (int(value),) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(map(is_int, value)):
        out = tuple(int(u) for u in value)
    else:
        kind = "an int" if n == 1 else f"an int or a tuple of {n} ints"
        count = ""
        if isinstance(value, (tuple, list)) and len(value) != n:
            count = f" ({name} has {len(value)} values for {n} dimension{'s' * (n != 1)})"
        raise ValueError(f"{owner}: {name} must be {kind}, got {value!r}{count}")
    if minimum is not None:
        check_min(owner, name, out, minimum)
    return out


def one_per(value, n: int, error) -> list:
    """``value`` as a list of n entries, one per axis, parameter group, ...: a list or tuple must
    have exactly n (else ``ValueError(error(value))``, the caller's message); anything else is
    repeated n times. Unlike ``ntuple`` the entries are not checked."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(error(value))
        return list(value)
    return [value] * n


def check_min(owner: str, name: str, values: tuple, minimum: int) -> None:
    """Every entry of an already parsed tuple must be >= minimum."""
    if min(values, default=minimum) < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {values}")


def check_probability(owner: str, name: str, p) -> float:
    """p must be a real number in [0, 1] (dropout's drop probability)."""
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{owner}: {name} has to be between 0 and 1, but got {p!r}")
    return float(p)


def check_shape(owner: str, name: str, array, expected: tuple) -> None:
    """``array.shape`` must match ``expected``; None or a string entry matches any size.

    The message shows the expected shape with its symbols: ``expected input (N, 3), got (2, 4)``.
    """
    shape = tuple(array.shape)
    if len(shape) != len(expected) or any(
            isinstance(e, int) and e != s for e, s in zip(expected, shape)):
        pretty = ", ".join("*" if e is None else str(e) for e in expected)
        pretty = f"({pretty},)" if len(expected) == 1 else f"({pretty})"
        raise ValueError(f"{owner}: expected {name} {pretty}, got {shape}")


def check_floating(owner: str, name: str, array) -> None:
    """Refuse integer and bool arrays where the math needs floating point (PyTorch raises)."""
    if not np.issubdtype(np.dtype(array.dtype), np.floating):
        raise TypeError(f"{owner}: expected {name} of a floating point dtype, got {array.dtype}")


def check_real(owner: str, name: str, value, low: float | None = None,
               high: float | None = None, *, high_open: bool = False) -> float:
    """A finite or infinite real number (no bool, no NaN) within [low, high] (or [low, high))."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and not (
        isinstance(value, float) and math.isnan(value))
    if ok and low is not None:
        ok = value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "" if low is None else f"{low} <= "
        hi = "" if high is None else (f" < {high}" if high_open else f" <= {high}")
        raise ValueError(f"{owner}: {name} must be a real number {lo}{name}{hi}, got {value!r}")
    return value


def check_dtype(owner: str, name: str, array, expected) -> None:
    """``array.dtype`` must equal ``expected`` (PyTorch refuses mixed dtypes instead of promoting)."""
    if np.dtype(array.dtype) != np.dtype(expected):
        raise ValueError(f"{owner}: expected {name} of dtype {np.dtype(expected)}, got "
                        f"{array.dtype}")


def check_dim(owner: str, dim: int, ndim: int) -> int:
    """A dimension index valid for an ndim-d input (negative counts from the end); returns it >= 0."""
    if not is_int(dim) or not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{owner}: dim must be in [{-max(ndim, 1)}, {max(ndim, 1) - 1}] for a "
                         f"{ndim}-d input, got {dim!r}")
    return int(dim) % max(ndim, 1)
