"""DistributedSampler: each of W ranks reads its own 1/W of the dataset, PyTorch's rules.

For epoch e the order is ``torch.randperm(n)`` from a generator seeded with seed + e (the same
permutation on every rank, bit for bit PyTorch's), or 0..n−1 without shuffling. It is then

    padded  (drop_last=False) by repeating its head up to W·⌈n/W⌉ indices, or
    cut     (drop_last=True)  to W·⌈(n − W)/W⌉ indices (when W does not divide n),

and rank r takes every W-th index from position r: ``indices[r::W]``. Rank r's j-th index is
position r + W·j of the epoch order, so the global batch k (b per rank) is the contiguous block
``order[k·W·b:(k+1)·W·b]`` whatever W is: a run can resume at another world size.
"""
from __future__ import annotations

import math

import numpy as np

from .. import distributed as dist
from .sampler import Sampler


def torch_randperm(n: int, seed: int) -> np.ndarray:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed))`` in NumPy.

    PyTorch's CPU randperm is a Fisher–Yates shuffle drawing ``z = mt19937() % (n − i)``
    for i = 0 … n−2 from an MT19937 seeded with ``init_genrand(seed)``, which is what NumPy's
    legacy ``RandomState(seed)`` is; its full-range uint32 ``randint`` returns the raw words.
    (PyTorch switches to 64-bit draws only for n ≥ 2³²/20, beyond any dataset here.)
    """
    if n >= (1 << 32) // 20:
        raise ValueError(f"torch_randperm: n must be below {(1 << 32) // 20}, got {n}")
    raw = np.random.RandomState(seed & 0xFFFFFFFF).randint(
        0, 1 << 32, size=max(n - 1, 0), dtype=np.uint32)
    z = (np.arange(n - 1) + raw.astype(np.int64) % np.arange(n, 1, -1)).tolist()
    r = list(range(n))
    for i, j in enumerate(z):
        r[i], r[j] = r[j], r[i]
    return np.asarray(r, dtype=np.int64)


class DistributedSampler(Sampler):
    """Sample the indices of ``dataset`` that belong to one rank (PyTorch's class).

    Args:
        dataset: anything with ``len()``.
        num_replicas: W, the number of ranks (default: the process group's world size).
        rank: this rank (default: the process group's rank).
        shuffle: permute the indices each epoch (call ``set_epoch(e)`` before each epoch).
        seed: the permutation of epoch e uses seed + e; must agree across ranks.
        drop_last: drop the tail so every rank gets the same count, instead of padding with
            repeated indices.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None:
            num_replicas = dist.get_world_size()
        if rank is None:
            rank = dist.get_rank()
        if not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive int, got "
                             f"{num_replicas!r}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank}, rank should be in the "
                             f"interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def epoch_order(self) -> np.ndarray:
        """The padded (or cut) global order of this epoch, shared by every rank: (total_size,)."""
        n = len(self.dataset)
        order = torch_randperm(n, self.seed + self.epoch) if self.shuffle else np.arange(n)
        if self.drop_last:
            return order[:self.total_size]
        pad = self.total_size - n
        if pad > 0:
            order = np.concatenate([order, np.resize(order, pad)])  # head repeated, cyclically
        return order

    def __iter__(self):
        return iter(self.epoch_order()[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Choose the permutation of the next ``__iter__`` (seed + epoch)."""
        self.epoch = int(epoch)

    def state_dict(self):
        return {"epoch": self.epoch}

    def load_state_dict(self, state) -> None:
        if state is None:
            return
        if not isinstance(state, dict) or "epoch" not in state:
            raise ValueError(f"DistributedSampler.load_state_dict: expected {{'epoch': int}}, got "
                             f"{state!r}")
        self.epoch = int(state["epoch"])
