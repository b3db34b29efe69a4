"""RNN/LSTM/GRU forward+backward, gradwise vs PyTorch CPU in the same process (float32).

    python benchmarks/bench_rnn.py [--rounds 5] [--repeat 3] [--threads N]

``--threads N`` pins NumPy's OpenBLAS and PyTorch to N threads (default: OpenBLAS's own count,
the number of cores). On a machine shared with other jobs, ``--threads 1`` gives the steadier
comparison: a busy core stalls every multi-threaded small GEMM of the time loop.

Both libraries run the same module weights and arrays: ``y, _ = m(x)`` then ``y.backward(dy)``,
computing the gradients of the input and of every parameter. The timings alternate between the
libraries in ``rounds`` blocks of ``repeat`` runs so that load from other processes hits both
alike; the table reports the median and best time of each. PyTorch gets NumPy's BLAS thread
count (its LSTM without projection runs oneDNN's fused RNN kernel; GRU and RNN its generic
path), and OMP_WAIT_POLICY=PASSIVE keeps its idle OpenMP workers from spinning while NumPy runs.

GFLOP/s counts the GEMMs: per layer and direction 2·T·N·G·H·(D_in + H) for the forward
(G = 4 LSTM, 3 GRU, 1 RNN) and twice that for the backward (dx/dh and dW), i.e. 3× in total.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if "--threads" in sys.argv:  # must reach OpenBLAS before NumPy loads it
    _n = sys.argv[sys.argv.index("--threads") + 1]
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _n

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import allocator, blas_threads, machine_info, matmul_peak_gflops, print_table  # noqa: E402

import gradwise as gw  # noqa: E402
from gradwise import nn  # noqa: E402

# (name, T, N, input_size, hidden_size, num_layers)
CASES = [
    ("LSTM", 100, 32, 128, 256, 1),
    ("GRU", 100, 32, 128, 256, 1),
    ("RNN", 100, 32, 128, 256, 1),
    ("LSTM", 35, 20, 650, 650, 2),   # Zaremba et al. medium PTB model
    ("LSTM", 50, 50, 512, 512, 2),
]
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def gemm_flops(kind, T, N, I, H, L):
    G, total = GATES[kind], 0
    for layer in range(L):
        d_in = I if layer == 0 else H
        total += 2 * T * N * G * H * (d_in + H)
    return 3 * total  # forward + backward (two GEMMs per forward GEMM)


def _times(fn, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def bench_case(kind, T, N, I, H, L, rounds, repeat):
    torch.manual_seed(0)
    tm = getattr(torch.nn, kind)(I, H, num_layers=L)
    gm = getattr(nn, kind)(I, H, num_layers=L)
    gm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()}, strict=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I), dtype=np.float32)
    dy = rng.standard_normal((T, N, H), dtype=np.float32)
    gx, tx = gw.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tdy = torch.tensor(dy)

    def ours():
        gx.grad = None
        gm.zero_grad()
        y, _ = gm(gx)
        y.backward(dy)

    def theirs():
        tx.grad = None
        tm.zero_grad()
        y, _ = tm(tx)
        y.backward(tdy)

    ours(), theirs()
    np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), atol=2e-3, rtol=2e-3)
    t_ours, t_theirs = [], []
    for _ in range(rounds):
        t_ours += _times(ours, repeat)
        t_theirs += _times(theirs, repeat)
    return np.median(t_ours), min(t_ours), np.median(t_theirs), min(t_theirs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS/torch threads for both libraries (read before NumPy loads)")
    ap.add_argument("--keep-freed-memory", action="store_true",
                    help="gw.keep_freed_memory() for the process: no fresh mmap per big array")
    args = ap.parse_args()
    memory = allocator(args.keep_freed_memory)
    threads = blas_threads()
    torch.set_num_threads(threads)
    peak = matmul_peak_gflops(np.float32)
    print(f"{machine_info()}; torch {torch.__version__} threads {torch.get_num_threads()}; "
          f"float32 matmul peak {peak:.0f} GFLOP/s; {memory}")
    rows = []
    for kind, T, N, I, H, L in CASES:
        om, ob, tmed, tb = bench_case(kind, T, N, I, H, L, args.rounds, args.repeat)
        gf = gemm_flops(kind, T, N, I, H, L) / om / 1e9
        rows.append([kind, f"T{T} N{N} I{I} H{H} L{L}", om * 1e3, ob * 1e3, tmed * 1e3,
                     tb * 1e3, om / tmed, gf, f"{100 * gf / peak:.0f}%"])
        print(f"  done {kind} T{T} N{N} I{I} H{H} L{L}", file=sys.stderr, flush=True)
    print_table(rows, ["layer", "shape", "ours ms (median)", "ours best", "torch ms (median)",
                       "torch best", "ours/torch", "ours GFLOP/s", "of peak"])


if __name__ == "__main__":
    main()
