"""Training-time data augmentation for image tasks: random translations.

The augmentation is a NumPy function of a batch plus a step-function wrapper that applies it
to training batches only, so evaluation sees the images as they are.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..core.random import default_generator
from ..core.tensor import Tensor


def random_shift(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Translate each image by (dy, dx) ~ U{-max_shift..max_shift}², filling with the background.

    The background is the minimum pixel value (0 before normalisation).
    Shape: (N, C, H, W) -> (N, C, H, W)
    """
    if max_shift == 0:
        return x
    n, _, h, w = x.shape
    m = max_shift
    padded = np.pad(x, ((0, 0), (0, 0), (m, m), (m, m)), constant_values=x.min())
    d = rng.integers(0, 2 * m + 1, size=(n, 2))          # offsets into the padded image
    out = np.empty_like(x)
    for i in range(n):
        out[i] = padded[i, :, d[i, 0]:d[i, 0] + h, d[i, 1]:d[i, 1] + w]
    return out


class ShiftStep:
    """``step_fn`` with random-translation augmentation of the training batches ``(x, y)``
    (offsets drawn from the library RNG, so a resumed run draws the same ones)."""

    def __init__(self, max_shift: int, step_fn: Callable):
        self.max_shift, self.step_fn = max_shift, step_fn

    def __call__(self, model, batch, training):
        if training and self.max_shift:
            x, y = batch
            x = Tensor(random_shift(x.array, self.max_shift, default_generator()))
            batch = (x, y)
        return self.step_fn(model, batch, training)
