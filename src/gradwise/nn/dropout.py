"""Dropout and Dropout2d as modules: active in training mode, the identity in eval mode."""
from __future__ import annotations

from .. import functional as F
from ..core.checks import check_probability
from .module import Module


class Dropout(Module):
    """Zero each element with probability p during training, scaling survivors by 1/(1 − p).

    Args:
        p: drop probability in [0, 1].
        inplace: accepted for compatibility; the output is always a new tensor.
        generator: np.random.Generator that draws the masks (default: the library RNG,
            ``gw.manual_seed``), so a model's dropout can be reproduced on its own.

    Shape: (*) -> (*)
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator=None):
        super().__init__()
        check_probability("Dropout", "dropout probability", p)
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, input):
        return F.dropout(input, self.p, self.training, generator=self.generator)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Module):
    """Zero whole channels with probability p in training (survivors scaled by 1/(1 − p)).

    The mask comes from ``generator`` (an np.random.Generator; default the library RNG,
    ``gw.manual_seed``); eval mode is the identity.

    Shape: (N, C, H, W) -> same; other ranks as ``F.dropout2d`` (PyTorch's: a 3-D input is
    (N, C, L), a 2-D (N, C) one is dropped element-wise, each with PyTorch's warning).
    """

    def __init__(self, p=0.5, inplace=False, *, generator=None):
        super().__init__()
        check_probability("Dropout2d", "probability", p)
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, generator=self.generator)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
