"""The GEMM-only floor of gradwise's LSTM and conv2d against PyTorch's whole op, same process.

    python benchmarks/gemm_floor.py [--threads 1] [--repeat 5]

For each benchmark case of bench_rnn.py (LSTM) and bench_conv.py (3×3 convs) this times, with
NumPy's BLAS, only the matrix products gradwise's kernel must do for one forward + backward, and
nothing else (no gate math, no im2col/col2im, no copies), and PyTorch's complete forward +
backward. ``floor/torch`` is the best ours/torch ratio any NumPy implementation of the same
algorithm could reach on this machine; when it is above a speed goal, the goal needs a faster
GEMM, not better Python.

LSTM, per layer (G = 4H gate rows, T steps, N rows per step):
    input projection (T·N × D)·(D × G); T recurrent (N × H)·(H × G); T backward (N × G)·(G × H);
    dW_ih = (G × T·N)·(T·N × D); dW_hh = (G × T·N)·(T·N × H); dx = (T·N × G)·(G × D).
conv2d (K = C_in·k², M = N·H_out·W_out):
    y = (C_out × K)·(K × M); dW = (C_out × M)·(M × K); dcols = (K × C_out)·(C_out × M).
Times are the best of ``--repeat`` runs (the floor is a lower bound).
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
from common import blas_threads, machine_info, print_table  # noqa: E402

LSTM_CASES = [(100, 32, 128, 256, 1), (35, 20, 650, 650, 2), (50, 50, 512, 512, 2)]
CONV_CASES = [(64, 32, 64, 32), (32, 64, 128, 16)]  # N, C_in, C_out, H = W; 3×3, pad 1


def best(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def lstm_gemms(T, N, I, H, L, rng):
    """One callable per layer running that layer's products once."""
    f32, G = np.float32, 4 * H
    fns = []
    for layer in range(L):
        D = I if layer == 0 else H
        x, w_ih, w_hh = (rng.random(s, dtype=f32) for s in ((T * N, D), (D, G), (H, G)))
        h, dg, dgates = (rng.random(s, dtype=f32) for s in ((N, H), (N, G), (T * N, G)))
        h_prev = rng.random((T * N, H), dtype=f32)
        w_ih_t, w_hh_t = np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T)
        rec, dh = np.empty((N, G), f32), np.empty((N, H), f32)

        def run(x=x, w_ih=w_ih, w_hh=w_hh, h=h, dg=dg, dgates=dgates, h_prev=h_prev,
                w_ih_t=w_ih_t, w_hh_t=w_hh_t, rec=rec, dh=dh):
            x @ w_ih
            for _ in range(T):
                np.matmul(h, w_hh, out=rec)
            for _ in range(T):
                np.matmul(dg, w_hh_t, out=dh)
            dgates.T @ x
            dgates.T @ h_prev
            dgates @ w_ih_t

        fns.append(run)
    return fns


def torch_lstm(T, N, I, H, L):
    lstm = torch.nn.LSTM(I, H, L)
    x = torch.randn(T, N, I, requires_grad=True)

    def run():
        lstm.zero_grad()
        x.grad = None
        lstm(x)[0].sum().backward()

    return run


def conv_gemms(N, C, C_out, S, rng):
    f32, K, M = np.float32, 9 * C, N * S * S
    w, cols, dy = (rng.random(s, dtype=f32) for s in ((C_out, K), (K, M), (C_out, M)))

    def run():
        w @ cols
        dy @ cols.T
        w.T @ dy

    return run


def torch_conv(N, C, C_out, S):
    x = torch.randn(N, C, S, S, requires_grad=True)
    conv = torch.nn.Conv2d(C, C_out, 3, padding=1)

    def run():
        conv.zero_grad()
        x.grad = None
        conv(x).sum().backward()

    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS/torch threads for both libraries (read before NumPy loads)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(blas_threads())
    rng = np.random.default_rng(0)
    print(machine_info())
    rows = []
    for case in LSTM_CASES:
        floor = sum(best(fn, args.repeat) for fn in lstm_gemms(*case, rng))
        ref = best(torch_lstm(*case), args.repeat)
        rows.append(["LSTM T{} N{} I{} H{} L{}".format(*case), 1e3 * floor, 1e3 * ref, floor / ref])
    for N, C, C_out, S in CONV_CASES:
        floor = best(conv_gemms(N, C, C_out, S, rng), args.repeat)
        ref = best(torch_conv(N, C, C_out, S), args.repeat)
        rows.append([f"conv N{N} C{C}→{C_out} {S}² K3 p1", 1e3 * floor, 1e3 * ref, floor / ref])
    print_table(rows, ["case (fwd+bwd, float32)", "GEMMs only, ms", "torch whole op, ms",
                       "floor/torch"])


if __name__ == "__main__":
    main()
