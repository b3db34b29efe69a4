"""The Trainer's data parallelism: W ranks (started by ``mpiexec -n W``) share each batch.

Every rank iterates the same global loader (same seed, same order) and keeps its rows of each
batch: rank r takes rows [s_r, s_{r+1}) of B, the first B mod W ranks one more (NumPy's
``array_split``), so ``--batch-size`` is the global batch. The loader position in a checkpoint
is therefore the same at any world size, and a run resumes at any W.

With rank r's mean loss L_r over n_r items and N = Σ_r n_r, each rank backpropagates
L_r · W·n_r/N; DistributedDataParallel averages (÷ W), giving ∇ (1/N) Σ_r n_r L_r, the gradient
of the single-process mean loss, also for unequal shards (one scalar allreduce per step finds N).
Evaluation shards the same way and sums loss·n, n and every metric counter across ranks.
BatchNorm layers become SyncBatchNorm, so the statistics are those of the whole batch.
"""
from __future__ import annotations

import copy

import numpy as np

from .. import distributed as dist
from ..core.tensor import Tensor
from ..nn.parallel import DistributedDataParallel
from ..nn.sync_batchnorm import SyncBatchNorm


def wants_data_parallel(distributed: bool | None) -> bool:
    """``distributed=None``: whether an MPI launcher started more than one rank."""
    if distributed is None:
        return dist.launched_by_mpi() and dist.launcher_world_size() > 1
    return bool(distributed)


class DataParallel:
    """Sharding, gradient averaging and reductions for the Trainer on the default group."""

    def __init__(self, model):
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        self.model = SyncBatchNorm.convert_sync_batchnorm(model)
        self.ddp = DistributedDataParallel(self.model, broadcast_buffers=False,
                                           find_unused_parameters=True)

    # -- batches -----------------------------------------------------------------------------
    def rows(self, batch_size: int) -> slice:
        base, extra = divmod(batch_size, self.world)
        start = self.rank * base + min(self.rank, extra)
        return slice(start, start + base + (self.rank < extra))

    def shard(self, batch):
        """This rank's rows of every array/Tensor in ``batch`` whose leading size is the
        batch's (the first array's); returns (local batch, local rows, global rows)."""
        size = _leading_size(batch)
        if size is None:
            raise ValueError(f"Trainer: cannot shard a batch without arrays across "
                             f"{self.world} ranks: got {type(batch).__name__}")
        rows = self.rows(size)
        return _slice(batch, size, rows), rows.stop - rows.start, size

    # -- reductions --------------------------------------------------------------------------
    def sum(self, *values) -> np.ndarray:
        buf = np.asarray(values, dtype=np.float64)
        dist.all_reduce(buf)
        return buf

    def any(self, flag: bool) -> bool:
        return bool(self.sum(float(flag))[0])

    def reduced(self, metric):
        """A copy of ``metric`` whose counters are summed over the ranks."""
        out = copy.deepcopy(metric)
        for key in _counter_keys(metric):
            setattr(out, key, self._summed(getattr(out, key)))
        return out

    def update_metric(self, metric, outputs, targets) -> None:
        """``metric.update`` with this rank's outputs, then add every rank's increments, so
        each rank holds the global counts (a checkpoint of them fits any world size)."""
        keys = _counter_keys(metric)
        before = {k: copy.deepcopy(getattr(metric, k)) for k in keys}
        metric.update(outputs, targets)
        for k in keys:
            value = getattr(metric, k)
            setattr(metric, k, _like(value, before[k] + self._summed(value - before[k])))

    def _summed(self, value):
        total = np.array(value, dtype=np.float64)
        dist.all_reduce(total)
        return _like(value, total)


def _like(value, total):
    """``total`` as the type of ``value`` (a Python number or an array of its dtype)."""
    if isinstance(value, np.ndarray):
        return np.asarray(total).astype(value.dtype)
    return type(value)(np.asarray(total).item())


def _counter_keys(metric):
    """The metric's counters: the numeric attributes that ``reset()`` sets to zero (counts,
    confusion matrices); configuration such as ``num_classes`` is left alone."""
    fresh = copy.deepcopy(metric)
    fresh.reset()
    return [k for k, zero in vars(fresh).items()
            if _is_zero_counter(zero) and np.shape(getattr(metric, k)) == np.shape(zero)]


def _is_zero_counter(v) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.number, np.ndarray)):
        return False
    return bool(np.all(np.asarray(v) == 0)) and np.issubdtype(np.asarray(v).dtype, np.number)


def _leading_size(batch):
    if isinstance(batch, (Tensor, np.ndarray)):
        return batch.shape[0] if batch.ndim else None
    items = batch.values() if isinstance(batch, dict) else (
        batch if isinstance(batch, (tuple, list)) else ())
    for item in items:
        size = _leading_size(item)
        if size is not None:
            return size
    return None


def _slice(batch, size, rows):
    if isinstance(batch, Tensor):
        return Tensor(batch.array[rows]) if batch.ndim and batch.shape[0] == size else batch
    if isinstance(batch, np.ndarray):
        return batch[rows] if batch.ndim and batch.shape[0] == size else batch
    if isinstance(batch, dict):
        return {k: _slice(v, size, rows) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # a namedtuple
        return type(batch)(*(_slice(v, size, rows) for v in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(_slice(v, size, rows) for v in batch)
    return batch
