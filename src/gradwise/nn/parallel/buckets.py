"""Gradient buckets: parameters packed into a few flat buffers, one allreduce per buffer.

Fusing gradients is what makes the allreduce cheap (Horovod's tensor fusion, PyTorch's DDP
reducer): one call moves ``bucket_cap_mb`` of gradients instead of one call per parameter,
so the per-call latency is paid a few times per step, not hundreds.
"""
from __future__ import annotations

import numpy as np

FIRST_BUCKET_BYTES = 1 << 20  # PyTorch's first bucket: small, so communication starts early


class Bucket:
    """One flat buffer holding the gradients of ``params`` back to back.

    ``slots[i] = (start, stop)`` is where params[i]'s flattened gradient lives.
    """

    def __init__(self, index, params):
        self.index, self.params = index, params
        sizes = [p.array.size for p in params]
        stops = np.cumsum(sizes)
        self.slots = [(int(s - n), int(s)) for s, n in zip(stops, sizes)]
        self.buffer = np.empty(int(stops[-1]), dtype=params[0].dtype)  # (Σ numel,)
        self.pending = 0
        self.request = None

    @property
    def nbytes(self):
        return self.buffer.nbytes

    def put(self, i, grad):
        """Copy params[i]'s gradient (None: no gradient on this rank, i.e. zero) in."""
        start, stop = self.slots[i]
        if grad is None:
            self.buffer[start:stop] = 0
        else:
            self.buffer[start:stop] = grad.reshape(-1)


def assign_buckets(params, bucket_cap_mb):
    """Group ``params`` into buckets in reverse registration order (roughly the order in which
    backward produces their gradients), one dtype per bucket, each at most ``bucket_cap_mb``
    MiB (the first at most 1 MiB) unless a single parameter is larger.

    Returns: a list of :class:`Bucket`.
    """
    cap = int(bucket_cap_mb * (1 << 20))
    open_groups, nbytes, groups = {}, {}, []  # dtype -> params / bytes of the bucket filling
    for p in reversed(params):
        limit = min(cap, FIRST_BUCKET_BYTES) if not groups else cap
        group = open_groups.setdefault(p.dtype, [])
        if group and nbytes[p.dtype] + p.array.nbytes > limit:
            groups.append(group)
            group = open_groups[p.dtype] = []
        if not group:
            nbytes[p.dtype] = 0
        group.append(p)
        nbytes[p.dtype] += p.array.nbytes
    groups.extend(g for g in open_groups.values() if g)
    return [Bucket(i, g) for i, g in enumerate(groups)]
