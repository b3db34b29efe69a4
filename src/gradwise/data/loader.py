"""DataLoader and the collate functions that turn a list of samples into a batch.

``DataLoader`` follows ``torch.utils.data.DataLoader``: a sampler chooses the
indices, a batch sampler groups them, ``collate_fn`` stacks the samples. Two additions:

- ``state_dict()`` / ``load_state_dict()`` record the position (epoch, batches already yielded
  in the epoch, and the shuffling RNG state of that epoch) so a training run can stop mid-epoch
  and resume with exactly the same remaining batches;
- ``pad_collate`` pads variable-length sequences and returns their lengths and a mask.
"""
from __future__ import annotations

import collections.abc

import numpy as np

from ..core import Tensor
from ..core.dtype import infer_array
from .dataset import batch_getter
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from .workers import iterate_in_workers


def default_collate(batch):
    """Stack a list of samples into a batch, recursively, like PyTorch's ``default_collate``.

    - Tensors, NumPy arrays and NumPy scalars -> one Tensor with a new first axis (dtype kept);
    - Python floats -> float64 Tensor, ints -> int64, bools -> bool (as PyTorch);
    - str / bytes -> the list unchanged;
    - dicts -> a dict of collated values; namedtuples -> the same namedtuple type;
    - tuples -> a *list* of collated fields (as PyTorch), lists -> a list.

    Raises:
        TypeError: an element type that cannot be collated.
        RuntimeError: samples whose arrays have different shapes, or sequences of unequal size.
    """
    if not isinstance(batch, (list, tuple)) or len(batch) == 0:
        raise TypeError(f"default_collate: expected a non-empty list of samples, got {batch!r}")
    elem = batch[0]
    if isinstance(elem, (Tensor, np.ndarray)):
        arrays = [b.array if isinstance(b, Tensor) else b for b in batch]
        if isinstance(elem, np.ndarray) and elem.dtype.kind in "USO":
            raise TypeError(f"default_collate: arrays of dtype {elem.dtype} cannot be collated")
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise RuntimeError(
                f"default_collate: stack expects each sample to have the same shape, got "
                f"{sorted(shapes)}; use pad_collate for variable-length sequences"
            )
        return Tensor(np.stack(arrays))
    if isinstance(elem, np.generic):
        if elem.dtype.kind in "USO":
            raise TypeError(f"default_collate: NumPy scalars of dtype {elem.dtype} cannot be collated")
        return Tensor(np.array(batch))
    if isinstance(elem, bool):
        return Tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain Tensors, NumPy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


def _is_sequence(x) -> bool:
    if isinstance(x, (Tensor, np.ndarray)):
        return x.ndim >= 1
    return isinstance(x, list)


def _pad(seqs, pad_value, batch_first):
    """Pad along the first axis. Returns (padded (N, L, *) or (L, N, *), lengths (N,), mask)."""
    arrays = [s.array if isinstance(s, Tensor) else infer_array(s) for s in seqs]
    trailing = {a.shape[1:] for a in arrays if a.shape[0] > 0} or {arrays[0].shape[1:]}
    if len(trailing) > 1:
        raise RuntimeError(
            f"pad_collate: sequences must agree in every dimension but the first, got trailing "
            f"shapes {sorted(trailing)}"
        )
    lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
    max_len = int(lengths.max()) if len(lengths) else 0
    dtype = np.result_type(*[a.dtype for a in arrays])
    padded = np.full((len(arrays), max_len) + trailing.pop(), pad_value, dtype=dtype)  # (N, L, *)
    for i, a in enumerate(arrays):
        padded[i, : a.shape[0]] = a
    mask = np.arange(max_len)[None, :] < lengths[:, None]  # (N, L)
    if not batch_first:
        padded = np.ascontiguousarray(np.swapaxes(padded, 0, 1))  # (L, N, *)
        mask = np.ascontiguousarray(mask.T)                       # (L, N)
    return Tensor(padded), Tensor(lengths), Tensor(mask)


def pad_collate(batch, pad_value=0, batch_first=True):
    """Collate variable-length sequences: pad them, and return their lengths and a mask.

    Args:
        batch: a list of samples. A sample is either a sequence (list, 1-D+ array or Tensor; the
            first axis is time) or a tuple ``(sequence, *fields)``. Among the other fields,
            sequences are padded the same way (e.g. the tag sequence of a tagger, the target of a
            translation pair) and everything else is stacked with ``default_collate``.
        pad_value: the padding value; a tuple gives one value per tuple field (e.g. ``(0, -100)``
            for word ids and tag ids ignored by the loss).
        batch_first: (N, L, ...) layout if True (the default here), (L, N, ...) otherwise, as
            ``torch.nn.utils.rnn.pad_sequence(batch_first=...)``.

    Returns:
        ``(padded, lengths, mask)`` for sequence samples, ``(padded, lengths, mask, *fields)`` for
        tuple samples. ``lengths`` is int64 (N,); ``mask`` is bool, True on real steps, with the
        layout of ``padded``'s first two axes. Python ints pad to int64, Python floats to the
        default float dtype; arrays keep their dtype.

    Shape: padded (N, L_max, *) if batch_first else (L_max, N, *), lengths (N,), mask (N, L_max).
    """
    if not isinstance(batch, (list, tuple)) or len(batch) == 0:
        raise TypeError(f"pad_collate: expected a non-empty list of samples, got {batch!r}")
    if not isinstance(batch[0], tuple):
        if not isinstance(pad_value, (int, float, bool, np.generic)):
            raise ValueError(f"pad_collate: sequence samples take a scalar pad_value, got {pad_value!r}")
        return _pad(batch, pad_value, batch_first)
    n_fields = len(batch[0])
    if any(not isinstance(b, tuple) or len(b) != n_fields for b in batch):
        raise RuntimeError(f"pad_collate: every sample should be a tuple of {n_fields} fields")
    values = tuple(pad_value) if isinstance(pad_value, (tuple, list)) else (pad_value,) * n_fields
    if len(values) != n_fields:
        raise ValueError(
            f"pad_collate: got {len(values)} pad values for samples of {n_fields} fields"
        )
    fields = list(zip(*batch))
    out = list(_pad(fields[0], values[0], batch_first))
    for column, value in zip(fields[1:], values[1:]):
        if _is_sequence(column[0]):
            out.append(_pad(column, value, batch_first)[0])
        else:
            out.append(default_collate(list(column)))
    return tuple(out)


class DataLoader:
    """Iterate over a dataset in mini-batches; deterministic under a seed and resumable.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch.
        shuffle: reshuffle every epoch (a RandomSampler with ``generator``).
        sampler: custom index order (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes batch_size, shuffle, sampler, drop_last).
        drop_last: drop the last, incomplete batch.
        collate_fn: list of samples -> batch; default ``default_collate``.
        generator: np.random.Generator or int seed for shuffling; None draws a seed per epoch
            from the library RNG, so ``gradwise.manual_seed(s)`` makes the epochs reproducible.

        num_workers: 0 loads in this process; N > 0 forks N worker processes that prefetch
            ``prefetch_factor`` batches each (see ``data.workers`` for order and seeding).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        timeout: seconds to wait for a worker's batch (0: wait, checking the workers live).
        pin_memory: accepted; pinning is for copies to a GPU, which gradwise does not use.

    Differences from PyTorch: workers are forked per epoch (no ``persistent_workers``); with the default collate, a
    dataset that has ``get_batch(indices)`` (TensorDataset, and Subsets of it) is gathered with
    one fancy index per tensor instead of item by item (same result, much faster); ``state_dict()``/``load_state_dict()`` save and restore the position.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 drop_last=False, collate_fn=None, generator=None, num_workers=0,
                 pin_memory=False, timeout=0, worker_init_fn=None, multiprocessing_context=None,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device=""):
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be a non-negative integer, "
                             f"got {num_workers!r}")
        if num_workers == 0 and (prefetch_factor is not None or persistent_workers):
            raise ValueError("DataLoader: prefetch_factor and persistent_workers need "
                             "num_workers > 0")
        if persistent_workers:
            raise NotImplementedError("DataLoader: persistent_workers=True is not supported; "
                                      "workers are started for each epoch")
        if multiprocessing_context not in (None, "fork"):
            raise ValueError(f"DataLoader: only the 'fork' multiprocessing context is supported, "
                             f"got {multiprocessing_context!r}")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        self.num_workers, self.timeout, self.worker_init_fn = num_workers, timeout, worker_init_fn
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers else prefetch_factor
        self.pin_memory = pin_memory
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
        elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size should be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = None if batch_sampler is not None else batch_size
        self.drop_last = drop_last
        self.generator = generator
        if batch_sampler is None:
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self._gather = batch_getter(dataset) if collate_fn is None else None
        self._epoch = 0          # index of the current (or next) epoch
        self._batch_index = 0    # batches already yielded in the current epoch
        self._in_epoch = False   # an epoch was started and not finished
        self._resume = None      # position loaded by load_state_dict, used by the next iter()

    def __len__(self):
        return len(self.batch_sampler)

    @property
    def epoch(self) -> int:
        """Index of the epoch in progress (or of the next one, between epochs)."""
        return self._epoch

    @property
    def batch_index(self) -> int:
        """Number of batches already yielded in the epoch in progress."""
        return self._batch_index

    def _fetch(self, indices):
        if self._gather is not None:
            return self._gather(indices)
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems is not None else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def __iter__(self):
        skip = 0
        if self._resume is not None:
            state, self._resume = self._resume, None
            skip = state["batch_index"]
            if state["sampler"] is not None:
                self.batch_sampler.load_state_dict(state["sampler"])
        elif self._in_epoch:  # the previous epoch was abandoned before its end
            self._epoch += 1
        batches = iter(self.batch_sampler)  # draws the epoch's order now
        self._in_epoch, self._batch_index = True, skip
        for _ in range(skip):
            next(batches)
        return self._iterate(batches)

    def _iterate(self, batches):
        if self.num_workers > 0:
            fetched = iterate_in_workers(self, batches, self.num_workers, self.prefetch_factor,
                                         self.worker_init_fn, self.timeout)
        else:
            fetched = (self._fetch(indices) for indices in batches)
        for batch in fetched:
            self._batch_index += 1  # before yielding, so state_dict() counts this batch as consumed
            yield batch
        self._in_epoch, self._batch_index = False, 0
        self._epoch += 1

    def state_dict(self) -> dict:
        """The loader's position: JSON-serialisable.

        Keys: ``epoch``, ``batch_index`` (batches already consumed in that epoch), ``num_batches``
        (to detect a changed dataset), ``sampler`` (the shuffling RNG state of the epoch in
        progress, or None).
        """
        in_epoch = self._in_epoch
        sampler_state = self.batch_sampler.state_dict() if in_epoch and hasattr(self.batch_sampler, "state_dict") else None
        return {
            "epoch": self._epoch,
            "batch_index": self._batch_index if in_epoch else 0,
            "num_batches": len(self),
            "sampler": sampler_state,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a position from ``state_dict()``: the next ``iter()`` continues that epoch.

        Restore the library RNG (``gradwise.set_rng_state``) separately: the checkpoint helper does.
        """
        if not isinstance(state, dict) or not {"epoch", "batch_index", "sampler"} <= set(state):
            raise ValueError(
                f"DataLoader.load_state_dict: expected keys 'epoch', 'batch_index', 'sampler', got {state!r}"
            )
        if state.get("num_batches", len(self)) != len(self):
            raise ValueError(
                f"DataLoader.load_state_dict: the saved loader had {state['num_batches']} batches per "
                f"epoch, this one has {len(self)}; the dataset or batch size changed"
            )
        if not 0 <= int(state["batch_index"]) <= len(self):
            raise ValueError(
                f"DataLoader.load_state_dict: batch_index {state['batch_index']} outside [0, {len(self)}]"
            )
        if state["sampler"] is not None and not hasattr(self.batch_sampler, "load_state_dict"):
            raise ValueError("DataLoader.load_state_dict: this loader's batch sampler has no state to load")
        self._epoch = int(state["epoch"])
        self._batch_index = int(state["batch_index"])
        self._in_epoch = False
        in_epoch = self._batch_index > 0 or state["sampler"] is not None
        self._resume = {"batch_index": self._batch_index, "sampler": state["sampler"]} if in_epoch else None
