"""Tensor.register_hook and retain_grad: gradients seen and replaced, compared with PyTorch."""
import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import gradwise as gw


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((3, 4)), rng.standard_normal((4, 2))


def _run(lib, x_np, w_np, hook_x=(), hook_h=(), retain=False):
    """loss = Σ tanh(x @ w)² with hooks on the leaf x and the intermediate h = x @ w."""
    x = lib.tensor(x_np, requires_grad=True)
    w = lib.tensor(w_np, requires_grad=True)
    for fn in hook_x:
        x.register_hook(fn)
    h = x @ w
    for fn in hook_h:
        h.register_hook(fn)
    if retain:
        h.retain_grad()
    (h.tanh() ** 2).sum().backward()
    return x, w, h


def _grads(*tensors):
    return [t.grad.detach().numpy() if isinstance(t, torch.Tensor) else t.grad.numpy()
            for t in tensors]


def test_leaf_hook_scales_gradient_like_torch():
    x_np, w_np = _inputs()
    g = _run(gw, x_np, w_np, hook_x=[lambda g: g * 3])
    t = _run(torch, x_np, w_np, hook_x=[lambda g: g * 3])
    for a, b in zip(_grads(g[0], g[1]), _grads(t[0], t[1])):
        assert a.shape == b.shape and a.dtype == b.dtype == np.float64
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_intermediate_hook_changes_upstream_gradients_and_retained_grad_like_torch():
    x_np, w_np = _inputs(1)
    g = _run(gw, x_np, w_np, hook_h=[lambda g: g * 0.5 + 1.0], retain=True)
    t = _run(torch, x_np, w_np, hook_h=[lambda g: g * 0.5 + 1.0], retain=True)
    for a, b in zip(_grads(*g), _grads(*t)):
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_hooks_run_in_registration_order_and_chain_like_torch():
    x_np, w_np = _inputs(2)
    grads = []
    for lib in (gw, torch):
        seen = []
        hooks = [lambda g: seen.append("a") or g + 1, lambda g: seen.append("b") or g * 2]
        x, _, _ = _run(lib, x_np, w_np, hook_x=hooks)
        assert seen == ["a", "b"]
        grads.append(x.grad.detach().numpy())
    assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_hook_returning_none_only_observes():
    x_np, w_np = _inputs(3)
    seen = []
    x, _, h = _run(gw, x_np, w_np, hook_h=[lambda g: seen.append(g.numpy().copy())])
    xt, _, ht = _run(torch, x_np, w_np)
    assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    th = torch.tensor(x_np) @ torch.tensor(w_np)
    assert_allclose(seen[0], 2 * np.tanh(th.numpy()) * (1 - np.tanh(th.numpy()) ** 2),
                    rtol=1e-12)


def test_removed_hook_no_longer_runs():
    x = gw.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    keep = x.register_hook(lambda g: g + 1)
    (x * x).sum().backward()
    assert x.grad.tolist() == [21.0, 41.0]  # 2x·10 + 1
    handle.remove()
    handle.remove()  # a second remove is a no-op, as in torch
    x.grad = None
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0, 5.0]
    keep.remove()


def test_same_function_registered_twice_runs_twice_and_removes_once():
    double = lambda g: g * 2  # noqa: E731
    for lib in (gw, torch):
        x = lib.tensor([1.0], requires_grad=True)
        first = x.register_hook(double)
        x.register_hook(double)
        (x * 1.0).sum().backward()
        assert x.grad.tolist() == [4.0]
        first.remove()
        x.grad = None
        (x * 1.0).sum().backward()
        assert x.grad.tolist() == [2.0]


def test_leaf_hook_sees_summed_gradient_once_like_torch():
    for lib in (gw, torch):
        calls = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: calls.append(g.detach().numpy().copy()))
        (x * 2 + x * x).sum().backward()  # x reaches the loss along two paths
        assert len(calls) == 1
        assert_allclose(calls[0], [4.0, 6.0])


def test_hook_on_backward_root_and_on_leaf_root():
    x_np, w_np = _inputs(4)
    outs = []
    for lib in (gw, torch):
        x = lib.tensor(x_np, requires_grad=True)
        y = (x * x).sum()
        y.register_hook(lambda g: g * 4)
        y.backward()
        leaf = lib.tensor(2.0, requires_grad=True)
        leaf.register_hook(lambda g: g * 7)
        leaf.backward()
        outs.append((x.grad.detach().numpy(), leaf.grad.item()))
    assert_allclose(outs[0][0], outs[1][0], rtol=1e-12)
    assert outs[0][1] == outs[1][1] == 7.0


def test_hook_on_one_output_of_a_multi_output_op():
    x_np = np.random.default_rng(5).standard_normal((4, 3))
    grads = []
    for lib in (gw, torch):
        x = lib.tensor(x_np, requires_grad=True)
        a, b = lib.split(x, 2, dim=0)
        a.register_hook(lambda g: g * -1)
        (a.sum() * 3 + (b * b).sum()).backward()
        grads.append(x.grad.detach().numpy())
    assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_register_hook_refuses_tensor_without_grad_like_torch():
    msg = "cannot register a hook on a tensor that doesn't require gradient"
    with pytest.raises(RuntimeError, match=msg):
        gw.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match=msg):
        torch.ones(2).register_hook(lambda g: g)


def test_hook_that_changes_shape_or_dtype_raises():
    x = gw.ones(3, requires_grad=True)
    x.register_hook(lambda g: gw.ones(2, dtype=gw.float32))
    with pytest.raises(RuntimeError, match=r"changed the size of value: expected \(3,\), got \(2,\)"):
        (x * 2).sum().backward()
    y = gw.ones(3, dtype=gw.float64, requires_grad=True)
    y.register_hook(lambda g: g.float())
    with pytest.raises(RuntimeError, match="changed the type of value: expected float64, got "
                                           "float32"):
        (y * 2).sum().backward()


def test_hook_handle_works_as_context_manager():
    x = gw.tensor([1.0], requires_grad=True)
    with x.register_hook(lambda g: g * 5):
        (x * 1.0).sum().backward()
    assert x.grad.tolist() == [5.0]
    x.grad = None
    (x * 1.0).sum().backward()
    assert x.grad.tolist() == [1.0]


def test_retain_grad_on_leaf_is_a_noop_and_refuses_without_grad():
    x = gw.tensor([1.0, 2.0], requires_grad=True)
    x.retain_grad()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        gw.ones(2).retain_grad()
