"""Map-style datasets: Dataset, TensorDataset, Subset, ConcatDataset and random_split.

Same classes and semantics as ``torch.utils.data``: a dataset is anything with ``__getitem__(i)``
and ``__len__()``; the DataLoader turns indices into batches.
"""
from __future__ import annotations

import bisect
import math

import numpy as np

from ..core import Tensor
from ..core.random import default_generator


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    ``a + b`` concatenates two datasets (a ConcatDataset), as in PyTorch.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Dataset of aligned arrays: item i is ``(t[i] for t in tensors)``.

    Args:
        *tensors: Tensors or NumPy arrays with the same first dimension.

    Items are Tensors (a NumPy view per row, no copy). ``get_batch(indices)`` gathers a whole
    batch with one fancy index per tensor; the DataLoader uses it with the default collate.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t)) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(
                f"TensorDataset: expected tensors with the same first dimension, got shapes "
                f"{[t.shape for t in self.tensors]}"
            )

    def __getitem__(self, index):
        return tuple(Tensor(t.array[index]) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def get_batch(self, indices):
        """The collated batch for ``indices``: a list of Tensors (N, ...), as default_collate gives."""
        idx = np.asarray(indices, dtype=np.int64)
        return [Tensor(t.array[idx]) for t in self.tensors]


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index):
        if isinstance(index, (list, tuple, np.ndarray)):
            return [self.dataset[self.indices[int(i)]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """The concatenation of several datasets; index i goes to the dataset whose range holds it."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset, got an empty list")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            if -index > n:
                raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
            index += n
        if index >= n:
            raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
        d = bisect.bisect_right(self.cumulative_sizes, index)
        offset = index - (self.cumulative_sizes[d - 1] if d > 0 else 0)
        return self.datasets[d][offset]


def batch_getter(dataset):
    """A function indices -> collated batch for datasets that gather whole batches at once
    (``get_batch``, e.g. TensorDataset, also through Subsets of it), else None."""
    if isinstance(dataset, Subset):
        inner = batch_getter(dataset.dataset)
        if inner is None:
            return None
        mapping = np.asarray(dataset.indices, dtype=np.int64)
        return lambda indices: inner(mapping[np.asarray(indices, dtype=np.int64)])
    return getattr(dataset, "get_batch", None)


def as_generator(generator) -> np.random.Generator | None:
    """A np.random.Generator from ``generator`` (Generator, int seed or None -> None)."""
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"generator: expected a np.random.Generator, an int seed or None, got {type(generator).__name__}"
    )


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    Args:
        dataset: the dataset to split.
        lengths: absolute lengths summing to ``len(dataset)``, or fractions summing to 1. With
            fractions, each length is ``floor(frac * n)`` and the remainder is given one by one to
            the splits in order (round-robin), as in PyTorch.
        generator: np.random.Generator or int seed for the permutation; None uses the library RNG
            (``gradwise.manual_seed``).

    Returns:
        list of Subset.
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: expected at least one length, got none")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and all(0 <= f <= 1 for f in lengths):
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(
            f"random_split: sum of input lengths ({sum(lengths)}) does not equal the length of "
            f"the input dataset ({n})"
        )
    rng = as_generator(generator) or default_generator()
    perm = rng.permutation(n).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + int(length)]))
        offset += int(length)
    return out
