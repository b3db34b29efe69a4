"""End-to-end training speed of LeNet-5 on MNIST, gradwise vs PyTorch CPU, same process.

    python benchmarks/bench_e2e_lenet.py [--epochs 1] [--block 86] [--threads 1]

The model, data, hyperparameters and batch are those of docs/results/lenet5_mnist.md
(``gradwise train mnist --model lenet5 --activation relu --subsampling max --shift 2
--optimizer adam --lr 1e-3 --batch-size 64 ...``): LeNet-5 with ReLU and 2×2 max pooling on
28×28 inputs (C1 pads by 2), 61,706 parameters; 55,000 normalised training images, shuffled,
batch 64 (860 steps per epoch); every batch shifted by up to 2 pixels (the task's NumPy
``random_shift``, the same call for both libraries); cross-entropy; Adam lr 1e-3.

One timed *training step* is what the Trainer does per batch: take the next batch from the
library's own loader (gradwise ``DataLoader(TensorDataset)``, ``torch.utils.data.DataLoader``
with no worker process), augment, zero the gradients, forward, mean cross-entropy,
``loss.item()``, backward, Adam update. gradwise runs the task's own step (``mnist.ShiftStep``) on
``gradwise.models.lenet5``; PyTorch runs the same network built from ``torch.nn`` with the same
initial weights. The script checks that the first losses on the same batch agree, then times
``--epochs`` full epochs per library, alternating blocks of ``--block`` steps (so load from
other processes hits both alike), and reports seconds per epoch (the sum of the step times) and
the ratio. Validation, metrics and logging are not timed. ``--threads N`` pins OpenBLAS and
PyTorch to N threads (read before NumPy loads); the result runs use 1.
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

from gradwise import models, optim  # noqa: E402
from gradwise.core.random import manual_seed  # noqa: E402
from gradwise.core.tensor import Tensor  # noqa: E402
from gradwise.data import DataLoader, TensorDataset  # noqa: E402
from gradwise.data.datasets import load_mnist  # noqa: E402
from gradwise.functional.loss import cross_entropy  # noqa: E402
from gradwise.train.tasks.mnist import ShiftStep, _images, random_shift  # noqa: E402

BATCH, LR, SHIFT, VAL = 64, 1e-3, 2, 5000


class TorchLeNet(torch.nn.Module):
    """LeNet-5, ReLU and max pooling, with gradwise's parameter names."""

    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(1, 6, 5, padding=2)
        self.c3 = torch.nn.Conv2d(6, 16, 5)
        self.c5 = torch.nn.Conv2d(16, 120, 5)
        self.f6 = torch.nn.Linear(120, 84)
        self.output = torch.nn.Linear(84, 10)

    def forward(self, x):
        f = torch.nn.functional
        x = f.max_pool2d(f.relu(self.c1(x)), 2)              # (N, 6, 14, 14)
        x = f.max_pool2d(f.relu(self.c3(x)), 2)              # (N, 16, 5, 5)
        x = f.relu(self.c5(x)).flatten(1)                    # (N, 120)
        return self.output(f.relu(self.f6(x)))               # (N, 10)


def training_images():
    x, y = load_mnist("train")
    return _images(x[:-VAL], rgb=False), y[:-VAL].astype(np.int64)   # (55000, 1, 28, 28)


def gradwise_trainer(x, y, state):
    manual_seed(0)
    model = models.create("lenet5", num_classes=10, input_size=28, in_channels=1,
                          activation="relu", subsampling="max")
    model.load_state_dict(state, strict=True)
    model.train()
    opt = optim.Adam(model.parameters(), lr=LR)
    step_fn = ShiftStep(SHIFT)
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True)

    def step(batch):
        opt.zero_grad()
        out = step_fn(model, batch, True)
        loss = float(out.loss.item())
        out.loss.backward()
        opt.step()
        return loss

    return step, loader


def torch_trainer(x, y, model):
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    rng = np.random.default_rng(0)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=BATCH, shuffle=True)

    def step(batch):
        xb, yb = batch
        xb = torch.from_numpy(random_shift(xb.numpy(), SHIFT, rng))
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        value = float(loss.item())
        loss.backward()
        opt.step()
        return value

    return step, loader


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--block", type=int, default=86, help="steps per library before switching")
    ap.add_argument("--limit", type=int, default=None, help="time only the first N steps of each epoch (a quick check)")
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS/torch threads for both libraries (read before NumPy loads)")
    args = ap.parse_args()
    torch.set_num_threads(blas_threads())
    print(f"{machine_info()}; torch {torch.__version__} threads {torch.get_num_threads()}")
    x, y = training_images()
    torch.manual_seed(0)
    tmodel = TorchLeNet()
    state = {k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()}

    # agreement: the same batch, no shift, the same weights -> the same loss
    check = models.create("lenet5", num_classes=10, input_size=28, in_channels=1,
                          activation="relu", subsampling="max")
    check.load_state_dict(state, strict=True)
    lo = float(cross_entropy(check(Tensor(x[:BATCH])), Tensor(y[:BATCH])).item())
    with torch.no_grad():
        lt = float(torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x[:BATCH])),
                                                     torch.from_numpy(y[:BATCH])))
    print(f"  first-batch loss: gradwise {lo:.6f}  torch {lt:.6f}", file=sys.stderr)
    if abs(lo - lt) > 1e-4 * max(1.0, abs(lt)):
        raise SystemExit(f"losses differ: gradwise {lo} vs torch {lt}")

    ours, our_loader = gradwise_trainer(x, y, state)
    theirs, their_loader = torch_trainer(x, y, tmodel)
    per_epoch = {"gradwise": [], "PyTorch": []}
    last_loss = {}
    for _ in range(args.epochs):
        its = {"gradwise": iter(our_loader), "PyTorch": iter(their_loader)}
        fns = {"gradwise": ours, "PyTorch": theirs}
        spent = {"gradwise": 0.0, "PyTorch": 0.0}
        done = {"gradwise": False, "PyTorch": False}
        counts = {"gradwise": 0, "PyTorch": 0}
        while not all(done.values()):
            for name in ("gradwise", "PyTorch"):
                if done[name]:
                    continue
                for _ in range(args.block):
                    t0 = time.perf_counter()
                    if args.limit is not None and counts[name] >= args.limit:
                        done[name] = True
                        break
                    counts[name] += 1
                    try:
                        batch = next(its[name])
                    except StopIteration:
                        done[name] = True
                        break
                    last_loss[name] = fns[name](batch)
                    spent[name] += time.perf_counter() - t0
        for name in spent:
            per_epoch[name].append(spent[name])
        print(f"  epoch: gradwise {spent['gradwise']:.1f} s (last loss "
              f"{last_loss['gradwise']:.4f}), PyTorch {spent['PyTorch']:.1f} s (last loss "
              f"{last_loss['PyTorch']:.4f})", file=sys.stderr)
    steps = len(our_loader) if args.limit is None else min(args.limit, len(our_loader))
    rows = []
    for name, secs in per_epoch.items():
        med = float(np.median(secs))
        rows.append([name, med, min(secs), 1e3 * med / steps, steps * BATCH / med])
    rows.append(["ratio gradwise/PyTorch (time)", rows[0][1] / rows[1][1],
                 rows[0][2] / rows[1][2], "", ""])
    print_table(rows, ["library", "s/epoch (median)", "s/epoch (best)", "ms/step",
                       "images/s"])


if __name__ == "__main__":
    main()
