"""conv2d forward+backward, gradwise vs PyTorch CPU in the same process (float32).

    python benchmarks/bench_conv.py [--rounds 5] [--repeat 5] [--threads N] [--paths]

For every case both libraries run the same arrays: the forward pass, then backward with the same
upstream gradient, computing the gradients of input, weight and bias. The timings alternate
between the libraries in ``rounds`` blocks of ``repeat`` runs so that load from other processes
hits both alike; the table reports the median and the best time per library. PyTorch gets the
same thread count as NumPy's BLAS, and OMP_WAIT_POLICY=PASSIVE keeps its idle OpenMP workers
from spinning while NumPy runs.

GFLOP/s counts 2·N·C_out·H_out·W_out·(C_in/groups)·kH·kW per forward and 3× that for
forward+backward (the forward GEMM plus the two backward GEMMs).

``--paths`` instead times gradwise's two 3×3 kernels against each other at the op level
(forward + backward, no autograd), alternating in the same way: ``conv2d_forward``/
``conv2d_backward`` (im2col, what ``conv2d`` uses) and ``winograd_conv3x3_forward``/
``winograd_conv3x3_backward`` (functional/experimental/winograd.py, not dispatched to; see
docs/benchmarks.md for why).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    allocator, blas_threads, machine_info, matmul_peak_gflops, print_table, set_blas_threads,
)

import gradwise as gw  # noqa: E402
from gradwise.functional import conv2d  # noqa: E402
from gradwise.functional.conv import conv2d_backward, conv2d_forward  # noqa: E402
from gradwise.functional.experimental.winograd import (  # noqa: E402
    winograd_conv3x3_backward, winograd_conv3x3_forward,
)

# (N, C_in, C_out, H=W, K, padding)
CASES = [
    (64, 1, 6, 28, 5, 2),     # LeNet C1 on MNIST
    (64, 32, 64, 32, 3, 1),   # CIFAR-size middle layer
    (32, 64, 128, 16, 3, 1),  # deeper, channel-rich layer
    (32, 64, 64, 16, 3, 1),   # ResNet-style layer, C_out = C_in
]

# extra 3×3 shapes for --paths: (N, C_in, C_out, H=W, 3, 1)
PATH_CASES = CASES[1:] + [
    (64, 8, 8, 32, 3, 1), (32, 16, 16, 32, 3, 1), (32, 32, 32, 32, 3, 1), (32, 64, 32, 32, 3, 1),
    (32, 128, 128, 16, 3, 1), (32, 64, 64, 8, 3, 1),
]


def _times(fn, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def bench_case(N, C, Co, H, K, P, rounds, repeat):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, H), dtype=np.float32)
    w = (rng.standard_normal((Co, C, K, K)) / np.sqrt(C * K * K)).astype(np.float32)
    b = rng.standard_normal(Co, dtype=np.float32)
    Ho = H + 2 * P - K + 1
    dy = rng.standard_normal((N, Co, Ho, Ho), dtype=np.float32)

    gx, gwt, gb = (gw.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, twt, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tdy = torch.tensor(dy)

    def ours():
        for t in (gx, gwt, gb):
            t.grad = None
        conv2d(gx, gwt, gb, padding=P).backward(dy)

    def theirs():
        for t in (tx, twt, tb):
            t.grad = None
        torch.nn.functional.conv2d(tx, twt, tb, padding=P).backward(tdy)

    ours()
    theirs()
    for ours_g, torch_g in ((gx, tx), (gwt, twt), (gb, tb)):  # same numbers, else timing is moot
        np.testing.assert_allclose(ours_g.grad.array, torch_g.grad.numpy(), rtol=2e-3, atol=2e-3)
    t_ours, t_torch = [], []
    for _ in range(rounds):
        theirs()
        t_torch += _times(theirs, repeat)
        ours()
        t_ours += _times(ours, repeat)
    flops = 3 * 2 * N * Co * Ho * Ho * C * K * K
    return np.array(t_ours), np.array(t_torch), flops


def bench_paths(N, C, Co, H, K, P, rounds, repeat):
    """Op-level forward + backward of the im2col and the Winograd kernel, alternating."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, H), dtype=np.float32)
    w = (rng.standard_normal((Co, C, K, K)) / np.sqrt(C * K * K)).astype(np.float32)
    b = rng.standard_normal(Co, dtype=np.float32)
    dy = rng.standard_normal((N, Co, H + 2 * P - K + 1, H + 2 * P - K + 1), dtype=np.float32)
    pads = ((P, P), (P, P))

    def im2col():
        y, cache = conv2d_forward(x, w, b, (1, 1), pads, (1, 1), 1)
        return conv2d_backward(dy, cache)

    def winograd():
        y, cache = winograd_conv3x3_forward(x, w, b, pads)
        return winograd_conv3x3_backward(dy, cache)

    for g_i, g_w in zip(im2col(), winograd()):
        np.testing.assert_allclose(g_w, g_i, rtol=2e-3, atol=2e-3)
    t_im, t_wg = [], []
    for _ in range(rounds):
        im2col()
        t_im += _times(im2col, repeat)
        winograd()
        t_wg += _times(winograd, repeat)
    return np.array(t_im), np.array(t_wg)


def main_paths(args):
    rows = []
    for case in PATH_CASES:
        t_im, t_wg = bench_paths(*case, args.rounds, args.repeat)
        N, C, Co, H, K, P = case
        rows.append([f"N{N} C{C}→{Co} {H}² K{K} p{P}", np.median(t_im) * 1e3,
                     np.median(t_wg) * 1e3, np.median(t_wg) / np.median(t_im),
                     t_im.min() * 1e3, t_wg.min() * 1e3, t_wg.min() / t_im.min()])
    print_table(rows, ["case (fwd+bwd, float32)", "im2col ms", "winograd ms", "ratio",
                       "im2col best", "winograd best", "ratio best"])
    print("# ratio = winograd/im2col of the median times")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="alternating blocks per library")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per block")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for both libraries (default: NumPy's BLAS setting)")
    ap.add_argument("--paths", action="store_true",
                    help="time gradwise's im2col and Winograd kernels against each other")
    ap.add_argument("--keep-freed-memory", action="store_true",
                    help="gw.keep_freed_memory() for the process: no fresh mmap per big array")
    args = ap.parse_args(argv)

    if args.threads is not None and not set_blas_threads(args.threads):
        ap.error("cannot set NumPy's BLAS thread count (OpenBLAS not found)")
    memory = allocator(args.keep_freed_memory)
    threads = blas_threads()
    torch.set_num_threads(threads)
    peak = matmul_peak_gflops(np.float32)
    print(f"# {machine_info()}; torch {torch.__version__} with {torch.get_num_threads()} threads")
    print(f"# allocator: {memory}")
    print(f"# NumPy float32 matmul peak (1024³): {peak:.0f} GFLOP/s; "
          f"{args.rounds}×{args.repeat} runs per library and case")
    if args.paths:
        main_paths(args)
        return
    rows = []
    for case in CASES:
        t_ours, t_torch, flops = bench_case(*case, args.rounds, args.repeat)
        mo, mt = np.median(t_ours), np.median(t_torch)
        bo, bt = t_ours.min(), t_torch.min()
        N, C, Co, H, K, P = case
        rows.append([f"N{N} C{C}→{Co} {H}² K{K} p{P}", mo * 1e3, mt * 1e3, mo / mt, bo * 1e3,
                     bt * 1e3, bo / bt, flops / mo / 1e9, flops / mt / 1e9])
    print_table(rows, ["case (fwd+bwd, float32)", "ours ms", "torch ms", "ratio",
                       "ours best", "torch best", "ratio best", "ours GFLOP/s",
                       "torch GFLOP/s"])
    print(f"# ratio = ours/torch of the median times; peak {peak:.0f} GFLOP/s")


if __name__ == "__main__":
    main()
