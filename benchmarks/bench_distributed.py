"""Data-parallel step time of LeNet-5 (MNIST-sized inputs), one process or under mpiexec.

    python benchmarks/bench_distributed.py --threads 1          # 1 process × 1 thread
    python benchmarks/bench_distributed.py --threads 2          # 1 process × 2 threads
    mpiexec -n 2 python benchmarks/bench_distributed.py --threads 1   # 2 ranks × 1 thread

Same global batch in every configuration (each rank takes batch/W). Prints, from rank 0, the
median step time, the samples/s, and the time of one blocking Allreduce of all the gradients
(what the step would cost if no communication overlapped backward) next to the time DDP
still waited for its bucket allreduces once backward had produced the last gradient.
"""
import argparse
import time

import numpy as np

import gradwise as gw
import gradwise.distributed as dist
from gradwise import models, nn
from gradwise.nn.parallel import DistributedDataParallel as DDP


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch-size", type=int, default=64, help="global batch")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    gw.set_num_threads(a.threads)
    parallel = dist.launched_by_mpi()
    rank, world = (dist.get_rank(), dist.get_world_size()) if parallel else (0, 1)
    gw.manual_seed(0)
    model = models.create("lenet5", input_size=28)
    train_model = DDP(model) if parallel else model
    opt = gw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(rank)
    local = a.batch_size // world
    x = gw.tensor(rng.standard_normal((local, 1, 28, 28)).astype(np.float32))
    y = gw.tensor(rng.integers(0, 10, local))
    times, waits = [], []
    for step in range(a.steps + 3):
        if parallel:
            dist.barrier()
        t0 = time.perf_counter()
        opt.zero_grad()
        nn.functional.cross_entropy(train_model(x), y).backward()
        opt.step()
        if step >= 3:  # the first steps allocate buffers
            times.append(time.perf_counter() - t0)
            waits.append(train_model.last_wait_s if parallel else 0.0)
    grads = np.concatenate([p.grad.array.ravel() for p in model.parameters()])
    allreduce = []
    if parallel:
        for _ in range(20):
            dist.barrier()
            t0 = time.perf_counter()
            dist.all_reduce(grads)
            allreduce.append(time.perf_counter() - t0)
    if rank == 0:
        step_t = float(np.median(times))
        ar = (f"{np.median(allreduce) * 1e3:.2f} ms, left waiting after backward "
              f"{np.median(waits) * 1e3:.2f} ms" if allreduce else "-")
        print(f"lenet5 batch {a.batch_size}: {world} rank(s) x {a.threads} thread(s): "
              f"step {step_t * 1e3:.1f} ms, {a.batch_size / step_t:.0f} samples/s, "
              f"blocking allreduce of {grads.nbytes / 1e3:.0f} kB: {ar}")


main()
