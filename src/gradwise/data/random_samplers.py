"""``SubsetRandomSampler`` and ``WeightedRandomSampler`` of ``torch.utils.data``.

Both draw from a per-epoch generator like ``RandomSampler`` (see ``sampler._EpochRandom``), so
``gradwise.manual_seed`` fixes the order of every epoch and ``state_dict`` replays an epoch.
"""
from __future__ import annotations

import numpy as np

from .sampler import _EpochRandom


class SubsetRandomSampler(_EpochRandom):
    """The given ``indices`` in a random order each epoch (without replacement).

    Args:
        indices: sequence of dataset indices.
        generator: np.random.Generator, int seed, or None for the library RNG.
    """

    def __init__(self, indices, generator=None):
        super().__init__(generator)
        self.indices = indices

    def __len__(self):
        return len(self.indices)

    def __iter__(self):
        gen, after_draw = self._begin_epoch()
        order = gen.permutation(len(self.indices))
        after_draw()
        return iter([self.indices[i] for i in order.tolist()])


class WeightedRandomSampler(_EpochRandom):
    """``num_samples`` indices in [0, len(weights)), index i drawn with probability
    w_i / Σ_j w_j (the weights need not sum to one).

    Args:
        weights: non-negative sequence, not all zero.
        num_samples: how many indices per epoch.
        replacement: with False, each index is drawn at most once (then num_samples ≤ number of
            non-zero weights).
        generator: np.random.Generator, int seed, or None for the library RNG.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        super().__init__(generator)
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer, "
                             f"got {num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean, "
                             f"got {replacement!r}")
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0 or (w < 0).any() or not np.isfinite(w).all() or w.sum() == 0:
            raise ValueError(f"WeightedRandomSampler: weights must be a non-empty 1-D sequence of "
                             f"finite non-negative numbers with a positive sum, got {weights!r}")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: num_samples={num_samples} exceeds the "
                             f"{np.count_nonzero(w)} non-zero weights without replacement")
        self.weights, self.num_samples, self.replacement = w, num_samples, replacement

    def __len__(self):
        return self.num_samples

    def __iter__(self):
        gen, after_draw = self._begin_epoch()
        order = gen.choice(self.weights.size, size=self.num_samples, replace=self.replacement,
                           p=self.weights / self.weights.sum())
        after_draw()
        return iter(order.tolist())
