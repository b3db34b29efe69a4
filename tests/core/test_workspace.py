"""core.memory.workspace: a bounded cache of scratch arrays, reused only when nothing holds them."""
import numpy as np
import torch

import gradwise as gw
from gradwise.core import threads
from gradwise.core.memory import MIN_WORKSPACE_BYTES, Workspace, workspace
from gradwise.functional import conv2d

BIG = (MIN_WORKSPACE_BYTES // 4 + 1,)  # float32 elements: just above the caching size


def test_workspace_reuses_a_buffer_only_after_its_last_user_is_gone():
    ws = Workspace(limit=1 << 26)
    a = ws.get(BIG, np.float32)
    view = a[1:].reshape(-1)[::2]  # a view of a view still refers to a
    del a
    b = ws.get(BIG, np.float32)
    assert not np.shares_memory(b, view)
    base_b = b.__array_interface__["data"][0]
    del b
    c = ws.get(BIG, np.float32)
    assert c.__array_interface__["data"][0] == base_b


def test_workspace_keys_on_shape_and_dtype_and_zero_fills_on_request():
    ws = Workspace(limit=1 << 26)
    a = ws.get(BIG, np.float32)
    a.fill(7)
    del a
    assert ws.get(BIG, np.float64).dtype == np.float64
    z = ws.get(BIG, np.float32, zero=True)
    assert not z.any()


def test_workspace_stays_within_its_limit_and_empty_cache_releases_it():
    limit = 3 * MIN_WORKSPACE_BYTES
    ws = Workspace(limit=limit)
    held = [ws.get(BIG, np.float32) for _ in range(5)]  # all in use: the last ones go uncached
    assert ws.nbytes <= limit
    assert all(h.shape == BIG for h in held)
    del held
    ws.get((BIG[0] + 1,), np.float32)  # a new shape evicts free buffers to fit
    assert ws.nbytes <= limit
    ws.clear()
    assert ws.nbytes == 0


def test_small_arrays_are_not_cached():
    ws = Workspace()
    ws.get((10,), np.float32)
    assert ws.nbytes == 0


def test_conv2d_matches_torch_when_the_cached_buffers_hold_garbage():
    gw.empty_cache()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 16, 24, 24)).astype(np.float32)  # cols 8·16·9·576·4 B ≈ 2.6 MB
    w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    dy = rng.standard_normal((8, 32, 24, 24)).astype(np.float32)
    for step in range(3):
        gx, gwt = gw.tensor(x, requires_grad=True), gw.tensor(w, requires_grad=True)
        y = conv2d(gx, gwt, padding=1)
        y.backward(dy)
        tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        ty = torch.nn.functional.conv2d(tx, tw, padding=1)
        ty.backward(torch.tensor(dy))
        np.testing.assert_allclose(y.array, ty.detach().numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(gwt.grad.array, tw.grad.numpy(), rtol=1e-4, atol=1e-3)
        assert workspace.nbytes > 0
        del y, gx, gwt
        for pool in list(workspace._buffers.values()):  # poison every cached buffer
            for buf in pool:
                buf.fill(np.nan)
    gw.empty_cache()
    assert workspace.nbytes == 0


def test_repeated_conv2d_steps_do_not_grow_the_workspace(monkeypatch):
    # one thread: with the batch split, slices that overlap in time need one buffer each, and
    # whether the first step's slices overlap depends on scheduling
    monkeypatch.setattr(threads, "MIN_SPLIT_WORK", float("inf"))
    gw.empty_cache()
    rng = np.random.default_rng(1)
    x = gw.tensor(rng.standard_normal((8, 16, 24, 24)).astype(np.float32), requires_grad=True)
    w = gw.tensor(rng.standard_normal((32, 16, 3, 3)).astype(np.float32), requires_grad=True)
    sizes = []
    for _ in range(4):
        conv2d(x, w, padding=1).sum().backward()
        sizes.append(workspace.nbytes)
    assert sizes[1:] == sizes[:1] * 3
    gw.empty_cache()
