"""Small timing helpers shared by the benchmark scripts.

    from common import matmul_peak_gflops, time_fn, print_table, blas_threads

- ``matmul_peak_gflops(dtype)``: GFLOP/s of a large square NumPy matmul, the practical peak of this
  machine with NumPy's BLAS (what a GEMM-bound op can hope for).
- ``time_fn(fn, repeat, warmup)``: median wall time of ``fn()`` in seconds.
- ``print_table(rows, headers)``: a Markdown table on stdout (pasteable into docs/benchmarks.md).
- ``blas_threads()`` / ``set_blas_threads(n)``: NumPy's BLAS thread count, to give PyTorch the
  same.

The machine may be shared with other processes: run a script more than once and report the
spread, not one lucky number.
"""
from __future__ import annotations

import os
import platform
import time

import numpy as np

from gradwise.core import threads


def set_blas_threads(n: int) -> bool:
    """Set NumPy's OpenBLAS thread count at run time; False if the library is not found."""
    if threads.openblas_function("set_num_threads") is None:
        return False
    threads.set_num_threads(n)
    return True


def blas_threads() -> int:
    """Threads used by NumPy's OpenBLAS and gradwise's own loops (``gw.get_num_threads()``)."""
    return threads.get_num_threads()


def time_fn(fn, repeat: int = 10, warmup: int = 2) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def matmul_peak_gflops(dtype=np.float32, n: int = 1024, repeat: int = 10) -> float:
    """GFLOP/s of an n×n by n×n NumPy matmul (2·n³ flops), best of ``repeat`` runs."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    np.matmul(a, b, out=out)
    best = min(_once(lambda: np.matmul(a, b, out=out)) for _ in range(repeat))
    return 2 * n ** 3 / best / 1e9


def _once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def machine_info() -> str:
    """One line: CPU model, logical cores, NumPy version and BLAS thread count."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{model}, {os.cpu_count()} logical cores, NumPy {np.__version__}, "
            f"BLAS threads {blas_threads()}")


def print_table(rows, headers) -> None:
    """Print ``rows`` (sequences of cells) under ``headers`` as a Markdown table."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for r in cells[1:]:
        print(line(r))


def _fmt(c) -> str:
    if isinstance(c, float):
        return f"{c:.3g}" if abs(c) < 10 else f"{c:.1f}"
    return str(c)


def allocator(keep_freed: bool) -> str:
    """Apply ``gradwise.keep_freed_memory()`` if asked (to the whole process, PyTorch too) and
    describe the allocator setting in one line."""
    if not keep_freed:
        return "glibc malloc defaults (large blocks mmap'd afresh)"
    from gradwise import keep_freed_memory

    return ("freed memory kept for reuse (gw.keep_freed_memory), for both libraries"
            if keep_freed_memory() else "keep_freed_memory unavailable (not glibc)")
