"""The autograd engine: accumulation, graph freeing, grad modes, errors, memory."""
import gc
import tracemalloc

import numpy as np
import pytest

import gradwise as gw


def test_grad_accumulates_across_backward_calls_like_torch():
    x = gw.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]


def test_diamond_graph_sums_both_paths():
    x = gw.tensor(2.0, requires_grad=True)
    y = x * 3
    z = y * y + y  # dz/dx = (2y + 1)·3 = 39
    z.backward()
    assert x.grad.item() == 39.0


def test_second_backward_without_retain_graph_raises():
    x = gw.tensor([1.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = gw.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0]


def test_backward_on_non_scalar_without_gradient_raises_like_torch():
    x = gw.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(gw.tensor([1.0, 2.0, 3.0]))
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\), expected the output's \(3,\)"):
        (x * 2).backward(gw.ones(2))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gw.ones(2).sum().backward()


def test_no_grad_context_and_decorator_record_nothing():
    x = gw.ones(2, requires_grad=True)
    with gw.no_grad():
        y = x * 2
        with gw.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @gw.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and gw.is_grad_enabled()


def test_detach_cuts_the_graph():
    x = gw.ones(2, requires_grad=True)
    y = (x * 2).detach()
    assert y.is_leaf and not y.requires_grad
    (x * y).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_retain_grad_keeps_intermediate_gradient():
    x = gw.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0]


def test_gradcheck_detects_a_wrong_backward():
    def bad_forward(x):
        return x * x, x

    def bad_backward(g, x):
        return g * x  # wrong: should be 2x

    x = gw.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(gw.autograd.GradcheckError, match="input 0"):
        gw.autograd.gradcheck(lambda t: gw.autograd.apply_op(bad_forward, bad_backward, t), [x])
    assert gw.autograd.gradcheck(lambda t: t * t, [x])


def test_gradcheck_rejects_float32_inputs():
    with pytest.raises(ValueError, match="float64"):
        gw.autograd.gradcheck(lambda t: t * 2, [gw.ones(2, requires_grad=True)])


def test_engine_rejects_gradient_of_wrong_shape():
    def fwd(x):
        return x.sum(), x.shape

    def bwd(g, shape):
        return np.ones((1,))

    x = gw.ones(3, dtype=gw.float64, requires_grad=True)
    with pytest.raises(AssertionError, match=r"shape \(1,\) for an input of shape \(3,\)"):
        gw.autograd.apply_op(fwd, bwd, x).backward()


def test_multi_output_op_receives_zero_grad_for_unused_output():
    def fwd(x):
        return (x * 2, x * 3), None

    def bwd(grads, cache):
        g1, g2 = grads
        return g1 * 2 + g2 * 3

    x = gw.ones(2, dtype=gw.float64, requires_grad=True)
    a, b = gw.autograd.apply_op(fwd, bwd, x)
    a.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_training_loop_memory_does_not_grow():
    """1,000 steps of forward/backward/update: the graph of each step is freed."""
    rng = np.random.default_rng(0)
    w = gw.tensor(rng.standard_normal((32, 32)).astype(np.float32) * 0.1, requires_grad=True)
    x = gw.tensor(rng.standard_normal((16, 32)).astype(np.float32))

    def step():
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        w.array -= 0.01 * w.grad.array
        w.grad = None

    for _ in range(50):
        step()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(1000):
        step()
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 200_000, f"memory grew by {grown} bytes over 1,000 steps"
