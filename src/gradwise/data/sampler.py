"""Samplers: which dataset indices an epoch visits, in which order, and how they are batched.

``SequentialSampler``, ``RandomSampler`` and ``BatchSampler`` follow ``torch.utils.data``;
``BucketBySequenceLengthSampler`` groups sequences of similar length into the same batch so that
padding stays small.

Resuming mid-epoch. A sampler that shuffles keeps the state of the random generator from just
before the current epoch's draw. ``state_dict()`` returns it (JSON-serialisable) and
``load_state_dict()`` makes the next ``iter()`` replay exactly that epoch's order: this is how
``DataLoader.load_state_dict`` continues an interrupted epoch.
"""
from __future__ import annotations

import numpy as np

from ..core.random import default_generator
from .dataset import as_generator


def _to_json(obj):
    """A bit-generator state dict with its NumPy arrays turned into lists (MT19937 has one)."""
    if isinstance(obj, dict):
        return {k: _to_json(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": obj.tolist(), "dtype": str(obj.dtype)}
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _from_json(obj):
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            return np.asarray(obj["__ndarray__"], dtype=obj["dtype"])
        return {k: _from_json(v) for k, v in obj.items()}
    return obj


def rng_state(generator: np.random.Generator) -> dict:
    """The JSON-serialisable state of a np.random.Generator."""
    return _to_json(generator.bit_generator.state)


def generator_from_state(state: dict) -> np.random.Generator:
    """A new np.random.Generator in the given state (as returned by ``rng_state``)."""
    state = _from_json(state)
    name = state.get("bit_generator")
    bit_generator_cls = getattr(np.random, str(name), None)
    if bit_generator_cls is None or not isinstance(bit_generator_cls, type):
        raise ValueError(f"generator state: unknown bit generator {name!r}")
    bit_generator = bit_generator_cls()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


class Sampler:
    """Base class: ``__iter__`` yields dataset indices, ``__len__`` says how many."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def state_dict(self):
        """State needed to replay the current epoch's order; None when the order is fixed."""
        return None

    def load_state_dict(self, state) -> None:
        if state is not None:
            raise ValueError(f"{type(self).__name__} has no state to load, got {state!r}")


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class _EpochRandom(Sampler):
    """Shared machinery of the shuffling samplers: one generator per epoch, replayable.

    With ``generator=None`` every epoch draws a fresh seed from the library RNG (as PyTorch draws
    one from its default generator), so ``gradwise.manual_seed`` fixes the whole sequence of epochs.
    """

    def __init__(self, generator):
        self.generator = as_generator(generator)
        self._epoch_state = None  # generator state just before the current epoch's draw
        self._replay = None       # state loaded by load_state_dict, used by the next epoch

    def _begin_epoch(self):
        """The generator for this epoch's draw, and a function to call after the draw."""
        replay, self._replay = self._replay, None
        if replay is None:
            if self.generator is not None:
                gen = self.generator
            else:
                gen = np.random.default_rng(int(default_generator().integers(0, 2**63 - 1)))
            self._epoch_state = rng_state(gen)
            return gen, lambda: None
        self._epoch_state = replay["epoch_rng_state"]
        if self.generator is None:
            return generator_from_state(self._epoch_state), lambda: None
        self.generator.bit_generator.state = _from_json(self._epoch_state)
        after = replay.get("generator_state")

        def restore():  # the generator may have been used by others after the draw
            if after is not None:
                self.generator.bit_generator.state = _from_json(after)
        return self.generator, restore

    def state_dict(self):
        if self._epoch_state is None:
            return None
        return {
            "epoch_rng_state": self._epoch_state,
            "generator_state": rng_state(self.generator) if self.generator is not None else None,
        }

    def load_state_dict(self, state) -> None:
        if state is None:
            self._replay = None
            return
        if not isinstance(state, dict) or "epoch_rng_state" not in state:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: expected a dict with 'epoch_rng_state', "
                f"got {state!r}"
            )
        self._replay = state


class RandomSampler(_EpochRandom):
    """Indices in a random order (a permutation per epoch), or drawn with replacement.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw ``num_samples`` indices with replacement.
        num_samples: how many indices per epoch (default: len(data_source)). Without replacement
            and larger than the dataset, several permutations are concatenated, as in PyTorch.
        generator: np.random.Generator, int seed, or None for the library RNG.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        super().__init__(generator)
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = num_samples
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples should be a positive integer, got {num_samples!r}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self):
        return self.num_samples

    def __iter__(self):
        n, k = len(self.data_source), self.num_samples
        gen, after_draw = self._begin_epoch()
        if self.replacement:
            order = gen.integers(0, n, size=k, dtype=np.int64)
        else:
            parts = [gen.permutation(n) for _ in range(k // n)]
            parts.append(gen.permutation(n)[: k % n])
            order = np.concatenate(parts)
        after_draw()
        return iter(order.tolist())


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    The last batch is shorter when len(sampler) is not a multiple of batch_size, unless
    ``drop_last=True`` drops it.
    """

    def __init__(self, sampler, batch_size, drop_last=False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean, got {drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        indices = iter(self.sampler)  # eager: a shuffling sampler draws its order now
        return self._batches(indices)

    def _batches(self, indices):
        batch = []
        for i in indices:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def state_dict(self):
        return self.sampler.state_dict() if hasattr(self.sampler, "state_dict") else None

    def load_state_dict(self, state) -> None:
        if hasattr(self.sampler, "load_state_dict"):
            self.sampler.load_state_dict(state)
        elif state is not None:
            raise ValueError(f"BatchSampler: its sampler {type(self.sampler).__name__} has no state to load")


class BucketBySequenceLengthSampler(_EpochRandom):
    """Batch sampler that puts sequences of similar length into the same batch.

    With ``shuffle=True`` each epoch: permute all indices, cut them into pools of ``bucket_size``,
    sort each pool by length (stable), cut each pool into batches, then shuffle the batch order
    (the torchtext ``BucketIterator`` scheme). Batches are nearly uniform in length, and still
    differ from epoch to epoch. With ``shuffle=False``: sort everything by length once and batch
    in that order (shortest first).

    Args:
        lengths: sequence length of every dataset item (ints).
        batch_size: items per batch.
        bucket_size: items per pool (a multiple of batch_size; default 100 * batch_size).
        shuffle: randomise as above; otherwise a fixed order.
        drop_last: drop the final short batch.
        generator: np.random.Generator, int seed, or None for the library RNG.

    Use it as ``DataLoader(ds, batch_sampler=BucketBySequenceLengthSampler(lengths, 32),
    collate_fn=pad_collate)``.
    """

    def __init__(self, lengths, batch_size, bucket_size=None, shuffle=True, drop_last=False,
                 generator=None):
        super().__init__(generator)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"BucketBySequenceLengthSampler: batch_size should be a positive integer, got {batch_size!r}"
            )
        bucket_size = 100 * batch_size if bucket_size is None else bucket_size
        if not isinstance(bucket_size, int) or bucket_size <= 0 or bucket_size % batch_size:
            raise ValueError(
                f"BucketBySequenceLengthSampler: bucket_size should be a positive multiple of "
                f"batch_size={batch_size}, got {bucket_size!r}"
            )
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if self.lengths.ndim != 1:
            raise ValueError(
                f"BucketBySequenceLengthSampler: expected a 1-D list of lengths, got shape {self.lengths.shape}"
            )
        self.batch_size, self.bucket_size = batch_size, bucket_size
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)

    def __len__(self):
        n = len(self.lengths)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _cut(self, order):
        bs = self.batch_size
        batches = [order[i:i + bs].tolist() for i in range(0, len(order), bs)]
        if self.drop_last and batches and len(batches[-1]) < bs:
            batches.pop()
        return batches

    def __iter__(self):
        if not self.shuffle:
            return iter(self._cut(np.argsort(self.lengths, kind="stable")))
        gen, after_draw = self._begin_epoch()
        perm = gen.permutation(len(self.lengths))
        pools = []
        for start in range(0, len(perm), self.bucket_size):
            pool = perm[start:start + self.bucket_size]
            pools.append(pool[np.argsort(self.lengths[pool], kind="stable")])
        batches = self._cut(np.concatenate(pools) if pools else perm)
        batch_order = gen.permutation(len(batches))
        after_draw()
        return iter([batches[i] for i in batch_order])
