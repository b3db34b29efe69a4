"""SyncBatchNorm: the functional kernels on simulated ranks (threads) against PyTorch's
BatchNorm on the whole batch, the layer in one process, and real 2-rank runs."""
import threading

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn
from gradwise.functional.sync_norm import sync_batch_norm
from mpi_launch import check, run_ranks


class ThreadGroup:
    """W threads as ranks: ``allreduce(a)`` sums every thread's ``a`` in place."""

    def __init__(self, world):
        self.world, self.slots = world, [None] * world
        self.barrier = threading.Barrier(world)

    def allreduce_for(self, rank):
        def allreduce(a):
            self.slots[rank] = a.copy()
            self.barrier.wait()
            total = sum(self.slots[1:], self.slots[0].copy())
            self.barrier.wait()  # every rank has read the slots before they are reused
            a[...] = total
        return allreduce


def run_ranks_in_threads(world, fn):
    group, results, errors = ThreadGroup(world), [None] * world, []

    def target(rank):
        try:
            results[rank] = fn(rank, group.allreduce_for(rank))
        except Exception as e:  # surfaced below: a thread's assertion must fail the test
            errors.append(e)
            group.barrier.abort()

    threads = [threading.Thread(target=target, args=(k,)) for k in range(world)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("world, shape", [(2, (6, 3, 4, 4)), (3, (9, 2, 5)), (4, (8, 5))])
def test_sync_batch_norm_on_simulated_ranks_matches_torch_on_the_whole_batch(world, shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape) * 3 + 2
    g = rng.standard_normal(shape)
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    n = shape[0] // world

    def rank(r, allreduce):
        xs = gw.tensor(x[r * n:(r + 1) * n], requires_grad=True)
        ws, bs = gw.tensor(w, requires_grad=True), gw.tensor(b, requires_grad=True)
        rm, rv = np.zeros(shape[1]), np.ones(shape[1])
        y = sync_batch_norm(xs, rm, rv, ws, bs, 0.1, 1e-5, allreduce)
        (y * gw.tensor(g[r * n:(r + 1) * n])).sum().backward()
        return y.array, xs.grad.array, ws.grad.array, bs.grad.array, rm, rv

    out = run_ranks_in_threads(world, rank)
    tx = torch.tensor(x, requires_grad=True)
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    trm, trv = torch.zeros(shape[1], dtype=torch.float64), torch.ones(shape[1], dtype=torch.float64)
    ty = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=True, momentum=0.1)
    (ty * torch.tensor(g)).sum().backward()
    y = np.concatenate([o[0] for o in out])
    assert y.shape == shape and y.dtype == np.float64
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([o[1] for o in out]), tx.grad.numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sum(o[2] for o in out), tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(sum(o[3] for o in out), tb.grad.numpy(), rtol=1e-12)
    for o in out:  # every rank holds the global running statistics (unbiased σ² with M)
        np.testing.assert_allclose(o[4], trm.numpy(), rtol=1e-12)
        np.testing.assert_allclose(o[5], trv.numpy(), rtol=1e-12)


def test_convert_sync_batchnorm_shares_parameters_and_keeps_state_dict_keys():
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3),
                          nn.Sequential(nn.Flatten(), nn.BatchNorm1d(12, affine=False)))
    keys = list(model.state_dict())
    weight = model[1].weight
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model
    assert type(model[1]) is nn.SyncBatchNorm and type(model[2][1]) is nn.SyncBatchNorm
    assert model[1].weight is weight and model[2][1].weight is None
    assert list(model.state_dict()) == keys
    lone = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(4).eval())
    assert isinstance(lone, nn.SyncBatchNorm) and not lone.training


def test_in_one_process_sync_batchnorm_is_batchnorm():
    x = gw.randn(4, 3, 2, 2, dtype=gw.float64)
    a, b = nn.BatchNorm2d(3, dtype=np.float64), nn.SyncBatchNorm(3, dtype=np.float64)
    np.testing.assert_array_equal(a(x).array, b(x).array)
    np.testing.assert_array_equal(a.running_var.array, b.running_var.array)


def test_sync_batchnorm_rejects_a_process_group_and_wrong_channels():
    with pytest.raises(ValueError, match="process_group must be None"):
        nn.SyncBatchNorm(3, process_group="world")
    with pytest.raises(ValueError, match=r"expected input \(N, 3, \*\)"):
        nn.SyncBatchNorm(3)(gw.randn(2, 4))


def test_sync_batchnorm_on_two_ranks_equals_batchnorm_on_the_whole_batch():
    pytest.importorskip("mpi4py")
    out = check(run_ranks("sync_bn.py", n=2)).stdout
    assert out.count("equals BatchNorm on the full batch") == 2, out
