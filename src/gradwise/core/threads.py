"""Threads: gradwise uses as many as NumPy's BLAS does (PyTorch's ``get/set_num_threads``).

GEMMs are threaded inside OpenBLAS. gradwise's own memory-bound loops (im2col, col2im, layout
copies) run in NumPy, which releases the GIL inside large ufunc loops and copies, so they are
split into contiguous slices along their leading axis and run on a small thread pool: one slice
per thread, the calling thread taking the first. Arrays below ``MIN_PARALLEL_ITEMS`` elements
stay on one thread, where dispatch would cost more than it saves.

Batch-parallel ops (``split_rows`` + ``run_concurrently``) go one level up: a large convolution
runs its whole kernel, GEMMs included, on one slice of the batch per thread, with BLAS set to
one thread meanwhile. OpenBLAS's own two-thread GEMM scales poorly on conv-sized products
(N32 C64→128 16² K3 fwd+bwd: 55.8 ms at two BLAS threads, 49.9 ms as two single-threaded
halves), and the im2col/col2im copies split along with it.

The thread count is OpenBLAS's (``OPENBLAS_NUM_THREADS``, else the number of cores), read
through its C API when NumPy bundles OpenBLAS; ``set_num_threads(n)`` changes both.
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import os
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

MIN_PARALLEL_ITEMS = 1 << 20  # elements; smaller loops run on the calling thread
MIN_SPLIT_WORK = 1 << 24  # multiply-adds; a smaller batch-parallel op runs whole (LeNet-5 sized)

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_override: int | None = None
_blas_api: dict = {}


def openblas_function(fn: str):
    """The C function ``openblas_<fn>`` of NumPy's bundled OpenBLAS, or None."""
    if fn not in _blas_api:
        _blas_api[fn] = None
        libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
        for path in sorted(glob.glob(os.path.join(libdir, "*openblas*"))):
            lib = ctypes.CDLL(path)
            for name in (f"scipy_openblas_{fn}64_", f"openblas_{fn}64_", f"openblas_{fn}"):
                if hasattr(lib, name):
                    _blas_api[fn] = getattr(lib, name)
                    break
            if _blas_api[fn] is not None:
                break
    return _blas_api[fn]


def get_num_threads() -> int:
    """Threads used by BLAS and by gradwise's own parallel loops."""
    if _override is not None:
        return _override
    fn = openblas_function("get_num_threads")
    if fn is not None:
        return max(1, int(fn()))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return max(1, int(os.environ[var]))
    return os.cpu_count() or 1


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for BLAS (when NumPy's OpenBLAS is found) and for gradwise's loops."""
    global _override
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: expected n >= 1, got {n}")
    fn = openblas_function("set_num_threads")
    if fn is not None:
        fn(n)
        _override = None
    else:
        _override = n


def parallel_slices(fn, n: int, items: int) -> None:
    """Run ``fn(slice)`` over contiguous slices covering ``range(n)``, one per thread.

    ``items`` is the total work in array elements: below ``MIN_PARALLEL_ITEMS``, or with one
    thread, ``fn(slice(0, n))`` runs on the calling thread. ``fn`` must write disjoint outputs
    for disjoint slices. Exceptions from any slice are re-raised here.
    """
    threads = min(get_num_threads(), n)
    if threads <= 1 or items < MIN_PARALLEL_ITEMS:
        fn(slice(0, n))
        return
    bounds = np.linspace(0, n, threads + 1).astype(int)
    slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    futures = [_executor(threads - 1).submit(fn, s) for s in slices[1:]]
    try:
        fn(slices[0])
    finally:
        for f in futures:
            f.result()


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size < workers:
        if _pool is not None:
            _pool.shutdown(wait=True)
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gradwise")
        _pool_size = workers
    return _pool


def parallel_copyto(dst, src) -> None:
    """``np.copyto(dst, src)`` split along the leading axis (src broadcast to dst's shape)."""
    src = np.broadcast_to(src, dst.shape)
    parallel_slices(lambda s: np.copyto(dst[s], src[s]), dst.shape[0], dst.size)


def split_rows(n: int, work: int) -> list[slice] | None:
    """Contiguous row slices of ``range(n)``, one per thread, for a batch-parallel op.

    None when the op should run whole: one thread, fewer than two rows, ``work``
    (multiply-adds) below ``MIN_SPLIT_WORK``, or a BLAS whose thread count cannot be set (each
    slice's GEMMs would then compete for every core).
    """
    threads = min(get_num_threads(), n)
    if threads <= 1 or work < MIN_SPLIT_WORK or openblas_function("set_num_threads") is None:
        return None
    bounds = np.linspace(0, n, threads + 1).astype(int)
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


def run_concurrently(tasks) -> list:
    """Call each zero-argument function in ``tasks`` on its own thread (the caller takes the
    first) with BLAS at one thread meanwhile; returns their results in order.

    Nested calls see one thread, so the ops inside run whole. Exceptions are re-raised here.
    """
    with single_threaded_blas():
        futures = [_executor(len(tasks) - 1).submit(task) for task in tasks[1:]]
        try:
            first = tasks[0]()
        finally:
            wait(futures)  # every slice ends before the BLAS threads come back
        return [first, *(f.result() for f in futures)]


@contextlib.contextmanager
def single_threaded_blas(active: bool = True):
    """BLAS at one thread inside the block (when ``active`` and its count can be set).

    For loops of small dependent GEMMs (a recurrent layer's time steps): each product is too
    small to split well, and a threaded one waits on its worker, which on a busy machine may
    not be running (LSTM T100 N32 H256 fwd+bwd with a training on the other core: 3.7 s with
    two BLAS threads in the loop, 0.45 s with one).
    """
    set_blas = openblas_function("set_num_threads") if active else None
    if set_blas is None:
        yield
        return
    threads = get_num_threads()
    set_blas(1)
    try:
        yield
    finally:
        set_blas(threads)
