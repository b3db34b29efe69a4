"""Loss modules: thin wrappers that hold the options and call ``functional.loss``.

Class weights (``weight``, ``pos_weight``) are registered as buffers, as in PyTorch, so they
appear in ``state_dict`` under the same keys.
"""
from __future__ import annotations

import numpy as np

from .. import functional as F
from ..core.tensor import Tensor
from ..functional.loss import _reduction
from .module import Module


def _as_tensor(x):
    if x is None or isinstance(x, Tensor):
        return x
    return Tensor(np.asarray(x))


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = _reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_tensor(weight))


class MSELoss(_Loss):
    """(x − y)², reduced.  Shape: input (*), target (*) -> () or (*) for 'none'."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """|x − y|, reduced.  Shape: input (*), target (*) -> () or (*) for 'none'."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy on logits (see ``functional.cross_entropy``).

    Shape: input (N, C) or (N, C, d1, ...) or (C,); target class indices (N,) / (N, d1, ...) /
    () or probabilities of the input's shape -> () or the per-sample loss for 'none'.
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood on log-probabilities (pair it with LogSoftmax).

    Shape: input (N, C) / (N, C, d1, ...) / (C,), target (N,) / (N, d1, ...) / () ->
    () or target's shape for 'none'.
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities in [0, 1].  Shape: (*), (*) -> () or (*)."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy, numerically stable.  Shape: (*), (*) -> () or (*).

    Args:
        weight: per-element rescaling, broadcastable to the input.
        pos_weight: weight of positive examples per class, broadcast along the last dim.
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_tensor(weight))
        self.register_buffer("pos_weight", _as_tensor(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
