"""Module wrappers for ``functional.loss_extra``, with PyTorch's names, arguments and defaults:
SmoothL1Loss, HuberLoss, KLDivLoss, MarginRankingLoss, GaussianNLLLoss, TripletMarginLoss,
CosineSimilarity, PairwiseDistance, PixelShuffle."""
from __future__ import annotations

from .. import functional as F
from ..functional.loss import _reduction
from .module import Module


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = _reduction(size_average, reduce, reduction)


class SmoothL1Loss(_Loss):
    """½ d²/β below ``beta``, |d| − ½β above (d = input − target), reduced.

    Shape: input (*), target (*) -> () or (*) for 'none'.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta}")
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """½ d² below ``delta``, δ(|d| − ½δ) above, reduced.  Shape: (*), (*) -> () or (*)."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(None, None, reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be > 0, got {delta}")
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(Module):
    """target · (log target − input) with ``input`` in log-space; reduction 'batchmean' gives
    the KL divergence per sample.  Shape: (*), (*) -> () or (*) for 'none'."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__()
        self.reduction = (reduction if reduction == "batchmean"
                          else _reduction(size_average, reduce, reduction))
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class MarginRankingLoss(_Loss):
    """max(0, −y (x₁ − x₂) + margin), reduced.  Shape: (*), (*), (*) -> () or (*)."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """½ (log σ² + (input − target)² / σ²) [+ ½ log 2π], σ² clamped at ``eps``.

    Shape: input (N, *), target (N, *), var (N, *) or with one dimension 1 or (N, *) without
    the last -> () or (N, *) for 'none'.
    """

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """max(d(a, p) − d(a, n) + margin, 0) with d the p-norm distance, reduced.

    Shape: anchor, positive, negative (N, D) or (D,) -> () or (N,) for 'none'.
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginLoss: margin must be > 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class CosineSimilarity(Module):
    """Cosine of the angle between x1 and x2 along ``dim``.  Shape: (*, D, *) twice -> (*, *)."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self):
        return f"dim={self.dim}, eps={self.eps}"


class PairwiseDistance(Module):
    """‖x1 − x2 + eps‖_p over the last dimension.  Shape: (N, D), (N, D) -> (N,) or (N, 1)."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def extra_repr(self):
        return f"p={self.norm}, eps={self.eps}, keepdim={self.keepdim}"


class PixelShuffle(Module):
    """Rearrange (*, C·r², H, W) into (*, C, H·r, W·r), r = ``upscale_factor``."""

    def __init__(self, upscale_factor):
        super().__init__()
        if not (isinstance(upscale_factor, int) and upscale_factor > 0):
            raise ValueError(f"PixelShuffle: upscale_factor must be a positive int, got "
                             f"{upscale_factor!r}")
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"
