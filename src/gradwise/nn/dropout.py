"""Dropout as a module: active in training mode, the identity in eval mode."""
from __future__ import annotations

from .. import functional as F
from ..core.random import default_generator
from .module import Module


class Dropout(Module):
    """Zero each element with probability p during training, scaling survivors by 1/(1 − p).

    The mask is drawn from the library RNG (``gw.manual_seed``). ``inplace`` is accepted for
    compatibility but the output is always a new tensor.

    Shape: (*) -> (*)
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, rng=default_generator())

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
