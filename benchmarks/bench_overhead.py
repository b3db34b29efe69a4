"""Per-op overhead of the autograd engine, gradwise vs PyTorch CPU in the same process.

    python benchmarks/bench_overhead.py [--ops 100] [--rounds 7] [--repeat 20] [--size 4]
    python benchmarks/bench_overhead.py --profile      # cProfile of gradwise's chain instead

A chain of ``--ops`` small adds, y_{k+1} = y_k + b (b a parameter too, so every node has two
gradient edges), then ``y.sum().backward()``: µs per op of forward + backward, and of the
forward alone. The arrays hold ``--size`` floats, so the time is the engine's (node creation,
the topological walk, gradient accumulation, the dtype/shape checks), not arithmetic. The
timings alternate between the libraries in ``rounds`` blocks of ``repeat`` runs; the table gives
medians. One thread for both. The clock is the thread's CPU time (``time.thread_time``) unless
``--wall``: the work is single-threaded, and on a shared machine wall time mostly measures
the wait for a core.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine_info, print_table  # noqa: E402

import gradwise as gw  # noqa: E402


def chain(lib, n_ops, size):
    x = lib.tensor(np.ones(size, np.float32), requires_grad=True)
    b = lib.tensor(np.ones(size, np.float32), requires_grad=True)

    def forward():
        y = x
        for _ in range(n_ops):
            y = y + b
        return y.sum()

    def step():
        x.grad = b.grad = None
        forward().backward()

    return forward, step


clock = time.thread_time


def _median_us(fn, rounds_out, repeat, n_ops):
    for _ in range(repeat):
        t0 = clock()
        fn()
        rounds_out.append((clock() - t0) / n_ops * 1e6)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--size", type=int, default=4)
    ap.add_argument("--wall", action="store_true", help="time.perf_counter instead of CPU time")
    ap.add_argument("--profile", action="store_true",
                    help="print cProfile's top functions of 200 gradwise steps, time nothing")
    args = ap.parse_args(argv)
    if args.profile:
        return profile(args.ops, args.size)
    global clock
    if args.wall:
        clock = time.perf_counter
    torch.set_num_threads(1)
    print(f"# {machine_info()}; torch {torch.__version__}, 1 thread; chain of {args.ops} adds "
          f"on {args.size} floats; {args.rounds}×{args.repeat} runs per library; "
          f"{'wall' if args.wall else 'thread CPU'} time")
    ours_f, ours_s = chain(gw, args.ops, args.size)
    torch_f, torch_s = chain(torch, args.ops, args.size)
    ours_s(), torch_s()
    times = {k: [] for k in ("of", "os", "tf", "ts")}
    n = args.ops + 1  # the adds and the sum
    for _ in range(args.rounds):
        _median_us(torch_f, times["tf"], args.repeat, n)
        _median_us(ours_f, times["of"], args.repeat, n)
        _median_us(torch_s, times["ts"], args.repeat, n)
        _median_us(ours_s, times["os"], args.repeat, n)
    med = {k: float(np.median(v)) for k, v in times.items()}
    print_table([["forward", med["of"], med["tf"], med["of"] / med["tf"]],
                 ["forward + backward", med["os"], med["ts"], med["os"] / med["ts"]]],
                ["per op", "ours µs", "torch µs", "ratio"])


def profile(n_ops, size, steps=200):
    """Where the engine's time goes, per function (cProfile inflates cheap calls: use it to
    rank, the timed run to measure)."""
    import cProfile
    import pstats

    _, step = chain(gw, n_ops, size)
    step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
