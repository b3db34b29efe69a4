"""DistributedDataParallel: buckets, hooks and state_dict in one process; equivalence on 2."""
import numpy as np
import pytest

pytest.importorskip("mpi4py")

import gradwise as gw  # noqa: E402
import gradwise.distributed as dist  # noqa: E402
from gradwise import nn  # noqa: E402
from gradwise.nn.parallel import DistributedDataParallel as DDP  # noqa: E402
from gradwise.nn.parallel.buckets import assign_buckets  # noqa: E402
from mpi_launch import check, run_ranks  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def group():
    if not dist.is_initialized():
        dist.init_process_group("mpi")
    yield


def mlp():
    gw.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.Tanh(),
                         nn.Linear(8, 8, dtype=np.float64), nn.Tanh(),
                         nn.Linear(8, 2, dtype=np.float64))


def grads_of(model, x):
    model.zero_grad()
    (model(gw.tensor(x)) ** 2).mean().backward()
    return [p.grad.array.copy() for p in model.parameters()]


def test_state_dict_keys_are_prefixed_with_module_like_torch():
    ddp = DDP(mlp())
    keys = list(ddp.state_dict())
    assert keys == ["module." + k for k in ddp.module.state_dict()]
    ddp.load_state_dict(DDP(mlp()).state_dict())


def test_buckets_follow_reverse_order_with_a_small_first_bucket():
    params = [gw.zeros(300_000, requires_grad=True), gw.zeros(10, requires_grad=True),
              gw.zeros(200_000, requires_grad=True), gw.zeros(100_000, requires_grad=True)]
    buckets = assign_buckets(params, bucket_cap_mb=2)
    # reversed, float32: 400 kB, 800 kB, 40 B, 1.2 MB; the first bucket is capped at 1 MiB
    # (400 kB + 800 kB would exceed it), the next at 2 MiB
    assert [[p.shape[0] for p in b.params] for b in buckets] == [[100_000],
                                                               [200_000, 10, 300_000]]
    assert all(b.buffer.dtype == np.float32 for b in buckets)


def test_buckets_never_mix_dtypes():
    params = [gw.zeros(3, requires_grad=True), gw.zeros(3, dtype=gw.float64, requires_grad=True)]
    buckets = assign_buckets(params, bucket_cap_mb=25)
    assert sorted(str(b.buffer.dtype) for b in buckets) == ["float32", "float64"]


def test_gradients_equal_plain_backward_on_one_rank():
    x = np.random.default_rng(0).standard_normal((5, 4))
    want = grads_of(mlp(), x)
    got = grads_of(DDP(mlp(), bucket_cap_mb=0.0005), x)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-14)


def test_a_bucket_starts_its_allreduce_before_backward_ends():
    ddp = DDP(mlp(), bucket_cap_mb=0.0005)
    assert len(ddp.bucket_sizes()) >= 3
    seen = []
    for p in ddp.parameters():
        p.register_post_accumulate_grad_hook(
            lambda _: seen.append([b.request is not None for b in ddp._buckets]))
    (ddp(gw.randn(3, 4, dtype=gw.float64)) ** 2).mean().backward()
    assert any(s[0] and not s[-1] for s in seen), seen  # bucket 0 in flight, the last not yet
    assert all(b.request is None for b in ddp._buckets)  # all waited for when backward returns


def test_no_sync_accumulates_then_the_synced_backward_keeps_the_sum():
    x = np.random.default_rng(1).standard_normal((6, 4))
    ref = mlp()
    ref.zero_grad()
    (ref(gw.tensor(x[:3])) ** 2).mean().backward()
    (ref(gw.tensor(x[3:])) ** 2).mean().backward()
    ddp = DDP(mlp())
    with ddp.no_sync():
        (ddp(gw.tensor(x[:3])) ** 2).mean().backward()
        assert not ddp._armed
    (ddp(gw.tensor(x[3:])) ** 2).mean().backward()
    for a, b in zip(ddp.parameters(), ref.parameters()):
        np.testing.assert_allclose(a.grad.array, b.grad.array, rtol=1e-14)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 2), nn.Linear(3, 2)

    def forward(self, x, use_b=True):
        return (self.a(x), self.b(x)) if use_b else (self.a(x), None)


def test_unused_parameters_raise_unless_find_unused_parameters():
    with pytest.raises(RuntimeError, match="find_unused_parameters=True"):
        DDP(TwoHeads())(gw.randn(2, 3), use_b=False)
    ddp = DDP(TwoHeads(), find_unused_parameters=True)
    out, _ = ddp(gw.randn(2, 3), use_b=False)
    out.sum().backward()
    np.testing.assert_array_equal(ddp.module.b.weight.grad.array, 0)


def test_a_loss_that_skips_an_output_fails_at_the_next_forward():
    ddp = DDP(TwoHeads(), bucket_cap_mb=1e-5)
    a, _ = ddp(gw.randn(2, 3))
    a.sum().backward()
    with pytest.raises(RuntimeError, match="finished reduction in the prior iteration"):
        ddp(gw.randn(2, 3))


def test_constructor_checks_arguments():
    with pytest.raises(ValueError, match="bucket_cap_mb must be > 0"):
        DDP(mlp(), bucket_cap_mb=0)
    with pytest.raises(ValueError, match="device_ids must be None"):
        DDP(mlp(), device_ids=[0])
    with pytest.raises(TypeError, match="expected a Module"):
        DDP(lambda x: x)


@pytest.mark.parametrize("args", [["mlp"], ["mlp", "--sampler"], ["mlp", "--no-sync", "3"],
                                  ["lstm", "--sampler"], ["lenet_bn", "--sampler"],
                                  ["lenet_bn", "--no-sync", "2"]],
                         ids=lambda a: "-".join(a))
def test_two_ranks_train_exactly_like_one_process_with_the_whole_batch(args):
    out = check(run_ranks("ddp_equivalence.py", n=2, args=args)).stdout
    assert out.count("tensors equal") == 2, out
