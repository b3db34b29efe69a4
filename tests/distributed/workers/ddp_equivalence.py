"""W ranks × 1/W of each batch under DistributedDataParallel against one process with the
whole batch, for 20 optimizer steps in float64; every rank checks its own parameters.

    python ddp_equivalence.py MODEL [--sampler] [--no-sync K]

MODEL: mlp | lenet_bn (SyncBatchNorm against BatchNorm2d on the full batch) | lstm (2-layer
language model). --sampler: the batches come from DistributedSampler (reference: the same
global order). --no-sync K: K micro-batches per step, K − 1 of them inside no_sync() (reference: the
same K global micro-batches accumulated in one process, so BatchNorm sees the same batches).
"""
import argparse
import copy

import numpy as np

import gradwise as gw
import gradwise.distributed as dist
from gradwise import nn
from gradwise.data import DistributedSampler
from gradwise.nn.parallel import DistributedDataParallel as DDP

gw.set_default_dtype(np.float64)
STEPS, PER_RANK = 20, 4  # optimizer steps; examples per rank per micro-batch


class LanguageModel(nn.Module):
    def __init__(self, vocab=11, hidden=8):
        super().__init__()
        self.embed = nn.Embedding(vocab, 6)
        self.lstm = nn.LSTM(6, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x):
        h, _ = self.lstm(self.embed(x))  # (N, T, H)
        return self.head(h)  # (N, T, vocab)


def build(name):
    if name == "mlp":
        return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                             nn.Linear(16, 3))
    if name == "lenet_bn":
        return nn.Sequential(
            nn.Conv2d(1, 4, 5), nn.BatchNorm2d(4), nn.Tanh(), nn.AvgPool2d(2),   # (N, 4, 6, 6)
            nn.Conv2d(4, 6, 3), nn.BatchNorm2d(6), nn.Tanh(), nn.AvgPool2d(2),   # (N, 6, 2, 2)
            nn.Flatten(), nn.Linear(24, 10), nn.BatchNorm1d(10), nn.ReLU(), nn.Linear(10, 3))
    return LanguageModel()


def dataset(name, n, rng):
    if name == "mlp":
        return rng.standard_normal((n, 5)), rng.integers(0, 3, n)
    if name == "lenet_bn":
        return rng.standard_normal((n, 1, 16, 16)), rng.integers(0, 3, n)
    tokens = rng.integers(0, 11, (n, 7))
    return tokens[:, :-1], tokens[:, 1:]


def loss_of(model, x, y):
    out = model(gw.tensor(x))
    return nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), gw.tensor(y.reshape(-1)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--sampler", action="store_true")
    p.add_argument("--no-sync", type=int, default=1)
    a = p.parse_args()
    r, W = dist.get_rank(), dist.get_world_size()
    K = a.no_sync
    global_batch = W * PER_RANK * K
    X, Y = dataset(a.model, global_batch * STEPS // 2 + 3, np.random.default_rng(1))
    n = len(X)

    gw.manual_seed(0)
    reference = build(a.model)
    gw.manual_seed(100 + r)  # a different start on every rank: DDP must broadcast rank 0's
    local = build(a.model)
    if r == 0:
        local.load_state_dict(reference.state_dict())
    if a.model == "lenet_bn":
        local = nn.SyncBatchNorm.convert_sync_batchnorm(local)
    ddp = DDP(local, bucket_cap_mb=0.002)  # tiny buckets: several collectives in flight
    assert len(ddp.bucket_sizes()) > 1
    opt_ref = gw.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    opt = gw.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    sampler = DistributedSampler(range(n), shuffle=True, seed=5) if a.sampler else None
    probe = copy.deepcopy(sampler)

    def global_order(epoch):
        if sampler is None:
            return np.arange(n)
        probe.set_epoch(epoch)
        return probe.epoch_order()

    def local_order(epoch):
        if sampler is None:  # rank r's rows of each global batch: every W-th from r
            return np.arange(n)[r::W]
        sampler.set_epoch(epoch)
        return np.asarray(list(sampler))

    per_epoch = (len(global_order(0)) // global_batch)
    for step in range(STEPS):
        epoch, k = divmod(step, per_epoch)
        g_idx = global_order(epoch)[k * global_batch:(k + 1) * global_batch]
        l_idx = local_order(epoch)[k * PER_RANK * K:(k + 1) * PER_RANK * K]
        opt_ref.zero_grad()
        for m in range(K):  # the m-th micro-batches of all ranks form a contiguous block
            idx = g_idx[m * W * PER_RANK:(m + 1) * W * PER_RANK]
            (loss_of(reference, X[idx], Y[idx]) / K).backward()
        opt_ref.step()
        opt.zero_grad()
        for m in range(K):
            idx = l_idx[m * PER_RANK:(m + 1) * PER_RANK]
            if m < K - 1:
                with ddp.no_sync():
                    (loss_of(ddp, X[idx], Y[idx]) / K).backward()
            else:
                (loss_of(ddp, X[idx], Y[idx]) / K).backward()
        opt.step()

    ref_state = reference.state_dict()
    worst = 0.0
    for key, value in ddp.state_dict().items():
        assert key.startswith("module."), key
        want = ref_state[key[len("module."):]].array
        got = value.array
        if np.issubdtype(want.dtype, np.floating):
            rel = np.abs(got - want).max() / max(np.abs(want).max(), 1e-300)
            worst = max(worst, rel)
            assert rel < 1e-12, f"rank {r}: {key} differs by {rel:.3g} (relative)"
        else:
            np.testing.assert_array_equal(got, want, err_msg=key)
    print(f"rank {r}/{W} {a.model} sampler={a.sampler} K={K}: {len(ref_state)} tensors equal, "
          f"worst relative difference {worst:.2e}", flush=True)


main()
