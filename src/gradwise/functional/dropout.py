"""Dropout (inverted): zero each element with probability p and scale the rest by 1/(1 − p)."""
from __future__ import annotations

import numpy as np

from ..core import apply_op
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
    if p == 1:
        return np.zeros_like(x), np.zeros(x.shape, x.dtype)
    # keep with probability 1 − p; the mask already carries the 1/(1 − p) scale
    keep = rng.random(x.shape, dtype=np.float32 if x.dtype == np.float32 else np.float64) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1 / (1 - p))
    return x * mask, mask


def dropout_backward(g, mask):
    return g.copy() if mask is None else g * mask  # dL/dx = dL/dy ⊙ m / (1 − p)


def dropout(input, p=0.5, training=True, inplace=False, rng=None):
    """Inverted dropout, PyTorch's F.dropout (``training=True`` by default, as in PyTorch).

    Args:
        input: Tensor of any shape.
        p: probability of zeroing an element.
        training: apply dropout only when True (pass ``self.training`` from a module).
        inplace: accepted for compatibility; gradwise always returns a new tensor.
        rng: np.random.Generator for the mask; defaults to the library RNG (``gw.manual_seed``).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not np.issubdtype(input.dtype, np.floating):
        raise TypeError(f"dropout: input must be floating point, got {input.dtype}")
    rng = default_generator() if rng is None else rng
    return apply_op(dropout_forward, dropout_backward, input, p=float(p), training=bool(training),
                    rng=rng, name="dropout")
