"""Dropout (inverted): zero each element (dropout) or each channel (dropout2d) with probability
p and scale the rest by 1/(1 − p)."""
from __future__ import annotations

import warnings

import numpy as np

from ..core import apply_op
from ..core.checks import check_probability
from ..core.random import default_generator


def dropout_forward(x, p=0.5, training=True, rng=None):
    """y = x ⊙ m / (1 − p) with m_i ~ Bernoulli(1 − p) when training; y = x otherwise.

    Args:
        p: drop probability in [0, 1]; p = 1 zeroes everything.
        training: apply dropout (True) or the identity (False).
        rng: the np.random.Generator that draws the mask (required when training and 0 < p).

    Shape: x (*) -> y (*)
    """
    if not training or p == 0:
        return x.copy(), None
    mask = _scaled_keep_mask(x.shape, p, x.dtype, rng)
    return x * mask, mask


def _scaled_keep_mask(shape, p, dtype, rng):
    """m / (1 − p) with m ~ Bernoulli(1 − p): kept entries already carry the inverted scale."""
    if p == 1:
        return np.zeros(shape, dtype)
    keep = rng.random(shape, dtype=np.float32 if dtype == np.float32 else np.float64) >= p
    return keep.astype(dtype) * dtype.type(1 / (1 - p))


def dropout_backward(g, mask):
    return g.copy() if mask is None else g * mask  # dL/dx = dL/dy ⊙ m / (1 − p)


def _generator(op, rng, generator):
    """The mask's np.random.Generator: ``generator=`` (or its older name ``rng=``), else the
    library RNG (``gw.manual_seed``)."""
    if rng is not None and generator is not None:
        raise ValueError(f"{op}: pass generator= or rng=, not both")
    g = generator if generator is not None else rng
    if g is None:
        return default_generator()
    if not isinstance(g, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy.random.Generator, got "
                        f"{type(g).__name__}")
    return g


def dropout(input, p=0.5, training=True, inplace=False, rng=None, *, generator=None):
    """Inverted dropout, PyTorch's F.dropout (``training=True`` by default, as in PyTorch).

    Args:
        input: Tensor of any shape.
        p: probability of zeroing an element.
        training: apply dropout only when True (pass ``self.training`` from a module).
        inplace: accepted for compatibility; gradwise always returns a new tensor.
        rng, generator: np.random.Generator for the mask (two names for one argument; PyTorch's
            F.dropout has neither); defaults to the library RNG (``gw.manual_seed``).
    """
    p = check_probability("dropout", "dropout probability", p)
    if not np.issubdtype(input.dtype, np.floating):
        raise TypeError(f"dropout: input must be floating point, got {input.dtype}")
    rng = _generator("dropout", rng, generator)
    return apply_op(dropout_forward, dropout_backward, input, p=float(p), training=bool(training),
                    rng=rng, name="dropout")


def dropout2d_forward(x, p=0.5, training=True, rng=None):
    """Zero whole channels: y[n, c] = x[n, c] · m[n, c] / (1 − p), m[n, c] ~ Bernoulli(1 − p).

    Shape: x (N, C, *) -> y like x
    """
    if not training or p == 0:
        return x.copy(), None
    mask = _scaled_keep_mask(x.shape[:2] + (1,) * (x.ndim - 2), p, x.dtype, rng)  # per (n, c)
    return x * mask, mask


dropout2d_backward = dropout_backward  # dL/dx = dL/dy ⊙ m / (1 − p), m broadcast over (H, W)


# PyTorch 2.13's warnings, word for word (torch.nn.functional.dropout2d)
_DROPOUT2D_RANK = (
    "dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will result in an "
    "error in a future release. To retain the behavior and silence this warning, please use "
    "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
    "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
    "inputs).")
_DROPOUT2D_3D = (
    "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
    "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
    "This behavior will change in a future release to interpret the input as one without a batch "
    "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
    "switch to using dropout1d instead.")


def dropout2d(input, p=0.5, training=True, inplace=False, rng=None, *, generator=None):
    """Channel dropout (PyTorch's F.dropout2d): each (n, c) feature map is kept or zeroed whole.

    Args:
        p: probability of zeroing a channel.
        training: apply only when True.
        inplace: accepted for compatibility; a new tensor is always returned.
        rng, generator: np.random.Generator (two names for one argument); defaults to the
            library RNG (``gw.manual_seed``).

    Shape: (N, C, H, W) -> same. Other ranks behave as in PyTorch 2.13, with its warnings: a
    3-D input is (N, C, L), not an unbatched (C, H, W), and channels are dropped along axis 1;
    a 2-D (N, C) input (or a 5-D one) is dropped per (n, c), which for 2-D is element-wise.
    """
    p = check_probability("dropout2d", "probability", p)
    if not np.issubdtype(input.dtype, np.floating):
        raise TypeError(f"dropout2d: input must be floating point, got {input.dtype}")
    if input.ndim < 2:
        raise ValueError(f"dropout2d: expected input (N, C, H, W) with at least 2 dims (feature "
                         f"dropout), got shape {tuple(input.shape)}")
    if input.ndim not in (3, 4):
        warnings.warn(_DROPOUT2D_RANK.format(ndim=input.ndim), UserWarning, stacklevel=2)
    if input.ndim == 3:
        warnings.warn(_DROPOUT2D_3D, UserWarning, stacklevel=2)
    rng = _generator("dropout2d", rng, generator)
    return apply_op(dropout2d_forward, dropout2d_backward, input, p=float(p),
                    training=bool(training), rng=rng, name="dropout2d")
