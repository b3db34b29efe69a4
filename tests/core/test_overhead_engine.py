"""The engine's fast paths (benchmarks/bench_overhead.py) keep its behaviour: ``saves``
declarations, version counters made on first use, the dependency-count backward walk, the
inlined leaf accumulation, grad mode per thread and the broadcast error after NumPy refuses."""
import copy
import pickle
import threading

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.core import autograd
from gradwise.functional import elementwise as E

MODIFIED = "modified by an inplace operation"


def _pos(shape, rng):
    return rng.uniform(0.5, 2.0, shape)


# Every forward in elementwise.py that declares what it saves, with inputs to run it on.
DECLARED = [
    (E.add_forward, 2, {}), (E.sub_forward, 2, {}), (E.mul_forward, 2, {}),
    (E.div_forward, 2, {}), (E.pow_forward, 2, {}), (E.maximum_forward, 2, {}),
    (E.minimum_forward, 2, {}),
    (E.neg_forward, 1, {}), (E.exp_forward, 1, {}), (E.log_forward, 1, {}),
    (E.sqrt_forward, 1, {}), (E.abs_forward, 1, {}), (E.sin_forward, 1, {}),
    (E.cos_forward, 1, {}), (E.tanh_forward, 1, {}), (E.sigmoid_forward, 1, {}),
    (E.relu_forward, 1, {}), (E.leaky_relu_forward, 1, {"negative_slope": 0.1}),
    (E.elu_forward, 1, {}), (E.gelu_forward, 1, {}), (E.gelu_forward, 1, {"approximate": "tanh"}),
    (E.softplus_forward, 1, {}), (E.clamp_forward, 1, {"min": 0.7, "max": 1.5}),
]


@pytest.mark.parametrize("forward, n_inputs, config", DECLARED,
                         ids=[f"{f.__name__}-{i}" for i, (f, _, _) in enumerate(DECLARED)])
def test_saves_declaration_names_every_input_and_output_the_cache_holds(forward, n_inputs,
                                                                         config):
    rng = np.random.default_rng(0)
    for shapes in [((3, 4),) * n_inputs, ((3, 4), (4,))[:n_inputs]]:
        inputs = tuple(gw.tensor(_pos(s, rng), requires_grad=True) for s in shapes)
        out, cache = forward(*(t.array for t in inputs), **config)
        outputs = (gw.Tensor(out),)
        scanned = {label for _, _, label in autograd._saved_versions(cache, inputs, outputs)}
        declared = {label for _, _, label in autograd._declared_versions(
            forward.saved_inputs, forward.saved_outputs, inputs, outputs)}
        assert scanned <= declared, f"{forward.__name__} saves {scanned - declared} undeclared"


def test_saves_refuses_positions_out_of_range():
    with pytest.raises(ValueError, match="0..15"):
        autograd.saves(inputs=(16,))


@pytest.mark.parametrize("op, saved", [
    (lambda x, w: x * w, "input 1"),
    (lambda x, w: x / w, "input 1"),
    (lambda x, w: gw.maximum(x, w), "input 1"),
    (lambda x, w: (x * 1.0).relu() * w, "input 1"),
])
def test_inplace_edit_of_a_declared_saved_input_raises_at_backward(op, saved):
    x = gw.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    w = gw.tensor(np.array([0.5, 4.0, 2.0]), requires_grad=True)
    loss = op(x, w).sum()
    with gw.no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError, match=f"{MODIFIED}: {saved}"):
        loss.backward()


@pytest.mark.parametrize("edit", [
    lambda y: y.detach().add_(1.0),
    lambda y: y.data.mul_(2.0),
    lambda y: y.add_(1.0),
], ids=["detach", "data", "direct"])
def test_inplace_edit_of_a_saved_output_raises_whichever_alias_edits_it(edit):
    x = gw.tensor(np.array([0.5, 1.0]), requires_grad=True)
    y = x ** 2.0  # pow's backward reads its output
    loss = (y + 1.0).sum()  # add saves no array: only pow can refuse
    with gw.no_grad():
        edit(y)
    with pytest.raises(RuntimeError, match="output 0 of <powBackward>"):
        loss.backward()


def test_op_output_version_counter_is_made_on_first_use_and_shared_by_its_aliases():
    x = gw.tensor(np.zeros(3), requires_grad=True)
    y = x + 1.0
    assert y._vc is None  # not made until something asks for it
    d = y.detach()
    assert y._version == 0 and d._counter is y._counter
    with gw.no_grad():
        d.add_(1.0)
    assert y._version == d._version == 1
    y2 = copy.deepcopy(y.detach())
    assert y2._version == 1 and y2._counter is not y._counter
    z = pickle.loads(pickle.dumps((x * 2.0).detach()))
    assert z._version == 0 and z.tolist() == [0.0, 0.0, 0.0]


def test_an_unsaved_input_may_still_be_edited_in_place():
    x = gw.tensor(np.ones(3), requires_grad=True)
    b = gw.tensor(np.ones(3), requires_grad=True)
    y = (x + b) * 2.0  # add saves shapes only; mul saves its inputs (x + b) and 2.0
    with gw.no_grad():
        b.add_(5.0)
    y.sum().backward()
    assert x.grad.tolist() == b.grad.tolist() == [2.0, 2.0, 2.0]


def _graph(lib, x, w):
    """A DAG with shared sub-expressions reached at different depths."""
    a = x * w
    b = a.exp()
    c = a + b * 2.0
    d = (c * a).tanh() + b
    e = d * c - a.sigmoid()
    return (e + d * 0.5).sum()


def test_dependency_count_walk_matches_torch_on_a_graph_with_shared_nodes():
    rng = np.random.default_rng(1)
    xv, wv = rng.standard_normal((2, 3)) * 0.3, rng.standard_normal(3) * 0.3
    x, w = gw.tensor(xv, requires_grad=True), gw.tensor(wv, requires_grad=True)
    tx, tw = torch.tensor(xv, requires_grad=True), torch.tensor(wv, requires_grad=True)
    _graph(gw, x, w).backward()
    _graph(torch, tx, tw).backward()
    np.testing.assert_allclose(x.grad.array, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.array, tw.grad.numpy(), rtol=1e-12)


def _first_only():
    """add(p, q) whose backward passes a gradient to q only."""
    def fwd(p, q):
        return p + q, None

    def bwd(g, cache):
        return None, g

    return fwd, bwd


def test_node_reached_only_through_none_gradients_still_releases_its_producers():
    fwd, bwd = _first_only()
    x = gw.tensor(np.ones(2), requires_grad=True)
    a = x * 3.0
    b = a * 2.0
    out = autograd.apply_op(fwd, bwd, a, b)  # a's direct gradient is None, b's is not
    out.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    x.grad = None
    y = gw.tensor(np.ones(2), requires_grad=True)
    out = autograd.apply_op(fwd, bwd, x * 3.0, y)  # (x * 3)'s node gets no gradient at all
    out.sum().backward()
    assert x.grad is None and y.grad.tolist() == [1.0, 1.0]


def test_engine_rejects_gradient_of_wrong_dtype():
    def fwd(x):
        return x * 2, None

    def bwd(g, cache):
        return (g * 2).astype(np.float32)

    x = gw.ones(3, dtype=gw.float64, requires_grad=True)
    with pytest.raises(AssertionError, match="float32 gradient for a float64 input"):
        autograd.apply_op(fwd, bwd, x).sum().backward()


def test_leaf_used_many_times_accumulates_and_runs_its_post_hook_per_gradient():
    b = gw.tensor(np.ones(2), requires_grad=True)
    b.grad = gw.tensor(np.full(2, 10.0))  # accumulates onto an existing .grad
    calls = []
    b.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.tolist()))
    y = b
    for _ in range(3):
        y = y + b
    y.sum().backward()
    assert b.grad.tolist() == [14.0, 14.0] and len(calls) == 4
    c = gw.tensor(np.ones(2), requires_grad=True)
    y = c
    for _ in range(3):
        y = y + c
    y.sum().backward()
    first = c.grad
    y = c * 1.0
    y.sum().backward()
    assert c.grad is first and c.grad.tolist() == [5.0, 5.0]


def test_grad_mode_is_per_thread():
    seen = {}

    def worker():
        seen["start"] = gw.is_grad_enabled()
        gw.set_grad_enabled(False)
        seen["after"] = gw.is_grad_enabled()

    with gw.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not gw.is_grad_enabled()
    assert seen == {"start": True, "after": False} and gw.is_grad_enabled()


@pytest.mark.parametrize("op, name", [
    (lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"), (lambda a, b: a * b, "mul"),
    (lambda a, b: a / b, "div"), (lambda a, b: gw.maximum(a, b), "maximum"),
    (lambda a, b: a.add(b, alpha=2), "add"),
])
def test_broadcast_error_names_the_op_and_shapes(op, name):
    with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4,\) are not "
                                         "broadcastable"):
        op(gw.ones(2, 3, requires_grad=True), gw.ones(4))


def test_other_value_errors_of_a_binary_forward_pass_through():
    with pytest.raises(ValueError, match="negative integer powers"):
        gw.tensor(np.array([2, 3])) ** gw.tensor(np.array([-1, 1]))


def test_forward_returning_a_numpy_scalar_gives_an_array_tensor_with_a_grad_fn():
    def fwd(x):
        return x.sum(), x.shape  # a NumPy scalar, not an ndarray

    def bwd(g, shape):
        return np.broadcast_to(g, shape).copy()

    x = gw.ones(3, dtype=gw.float64, requires_grad=True)
    y = autograd.apply_op(fwd, bwd, x)
    assert type(y.array) is np.ndarray and y.grad_fn is not None and y.grad_fn.name == "fwd"
    with gw.no_grad():
        z = autograd.apply_op(fwd, bwd, x)
    assert type(z.array) is np.ndarray and z.grad_fn is None and not z.requires_grad
    y.backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_integer_outputs_carry_no_gradient_and_op_names_come_from_the_forward():
    x = gw.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert repr((x + 1.0).grad_fn) == "<addBackward>" and repr((x * x).grad_fn) == "<mulBackward>"

    def fwd(a):
        return a.astype(np.int64), None

    y = autograd.apply_op(fwd, lambda g, c: None, x)
    assert not y.requires_grad and y.grad_fn is None
