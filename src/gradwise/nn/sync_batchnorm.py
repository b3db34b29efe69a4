"""SyncBatchNorm: batch norm whose training statistics cover the batch of every rank.

Under DistributedDataParallel each rank sees N/W examples; plain BatchNorm would normalise
with those alone, so W ranks would train a different model than one process with N. The math
(three small allreduces per layer and step) is in ``functional/sync_norm.py``.
"""
from __future__ import annotations

from .. import distributed as dist
from ..functional.sync_norm import sync_batch_norm
from .normalization import _BatchNorm


def _sum_across_ranks(a):
    dist.all_reduce(a, op=dist.ReduceOp.SUM)


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation with statistics over every rank's batch (PyTorch's class).

    Same arguments, parameters and buffers as BatchNorm (``process_group`` must be None: the
    default group). In training with more than one rank, μ and σ² are those of the union of
    the ranks' batches and backward reduces its sums across ranks too; in eval mode, or in a
    single process, it is plain BatchNorm.

    Shape: (N, C, *) -> same
    """

    _dims = (2, 3, 4, 5)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        if process_group is not None:
            raise ValueError(f"SyncBatchNorm: process_group must be None (the default group), "
                             f"got {process_group!r}")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    @property
    def _expected(self):
        return f"(N, {self.num_features}, *)"

    def forward(self, input):
        synced = (self.training and (dist.is_initialized() or dist.launched_by_mpi())
                  and dist.get_world_size() > 1)
        if not synced:
            return super().forward(input)
        if input.ndim not in self._dims or input.shape[1] != self.num_features:
            raise ValueError(f"{self!r}: expected input {self._expected}, got "
                             f"{tuple(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.array[...] += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.array)
        try:
            return sync_batch_norm(input, self.running_mean, self.running_var, self.weight,
                                   self.bias, factor, self.eps, _sum_across_ranks)
        except ValueError as e:
            raise ValueError(f"{self!r}: {e}") from None

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm layer in ``module`` by a SyncBatchNorm sharing its
        parameters and buffers; returns the converted module (``module`` itself unless it is
        a BatchNorm)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                out.weight = module.weight
                if module.bias is None:
                    out.register_parameter("bias", None)
                else:
                    out.bias = module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                out.register_buffer(name, getattr(module, name))
            out.train(module.training)
        for name, child in list(module.named_children()):
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
