"""Large temporary arrays: per-op workspaces (the default) and an opt-in allocator setting.

An im2col convolution allocates its column matrix (tens of MB) afresh on every call, and its
backward the column gradient and the padded input gradient. glibc serves each block above its
mmap threshold with newly mapped pages and unmaps them on ``free``, so every call pays one page
fault per 4 KB page it touches: for N32 C64→128 16² K3 at two threads, fwd+bwd took 81 ms
instead of 43 ms.

The default remedy is local: ops take such arrays from ``workspace`` (below), a bounded cache
of buffers reused across calls of the same shape and released by ``empty_cache()``.

``keep_freed_memory()`` (opt-in, process-wide) makes glibc take every block from its heap (``mallopt(M_MMAP_MAX, 0)``)
and keep freed memory for reuse instead of returning it to the system
(``mallopt(M_TRIM_THRESHOLD, 2³¹ − 1)``). The process's resident memory then stays at its peak,
as with a framework's caching allocator. It affects every library in the process (PyTorch
too) and cannot be undone. ``gradwise`` commands call it; a library user opts in.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math
import sys
import threading
from collections import OrderedDict

import numpy as np

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
_applied = False


def _mallopt():
    """glibc's ``mallopt``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return None


def keep_freed_memory() -> bool:
    """Serve large arrays from glibc's heap and keep freed memory for reuse.

    Returns:
        True when the setting is in force (glibc), False where it is not available.
    """
    global _applied
    if not _applied:
        mallopt = _mallopt()
        _applied = bool(mallopt is not None and mallopt(M_MMAP_MAX, 0)
                        and mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
    return _applied


# ----------------------------------------------------------------------------- per-op workspaces
# A bounded cache of large scratch arrays (im2col columns, column gradients, padded inputs),
# reused across calls of the same shape, the way frameworks keep a convolution workspace. A
# fresh large block costs one page fault per 4 KB page it touches (glibc maps it afresh and
# unmaps it on free); a cached block is already mapped. A buffer is free for reuse when nothing
# but the cache refers to it: every NumPy view keeps a reference to the array that owns its
# memory, so a buffer that is still held by a node's cache, a tensor or a view is never handed
# out twice.

MIN_WORKSPACE_BYTES = 1 << 20  # smaller arrays come from malloc's heap, which keeps them
_DEFAULT_LIMIT = 512 << 20


class Workspace:
    """A size-bounded cache of scratch arrays keyed by ``(shape, dtype)``.

    ``get`` returns a free cached array of that shape (least recently used shapes are evicted
    first when the total would pass ``limit`` bytes), or a new one; above the limit with every
    cached array in use, it returns an uncached array.
    """

    def __init__(self, limit=_DEFAULT_LIMIT):
        self.limit = int(limit)
        self.nbytes = 0
        self._buffers = OrderedDict()  # (shape, dtype) -> [ndarray], least recently used first
        self._lock = threading.Lock()

    def get(self, shape, dtype, zero=False):
        """An array of ``shape`` and ``dtype``: uninitialised, or zero-filled with ``zero``."""
        dtype = np.dtype(dtype)
        shape = tuple(int(s) for s in shape)
        nbytes = dtype.itemsize * math.prod(shape)
        if nbytes < MIN_WORKSPACE_BYTES or nbytes > self.limit:
            return np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
        key = (shape, dtype)
        with self._lock:
            pool = self._buffers.setdefault(key, [])
            self._buffers.move_to_end(key)
            for i in range(len(pool)):
                if _is_free(pool, i):
                    buf = pool[i]
                    if zero:
                        buf.fill(0)
                    return buf
            if self.nbytes + nbytes > self.limit:
                self._evict(self.nbytes + nbytes - self.limit)
            buf = np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
            if self.nbytes + nbytes <= self.limit:
                pool.append(buf)
                self.nbytes += nbytes
            return buf

    def _evict(self, need):
        """Drop free arrays, least recently used shapes first, until ``need`` bytes are gone."""
        for key in list(self._buffers):
            pool = self._buffers[key]
            for i in reversed(range(len(pool))):
                if need <= 0:
                    return
                if _is_free(pool, i):
                    need -= pool[i].nbytes
                    self.nbytes -= pool[i].nbytes
                    del pool[i]
            if not pool:
                del self._buffers[key]

    def clear(self):
        """Forget every cached array (those still in use live on with their users)."""
        with self._lock:
            self._buffers.clear()
            self.nbytes = 0


def _is_free(pool, i):
    # references: the pool's list and getrefcount's argument; any user or view adds one
    return sys.getrefcount(pool[i]) <= _FREE_REFCOUNT


def _free_refcount():
    pool = [np.empty(1)]
    return sys.getrefcount(pool[0])


_FREE_REFCOUNT = _free_refcount()
workspace = Workspace()


def empty_cache() -> None:
    """Release the arrays cached for reuse by ops (PyTorch's ``torch.cuda.empty_cache``)."""
    workspace.clear()
