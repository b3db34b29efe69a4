"""DistributedDataParallel: every rank holds the model, trains on its shard of the batch, and
the gradients are averaged across ranks during backward.

With W ranks each computing the mean loss L_r over its n/W examples, the averaged gradient

    g = (1/W) Σ_r ∇L_r  =  ∇ (1/n) Σ_i ℓ_i        (equal shards)

is the full-batch gradient, so W ranks × n/W examples take the same optimizer step as one
process with n examples.

How the gradients travel (PyTorch's reducer, Horovod's tensor fusion): the parameters are
packed into buckets (``bucket_cap_mb``, reverse registration order, see ``buckets.py``). A
gradient hook on each parameter counts the gradients it still expects in this backward
(counted from the graph that forward recorded); when all of a bucket's parameters are final
the bucket's flat buffer starts one non-blocking ``Iallreduce``, while backward carries on
with earlier layers. Buckets start in index order on every rank, so all ranks issue the
collectives in the same order. When the last bucket has started, the hook waits for all of
them and writes g back into each ``.grad``: when ``loss.backward()`` returns the gradients
are averaged, ready for the optimizer.
"""
from __future__ import annotations

import contextlib
import time

import numpy as np

from ... import distributed as dist
from ...core.autograd import is_grad_enabled
from ...core.tensor import Tensor
from ..module import Module
from ..utils.nested import tensors_in
from .buckets import assign_buckets


class DistributedDataParallel(Module):
    """Wrap ``module`` for synchronous data-parallel training over the default process group.

    Args:
        module: the model; ``self.module`` afterwards.
        device_ids, output_device, dim: PyTorch's GPU arguments; only None / 0 (CPU) here.
        broadcast_buffers: copy rank 0's buffers (BatchNorm running statistics) to every rank
            at the start of each forward.
        process_group: only None (the default group, ``MPI.COMM_WORLD``).
        bucket_cap_mb: size of a gradient bucket in MiB (the first bucket holds at most 1 MiB,
            as in PyTorch).
        find_unused_parameters: allow parameters that the forward did not use (their
            gradient counts as zero on this rank); without it such a forward raises.

    At construction the parameters and buffers of rank 0 are broadcast, so every rank starts
    from the same model. ``state_dict()`` keys start with ``module.``, as PyTorch's DDP writes
    them; load a plain model's state into ``ddp.module``.

    Differs from PyTorch: the gradients are averaged when the last bucket's hook runs inside
    ``backward()``, not in a callback queued at the end of the engine's run; if the loss does
    not reach every parameter the forward used, the next forward raises (as PyTorch's does).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=25,
                 find_unused_parameters=False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected a Module, got "
                            f"{type(module).__name__}")
        for name, value, allowed in (("device_ids", device_ids, None),
                                     ("output_device", output_device, None),
                                     ("process_group", process_group, None)):
            if value is not allowed:
                raise ValueError(f"DistributedDataParallel: {name} must be None (CPU, default "
                                 f"group), got {value!r}")
        if dim != 0:
            raise ValueError(f"DistributedDataParallel: dim must be 0, got {dim}")
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be > 0, got "
                             f"{bucket_cap_mb}")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        self.world_size = dist.get_world_size()
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise ValueError("DistributedDataParallel: the module has no parameter that "
                             "requires a gradient")
        self._params = params
        self._buckets = assign_buckets(params, bucket_cap_mb)
        # parameter id -> (bucket, slot in bucket)
        self._where = {id(p): (b, i) for b in self._buckets for i, p in enumerate(b.params)}
        self._expected = {}      # parameter id -> gradients still to come in this backward
        self._armed = False
        self._progress = False   # whether a gradient arrived since the forward armed the hooks
        self._next_bucket = 0
        self.last_wait_s = 0.0   # time the last backward waited for allreduces (not hidden)
        self._handles = [p.register_post_accumulate_grad_hook(self._on_grad) for p in params]
        _broadcast_arrays([p.array for p in module.parameters()] + self._buffer_arrays())

    # -- forward ------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        self._check_finished()
        if self.broadcast_buffers and self.world_size > 1:
            _broadcast_arrays(self._buffer_arrays())
        out = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._arm(tensors_in(out))
        else:
            self._armed = False
        return out

    def prepare_for_backward(self, outputs):
        """Arm the gradient hooks for a backward from ``outputs`` (a Tensor or a structure of
        Tensors) that were computed by calling ``self.module`` directly, e.g. the loss; the
        counts then come from exactly the graph that backward will walk. The forward of this
        wrapper does this itself with the module's outputs (PyTorch's reducer method)."""
        self._check_finished()
        if self.require_backward_grad_sync:
            self._arm(tensors_in(outputs))

    def _check_finished(self):
        if self._armed and self._progress:
            unfinished = [b.index for b in self._buckets if b.request is None or b.pending]
            raise RuntimeError(
                f"DistributedDataParallel: expected to have finished reduction in the prior "
                f"iteration before starting a new one; buckets {unfinished} never got all "
                f"their gradients. The loss must depend on every output that uses parameters; "
                f"pass find_unused_parameters=True if some parameters take no part")

    def _buffer_arrays(self):
        return [b.array for b in self.module.buffers() if b is not None]

    def _arm(self, outputs):
        """Count, from the graph the forward recorded, how many gradients each parameter will
        receive in backward (one per graph edge that reaches it)."""
        counts = _leaf_edge_counts(outputs, self._where)
        if not counts:
            self._armed = False  # nothing to differentiate (e.g. every output detached)
            return
        unused = [p for p in self._params if id(p) not in counts]
        if unused and not self.find_unused_parameters:
            names = {id(p): n for n, p in self.module.named_parameters()}
            raise RuntimeError(
                f"DistributedDataParallel: the forward did not use {len(unused)} parameters "
                f"({', '.join(names.get(id(p), '?') for p in unused[:5])}); pass "
                f"find_unused_parameters=True to treat their gradients as zero")
        self._expected = counts
        for b in self._buckets:
            b.pending, b.request = len(b.params), None
        self._next_bucket, self._armed, self._progress = 0, True, False
        for p in unused:
            self._ready(p)

    # -- backward: hooks, buckets, the allreduce ------------------------------------------------
    def _on_grad(self, p):
        if not self._armed:
            return
        self._progress = True
        left = self._expected[id(p)] - 1
        self._expected[id(p)] = left
        if left == 0:
            self._ready(p)

    def _ready(self, p):
        bucket, i = self._where[id(p)]
        bucket.put(i, None if p.grad is None else p.grad.array)
        bucket.pending -= 1
        MPI, comm = dist.mpi(), dist.communicator()
        while (self._next_bucket < len(self._buckets)
               and self._buckets[self._next_bucket].pending == 0):  # start in index order
            b = self._buckets[self._next_bucket]
            b.request = comm.Iallreduce(MPI.IN_PLACE, b.buffer, op=MPI.SUM)  # Σ_r g_r
            self._next_bucket += 1
        started = [b.request for b in self._buckets[:self._next_bucket]]
        if self._next_bucket == len(self._buckets):
            self._finish(started)
        elif started:
            MPI.Request.Testall(started)  # lets MPI progress the started allreduces

    def _finish(self, requests):
        t0 = time.perf_counter()
        dist.mpi().Request.Waitall(requests)
        self.last_wait_s = time.perf_counter() - t0
        for b in self._buckets:
            b.buffer *= np.asarray(1.0 / self.world_size, b.buffer.dtype)  # g = Σ_r g_r / W
            for p, (start, stop) in zip(b.params, b.slots):
                g = b.buffer[start:stop].reshape(p.shape)
                if p.grad is None:
                    p.grad = Tensor(g.copy())
                else:
                    p.grad.array[...] = g
            b.request = None
        self._armed = False

    @contextlib.contextmanager
    def no_sync(self):
        """Within this context backward accumulates gradients locally without communicating;
        the first synchronised backward after it averages the accumulated sums."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def bucket_sizes(self):
        """Bytes per gradient bucket, in the order they are reduced."""
        return [b.nbytes for b in self._buckets]

    def extra_repr(self):
        return (f"world_size={self.world_size}, buckets={len(self._buckets)}, "
                f"bucket_cap_mb={self.bucket_cap_mb}, broadcast_buffers={self.broadcast_buffers}, "
                f"find_unused_parameters={self.find_unused_parameters}")


def _broadcast_arrays(arrays):
    """Copy rank 0's arrays into every rank's, one fused ``Bcast`` per dtype."""
    if dist.get_world_size() == 1 or not arrays:
        return
    by_dtype = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype, []).append(a)
    for dtype, group in by_dtype.items():
        flat = np.concatenate([a.reshape(-1) for a in group])  # (Σ numel,)
        dist.broadcast(flat, src=0)
        start = 0
        for a in group:
            a[...] = flat[start:start + a.size].reshape(a.shape)
            start += a.size


def _leaf_edge_counts(outputs, wanted):
    """For each leaf whose id is in ``wanted``: the number of graph edges that reach it from
    ``outputs``, i.e. how many times backward will add a gradient into its ``.grad``."""
    counts, seen = {}, set()
    stack = []
    for t in outputs:
        if t.requires_grad:
            if t.is_leaf:
                if id(t) in wanted:
                    counts[id(t)] = counts.get(id(t), 0) + 1
            else:
                stack.append(t.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.edges:
            if edge is None:
                continue
            x, producer, _ = edge
            if producer is not None:
                stack.append(producer)
            elif id(x) in wanted:
                counts[id(x)] = counts.get(id(x), 0) + 1
    return counts
