"""Data-parallel training throughput: gradwise (MPI) next to PyTorch (DDP over gloo), and a cost
model for N nodes.

    python benchmarks/bench_distributed.py [--models lenet5 resnet20 charlm] [--rounds 2]
    mpiexec -n 2 python benchmarks/bench_distributed.py allreduce     # Allreduce α, β here
    python benchmarks/bench_distributed.py predict --gflops-conv 32 --gflops-lstm 58

The first form is the driver. For each model it runs, ``--rounds`` times and in this order, six
child jobs: gradwise and PyTorch at 1 process × 1 thread, 1 process × 2 threads and 2 ranks ×
1 thread. The 2-rank jobs of both libraries are started by the same ``mpiexec -n 2``: gradwise
wraps the model in ``nn.parallel.DistributedDataParallel``, PyTorch in
``torch.nn.parallel.DistributedDataParallel`` over gloo (rank and size from ``PMI_RANK`` /
``PMI_SIZE``, ``init_method=file://``). The global batch is the same in every configuration;
each rank takes batch/W. The data are random: the arithmetic, not the values, sets the time.

- ``lenet5``: LeNet-5 (ReLU, max pooling, 61,706 parameters), 1×28×28, batch 128, SGD with
  momentum.
- ``resnet20``: CIFAR ResNet-20 (option A, 269,722 parameters, plain BatchNorm per rank as
  PyTorch's DDP does by default), 3×32×32, batch 128, SGD with momentum.
- ``charlm``: the 2×512 character LSTM of ``bench_e2e_charlm.py`` (3.32 M parameters), 32
  streams × 64 steps = 2,048 characters per step, hidden state carried, clip 5, Adam. Its
  "samples" are characters.

One timed step is zero_grad, forward, cross-entropy, ``loss.item()``, backward (which, under
DDP, averages the gradients), clipping for the LSTM, optimizer step. All ranks meet at a barrier
before each step. A 2-rank job alternates synchronised steps with ``no_sync()`` steps (the same
work, no communication: the compute time per step). It also reports the time of blocking
Allreduces of the gradient buckets (what communication costs if none of it overlapped
backward), and gradwise's ``ddp.last_wait_s``, the time backward still waited for the buckets
after its last gradient. The exposed allreduce is the smaller of the two ranks' waits (the
faster rank's wait also holds the time it waits for the slower rank's backward); the hidden
share is 1 − exposed / blocking. Every job also reports ``time.process_time()`` per step (the
busiest rank's, without communication for 2 ranks): on a shared machine it shows the work each
rank did, whatever share of the CPU it got ("CPU-time speedup").

``allreduce`` times ``Allreduce`` of 4 kB to 64 MB float32 buffers and fits the ring model's
α and β. ``predict`` prints the cost model's step time and efficiency for ResNet-50 and the
PTB 2×650 LSTM at 8 and 64 nodes (``predict_step``, docs/distributed.md).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if "--threads" in sys.argv:  # must reach OpenBLAS before NumPy loads it
    _n = sys.argv[sys.argv.index("--threads") + 1]
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _n

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

MODELS = {  # name: (global batch, samples per batch row, fwd FLOP per sample)
    "lenet5": (128, 1, 0.83e6),      # 2·MACs: c1 118k, c3 240k, c5 48k, f6 + output 11k
    "resnet20": (128, 1, 81.9e6),    # 2·40.9M MACs at 32×32
    "charlm": (32, 64, 6.63e6),      # per char: 2·4·512·(64+512) + 2·4·512·1024 + 2·512·66
}
CONFIGS = (("gradwise", 1, 1), ("gradwise", 1, 2), ("gradwise", 2, 1),
           ("torch", 1, 1), ("torch", 1, 2), ("torch", 2, 1))
VOCAB, EMBED, HIDDEN, LAYERS, BPTT = 66, 64, 512, 2, 64


# -- the cost model (docs/distributed.md) ------------------------------------------------------
def ring_allreduce_s(nbytes, nodes, bandwidth, latency, messages=1):
    """Ring allreduce of ``nbytes`` over ``nodes``: 2(N−1) steps, each moving nbytes/N per link.

        T = 2(N−1)/N · bytes/β + 2(N−1)·α·messages

    ``bandwidth`` β in bytes/s per link direction, ``latency`` α in seconds per step and
    ``messages`` the number of separate allreduces (buckets) the bytes are split into.
    """
    if nodes < 1:
        raise ValueError(f"ring_allreduce_s: nodes must be >= 1, got {nodes}")
    if nodes == 1:
        return 0.0
    steps = 2 * (nodes - 1)
    return steps / nodes * nbytes / bandwidth + steps * latency * messages


def bucket_bytes(nbytes, cap=25 * 2 ** 20, first=2 ** 20):
    """DDP's bucket sizes, in reduction order: at most ``first`` bytes, then ``cap`` each."""
    sizes, left = [], float(nbytes)
    for limit in [first] + [cap] * int(np.ceil(nbytes / cap) + 1):
        if left <= 0:
            break
        sizes.append(min(limit, left))
        left -= sizes[-1]
    return sizes


@dataclass
class Prediction:
    compute_s: float        # forward + backward + update on one node's batch
    allreduce_s: float      # all buckets, back to back, if nothing overlapped
    bandwidth_s: float      # of which the 2(N−1)/N · B/β term
    latency_s: float        # of which the 2(N−1)·α·buckets term
    exposed_s: float        # communication left after backward
    step_s: float
    efficiency: float       # compute / step: the weak-scaling efficiency
    dominant: str


def predict_step(params, flop_per_step, flops, nodes, bandwidth, latency, backward_share=2 / 3,
                 tail_params=None, bytes_per_param=4, cap=25 * 2 ** 20):
    """Step time of synchronous data parallelism with a fixed per-node batch (weak scaling).

    compute = flop_per_step / flops, of which the last ``backward_share`` is backward. The
    gradients of ``tail_params`` parameters are final only when backward ends (default: DDP's
    last bucket, the first layers; for an LSTM every recurrent weight and the embedding);
    their allreduce starts then and is never hidden. The other buckets' allreduces run during
    backward, one after another on the link:

        exposed = max(0, T_ring(head buckets) − backward) + T_ring(tail buckets)
        step    = compute + exposed,   efficiency = compute / step
    """
    total = params * bytes_per_param
    if tail_params is None:
        tail = bucket_bytes(total, cap)[-1]
    else:
        tail = min(total, tail_params * bytes_per_param)
    head = bucket_bytes(total - tail, cap) if total > tail else []
    tails = bucket_bytes(tail, cap, first=cap)
    compute = flop_per_step / flops
    ring = lambda sizes: sum(ring_allreduce_s(b, nodes, bandwidth, latency)  # noqa: E731
                             for b in sizes)
    bw = ring_allreduce_s(total, nodes, bandwidth, 0.0)
    lat = ring_allreduce_s(0, nodes, bandwidth, latency, len(head) + len(tails))
    exposed = max(0.0, ring(head) - backward_share * compute) + ring(tails)
    step = compute + exposed
    terms = {"compute": compute, "bandwidth": exposed * bw / (bw + lat) if exposed else 0.0,
             "latency": exposed * lat / (bw + lat) if exposed else 0.0}
    return Prediction(compute, bw + lat, bw, lat, exposed, step, compute / step,
                      max(terms, key=terms.get))


def fit_alpha_beta(nbytes, seconds, nodes=2):
    """α_total (s) and β (bytes/s) of T = α_total + 2(N−1)/N · bytes/β, least squares in
    relative error (each row divided by its T, so 4 kB and 64 MB weigh alike); α_total is the
    per-call constant (for the ring, 2(N−1)·α)."""
    t = np.asarray(seconds, float)
    x = 2 * (nodes - 1) / nodes * np.asarray(nbytes, float)
    A = np.stack([np.ones_like(x), x], axis=1) / t[:, None]
    (a, b), *_ = np.linalg.lstsq(A, np.ones_like(t), rcond=None)
    return float(a), float(1 / b)


# -- models -------------------------------------------------------------------------------------
def gradwise_job(name, local, rng):
    """(step function, model, DDP wrapper or None) for gradwise."""
    import gradwise.distributed as dist
    from gradwise import models, optim
    from gradwise.core.random import manual_seed
    from gradwise.core.tensor import Tensor
    from gradwise.functional.loss import cross_entropy
    from gradwise.models.rnn_lm import RNNLanguageModel
    from gradwise.nn.parallel import DistributedDataParallel as DDP
    from gradwise.nn.utils import clip_grad_norm_
    from gradwise.nn.utils.tbptt import detach_hidden

    manual_seed(0)
    if name == "charlm":
        model = RNNLanguageModel(VOCAB, EMBED, HIDDEN, LAYERS, cell="lstm")
        x = Tensor(rng.integers(0, VOCAB, (BPTT, local)))             # (T, N)
        y = Tensor(rng.integers(0, VOCAB, (BPTT, local)))
    else:
        model = (models.create("lenet5", num_classes=10, input_size=28, in_channels=1,
                               activation="relu", subsampling="max") if name == "lenet5"
                 else models.create("resnet20"))
        shape = (local, 1, 28, 28) if name == "lenet5" else (local, 3, 32, 32)
        x = Tensor(rng.standard_normal(shape).astype(np.float32))
        y = Tensor(rng.integers(0, 10, local))
    model.train()
    ddp = DDP(model) if dist.launched_by_mpi() and dist.get_world_size() > 1 else None
    net = ddp if ddp is not None else model
    opt = (optim.Adam(model.parameters(), lr=2e-3) if name == "charlm"
           else optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    hidden = [None]

    def step():
        opt.zero_grad()
        if name == "charlm":
            logits, h = net(x, detach_hidden(hidden[0]))                 # (T, N, V)
            hidden[0] = detach_hidden(h)
            loss = cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        else:
            loss = cross_entropy(net(x), y)
        loss.item()
        loss.backward()
        if name == "charlm":
            clip_grad_norm_(list(model.parameters()), 5.0)
        opt.step()

    return step, model, ddp


def torch_resnet20():
    """CIFAR ResNet-20, option A, in torch.nn (269,722 parameters, as ``models.resnet20``);
    defined here because torch is imported in the torch jobs only."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.stride, self.pad = stride, (cout - cin) // 2

        def forward(self, x):
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            short = x[:, :, ::self.stride, ::self.stride]
            if self.pad:
                short = nn.functional.pad(short, (0, 0, 0, 0, self.pad, self.pad))
            return torch.relu(out + short)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            blocks, cin = [], 16
            for i, c in enumerate((16, 32, 64)):
                for b in range(3):
                    blocks.append(Block(cin, c, 2 if i > 0 and b == 0 else 1))
                    cin = c
            self.layers = nn.Sequential(*blocks)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            x = self.layers(torch.relu(self.bn1(self.conv1(x))))   # (N, 64, 8, 8)
            return self.fc(x.mean((2, 3)))

    return Net()


def torch_job(name, local, rng, world):
    import torch

    torch.manual_seed(0)
    if name == "charlm":
        from bench_e2e_charlm import TorchCharLM
        model = TorchCharLM(VOCAB)
        x = torch.from_numpy(rng.integers(0, VOCAB, (BPTT, local)))
        y = torch.from_numpy(rng.integers(0, VOCAB, (BPTT, local)))
    else:
        if name == "lenet5":
            from bench_e2e_lenet import TorchLeNet
            model = TorchLeNet()
        else:
            model = torch_resnet20()
        shape = (local, 1, 28, 28) if name == "lenet5" else (local, 3, 32, 32)
        x = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
        y = torch.from_numpy(rng.integers(0, 10, local))
    model.train()
    ddp = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else None
    net = ddp if ddp is not None else model
    opt = (torch.optim.Adam(model.parameters(), lr=2e-3) if name == "charlm"
           else torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    hidden = [None]

    def step():
        opt.zero_grad()
        if name == "charlm":
            h = None if hidden[0] is None else tuple(t.detach() for t in hidden[0])
            logits, hidden[0] = net(x, h)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        else:
            loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.item()
        loss.backward()
        if name == "charlm":
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    return step, model, ddp


# -- one child job ------------------------------------------------------------------------------
def worker(a):
    """Time one configuration; rank 0 prints one ``RESULT {json}`` line."""
    world = int(os.environ.get("PMI_SIZE", "1"))
    rank = int(os.environ.get("PMI_RANK", "0"))
    batch = a.batch_size or MODELS[a.model][0]
    local = batch // world
    rng = np.random.default_rng(rank)
    if a.lib == "gradwise":
        import gradwise as gw
        gw.set_num_threads(a.threads)
        step, model, ddp = gradwise_job(a.model, local, rng)
        if world > 1:
            import gradwise.distributed as dist
            MPI, comm = dist.mpi(), dist.communicator()
            barrier, gather = dist.barrier, comm.allgather
            buffers = [np.zeros(n // 4, np.float32) for n in ddp.bucket_sizes()]

            def allreduce():
                for buf in buffers:
                    comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        n_params = sum(p.array.size for p in model.parameters())
    else:
        import torch
        import torch.distributed as tdist
        torch.set_num_threads(a.threads)
        if world > 1:
            tdist.init_process_group("gloo", init_method=f"file://{a.init_file}", rank=rank,
                                     world_size=world)
            barrier = tdist.barrier

            def gather(obj):
                out = [None] * world
                tdist.all_gather_object(out, obj)
                return out
        step, model, ddp = torch_job(a.model, local, rng, world)
        n_params = sum(p.numel() for p in model.parameters())
        if world > 1:
            flat = torch.zeros(n_params)

            def allreduce():
                tdist.all_reduce(flat)

    cpu = {"sync": [], "local": [], "allreduce": []}  # CPU s of this process (all threads)

    def timed(fn, kind="sync"):
        if world > 1:
            barrier()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu[kind].append(time.process_time() - c0)
        return time.perf_counter() - t0

    for _ in range(a.warmup):
        step()
    cpu["sync"].clear()
    steps, local_steps, waits, blocking = [], [], [], []
    for _ in range(a.steps):
        steps.append(timed(step))
        if world > 1:
            if a.lib == "gradwise":
                waits.append(ddp.last_wait_s)
            with ddp.no_sync():
                local_steps.append(timed(step, "local"))
    if world > 1:
        for _ in range(20):
            blocking.append(timed(allreduce, "allreduce"))
        waits_all = gather(waits) if a.lib == "gradwise" else []
        steps_all = gather(steps)
        # a step ends when the slower rank is done: take the larger of the ranks' times
        steps = list(np.max(np.asarray(steps_all), axis=0))
        cpu = {k: list(np.max(np.asarray(gather(v)), axis=0)) for k, v in cpu.items()}
    if rank == 0:
        med = lambda v: float(np.median(v)) if len(v) else None  # noqa: E731
        wait_min = (med(np.min(np.asarray(waits_all), axis=0)) if waits else None)
        wait_max = (med(np.max(np.asarray(waits_all), axis=0)) if waits else None)
        print("RESULT " + json.dumps(dict(
            model=a.model, lib=a.lib, world=world, threads=a.threads, batch=batch,
            params=int(n_params), step_s=med(steps), best_s=float(min(steps)),
            compute_s=med(local_steps),  # rank 0's wall time of the no_sync steps
            allreduce_s=med(blocking), wait_min_s=wait_min,
            wait_max_s=wait_max, cpu_s=med(cpu["sync"]), compute_cpu_s=med(cpu["local"]),
            load=os.getloadavg()[0])), flush=True)


# -- the driver ---------------------------------------------------------------------------------
def mpiexec():
    import shutil
    import sysconfig
    local = os.path.join(sysconfig.get_path("scripts"), "mpiexec")
    return local if os.path.exists(local) else shutil.which("mpiexec")


def run_config(model, lib, world, threads, steps, warmup, batch):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, os.path.abspath(__file__), "worker", "--model", model, "--lib", lib,
               "--threads", str(threads), "--steps", str(steps), "--warmup", str(warmup),
               "--batch-size", str(batch), "--init-file", os.path.join(tmp, "rendezvous")]
        if world > 1:
            cmd = [mpiexec(), "-n", str(world)] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode or not lines:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return json.loads(lines[-1][len("RESULT "):])


def driver(a):
    from common import machine_info, print_table
    print(f"{machine_info()}; load average at start {os.getloadavg()}")
    for model in a.models:
        batch = a.batch_size or MODELS[model][0]
        runs = {c: [] for c in CONFIGS}
        for r in range(a.rounds):
            for lib, world, threads in CONFIGS:
                res = run_config(model, lib, world, threads, a.steps, a.warmup, batch)
                runs[(lib, world, threads)].append(res)
                print(f"  round {r}: {json.dumps(res)}", file=sys.stderr, flush=True)
        rows, per_sample = [], MODELS[model][1]
        med = lambda rs, k: (float(np.median([x[k] for x in rs]))  # noqa: E731
                             if rs and rs[0][k] is not None else None)
        ms = lambda v: "-" if v is None else v * 1e3  # noqa: E731
        for lib, world, threads in CONFIGS:
            rs = runs[(lib, world, threads)]
            step, base = med(rs, "step_s"), med(runs[(lib, 1, 1)], "step_s")
            blocking, wait = med(rs, "allreduce_s"), med(rs, "wait_min_s")
            compute = med(rs, "compute_s")
            hidden = ("-" if blocking is None or wait is None
                      else f"{max(0.0, 1 - wait / blocking):.0%}")
            cpu = med(rs, "compute_cpu_s") or med(rs, "cpu_s")
            base_cpu = med(runs[(lib, 1, 1)], "cpu_s")
            rows.append([lib, f"{world} × {threads}", step * 1e3,
                         batch * per_sample / step, f"{base / step:.2f}×", ms(compute),
                         "-" if compute is None else (step - compute) * 1e3, ms(blocking),
                         ms(wait), hidden, ms(cpu),
                         "-" if None in (cpu, base_cpu) else f"{base_cpu / cpu:.2f}×",
                         f"{min(x['load'] for x in rs):.1f}–{max(x['load'] for x in rs):.1f}"])
        blank = [""] * 10
        for world, threads in ((1, 1), (1, 2), (2, 1)):
            ours = med(runs[("gradwise", world, threads)], "step_s")
            theirs = med(runs[("torch", world, threads)], "step_s")
            rows.append([f"ours/PyTorch time {world} × {threads}", "", ours / theirs] + blank)
        best = lambda lib: min(med(runs[c], "step_s") for c in CONFIGS if c[0] == lib)  # noqa
        rows.append(["ours best / PyTorch best", "", best("gradwise") / best("torch")] + blank)
        unit = " streams × 64 characters" if per_sample > 1 else ""
        print(f"\n{model}: global batch {batch}{unit}"
              f", {runs[CONFIGS[0]][0]['params']:,} parameters, median of {a.rounds} run(s) × "
              f"{a.steps} steps")
        print_table(rows, ["library", "ranks × threads", "step ms", "samples/s", "speedup vs 1×1",
                           "compute ms (no_sync)", "step − compute ms", "blocking allreduce ms",
                           "wait after backward ms", "allreduce hidden",
                           "compute CPU ms (busiest rank)", "CPU-time speedup", "load avg"])


def allreduce_bench(a):
    import gradwise.distributed as dist
    MPI, comm = dist.mpi(), dist.communicator()
    world, rows, sizes, times = comm.Get_size(), [], [], []
    for nbytes in (4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20):
        buf = np.ones(nbytes // 4, np.float32)
        ts = []
        for _ in range(a.repeat):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            ts.append(time.perf_counter() - t0)
        t, best = float(np.median(ts)), min(ts)
        sizes.append(nbytes)
        times.append(best)
        bus = 2 * (world - 1) / world * nbytes / 1e9
        rows.append([f"{nbytes / 1e6:.3f} MB", t * 1e3, best * 1e3, bus / t, bus / best])
    alpha, beta = fit_alpha_beta(sizes, times, world)
    if comm.Get_rank() == 0:
        from common import print_table
        print(f"{world} ranks, load average {os.getloadavg()}")
        print_table(rows, ["float32 buffer", "Allreduce ms (median)", "ms (best)",
                           "bus GB/s (median)", "bus GB/s (best)"])
        print(f"fit to the best times, T = a + 2(W−1)/W·bytes/β: a = {alpha * 1e6:.1f} µs, "
              f"β = {beta / 1e9:.2f} GB/s")


def predict_table(a):
    from common import print_table
    # FLOP = 2 · multiply-adds throughout, training = 3 × forward.
    # ResNet-50: 25.6 M parameters, 4.1 G multiply-adds (the usual "4.1 GFLOPs") = 8.2 GFLOP
    # forward per 224² image, 32 images per node; PTB 2×650 LSTM (Zaremba medium, 10k words):
    # 19.8 M parameters, 26.5 MFLOP forward per word, 20 streams × 35 steps per node.
    nets = (("ResNet-50, 32 img/node", 25.6e6, 3 * 8.2e9 * 32, a.gflops_conv * 1e9),
            ("PTB LSTM 2×650, 20×35 words/node", 19.8e6, 3 * 26.5e6 * 700, a.gflops_lstm * 1e9))
    # the LSTM's recurrent weights and its (dense) embedding gradient are final only at the end
    # of BPTT: 2 · 4·650·(650 + 650 + 2) + 10,000·650 = 13.27 M of its parameters
    tails = {nets[0][0]: None, nets[1][0]: 13.27e6}
    rows = []
    for name, params, flop, flops in nets:
        for gbit in (10, 100):
            for nodes in (8, 64):
                p = predict_step(params, flop, flops, nodes, gbit * 1e9 / 8 * a.link_efficiency,
                                 a.latency_us * 1e-6, tail_params=tails[name])
                comm = "bandwidth" if p.bandwidth_s >= p.latency_s else "latency"
                rows.append([name, f"{gbit} Gbit/s", nodes, p.compute_s, p.bandwidth_s,
                             p.latency_s, p.exposed_s, p.step_s, f"{p.efficiency:.1%}",
                             f"{p.dominant} (allreduce: {comm})"])
    print(f"{a.gflops_conv:g} / {a.gflops_lstm:g} GFLOP/s per node (convnet / LSTM), "
          f"α = {a.latency_us:g} µs per ring step, links at {a.link_efficiency:.0%} of nominal")
    print_table(rows, ["model", "network", "nodes", "compute s", "ring bandwidth s",
                       "ring latency s", "exposed s", "step s", "efficiency", "dominant"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", nargs="?", default="driver",
                    choices=("driver", "worker", "allreduce", "predict"))
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--model", choices=list(MODELS), default="lenet5")
    ap.add_argument("--lib", choices=("gradwise", "torch"), default="gradwise")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=0, help="global batch (0: the model's)")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=30, help="allreduce: calls per size")
    ap.add_argument("--init-file", default="", help="torch rendezvous file (worker)")
    ap.add_argument("--gflops-conv", type=float, default=40.0,
                    help="predict: sustained training GFLOP/s per node for the convnet")
    ap.add_argument("--gflops-lstm", type=float, default=40.0,
                    help="predict: sustained training GFLOP/s per node for the LSTM")
    ap.add_argument("--latency-us", type=float, default=25.0,
                    help="predict: α, seconds per ring step, in µs")
    ap.add_argument("--link-efficiency", type=float, default=0.9,
                    help="predict: share of the nominal link rate an allreduce achieves")
    a = ap.parse_args()
    {"driver": driver, "worker": worker, "allreduce": allreduce_bench,
     "predict": predict_table}[a.mode](a)


if __name__ == "__main__":
    main()
